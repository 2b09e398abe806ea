import type { DataSource } from 'typeorm';
import { PluginError } from '../errors/plugin-error';
import { deadLetterOf, type JobBroker } from './job-broker';

import type { JobsSummary, JobState, JobView } from '../contracts/job-view';

export type { ActiveJob, JobsSummary, JobView, QueueSummary } from '../contracts/job-view';

const RECENT_FAILURES = 20;
const ACTIVE_LISTED = 20;

/** What the admin API, CLI and admin page show and do about a plugin's jobs. */
export class JobInspector {
  constructor(
    private readonly broker: JobBroker,
    private readonly dataSource: DataSource,
  ) {}

  async summary(pluginId: string): Promise<JobsSummary> {
    if (!(await this.broker.installed())) return { pluginId, queues: [], activeJobs: [], recentFailures: [] };
    const boss = await this.broker.boss();
    const prefix = `${pluginId}.`;
    const names = (await boss.getQueues()).map((q) => q.name).filter((n) => n.startsWith(prefix) && !n.endsWith('.dead'));
    const counts: { name: string; state: string; n: number }[] = await this.dataSource.query(
      `SELECT name, state::text AS state, count(*)::int AS n FROM pgboss.job WHERE left(name, $2) = $1 GROUP BY name, state`,
      [prefix, prefix.length],
    );
    const count = (name: string, states: string[]) => counts.filter((c) => c.name === name && states.includes(c.state)).reduce((sum, c) => sum + c.n, 0);
    const queues = names.sort().map((name) => ({
      queue: name.slice(prefix.length),
      queued: count(name, ['created', 'retry']),
      active: count(name, ['active']),
      completed: count(name, ['completed']),
      failed: count(name, ['failed']),
      deadLettered: count(deadLetterOf(name), ['created', 'retry', 'active', 'failed']),
    }));
    const failures: { id: string; name: string; state: JobState; retry_count: number; output: unknown; at: Date | null }[] = await this.dataSource.query(
      `SELECT id::text AS id, name, state::text AS state, retry_count, output, coalesce(completed_on, started_on, created_on) AS at
         FROM pgboss.job
        WHERE left(name, $2) = $1 AND right(name, 5) <> '.dead' AND (state = 'failed' OR (state = 'retry' AND output IS NOT NULL))
        ORDER BY at DESC LIMIT ${RECENT_FAILURES}`,
      [prefix, prefix.length],
    );
    const active: { id: string; name: string; retry_count: number; started_on: Date | null }[] = await this.dataSource.query(
      `SELECT id::text AS id, name, retry_count, started_on FROM pgboss.job
        WHERE left(name, $2) = $1 AND right(name, 5) <> '.dead' AND state = 'active'
        ORDER BY started_on LIMIT ${ACTIVE_LISTED}`,
      [prefix, prefix.length],
    );
    const progress = await this.broker.progress.read(active.map((a) => a.id));
    return {
      pluginId,
      queues,
      activeJobs: active.map((a) => ({
        id: a.id,
        queue: a.name.slice(prefix.length),
        retryCount: a.retry_count,
        startedAt: a.started_on ? new Date(a.started_on).toISOString() : null,
        progress: percentOf('active', a.retry_count, progress.get(a.id)),
      })),
      recentFailures: failures.map((f) => ({
        id: f.id,
        queue: f.name.slice(prefix.length),
        state: f.state,
        retryCount: f.retry_count,
        error: errorText(f.output),
        at: f.at ? new Date(f.at).toISOString() : null,
      })),
    };
  }

  /** One job of the plugin: its state (created, retry, active, completed, cancelled, failed), attempts and last error. */
  async job(pluginId: string, jobId: string): Promise<JobView & { retryLimit: number; progress: number | null }> {
    await this.queueOf(pluginId, jobId);
    const [row]: { id: string; name: string; state: JobState; retry_count: number; retry_limit: number; output: unknown; at: Date | null }[] = await this.dataSource.query(
      `SELECT id::text AS id, name, state::text AS state, retry_count, retry_limit, output, coalesce(completed_on, started_on, created_on) AS at FROM pgboss.job WHERE id = $1`,
      [jobId],
    );
    const failed = row.state === 'failed' || row.state === 'retry';
    const stored = row.state === 'completed' ? undefined : (await this.broker.progress.read([row.id])).get(row.id);
    return {
      id: row.id,
      queue: row.name.slice(pluginId.length + 1),
      state: row.state,
      retryCount: row.retry_count,
      retryLimit: row.retry_limit,
      error: failed ? errorText(row.output) : '',
      at: row.at ? new Date(row.at).toISOString() : null,
      progress: percentOf(row.state, row.retry_count, stored),
    };
  }

  /** Runs a failed (or cancelled) job of the plugin again. */
  async retry(pluginId: string, jobId: string): Promise<{ id: string; queue: string }> {
    const name = await this.queueOf(pluginId, jobId);
    await (await this.broker.boss()).retry(name, jobId);
    return { id: jobId, queue: name.slice(pluginId.length + 1) };
  }

  /** Cancels a waiting or running job of the plugin: it is not run (again). */
  async cancel(pluginId: string, jobId: string): Promise<{ id: string; queue: string }> {
    const name = await this.queueOf(pluginId, jobId);
    await (await this.broker.boss()).cancel(name, jobId);
    return { id: jobId, queue: name.slice(pluginId.length + 1) };
  }

  private async queueOf(pluginId: string, jobId: string): Promise<string> {
    await this.broker.boss();
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(jobId);
    const [row]: { name: string }[] = uuid ? await this.dataSource.query(`SELECT name FROM pgboss.job WHERE id = $1 AND left(name, $3) = $2`, [jobId, `${pluginId}.`, pluginId.length + 1]) : [];
    if (!row) {
      throw new PluginError('PLG_JOB_NOT_FOUND', `Plugin '${pluginId}' has no job '${jobId}'.`, {
        pluginId,
        hint: `List its jobs with GET /api/admin/plugins/${pluginId}/jobs (or appnest jobs ${pluginId}).`,
      });
    }
    return row.name;
  }
}

/** A failed attempt's error message, as pg-boss stored it. */
function errorText(output: unknown): string {
  if (output && typeof output === 'object' && 'message' in output) return String((output as { message: unknown }).message);
  return output === null || output === undefined ? '' : JSON.stringify(output);
}

/**
 * A job's progress in percent: 100 once completed; while active, what this attempt reported (null
 * before its first report); after a failure or a cancel, how far the last attempt got; null while
 * the job waits.
 */
function percentOf(state: string, retryCount: number, stored: { attempt: number; percent: number } | undefined): number | null {
  if (state === 'completed') return 100;
  if (!stored) return null;
  if (state === 'active') return stored.attempt === retryCount ? stored.percent : null;
  return state === 'failed' || state === 'cancelled' ? stored.percent : null;
}
