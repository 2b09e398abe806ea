import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../config/host-config';
import { HostLogger } from '../../logging/host-logger';
import { LoopBlame } from './loop-blame';
import type { SampledStack } from './loop-watchdog';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });

describe('LoopBlame', () => {
  const root = mkdtempSync(join(tmpdir(), 'appnest-blame-'));
  const plugins = join(root, 'plugins');
  mkdirSync(join(plugins, 'reports'), { recursive: true });
  mkdirSync(join(plugins, 'report'), { recursive: true });
  symlinkSync(join(plugins, 'reports'), join(root, 'linked-reports'));
  const dirs: [string, string][] = [
    ['reports', join(root, 'linked-reports')],
    ['report', join(plugins, 'report')],
  ];
  const lines: string[] = [];
  const blocks: [string | undefined, number][] = [];
  const blame = new LoopBlame(1000, new HostLogger('info', 'appnest', (line) => lines.push(line)), () => dirs, { loopBlocked: (id, seconds) => blocks.push([id, seconds]) });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('blames the plugin whose folder holds the innermost plugin frame of most samples, by path or file URL, links resolved', () => {
    const inReports = join(plugins, 'reports', 'report.service.ts');
    const stacks: SampledStack[] = [
      { frames: [frame('pbkdf2Sync', 'node:crypto'), frame('hash', inReports), frame('handle', '/app/node_modules/router/index.js')], samples: 120 },
      { frames: [frame('build', pathToFileURL(inReports).href)], samples: 30 },
      { frames: [frame('render', join(plugins, 'report', 'app.module.ts'))], samples: 100 },
      { frames: [frame('parse', '/app/dist/src/core/x.js')], samples: 140 },
    ];
    expect(blame.blame({ durationMs: 1500, stacks })).toEqual({ pluginId: 'reports', durationMs: 1500, frame: `hash (${inReports})` });
  });

  it('does not take a folder whose name starts like a plugin folder for it', () => {
    const stacks = [{ frames: [frame('spin', join(plugins, 'reports-old', 'x.ts'))], samples: 10 }];
    expect(blame.blame({ durationMs: 1200, stacks })).toEqual({ pluginId: undefined, durationMs: 1200, frame: `spin (${join(plugins, 'reports-old', 'x.ts')})` });
  });

  it('blames no plugin when most samples have no plugin frame, and none without samples', () => {
    const stacks = [
      { frames: [frame('render', join(plugins, 'report', 'app.module.ts'))], samples: 10 },
      { frames: [frame('compile', '/app/dist/src/loader/plugin-compiler.js')], samples: 11 },
    ];
    expect(blame.blame({ durationMs: 1100, stacks }).pluginId).toBeUndefined();
    expect(blame.blame({ durationMs: 1100, stacks: [] })).toEqual({ pluginId: undefined, durationMs: 1100, frame: undefined });
  });
});

describe('APPNEST_BLOCKED_LOOP_MS', () => {
  it('defaults to 1000, takes 0 (off) or at least 100, and names itself when it does not parse', () => {
    expect(loadConfig({}).blockedLoopMs).toBe(1000);
    expect(loadConfig({ APPNEST_BLOCKED_LOOP_MS: '0' }).blockedLoopMs).toBe(0);
    expect(loadConfig({ APPNEST_BLOCKED_LOOP_MS: '250' }).blockedLoopMs).toBe(250);
    expect(() => loadConfig({ APPNEST_BLOCKED_LOOP_MS: '20' })).toThrow("APPNEST_BLOCKED_LOOP_MS must be 0 (no watchdog) or at least 100 (milliseconds), got '20'.");
    expect(() => loadConfig({ APPNEST_BLOCKED_LOOP_MS: 'soon' })).toThrow('APPNEST_BLOCKED_LOOP_MS must be a non-negative whole number');
  });
});
