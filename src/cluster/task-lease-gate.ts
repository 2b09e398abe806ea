import type { DataSource } from 'typeorm';
import type { ScheduledTask, TaskGate } from '../core/scheduled-task-guard';

/**
 * Once per tick across every instance on one database: the first instance to insert the
 * (task, tick) row runs it. A cron tick is its second (rounded, so instances a few ms apart agree);
 * an interval's tick is its period slot. An instance that dies simply stops competing.
 */
export class TaskLeaseGate implements TaskGate {
  private sinceCleanup = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly instanceId: string,
  ) {}

  async acquire(task: ScheduledTask, now = Date.now()): Promise<boolean> {
    const period = task.kind === 'interval' && task.periodMs ? task.periodMs : 1000;
    const tick = Math.round(now / period);
    const rows = await this.dataSource.query(
      'INSERT INTO appnest_task_runs (task, tick, instance) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING tick',
      [task.name, tick, this.instanceId],
    );
    if (++this.sinceCleanup >= 500) {
      this.sinceCleanup = 0;
      await this.dataSource.query(`DELETE FROM appnest_task_runs WHERE at < now() - interval '1 hour'`);
    }
    return rows.length === 1;
  }
}
