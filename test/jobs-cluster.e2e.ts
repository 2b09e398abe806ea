import { sleep, until } from './support/wait';
import { describeDb, TEST_DB } from './support/test-database';
import { stopProcess } from './support/processes';
import { ADMIN_TOKEN } from './support/test-host';
import { adminCall, TestCluster, type ClusterInstance as Instance } from './support/test-cluster';

const ID = 'jobs-cluster';
const JOBS = 10_000;

function post(instance: Instance, path: string, body: unknown, token: string | null = ADMIN_TOKEN) {
  return adminCall(instance.url, 'POST', path, body, token);
}

(TEST_DB === 'postgres' ? describeDb : describe.skip)('background jobs on three instances sharing one PostgreSQL', () => {
  let cluster: TestCluster;
  let sql: TestCluster['sql'];
  const instances: Instance[] = [];

  const count = async (query: string, params: unknown[] = []) => (await sql.query(query, params)).rows[0].n as number;

  beforeAll(async () => {
    cluster = await TestCluster.create('jobs-cluster');
    sql = cluster.sql;
    instances.push(...(await cluster.start(3, { fixtures: [ID], env: { APPNEST_JOB_SUPERVISE_SECONDS: '1' } })));
    expect((await post(instances[0], `/api/admin/plugins/${ID}/enabled`, { enabled: true, acceptRisk: true })).body).toMatchObject({ state: 'active' });
    await until(
      async () =>
        (
          await Promise.all(
            instances.map((i) => fetch(`${i.url}/api/admin/plugins/${ID}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.json() as Promise<{ state: string }>)),
          )
        ).every((p) => p.state === 'active'),
      10_000,
    );
  }, 90_000);

  afterAll(() => cluster?.close());

  it(`completes each of ${JOBS} jobs exactly once, spread over the instances`, async () => {
    const sent = await post(instances[1], `/api/plugins/${ID}/batch`, { queue: 'work', count: JOBS }, null);
    expect(sent.body).toEqual({ sent: JOBS });

    await until(async () => (await count('SELECT count(*)::int AS n FROM jobs_cluster_done')) === JOBS, 45_000);
    await sleep(1000);
    expect(await count(`SELECT count(*)::int AS n FROM jobs_cluster_attempts WHERE queue = 'work'`)).toBe(JOBS);
    expect(await count('SELECT count(DISTINCT n)::int AS n FROM jobs_cluster_done')).toBe(JOBS);
    expect(await count('SELECT count(DISTINCT instance)::int AS n FROM jobs_cluster_done')).toBe(3);
  }, 60_000);

  it('runs a job again on another instance when the instance running it is killed', async () => {
    await post(instances[0], `/api/plugins/${ID}/batch`, { queue: 'hold', count: 1 }, null);
    const first = await until(async () => (await sql.query(`SELECT job_id, instance FROM jobs_cluster_attempts WHERE queue = 'hold'`)).rows[0], 10_000);
    const victim = instances.find((i) => i.id === first.instance)!;
    await stopProcess(victim.child, 'SIGKILL');
    const killedAt = Date.now();

    const done = await until(async () => (await sql.query('SELECT instance FROM jobs_cluster_done WHERE job_id = $1', [first.job_id])).rows[0], 30_000);
    // Heartbeat 10 s + supervise every 1 s + retry delay 1 s, plus polling.
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(done.instance).not.toBe(victim.id);
    const attempts = await sql.query(`SELECT instance FROM jobs_cluster_attempts WHERE queue = 'hold' ORDER BY id`);
    expect(attempts.rows.map((r) => r.instance)).toEqual([victim.id, done.instance]);
  }, 50_000);
});
