import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { HostLogger } from '../logging/host-logger';
import type { ScheduledTask, TaskGate } from '../core/activation/scheduled-task-guard';

/** Rows older than an hour are removed after every `CLEANUP_EVERY` claims. */
const CLEANUP_EVERY = 500;
/** Width of appnest_task_runs.task. */
const TASK_COLUMN = 200;

interface Claim {
  task: string;
  tick: number;
  settle: (won: boolean) => void;
  fail: (err: unknown) => void;
}

/**
 * Once per tick across every instance on one database: the first instance to insert the
 * (task, tick) row runs it. A cron tick is its second (rounded, so instances a few ms apart agree);
 * an interval's tick is its period slot. An instance that dies simply stops competing.
 *
 * Claims made in the same turn of the event loop (every plugin's task due on the same second)
 * go to the database as one INSERT, so a hundred `@Cron('0 * * * * *')` tasks cost one round trip
 * a minute instead of a hundred.
 */
export class TaskLeaseGate implements TaskGate {
  private pending: Claim[] = [];
  private sinceCleanup = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly instanceId: string,
    private readonly logger: HostLogger,
  ) {}

  acquire(task: ScheduledTask, now = Date.now()): Promise<boolean> {
    const period = task.kind === 'interval' && task.periodMs ? task.periodMs : 1000;
    const tick = Math.round(now / period);
    return new Promise((settle, fail) => {
      if (this.pending.push({ task: leaseKey(task.name), tick, settle, fail }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const claims = this.pending;
    this.pending = [];
    try {
      // Every instance inserts in the same order, so two batches never wait on each other in a cycle.
      const rows: { task: string; tick: string }[] = await this.dataSource.query(
        `INSERT INTO appnest_task_runs (task, tick, instance)
         SELECT task, tick, $3 FROM unnest($1::varchar[], $2::bigint[]) AS claim(task, tick) ORDER BY task, tick
         ON CONFLICT DO NOTHING RETURNING task, tick`,
        [claims.map((c) => c.task), claims.map((c) => c.tick), this.instanceId],
      );
      const won = new Set(rows.map((r) => `${r.tick} ${r.task}`));
      // A (task, tick) claimed twice in one batch is inserted once: only its first claim runs.
      for (const claim of claims) claim.settle(won.delete(`${claim.tick} ${claim.task}`));
    } catch (err) {
      for (const claim of claims) claim.fail(err);
      return;
    }
    this.sinceCleanup += claims.length;
    if (this.sinceCleanup < CLEANUP_EVERY) return;
    this.sinceCleanup = 0;
    await this.dataSource
      .query(`DELETE FROM appnest_task_runs WHERE at < now() - interval '1 hour'`)
      .catch((err: Error) => this.logger.warn(`Removing old task leases failed (tried again after ${CLEANUP_EVERY} more): ${err.message}`));
  }
}

/** The task's name, or for a name wider than the column a prefix of it and its hash: one long name must not fail a whole batch. */
function leaseKey(name: string): string {
  if (name.length <= TASK_COLUMN) return name;
  return `${name.slice(0, TASK_COLUMN - 41)}#${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}
