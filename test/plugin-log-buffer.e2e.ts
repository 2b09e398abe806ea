import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describeDb } from './support/test-database';
import { REPO, runCli, startHostProcess, stopProcess } from './support/processes';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeDb("a plugin's last log lines in the admin API", () => {
  let sandbox: TestSandbox;
  const logs = async (id: string, query = '') => (await sandbox.request('GET', `/api/admin/plugins/${id}/logs${query}`)).body as { logLevel: string; lines: string[] };
  const hello = async () => expect((await sandbox.request('GET', '/api/plugins/logs/hello')).status).toBe(200);
  const count = async (text: string) => (await logs('logs')).lines.filter((l) => l.includes(text)).length;

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['logs', 'echo']);
    await sandbox.start({ logLevel: 'info' });
    for (const id of ['logs', 'echo']) expect((await sandbox.enable(id)).status).toBe(200);
  });
  afterAll(() => sandbox?.dispose());

  it("keeps the plugin's own lines, at the host's level, and shows the last ones in its description", async () => {
    await hello();
    const kept = await logs('logs');
    expect(kept.logLevel).toBe('info');
    expect(kept.lines).toContainEqual(expect.stringMatching(/ INFO  \[plugin:logs\] LogsController: said hello$/));
    expect(kept.lines.every((l) => l.includes('[plugin:logs]'))).toBe(true);
    expect(kept.lines.some((l) => l.includes('a detail nobody needs'))).toBe(false);
    expect((await logs('echo')).lines.some((l) => l.includes('said hello'))).toBe(false);
    expect((await logs('logs', '?lines=1')).lines).toHaveLength(1);
    expect((await sandbox.request('GET', '/api/admin/plugins/logs')).body.logs).toEqual({ level: 'info', lines: kept.lines.slice(-20) });
  });

  it("changes one plugin's log level live, and refuses a level that does not exist", async () => {
    expect((await sandbox.request('PUT', '/api/admin/plugins/logs/log-level', { level: 'debug' })).body).toEqual({ id: 'logs', logLevel: 'debug' });
    await hello();
    expect(await count('a detail nobody needs at info')).toBe(1);
    expect((await sandbox.request('PUT', '/api/admin/plugins/logs/log-level', { level: 'error' })).status).toBe(200);
    const before = await count('said hello');
    await hello();
    expect(await count('said hello')).toBe(before);
    expect((await sandbox.request('PUT', '/api/admin/plugins/logs/log-level', { level: 'loud' })).body).toMatchObject({ statusCode: 400, code: 'PLG_BAD_REQUEST', pluginId: 'logs' });
    expect((await sandbox.request('PUT', '/api/admin/plugins/logs/log-level', { level: null })).body).toEqual({ id: 'logs', logLevel: 'info' });
    expect((await sandbox.request('GET', '/api/admin/plugins/logs/logs?lines=many')).status).toBe(400);
    expect((await sandbox.request('GET', '/api/admin/plugins/nope/logs')).status).toBe(404);
  });

  it('streams the new lines over server-sent events with follow=1', async () => {
    const abort = new AbortController();
    const res = await fetch(`${sandbox.host!.url}/api/admin/plugins/logs/logs?lines=0&follow=1`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: abort.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    await hello();
    let text = '';
    while (!text.includes('said hello')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toMatch(/^data: \S+ INFO  \[plugin:logs\] LogsController: said hello\n\n/);
    abort.abort();
  });
});

describeDb('appnest logs', () => {
  let sandbox: TestSandbox;
  let host: { child: ChildProcess; url: string; output: () => string } | undefined;

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['logs']);
  });
  afterAll(async () => {
    if (host) expect(await stopProcess(host.child)).toBe(0);
    await sandbox?.dispose();
  });

  it('says that only a running host has the logs', async () => {
    const run = await runCli(['logs', 'logs'], sandbox.env());
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('PLG_HOST_NOT_RUNNING');
  });

  it("prints a plugin's last lines, and with --follow the new ones as they come", async () => {
    host = await startHostProcess({ ...sandbox.env(), PORT: '0', APPNEST_LOG_LEVEL: 'info' });
    const call = (method: string, path: string, body?: unknown) =>
      fetch(host!.url + path, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await call('POST', '/api/admin/plugins/logs/enabled', { enabled: true, acceptRisk: true })).status).toBe(200);
    expect((await call('GET', '/api/plugins/logs/hello')).status).toBe(200);
    const run = await runCli(['logs', 'logs', '--lines', '5'], sandbox.env());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\S+ INFO  \[plugin:logs\] LogsController: said hello$/m);
    expect(
      run.stdout
        .trim()
        .split('\n')
        .every((l) => l.includes('[plugin:logs]')),
    ).toBe(true);

    const follow = spawn(process.execPath, [join(REPO, 'bin', 'appnest.js'), 'logs', 'logs', '--lines', '0', '--follow'], {
      env: { ...process.env, ...sandbox.env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    follow.stdout.on('data', (d) => (out += d));
    try {
      for (let i = 0; i < 100 && !out.includes('said hello'); i++) {
        if (i % 10 === 0) await call('GET', '/api/plugins/logs/hello');
        await sleep(50);
      }
      expect(out).toContain('[plugin:logs] LogsController: said hello');
    } finally {
      follow.kill('SIGINT');
    }
  });
});
