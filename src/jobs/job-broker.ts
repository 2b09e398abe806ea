import type { Db, PgBoss, SendOptions } from 'pg-boss';
import type { DataSource } from 'typeorm';
import { PluginError } from '../errors/plugin-error';
import type { HostLogger } from '../logging/host-logger';
import { PLUGIN_ID_PATTERN } from '../discovery/plugin-id';
import { QUEUE_NAME } from './job-handler.decorator';
import { declaredHandlers } from './job-declarations';
import { JobProgressStore } from './job-progress';
import type { JobSender, SendJobOptions } from './job-queue';
import type { JobObserver } from './job-observer';
import { PluginWorkers } from './plugin-workers';
import { queueOptions } from './queue-options';
import { SendBatcher, type JobRow } from './send-batcher';
import { SharedQueues } from './shared-queues';
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
  /** Queues of no running activation here, found in the database (a send after its plugin stopped). */
  private readonly existing = new Set<string>();
  private readonly lookups = new Map<string, Promise<boolean>>();
  private stopped = false;
  /** Sends outside a transaction, coalesced per queue into multi-row inserts. */
  private readonly batcher = new SendBatcher((name, rows) => this.insertRows(name, rows));
  /** What handlers report with `job.progress(percent)`. */
  readonly progress: JobProgressStore;
  /** The queues plugins share with others. */
  private readonly shares: SharedQueues;

  constructor(readonly options: JobBrokerOptions) {
    this.progress = new JobProgressStore(options.dataSource, options.logger);
    this.shares = new SharedQueues(options.dataSource);
  }

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
    await this.shares.record(pluginId, handlers);
    await this.progress.prune(pluginId);
    const workers = new PluginWorkers(boss, pluginId, this.options.logger, this.options.kind === 'embedded' ? 0.5 : 1, this.progress, this.options.observer);
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
    checkSendOptions(pluginId, queue, options);
    const { name, db, boss } = await this.target(pluginId, queue, options);
    return this.write(pluginId, queue, name, db, boss, data, options);
  }

  /** A send of `pluginId` to `'<owner>.<queue>'`: its own queue, or one the owner shares with it. */
  async sendTo(pluginId: string, target: string, data: object, options: SendJobOptions): Promise<string | null> {
    const parts = typeof target === 'string' ? target.split('.') : [];
    const [owner, queue] = parts;
    if (parts.length !== 2 || !PLUGIN_ID_PATTERN.test(owner) || !QUEUE_NAME.test(queue)) {
      throw new PluginError('PLG_JOB_QUEUE_UNKNOWN', `Plugin '${pluginId}' sends a job to '${String(target)}', which is not a queue name of the form '<plugin id>.<queue>'.`, {
        pluginId,
        hint: "Name the queue with its plugin's id, e.g. sendTo('images.resize', data).",
      });
    }
    if (owner === pluginId) return this.send(pluginId, queue, data, options);
    checkSendOptions(pluginId, target, options);
    const db = options.manager ? transactionDatabase(options.manager, pluginId) : undefined;
    await this.shares.check(pluginId, owner, queue, db);
    return this.write(pluginId, target, target, db, await this.boss(), data, options);
  }

  /** Writes one job: batched with the sends made at the same time, or on the sender's transaction. */
  private async write(pluginId: string, queue: string, name: string, db: Db | undefined, boss: PgBoss, data: object, options: SendJobOptions): Promise<string | null> {
    try {
      if (!db) return await this.batcher.send(name, jobRow(data, options));
      // Inside a transaction the job is written with it, on its connection: never batched.
      const sendOptions: SendOptions = {
        ...(options.singletonKey ? { singletonKey: options.singletonKey, singletonSeconds: options.singletonSeconds ?? 60 } : {}),
        ...(options.startAfterSeconds ? { startAfter: options.startAfterSeconds } : {}),
        ...(options.priority ? { priority: options.priority } : {}),
        db,
      };
      return await boss.send(name, data, sendOptions);
    } catch (err) {
      throw this.sendError(err, pluginId, queue, db);
    }
  }

  /** One statement for the coalesced sends of a queue: the ids that went in (a taken singleton slot inserts nothing). */
  private async insertRows(name: string, rows: JobRow[]): Promise<Set<string>> {
    const boss = await this.boss();
    return new Set((await boss.insert(name, rows, { returnId: true })) ?? []);
  }

  async sendMany(pluginId: string, queue: string, data: object[], options: SendJobOptions): Promise<string[]> {
    checkSendOptions(pluginId, queue, options);
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
    // A queue deleted elsewhere (a purge on another instance) is looked up again on the next send.
    if (/Queue .* does not exist/.test((err as Error)?.message ?? '')) this.existing.delete(`${pluginId}.${queue}`);
    if (db) return err; // the caller's transaction is aborted: its own error must reach it
    return new PluginError('PLG_JOB_SEND_FAILED', `Plugin '${pluginId}' could not queue a job on '${queue}': ${(err as Error).message}`, { pluginId, cause: err });
  }

  /** The qualified queue, refused when the plugin declares no handler for it. */
  private async target(pluginId: string, queue: string, options: SendJobOptions) {
    const name = `${pluginId}.${queue}`;
    const db = options.manager ? transactionDatabase(options.manager, pluginId) : undefined;
    if (!this.declared.has(name)) {
      // Inside a transaction, looking the queue up on another connection would wait on PGlite's one backend.
      const exists = this.existing.has(name) || (!db && (await this.lookUp(name)));
      if (!exists) {
        throw new PluginError('PLG_JOB_QUEUE_UNKNOWN', `Plugin '${pluginId}' has no job queue '${queue}'.`, {
          pluginId,
          hint: `Declare its handler with @JobHandler('${queue}') on a provider of the plugin.`,
        });
      }
    }
    return { name, db, boss: await this.boss() };
  }

  /** Whether the queue exists, found once and remembered; sends made together share one look-up. */
  private lookUp(name: string): Promise<boolean> {
    let found = this.lookups.get(name);
    if (!found) {
      found = this.boss()
        .then((boss) => boss.getQueue(name))
        .then((queue) => {
          if (queue) this.existing.add(name);
          return queue !== null;
        })
        .finally(() => this.lookups.delete(name));
      this.lookups.set(name, found);
    }
    return found;
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
    await this.progress.purge(pluginId);
    await this.shares.purge(pluginId);
    const boss = await this.boss();
    const mine = (await boss.getQueues()).map((q) => q.name).filter((name) => name.startsWith(`${pluginId}.`));
    // The queues that dead-letter into another go first.
    mine.sort((a, b) => Number(a.endsWith('.dead')) - Number(b.endsWith('.dead')));
    for (const name of mine) {
      await boss.deleteQueue(name);
      this.declared.delete(name);
      this.existing.delete(name);
    }
    return mine.length;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    // Sends already accepted are written before pg-boss closes (bounded, as a drain).
    const deadline = Date.now() + this.options.drainTimeoutMs;
    while (this.batcher.pending() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    this.stopped = true;
    const boss = await this.starting?.catch(() => undefined);
    await boss?.stop({ graceful: true, timeout: this.options.drainTimeoutMs, close: true }).catch(() => undefined);
  }
}

