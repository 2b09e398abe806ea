import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_DB } from './support/test-database';
import { TestSandbox } from './support/test-host';

const PROBE_USER = 'appnest_probe';
const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v psql && command -v runuser && command -v useradd'], { stdio: 'ignore' }).status === 0;
const why =
  TEST_DB !== 'embedded' ? 'the embedded database only exists in the embedded project' : !isRoot ? 'creating another OS user needs root' : !hasTools ? 'psql, runuser or useradd is missing' : '';
if (why) process.stderr.write(`embedded database access test skipped: ${why}.\n`);
const describeIf = why ? describe.skip : describe;

const modeOf = (path: string) => statSync(path).mode & 0o777;

describeIf('the embedded database', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox?.dispose());

  // Asynchronous: the embedded database is served from this very process.
  const psqlAs = (user: string | undefined, socketDir: string) => {
    const args = ['psql', `host=${socketDir} user=postgres dbname=postgres connect_timeout=5`, '-tAc', 'SELECT count(*) FROM appnest_plugins'];
    return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(user ? 'runuser' : args[0], user ? ['-u', user, '--', ...args] : args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });
  };

  it('refuses psql from another OS user, answers the host user, and keeps the data folder, database files and token private', async () => {
    spawnSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', PROBE_USER], { stdio: 'ignore' });
    execFileSync('id', [PROBE_USER], { stdio: 'ignore' });
    sandbox = await TestSandbox.create();
    // A deployment folder others may enter: only the data folder's own protection counts.
    chmodSync(sandbox.root, 0o755);
    await sandbox.start({ adminToken: undefined });

    const other = await psqlAs(PROBE_USER, sandbox.dataDir);
    expect(other.status).not.toBe(0);
    expect(other.stderr).toMatch(/Permission denied|No such file/);
    const owner = await psqlAs(undefined, sandbox.dataDir);
    expect({ status: owner.status, out: owner.stdout.trim(), err: owner.stderr }).toEqual({ status: 0, out: '0', err: '' });

    expect(modeOf(sandbox.dataDir)).toBe(0o700);
    expect(modeOf(join(sandbox.dataDir, 'pgdata'))).toBe(0o700);
    expect(modeOf(join(sandbox.dataDir, 'admin-token'))).toBe(0o600);
    expect(modeOf(join(sandbox.dataDir, '.s.PGSQL.5432'))).toBe(0o600);
    const reads = spawnSync('runuser', ['-u', PROBE_USER, '--', 'cat', join(sandbox.dataDir, 'admin-token')], { encoding: 'utf8' });
    expect(reads.status).not.toBe(0);
  });
});
