import { describeDb, TEST_DB } from './support/test-database';
import { stopProcess } from './support/processes';
import { ADMIN_TOKEN } from './support/test-host';
import { adminCall, TestCluster, type ClusterInstance as Instance } from './support/test-cluster';
import { uploadZip, zipFixture } from './support/zips';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

function admin(instance: Instance, method: string, path: string, body?: unknown) {
  return adminCall(instance.url, method, path, body);
}

(TEST_DB === 'postgres' ? describeDb : describe.skip)('several instances on one PostgreSQL', () => {
  let cluster: TestCluster;
  let sql: TestCluster['sql'];
  const instances: Instance[] = [];

  beforeAll(async () => {
    cluster = await TestCluster.create('cluster');
    sql = cluster.sql;
  });

  afterAll(() => cluster?.close());

  it('migrates once, runs tasks once per tick, and spreads every change to every instance', async () => {
    const started = await cluster.start(3, { fixtures: ['cluster-ticker'] });
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
