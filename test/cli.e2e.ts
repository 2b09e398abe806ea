import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDb, TEST_DB } from './support/test-database';
import { runCli, startHostProcess, stopProcess } from './support/processes';
import { TestSandbox } from './support/test-host';

describeDb('the appnest CLI', () => {
  let sandbox: TestSandbox;
  let env: Record<string, string | undefined>;
  beforeEach(async () => {
    sandbox = await TestSandbox.create(['echo']);
    sandbox.addPlugin(join('..', '..', 'plugins', 'hello'), 'hello');
    env = sandbox.env();
  });
  afterEach(() => sandbox.dispose());

  it('enables a plugin with no host running; after a start its route answers', async () => {
    const refused = await runCli(['enable', 'hello'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^PLG_TRUST_REQUIRED: .*'hello'/m);
    expect(refused.stderr).toMatch(/^hint: .*--accept-risk/m);

    const enabled = await runCli(['enable', 'hello', '--accept-risk'], env);
    expect(enabled).toMatchObject({ code: 0 });
    expect(enabled.stdout).toContain('hello 1.0.0: active');
    const list = await runCli(['list'], env);
    expect(list.stdout).toMatch(/^hello\s+1\.0\.0\s+active\s+yes/m);
    expect(list.stdout).toMatch(/^echo\s+1\.0\.0\s+installed\s+no/m);

    await sandbox.start();
    expect((await sandbox.request('GET', '/api/plugins/hello/greeting?name=cli')).body).toMatchObject({ message: 'Hello, cli!' });
  });

  it('changes a running host live, through its admin API', async () => {
    await sandbox.start();
    const enabled = await runCli(['enable', 'echo', '--accept-risk', '--json'], env);
    expect(enabled.code).toBe(0);
    expect(JSON.parse(enabled.stdout)).toMatchObject({ id: 'echo', state: 'active' });
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(200);
    expect((await runCli(['disable', 'echo'], env)).code).toBe(0);
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(404);
    const list = JSON.parse((await runCli(['list', '--json'], env)).stdout);
    expect(list.map((p: any) => [p.id, p.state])).toEqual([
      ['echo', 'disabled'],
      ['hello', 'installed'],
    ]);
  });

  it('lists every command in --help, and refuses an unknown command or a bad argument with a hint', async () => {
    const help = await runCli(['--help'], env);
    expect(help.code).toBe(0);
    for (const command of ['list', 'enable', 'disable', 'uninstall', 'migrate', 'migrate:revert', 'migration:create']) expect(help.stdout).toContain(command);
    const unknown = await runCli(['enabel', 'x'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^PLG_BAD_REQUEST: Unknown command 'enabel'/m);
    expect(unknown.stderr).toContain("hint: Did you mean 'enable'");
    const bad = await runCli(['enable'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('hint: Usage: appnest enable <id>');
    const missing = await runCli(['disable', 'nope'], env);
    expect(missing.stderr).toMatch(/^PLG_NOT_FOUND: .*'nope'/m);
  });

  it('installs a folder, changes settings and runs an action on a running host', async () => {
    await sandbox.start();
    const installed = await runCli(['install', join(__dirname, 'fixtures', 'actor')], env);
    expect(installed.code).toBe(0);
    expect(installed.stdout).toMatch(/^Installed actor 1\.0\.0: installed\nsha256 [0-9a-f]{64}$/m);
    expect((await runCli(['install', join(__dirname, 'fixtures', 'actor')], env)).stderr).toMatch(/^PLG_ALREADY_INSTALLED: /m);
    expect((await runCli(['enable', 'actor', '--accept-risk'], env)).code).toBe(0);
    const bad = await runCli(['settings', 'actor', 'limit=1000'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^PLG_SETTINGS_INVALID: .*'actor'/m);
    const saved = await runCli(['settings', 'actor', 'limit=9', 'apiKey=hush'], env);
    expect(saved.stdout.split('\n')).toEqual(expect.arrayContaining(['limit=9', 'mode="safe"', 'apiKey="********"']));
    const ran = await runCli(['run', 'actor', 'double', '{"value": 4}'], env);
    expect(JSON.parse(ran.stdout)).toEqual({ doubled: 8, limit: 9 });
    expect((await runCli(['run', 'actor', 'double', '{oops'], env)).stderr).toMatch(/^PLG_BAD_REQUEST: .*not JSON/m);
  });

  it('writes a timestamped migration skeleton that the next migrate applies', async () => {
    const created = await runCli(['migration:create', 'echo', 'add things'], env);
    expect(created.code).toBe(0);
    const file = /Created (.+\.ts)/.exec(created.stdout)![1];
    const path = file.startsWith('/') ? file : join(__dirname, '..', file);
    expect(readFileSync(path, 'utf8')).toMatch(/export class AddThings\d+ implements MigrationInterface/);
    expect((await runCli(['enable', 'echo', '--accept-risk'], env)).code).toBe(0);
    const status = JSON.parse((await runCli(['list', '--json'], env)).stdout).find((p: any) => p.id === 'echo');
    expect(status.migrations.applied).toHaveLength(1);
  });
});

(TEST_DB === 'embedded' ? describe : describe.skip)('npm start on a fresh data folder', () => {
  it('starts the host on the embedded database with the example plugins listed, disabled', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'appnest-start-'));
    const { child, url, output } = await startHostProcess({ PORT: '0', APPNEST_DATA_DIR: dataDir, DATABASE_URL: '', APPNEST_ADMIN_TOKEN: '' });
    try {
      const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
      expect(output()).toContain(token);
      const res = await fetch(`${url}/api/admin/plugins`, { headers: { authorization: `Bearer ${token}` } });
      const plugins = (await res.json()) as any[];
      expect(plugins.map((p) => [p.id, p.enabled])).toEqual(
        expect.arrayContaining([
          ['hello', false],
          ['notes', false],
        ]),
      );
      expect(plugins.every((p) => p.state === 'installed')).toBe(true);
      expect(existsSync(join(dataDir, 'pgdata'))).toBe(true);
    } finally {
      expect(await stopProcess(child)).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
