import type { PgBoss, SendOptions } from 'pg-boss';
import type { DataSource } from 'typeorm';
import { PluginError } from '../errors/plugin-error';
import type { HostLogger } from '../logging/host-logger';
import { declaredHandlers } from './job-declarations';
import type { JobSender, SendJobOptions } from './job-queue';
import type { JobObserver } from './job-observer';
import { PluginWorkers } from './plugin-workers';
import { queueOptions } from './queue-options';
import { transactionDatabase } from './transaction-database';

export interface JobBrokerOptions {
  url: string;
  kind: 'embedded' | 'postgres';
  /** The host's DataSource, to look for pg-boss's schema without creating it. */
  dataSource: DataSource;
  logger: HostLogger;
  /** How long a stopping plugin waits for its running jobs. */
  drainTimeoutMs: number;
  /** How often each instance looks for jobs whose instance stopped beating (seconds). */
  superviseIntervalSeconds: number;
  /** Told of each job attempt of a plugin handler (the metrics). */
  observer?: JobObserver;
}

/** The dead-letter queue of a plugin queue. */
export const deadLetterOf = (name: string): string => `${name}.dead`;

/**
 * The host's one pg-boss, on the host's database, started on first use (a host whose plugins use
 * no jobs never creates pg-boss's schema). Every plugin queue is `<plugin id>.<queue>`; workers
 * start and stop with the plugin's activation (PluginWorkers).
 */
export class JobBroker implements JobSender {
  private starting?: Promise<PgBoss>;
  /** Queues of the running activations, by qualified name: known to the send cache, safe inside a transaction. */
  private readonly declared = new Map<string, number>();
  private stopped = false;

  constructor(readonly options: JobBrokerOptions) {}

  /** pg-boss, started (schema created or migrated) on the first call. */
  boss(): Promise<PgBoss> {
    if (this.stopped) return Promise.reject(new PluginError('PLG_INTERNAL', 'The job broker is stopped.'));
    this.starting ??= this.open().catch((err: unknown) => {
      this.starting = undefined;
      throw new PluginError('PLG_INTERNAL', `Background jobs could not start: ${(err as Error).message}`, { cause: err });
    });
    return this.starting;
  }

  private async open(): Promise<PgBoss> {
    const { PgBoss } = require('pg-boss') as typeof import('pg-boss');
    const embedded = this.options.kind === 'embedded';
    const boss = new PgBoss({
      connectionString: this.options.url,
      application_name: 'appnest-jobs',
      max: embedded ? 2 : 8,
      // PGlite's socket delivers no notifications: there, workers poll.
      useListenNotify: !embedded,
      ...(embedded ? { backend: 'pglite' as const } : {}),
      schedule: false,
      // The heartbeat and expiry sweep runs in pg-boss's monitor pass, gated by both intervals.
      superviseIntervalSeconds: this.options.superviseIntervalSeconds,
      monitorIntervalSeconds: this.options.superviseIntervalSeconds,
    });
    boss.on('error', (err: Error) => this.options.logger.warn(`Background jobs: ${err.message}`));
    await boss.start();
    return boss;
  }

  /** Creates the plugin's queues (and dead-letter queues) and starts a worker per `@JobHandler`; none when it declares none. */
  async startWorkers(pluginId: string, instances: object[]): Promise<PluginWorkers | undefined> {
    const handlers = declaredHandlers(instances);
    if (handlers.length === 0) return undefined;
    const seen = new Set<string>();
    for (const handler of handlers) {
      if (seen.has(handler.queue)) {
        throw new PluginError('PLG_JOB_QUEUE_DUPLICATE', `Plugin '${pluginId}' declares two handlers of queue '${handler.queue}' (${handler.owner} and another).`, {
          pluginId,
          hint: 'Give each @JobHandler its own queue name.',
        });
      }
      seen.add(handler.queue);
    }
    const boss = await this.boss();
    for (const handler of handlers) {
      const name = `${pluginId}.${handler.queue}`;
      const deadLetter = handler.options.deadLetter === false ? undefined : deadLetterOf(name);
      if (deadLetter) await boss.createQueue(deadLetter, { retryLimit: 0 });
      const options = queueOptions(handler.options, deadLetter);
      await boss.createQueue(name, options);
      // A new version of the plugin may change the options of a queue that already exists. This
      // also loads the queue into pg-boss's cache, so a send inside a transaction looks nothing up.
      await boss.updateQueue(name, { ...options, deadLetter: deadLetter ?? null });
    }
    const workers = new PluginWorkers(boss, pluginId, this.options.logger, this.options.kind === 'embedded' ? 0.5 : 1, this.options.observer);
    try {
      await workers.start(handlers);
    } catch (err) {
      await workers.stop(0);
      throw err;
    }
    for (const queue of workers.queues()) {
      const name = `${pluginId}.${queue}`;
      this.declared.set(name, (this.declared.get(name) ?? 0) + 1);
    }
    return workers;
  }

