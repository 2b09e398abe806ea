import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describeDb } from './support/test-database';
import { REPO, stopProcess } from './support/processes';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

/** `appnest start <args>` as a real process; resolves with its URL once it listens. */
function startCli(args: string[], env: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [join(REPO, 'bin', 'appnest.js'), 'start', ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise<{ child: typeof child; url: string; output: () => string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`appnest start did not listen:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d;
      const url = /appnest listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`appnest start exited with ${code}:\n${output}`)));
  });
}

describeDb('safe mode', () => {
  let sandbox: TestSandbox;

  beforeEach(async () => {
    sandbox = await TestSandbox.create(['echo', 'metered']);
    await sandbox.start();
    for (const id of ['echo', 'metered']) expect((await sandbox.enable(id)).status).toBe(200);
    await sandbox.host!.stop();
  });
  afterEach(async () => {
    await sandbox?.dispose();
  });

  it('starts no plugin, lists every one with its enabled flag, and lets the operator disable the culprit', async () => {
    const host = await sandbox.start({ safeMode: true });
    expect(host.reconciler.activations.size).toBe(0);
    const list = (await sandbox.request('GET', '/api/admin/plugins')).body as any[];
    expect(list.map((p) => [p.id, p.enabled, p.state])).toEqual([
      ['echo', true, 'enabled'],
      ['metered', true, 'enabled'],
    ]);
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(404);
    const health = (await sandbox.request('GET', '/api/health', undefined, null)).body;
    expect(health).toMatchObject({ status: 'ok', activePlugins: 0, safeMode: true });
    expect(health.plugins[0]).toMatchObject({ id: 'echo', status: 'failed', reason: expect.stringContaining('safe mode') });

    expect((await sandbox.disable('metered')).body).toMatchObject({ id: 'metered', enabled: false, state: 'disabled' });
    expect(host.reconciler.activations.size).toBe(0);

    await sandbox.start();
    expect([...sandbox.host!.reconciler.activations.keys()]).toEqual(['echo']);
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });
  });

  it('is what `appnest start --safe` and APPNEST_SAFE_MODE=1 run', async () => {
    for (const [args, extra] of [
      [['--safe'], {}],
      [[], { APPNEST_SAFE_MODE: '1' }],
    ] as const) {
      const host = await startCli([...args], { ...sandbox.env(), ...extra, PORT: '0', APPNEST_LOG_LEVEL: 'info' });
      try {
        const health = (await (await fetch(`${host.url}/api/health`)).json()) as any;
        expect(health).toMatchObject({ activePlugins: 0, safeMode: true });
        const list = (await (await fetch(`${host.url}/api/admin/plugins`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as any[];
        expect(list.map((p) => [p.id, p.enabled])).toEqual([
          ['echo', true],
          ['metered', true],
        ]);
        expect(host.output()).toContain('Safe mode: no plugin starts');
      } finally {
        expect(await stopProcess(host.child)).toBe(0);
      }
    }
  });
});
