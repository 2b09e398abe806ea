import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostLogger } from '../../logging/host-logger';
import { DEGRADED_AFTER, DEGRADED_WINDOW_MS, UnhandledErrors } from './unhandled-errors';

describe('UnhandledErrors', () => {
  let root: string;
  let lines: string[];
  let clock: number;
  const dirs = () => [['alpha', join(root, 'alpha')] as [string, string], ['alpha-beta', join(root, 'alpha-beta')] as [string, string]];
  const tracker = () => new UnhandledErrors(new HostLogger('info', 'appnest', (line) => lines.push(line)), dirs, { now: () => clock });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'appnest-stray-'));
    lines = [];
    clock = 1_000_000;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("attributes an error to the plugin whose folder holds the stack's code, not a plugin whose id merely starts the same", () => {
    for (const id of ['alpha', 'alpha-beta']) {
      mkdirSync(join(root, id));
      writeFileSync(join(root, id, 'thrower.js'), `module.exports = () => new Error('from ${id}');\n`);
    }
    const make = (id: string) => (require(join(root, id, 'thrower.js')) as () => Error)();
    expect(tracker().attributeByStack(make('alpha-beta'))).toBe('alpha-beta');
    expect(tracker().attributeByStack(make('alpha'))).toBe('alpha');
    expect(tracker().attributeByStack(new Error('from the host'))).toBeUndefined();
    expect(tracker().attributeByStack('not an error')).toBeUndefined();
  });

  it("names the plugin whose code calls, by the caller's stack: a frame close by, one under many library frames, the error a line reports first", () => {
    mkdirSync(join(root, 'alpha'));
    writeFileSync(join(root, 'alpha', 'caller.js'), 'module.exports = (work) => work();\n');
    const viaAlpha = require(join(root, 'alpha', 'caller.js')) as <T>(work: () => T) => T;
    const deep = <T>(depth: number, work: () => T): T => (depth === 0 ? work() : deep(depth - 1, work));
    const errors = tracker();
    const limit = Error.stackTraceLimit;
    expect(viaAlpha(() => errors.pluginOfCurrentCode())).toBe('alpha');
    expect(viaAlpha(() => deep(40, () => errors.pluginOfCurrentCode()))).toBe('alpha');
    expect(deep(100, () => errors.pluginOfCurrentCode())).toBeUndefined();
    const fromAlpha = viaAlpha(() => new Error('thrown in alpha'));
    expect(errors.pluginOfCurrentCode(fromAlpha)).toBe('alpha');
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('finds no plugin, and does not throw, when code replaced Error.prepareStackTrace with one that returns no text', () => {
    const prepare = Error.prepareStackTrace;
    Error.prepareStackTrace = (_err, sites) => sites;
    try {
      expect(tracker().pluginOfCurrentCode()).toBeUndefined();
      expect(tracker().attributeByStack(new Error('with call sites for a stack'))).toBeUndefined();
    } finally {
      Error.prepareStackTrace = prepare;
    }
  });

  it(`marks a plugin degraded at ${DEGRADED_AFTER} errors within the window, once, and only while it runs`, () => {
    const errors = tracker();
    for (let i = 1; i < DEGRADED_AFTER; i++) errors.record('alpha', 'unhandled rejection', new Error(`stray ${i}`));
    expect(errors.viewOf('alpha', true)).toMatchObject({ unhandledErrors: DEGRADED_AFTER - 1, degraded: false });
    errors.record('alpha', 'uncaught exception', new Error('one more'));
    expect(errors.viewOf('alpha', true)).toEqual({
      unhandledErrors: DEGRADED_AFTER,
      degraded: true,
      lastUnhandledError: { kind: 'uncaught exception', message: 'Error: one more', at: new Date(clock).toISOString() },
    });
    expect(errors.viewOf('alpha', false).degraded).toBe(false);
    errors.record('alpha', 'unhandled rejection', new Error('after'));
    expect(lines.filter((l) => l.includes('is degraded'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes(" ERROR [plugin:alpha] Plugin 'alpha': "))).toHaveLength(DEGRADED_AFTER);
    errors.started('alpha');
    expect(errors.viewOf('alpha', true)).toMatchObject({ unhandledErrors: DEGRADED_AFTER + 1, degraded: false });
  });

  it('does not degrade a plugin whose errors are spread wider than the window', () => {
    const errors = tracker();
    for (let i = 0; i < DEGRADED_AFTER * 2; i++) {
      errors.record('alpha', 'unhandled rejection', new Error('now and then'));
      clock += DEGRADED_WINDOW_MS / (DEGRADED_AFTER - 1);
    }
    expect(errors.viewOf('alpha', true)).toMatchObject({ unhandledErrors: DEGRADED_AFTER * 2, degraded: false });
  });

  it('knows nothing of a plugin that never misbehaved', () => {
    expect(tracker().viewOf('alpha', true)).toEqual({ unhandledErrors: 0, lastUnhandledError: null, degraded: false });
  });
});