  async send(pluginId: string, queue: string, data: object, options: SendJobOptions): Promise<string | null> {
    const { name, db, boss } = await this.target(pluginId, queue, options);
    const sendOptions: SendOptions = {
      ...(options.singletonKey ? { singletonKey: options.singletonKey, singletonSeconds: options.singletonSeconds ?? 60 } : {}),
      ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
      ...(options.priority ? { priority: options.priority } : {}),
      ...(db ? { db } : {}),
    };
    try {
      return await boss.send(name, data, sendOptions);
    } catch (err) {
      throw this.sendError(err, pluginId, queue, db);
    }
  }

  async sendMany(pluginId: string, queue: string, data: object[], options: SendJobOptions): Promise<string[]> {
    if (data.length === 0) return [];
    const { name, db, boss } = await this.target(pluginId, queue, options);
    const startAfter = options.startAfterSeconds ? new Date(Date.now() + options.startAfterSeconds * 1000) : undefined;
    const jobs = data.map((item) => ({ data: item, ...(startAfter ? { startAfter } : {}), ...(options.priority ? { priority: options.priority } : {}) }));
    try {
      return (await boss.insert(name, jobs, { returnId: true, ...(db ? { db } : {}) })) ?? [];
    } catch (err) {
      throw this.sendError(err, pluginId, queue, db);
    }
  }

  private sendError(err: unknown, pluginId: string, queue: string, db: unknown): unknown {
    if (db) return err; // the caller's transaction is aborted: its own error must reach it
    return new PluginError('PLG_JOB_SEND_FAILED', `Plugin '${pluginId}' could not queue a job on '${queue}': ${(err as Error).message}`, { pluginId, cause: err });
  }

  /** The qualified queue, refused when the plugin declares no handler for it. */
  private async target(pluginId: string, queue: string, options: SendJobOptions) {
    const name = `${pluginId}.${queue}`;
    const db = options.manager ? transactionDatabase(options.manager, pluginId) : undefined;
    if (!this.declared.has(name)) {
      // Inside a transaction, looking the queue up on another connection would wait on PGlite's one backend.
      const exists = !db && (await (await this.boss()).getQueue(name)) !== null;
      if (!exists) {
        throw new PluginError('PLG_JOB_QUEUE_UNKNOWN', `Plugin '${pluginId}' has no job queue '${queue}'.`, {
          pluginId,
          hint: `Declare its handler with @JobHandler('${queue}') on a provider of the plugin.`,
        });
      }
    }
    return { name, db, boss: await this.boss() };
  }

  /** Stops an activation's workers (bounded by the drain timeout); their queued jobs stay and wait for the next one. */
  async stopWorkers(workers: PluginWorkers): Promise<void> {
    await workers.stop(this.options.drainTimeoutMs);
    for (const queue of workers.queues()) {
      const name = `${workers.pluginId}.${queue}`;
      const left = (this.declared.get(name) ?? 1) - 1;
      if (left > 0) this.declared.set(name, left);
      else this.declared.delete(name);
    }
  }

  /** Whether pg-boss's schema exists (some plugin of some instance used jobs once). */
  async installed(): Promise<boolean> {
    if (this.starting) return true;
    const [row]: { table: string | null }[] = await this.options.dataSource.query(`SELECT to_regclass('pgboss.job')::text AS table`);
    return row?.table != null;
  }

  /** Deletes every queue of the plugin with its jobs (uninstall --purge). Returns how many queues went. */
  async purge(pluginId: string): Promise<number> {
    if (!(await this.installed())) return 0;
    const boss = await this.boss();
    const mine = (await boss.getQueues()).map((q) => q.name).filter((name) => name.startsWith(`${pluginId}.`));
    // The queues that dead-letter into another go first.
    mine.sort((a, b) => Number(a.endsWith('.dead')) - Number(b.endsWith('.dead')));
    for (const name of mine) {
      await boss.deleteQueue(name);
      this.declared.delete(name);
    }
    return mine.length;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const boss = await this.starting?.catch(() => undefined);
    await boss?.stop({ graceful: true, timeout: this.options.drainTimeoutMs, close: true }).catch(() => undefined);
  }
}