/** A job row for pg-boss's insert; `startAfter` in seconds from the database's clock, as pg-boss's send passes it. */
function jobRow(data: object, options: SendJobOptions): Omit<JobRow, 'id'> {
  return {
    data,
    ...(options.priority ? { priority: options.priority } : {}),
    ...(options.startAfterSeconds ? { startAfter: String(options.startAfterSeconds) } : {}),
    ...(options.singletonKey ? { singletonKey: options.singletonKey, singletonSeconds: options.singletonSeconds ?? 60 } : {}),
  };
}

/** Refuses send options the database would reject, before they reach it (and any batch). */
function checkSendOptions(pluginId: string, queue: string, options: SendJobOptions): void {
  const bad = (option: string, rule: string) =>
    new PluginError('PLG_JOB_SEND_INVALID', `Plugin '${pluginId}' sends a job to '${queue}' with ${option} ${rule}.`, {
      pluginId,
      hint: 'priority is a whole number (higher runs first), startAfterSeconds a number of seconds of 0 or more, singletonSeconds a whole number of seconds of 1 or more.',
    });
  const { priority, startAfterSeconds, singletonSeconds } = options;
  if (priority !== undefined && !(Number.isInteger(priority) && Math.abs(priority) <= 2 ** 31 - 1)) throw bad(`priority ${String(priority)}`, 'that is not a whole number (32-bit)');
  if (startAfterSeconds !== undefined && !(Number.isFinite(startAfterSeconds) && startAfterSeconds >= 0))
    throw bad(`startAfterSeconds ${String(startAfterSeconds)}`, 'that is not a number of seconds of 0 or more');
  if (singletonSeconds !== undefined && !(Number.isInteger(singletonSeconds) && singletonSeconds >= 1 && singletonSeconds <= 2 ** 31 - 1))
    throw bad(`singletonSeconds ${String(singletonSeconds)}`, 'that is not a whole number of seconds of 1 or more');
}
