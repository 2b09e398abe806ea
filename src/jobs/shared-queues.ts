import type { Db } from 'pg-boss';
import type { DataSource } from 'typeorm';
import { PluginError } from '../errors/plugin-error';
import type { DeclaredHandler } from './job-declarations';

type Query = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * The queues plugins share with other plugins (`@JobHandler(queue, { shared })`), in the host's
 * table `appnest_job_shared_queues`: written when the owner starts, kept while it is stopped (so
 * jobs sent to it wait for it, as its own do), deleted with its queues on uninstall --purge.
 */
export class SharedQueues {
  constructor(private readonly dataSource: DataSource) {}

  /** Records what the owner's handlers share now; a queue a new version no longer shares stops being shared. */
  async record(pluginId: string, handlers: DeclaredHandler[]): Promise<void> {
    const shared = handlers.filter((h) => h.options.shared);
    for (const handler of shared) {
      const senders = handler.options.shared === true ? null : JSON.stringify(handler.options.shared);
      await this.dataSource.query(
        `INSERT INTO appnest_job_shared_queues (queue, plugin_id, senders, updated_at) VALUES ($1, $2, $3::jsonb, now())
         ON CONFLICT (queue) DO UPDATE SET plugin_id = excluded.plugin_id, senders = excluded.senders, updated_at = excluded.updated_at`,
        [`${pluginId}.${handler.queue}`, pluginId, senders],
      );
    }
    await this.dataSource.query('DELETE FROM appnest_job_shared_queues WHERE plugin_id = $1 AND NOT (queue = ANY($2::text[]))', [pluginId, shared.map((h) => `${pluginId}.${h.queue}`)]);
  }

  /**
   * Refuses a send of `senderId` to `owner.queue` unless the owner shares it with the sender:
   * PLG_JOB_QUEUE_NOT_SHARED when the queue exists but is not shared with it, PLG_JOB_QUEUE_UNKNOWN
   * when there is no such queue. `db` is the sender's open transaction, if it sends with one.
   */
  async check(senderId: string, owner: string, queue: string, db?: Db): Promise<void> {
    const target = `${owner}.${queue}`;
    const query: Query = db ? async (sql, params) => (await db.executeSql(sql, params)).rows as Record<string, unknown>[] : (sql, params) => this.dataSource.query(sql, params);
    const [row] = await query('SELECT senders FROM appnest_job_shared_queues WHERE queue = $1', [target]);
    if (row) {
      const senders = row.senders as string[] | null;
      if (senders === null || senders.includes(senderId)) return;
      throw notShared(senderId, owner, queue, `shares it with ${senders.map((s) => `'${s}'`).join(', ') || 'no plugin'} only`);
    }
    const [installed] = await query(`SELECT to_regclass('pgboss.queue') IS NOT NULL AS yes`, []);
    const [exists] = installed?.yes ? await query('SELECT 1 AS yes FROM pgboss.queue WHERE name = $1', [target]) : [];
    if (exists) throw notShared(senderId, owner, queue, 'does not share it');
    throw new PluginError('PLG_JOB_QUEUE_UNKNOWN', `Plugin '${senderId}' sends a job to '${target}', which does not exist: plugin '${owner}' has no job queue '${queue}'.`, {
      pluginId: senderId,
      hint: `Check the name ('<plugin id>.<queue>'), and that plugin '${owner}' is installed and has started once with its @JobHandler('${queue}', { shared: true }).`,
      details: { owner, queue },
    });
  }

  /** The shares of a plugin uninstalled with --purge. */
  async purge(pluginId: string): Promise<void> {
    await this.dataSource.query('DELETE FROM appnest_job_shared_queues WHERE plugin_id = $1', [pluginId]);
  }
}

function notShared(senderId: string, owner: string, queue: string, why: string): PluginError {
  return new PluginError('PLG_JOB_QUEUE_NOT_SHARED', `Plugin '${senderId}' may not send jobs to '${owner}.${queue}': plugin '${owner}' ${why}.`, {
    pluginId: senderId,
    hint: `Plugin '${owner}' shares a queue with @JobHandler('${queue}', { shared: true }) (every plugin) or { shared: ['${senderId}'] }.`,
    details: { owner, queue },
  });
}
