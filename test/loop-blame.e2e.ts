import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startHostProcess, stopProcess } from './support/processes';
import { describeDb } from './support/test-database';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PLUGIN_WARNING = /WARN +\[plugin:blocks-loop\] Plugin 'blocks-loop' blocked the event loop for (\d+) ms in (.*?): /g;
const HOST_WARNING = /WARN +\[appnest\] The event loop was blocked for (\d+) ms outside any plugin/g;

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describeDb('event-loop blame in a host process', () => {
  let sandbox: TestSandbox;
  let host: { child: ChildProcess; url: string; output: () => string };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(host.url + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  };
  const metrics = async () => (await call('GET', '/metrics')).text;
  /** Waits up to `ms` for `pattern` to match the host's output `count` times; returns the matches. */
  const waitForLines = async (pattern: RegExp, count: number, ms: number) => {
    const until = Date.now() + ms;
    let found = [...host.output().matchAll(pattern)];
    while (found.length < count && Date.now() < until) {
      await sleep(50);
      found = [...host.output().matchAll(pattern)];
    }
    return found;
  };

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['blocks-loop']);
    host = await startHostProcess({
      ...sandbox.env(),
      PORT: '0',
      APPNEST_LOG_LEVEL: 'info',
      APPNEST_BLOCKED_LOOP_MS: '1000',
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${join(__dirname, 'support', 'block-on-signal.js')}`,
    });
    expect((await call('POST', '/api/admin/plugins/blocks-loop/enabled', { enabled: true, acceptRisk: true })).status).toBe(200);
  });
  afterAll(async () => {
    if (host) await stopProcess(host.child);
    await sandbox?.dispose();
  });

  it('reports nothing while nothing blocks', async () => {
    for (let i = 0; i < 20; i++) expect((await call('GET', '/api/plugins/blocks-loop/ok')).status).toBe(200);
    await sleep(2500);
    expect(host.output()).not.toContain('blocked');
    const text = await metrics();
    expect(sample(text, 'appnest_plugin_event_loop_blocks_total', '{plugin="blocks-loop"}')).toBeUndefined();
    expect(sample(text, 'appnest_host_event_loop_blocks_total')).toBe(0);
    expect((await call('GET', '/api/admin/plugins/blocks-loop')).json().metrics).toMatchObject({ loopBlocks: 0, lastLoopBlock: null });
  });

  it('names a plugin route that spins for 1.5 s in a warning within 5 s, with the duration, and counts it', async () => {
    const began = Date.now();
    expect((await call('GET', '/api/plugins/blocks-loop/spin/1500')).status).toBe(200);
    const [warning] = await waitForLines(PLUGIN_WARNING, 1, 5000 - (Date.now() - began));
    expect(warning).toBeDefined();
    expect(Date.now() - began).toBeLessThan(5000);
    const ms = Number(warning[1]);
    expect(ms).toBeGreaterThanOrEqual(1300);
    expect(ms).toBeLessThan(2500);
    // The route handler, or the function it calls when the optimiser did not inline it.
    expect([`spin (${join(sandbox.pluginsDir, 'blocks-loop', 'app.module.ts')})`, `spinFor (${join(sandbox.pluginsDir, 'blocks-loop', 'app.module.ts')})`]).toContain(warning[2]);
    const text = await metrics();
    expect(sample(text, 'appnest_plugin_event_loop_blocks_total', '{plugin="blocks-loop"}')).toBe(1);
    expect(sample(text, 'appnest_plugin_event_loop_blocked_seconds_total', '{plugin="blocks-loop"}')).toBeCloseTo(ms / 1000, 3);
    expect(sample(text, 'appnest_host_event_loop_blocks_total')).toBe(0);
    const view = (await call('GET', '/api/admin/plugins/blocks-loop')).json();
    expect(view.metrics).toMatchObject({ loopBlocks: 1, lastLoopBlock: { ms, at: expect.any(String) } });
    expect(view.logs.lines.join('\n')).toContain(`blocked the event loop for ${ms} ms`);
  });

  it('does not report a block under the threshold', async () => {
    expect((await call('GET', '/api/plugins/blocks-loop/spin/400')).status).toBe(200);
    await sleep(2000);
    expect([...host.output().matchAll(PLUGIN_WARNING)]).toHaveLength(1);
    expect(sample(await metrics(), 'appnest_plugin_event_loop_blocks_total', '{plugin="blocks-loop"}')).toBe(1);
  });

  it('reports a block outside any plugin as such', async () => {
    const began = Date.now();
    host.child.kill('SIGUSR2');
    const [warning] = await waitForLines(HOST_WARNING, 1, 5000);
    expect(warning).toBeDefined();
    expect(Date.now() - began).toBeLessThan(5000);
    expect(Number(warning[1])).toBeGreaterThanOrEqual(1300);
    const text = await metrics();
    expect(sample(text, 'appnest_host_event_loop_blocks_total')).toBe(1);
    expect(sample(text, 'appnest_plugin_event_loop_blocks_total', '{plugin="blocks-loop"}')).toBe(1);
    expect([...host.output().matchAll(PLUGIN_WARNING)]).toHaveLength(1);
  });
});

describeDb('event-loop blame of a loop that never returns', () => {
  let sandbox: TestSandbox;
  let host: { child: ChildProcess; url: string; output: () => string } | undefined;
  afterAll(async () => {
    if (host) await stopProcess(host.child, 'SIGKILL');
    await sandbox?.dispose();
  });

  it('names the plugin while the loop still runs, within 10 s, though the host cannot answer anything', async () => {
    sandbox = await TestSandbox.create(['blocks-loop']);
    host = await startHostProcess({ ...sandbox.env(), PORT: '0', APPNEST_LOG_LEVEL: 'info', APPNEST_BLOCKED_LOOP_MS: '1000' });
    const enabled = await fetch(`${host.url}/api/admin/plugins/blocks-loop/enabled`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, acceptRisk: true }),
    });
    expect(enabled.status).toBe(200);
    // Let the watchdog learn the plugin's folder (it is told at start and every 5 s).
    await sleep(5500);
    const began = Date.now();
    fetch(`${host.url}/api/plugins/blocks-loop/spin-forever`).catch(() => undefined);
    const still = /WARN +\[plugin:blocks-loop\] Plugin 'blocks-loop' has blocked the event loop for (\d+) ms and still does in (\w+) \((.*?)\): /;
    let match: RegExpMatchArray | null = null;
    while (!match && Date.now() - began < 10_000) {
      await sleep(100);
      match = host.output().match(still);
    }
    if (!match) console.log(host.output().slice(-2500));
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(5000);
    // The route handler, or the function it calls when the optimiser did not inline it.
    expect(['spinForever', 'spinFor']).toContain(match![2]);
    expect(match![3]).toBe(join(sandbox.pluginsDir, 'blocks-loop', 'app.module.ts'));
    // The host really is stuck: its health check does not answer.
    await expect(fetch(`${host.url}/api/health/live`, { signal: AbortSignal.timeout(500) })).rejects.toThrow();
  }, 60_000);
});
