import type { DataSource } from 'typeorm';
import { PluginError } from '../errors/plugin-error';
import type { HostLogger } from '../logging/host-logger';

/** A job's last reported progress, as stored. */
export interface StoredProgress {
  attempt: number;
  percent: number;
}

/**
 * The progress job handlers report (`job.progress(40)`), in the host's table
 * `appnest_job_progress`, one row per job, so every instance and the admin API read it. A row is
 * written only when a handler reports, at most one write per job in flight (a report made
 * meanwhile replaces the value the next write stores), and deleted when the job completes.
 */
export class JobProgressStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: HostLogger,
  ) {}

  /** The `progress` function of one attempt of a job, with `flush` for when the attempt ends. */
  reporter(pluginId: string, jobId: string, attempt: number): ProgressReporter {
    return new ProgressReporter(this, pluginId, jobId, attempt);
  }

  /** Stores a percentage; a late write of an earlier attempt never replaces a later one's. */
  async write(pluginId: string, jobId: string, attempt: number, percent: number): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO appnest_job_progress (job_id, plugin_id, attempt, percent, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, percent = excluded.percent, updated_at = excluded.updated_at
       WHERE appnest_job_progress.attempt <= excluded.attempt`,
      [jobId, pluginId, attempt, percent],
    );
  }

  async read(jobIds: string[]): Promise<Map<string, StoredProgress>> {
    if (jobIds.length === 0) return new Map();
    const rows: { job_id: string; attempt: number; percent: number }[] = await this.dataSource.query(
      'SELECT job_id::text AS job_id, attempt, percent FROM appnest_job_progress WHERE job_id = ANY($1::uuid[])',
      [jobIds],
    );
    return new Map(rows.map((r) => [r.job_id, { attempt: r.attempt, percent: r.percent }]));
  }

  /** A completed job's row: its progress is 100 from its state alone. */
  async forget(jobId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM appnest_job_progress WHERE job_id = $1', [jobId]);
  }

  /** Every row of the plugin (uninstall --purge). */
  async purge(pluginId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM appnest_job_progress WHERE plugin_id = $1', [pluginId]);
  }

  /** Rows whose job pg-boss no longer keeps (deleted after its retention), at the plugin's start. */
  async prune(pluginId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM appnest_job_progress p WHERE p.plugin_id = $1 AND NOT EXISTS (SELECT 1 FROM pgboss.job j WHERE j.id = p.job_id)', [pluginId]);
  }

  warn(message: string): void {
    this.logger.warn(message);
  }
}

/** What a job reports: the handler's call returns at once; the write follows in the background. */
export class ProgressReporter {
  /** The value stored, or being stored. */
  private stored?: number;
  /** A value reported while a write was in flight. */
  private next?: number;
  private writing?: Promise<void>;
  used = false;

  constructor(
    private readonly store: JobProgressStore,
    private readonly pluginId: string,
    private readonly jobId: string,
    private readonly attempt: number,
  ) {}

  /** `job.progress(percent)`: 0 to 100, kept as a whole number (rounded down, so 99.9 is not yet done). */
  report(percent: number): void {
    if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
      throw new PluginError('PLG_JOB_PROGRESS_INVALID', `Plugin '${this.pluginId}': job ${this.jobId} reported progress ${String(percent)}, which is not a number from 0 to 100.`, {
        pluginId: this.pluginId,
        hint: 'Call job.progress(percent) with a percentage from 0 to 100.',
      });
    }
    const value = Math.floor(percent);
    if (this.writing) {
      this.next = value;
      return;
    }
    if (value === this.stored) return;
    this.used = true;
    this.stored = value;
    this.writing = this.store
      .write(this.pluginId, this.jobId, this.attempt, value)
      .catch((err: unknown) => this.store.warn(`Plugin '${this.pluginId}': the progress of job ${this.jobId} could not be stored: ${(err as Error).message}`))
      .finally(() => {
        this.writing = undefined;
        const next = this.next;
        this.next = undefined;
        if (next !== undefined) this.report(next);
      });
  }

  /** Waits for the writes reported so far. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }
}
