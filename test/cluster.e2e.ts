import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createPostgresDatabase, describeDb, TEST_DB } from './support/test-database';
import { startHostProcess, stopProcess } from './support/processes';
import { ADMIN_TOKEN, FIXTURES } from './support/test-host';
import { uploadZip, zipFixture } from './support/zips';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Instance {
  child: ChildProcess;
  url: string;
  id: string;
  pluginsDir: string;
}

async function status(url: string, path: string): Promise<number> {
  try {
    const res = await fetch(url + path);
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Polls until every instance answers `path` with `expected`; returns the milliseconds it took. */
async function converge(instances: Instance[], path: string, expected: number, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const statuses = await Promise.all(instances.map((i) => status(i.url, path)));
    if (statuses.every((s) => s === expected)) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`${path}: ${statuses.join(', ')} after ${withinMs} ms, wanted ${expected}`);
    await sleep(50);
  }
}

async function admin(instance: Instance, method: string, path: string, body?: unknown) {
  const res = await fetch(instance.url + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

(TEST_DB === 'postgres' ? describeDb : describe.skip)('several instances on one PostgreSQL', () => {
  let root: string;
  let db: { url: string; drop: () => Promise<void> };
  let sql: Client;
  const instances: Instance[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'appnest-cluster-'));
    db = await createPostgresDatabase();
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await Promise.all(instances.map((i) => stopProcess(i.child, 'SIGKILL')));
    await sql?.end();
    await db?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it('migrates once, runs tasks once per tick, and spreads every change to every instance', async () => {
    const started = await Promise.all(
      [1, 2, 3].map(async (n) => {
        const pluginsDir = join(root, `plugins-${n}`);
        mkdirSync(pluginsDir, { recursive: true });
        cpSync(join(FIXTURES, 'cluster-ticker'), join(pluginsDir, 'cluster-ticker'), { recursive: true });
        const { child, url } = await startHostProcess({
          PORT: '0',
          DATABASE_URL: db.url,
          APPNEST_DATA_DIR: join(root, `data-${n}`),
          APPNEST_PLUGINS_DIR: pluginsDir,
          APPNEST_FRONTEND_PLUGINS_DIR: join(root, `fe-${n}`),
          APPNEST_ADMIN_TOKEN: ADMIN_TOKEN,
        });
        const health = (await (await fetch(`${url}/api/health`)).json()) as { instance: string };
        return { child, url, id: health.instance, pluginsDir };
      }),
    );
    instances.push(...started);
    const hostMigrations = await sql.query('SELECT name, count(*)::int AS n FROM appnest_host_migrations GROUP BY name');
    expect(hostMigrations.rows.length).toBeGreaterThanOrEqual(2);
    expect(hostMigrations.rows.every((r) => r.n === 1)).toBe(true);

    // Enable on one instance: the others serve it within 2 s, and its migration ran once.
    const [one, two, three] = instances;
    expect((await admin(one, 'POST', '/api/admin/plugins/cluster-ticker/enabled', { enabled: true, acceptRisk: true })).status).toBe(200);
    expect(await converge(instances, '/api/plugins/cluster-ticker/hello', 200, 2000)).toBeLessThanOrEqual(2000);
    const ledger = await sql.query(`SELECT name, count(*)::int AS n FROM appnest_plugin_migrations WHERE plugin_id = 'cluster-ticker' GROUP BY name`);
    expect(ledger.rows).toEqual([{ name: '001-ticks', n: 1 }]);

    // 20 ticks across three instances: once per second, no doubles, no gap beyond one tick.
    const from = Math.round(Date.now() / 1000) + 1;
    await sleep(21_500);
    const ticks = await sql.query('SELECT second, count(*)::int AS n FROM cluster_ticker_ticks WHERE second BETWEEN $1 AND $2 GROUP BY second ORDER BY second', [from, from + 19]);
    expect(ticks.rows.every((r) => r.n === 1)).toBe(true);
    const seconds = ticks.rows.map((r) => Number(r.second));
    expect(seconds.length).toBeGreaterThanOrEqual(18);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i] - seconds[i - 1]).toBeLessThanOrEqual(2);

    // Disable: 404 everywhere within 2 s.
    expect((await admin(two, 'POST', '/api/admin/plugins/cluster-ticker/enabled', { enabled: false })).status).toBe(200);
    await converge(instances, '/api/plugins/cluster-ticker/hello', 404, 2000);

    // A change made while instance 3's connection is cut reaches it when it reconnects.
    await sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`appnest-listen-${three.id}`]);
    expect((await admin(one, 'POST', '/api/admin/plugins/cluster-ticker/enabled', { enabled: true })).status).toBe(200);
    await converge(instances, '/api/plugins/cluster-ticker/hello', 200, 5000);

    // An upload on instance 1 reaches instance 2, whose plugins folder never had it.
    const uploaded = await uploadZip(one.url, ADMIN_TOKEN, zipFixture('echo'), 'echo.zip');
    expect(uploaded.status).toBe(201);
    const deadline = Date.now() + 2000;
    while ((await admin(two, 'GET', '/api/admin/plugins/echo')).status !== 200 && Date.now() < deadline) await sleep(50);
    expect((await admin(two, 'GET', '/api/admin/plugins/echo')).body).toMatchObject({ id: 'echo', state: 'installed' });
    expect((await admin(two, 'POST', '/api/admin/plugins/echo/enabled', { enabled: true, acceptRisk: true })).status).toBe(200);
    await converge(instances, '/api/plugins/echo/ping', 200, 2000);

    // Kill the instance that ran the latest tick: the next ticks run elsewhere.
    const latest = await sql.query('SELECT instance FROM cluster_ticker_ticks ORDER BY second DESC LIMIT 1');
    const victim = instances.find((i) => i.id === latest.rows[0].instance)!;
    await stopProcess(victim.child, 'SIGKILL');
    const killedAt = Math.round(Date.now() / 1000);
    await sleep(3500);
    const after = await sql.query('SELECT DISTINCT instance FROM cluster_ticker_ticks WHERE second > $1', [killedAt]);
    expect(after.rows.length).toBeGreaterThanOrEqual(1);
    expect(after.rows.map((r) => r.instance)).not.toContain(victim.id);
  }, 120_000);
});
