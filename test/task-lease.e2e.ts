import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskLeaseGate } from '../src/cluster/task-lease-gate';
import type { ScheduledTask } from '../src/core/activation/scheduled-task-guard';
import { HostDatabase } from '../src/database/host-database';
import { HostLogger } from '../src/logging/host-logger';
import { createPostgresDatabase, describeDb, TEST_DB } from './support/test-database';

const cron = (name: string): ScheduledTask => ({ name, kind: 'cron', perInstance: false });
const SECOND = 1_800_000_000_000;

// Leases only exist on PostgreSQL: the embedded database has one host process, which runs every tick.
(TEST_DB === 'postgres' ? describeDb : describe.skip)('task leases on PostgreSQL', () => {
  let root: string;
  let db: { url: string; drop: () => Promise<void> };
  const hosts: HostDatabase[] = [];
  const logged: string[] = [];
  const logger = new HostLogger('warn', 'test', (line) => logged.push(line));

  async function open(): Promise<HostDatabase> {
    const host = await HostDatabase.open({ databaseUrl: db.url, dataDir: root, migrationLockTimeoutMs: 10_000 });
    hosts.push(host);
    return host;
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'appnest-leases-'));
    db = await createPostgresDatabase();
  });

  afterAll(async () => {
    for (const host of hosts) await host.close();
    await db?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it('grants each tick of each task to exactly one of two instances, with one INSERT per instance for a tick of 40 tasks', async () => {
    const [a, b] = [await open(), await open()];
    const gates = [new TaskLeaseGate(a.dataSource, 'instance-a', logger), new TaskLeaseGate(b.dataSource, 'instance-b', logger)];
    const queries = [jest.spyOn(a.dataSource, 'query'), jest.spyOn(b.dataSource, 'query')];
    const tasks = Array.from({ length: 40 }, (_, i) => cron(`p${i}:tick`));

    const results = await Promise.all(gates.map((gate) => Promise.all(tasks.map((task) => gate.acquire(task, SECOND)))));

    tasks.forEach((_, i) => expect(Number(results[0][i]) + Number(results[1][i])).toBe(1));
    expect(queries.map((q) => q.mock.calls.length)).toEqual([1, 1]);
    const rows = await a.dataSource.query('SELECT instance, count(*)::int AS n FROM appnest_task_runs WHERE tick = $1 GROUP BY instance', [SECOND / 1000]);
    expect(rows.reduce((sum: number, r: { n: number }) => sum + r.n, 0)).toBe(40);
    // The next second is a new tick: granted again, once.
    const next = await Promise.all(gates.map((gate) => gate.acquire(tasks[0], SECOND + 1000)));
    expect(next.filter(Boolean)).toHaveLength(1);
    queries.forEach((q) => q.mockRestore());
  });

  it('runs a task claimed twice in one batch once, and an interval once per period slot', async () => {
    const gate = new TaskLeaseGate((await open()).dataSource, 'instance-c', logger);
    const twice = cron('twice:tick');
    expect(await Promise.all([gate.acquire(twice, SECOND + 5000), gate.acquire(twice, SECOND + 5000)])).toEqual([true, false]);

    const every5s: ScheduledTask = { name: 'poll:check', kind: 'interval', perInstance: false, periodMs: 5000 };
    expect(await gate.acquire(every5s, SECOND)).toBe(true);
    expect(await gate.acquire(every5s, SECOND + 1000)).toBe(false);
    expect(await gate.acquire(every5s, SECOND + 5000)).toBe(true);
  });

  it('leases a task whose name is wider than the lease column without failing the rest of its batch', async () => {
    const gate = new TaskLeaseGate((await open()).dataSource, 'instance-f', logger);
    const long = (end: string) => cron(`${'x'.repeat(300)}:${end}`);
    const granted = await Promise.all([gate.acquire(long('one'), SECOND), gate.acquire(long('two'), SECOND), gate.acquire(cron('short:tick'), SECOND + 30_000)]);
    expect(granted).toEqual([true, true, true]);
    expect(await gate.acquire(long('one'), SECOND)).toBe(false);
  });

  it('fails every claim of a batch when the database is unreachable, and grants again once it is back', async () => {
    const host = await open();
    const gate = new TaskLeaseGate(host.dataSource, 'instance-d', logger);
    await host.dataSource.destroy();
    const failed = await Promise.allSettled([gate.acquire(cron('x:tick'), SECOND + 9000), gate.acquire(cron('y:tick'), SECOND + 9000)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toBe((failed[1] as PromiseRejectedResult).reason);
    await host.dataSource.initialize();
    expect(await gate.acquire(cron('x:tick'), SECOND + 9000)).toBe(true);
  });

  it('removes leases older than an hour after 500 claims', async () => {
    const host = await open();
    await host.dataSource.query(`INSERT INTO appnest_task_runs (task, tick, instance, at) VALUES ('old:tick', 1, 'gone', now() - interval '2 hours')`);
    const gate = new TaskLeaseGate(host.dataSource, 'instance-e', logger);
    await Promise.all(Array.from({ length: 500 }, (_, i) => gate.acquire(cron(`many${i}:tick`), SECOND + 20_000)));
    // The cleanup runs right after the batch is granted.
    await new Promise((r) => setTimeout(r, 200));
    expect(await host.dataSource.query(`SELECT 1 FROM appnest_task_runs WHERE task = 'old:tick'`)).toEqual([]);
    expect(logged).toEqual([]);
  });
});
