import type { EntityManager } from 'typeorm';

/** What `send` accepts besides the queue and the data. */
export interface SendJobOptions {
  /**
   * The EntityManager of an open TypeORM transaction (`dataSource.transaction(async (manager) => ...)`):
   * the job row is written with it, so a rollback leaves no job behind.
   */
  manager?: EntityManager;
  /**
   * At most one job with this key per `singletonSeconds` slot of the clock: a second send in the
   * same slot returns null (throttling, "once an hour per user").
   */
  singletonKey?: string;
  /** The slot of `singletonKey` (default 60 s). */
  singletonSeconds?: number;
  /** Run no sooner than this many seconds from now. */
  startAfterSeconds?: number;
  /** Higher runs first (default 0). */
  priority?: number;
}

import type { QueuedJob } from '../contracts/job-view';

export type { QueuedJob } from '../contracts/job-view';

/** The host side of a plugin's job queue. */
export interface JobSender {
  send(pluginId: string, queue: string, data: object, options: SendJobOptions): Promise<string | null>;
  sendMany(pluginId: string, queue: string, data: object[], options: SendJobOptions): Promise<string[]>;
  sendTo(pluginId: string, target: string, data: object, options: SendJobOptions): Promise<string | null>;
}

/**
 * The plugin's own job queues, injectable into any provider of the plugin. Queues are the ones the
 * plugin declares with `@JobHandler('<queue>')`; the host names them `<plugin id>.<queue>`, so a
 * plugin reaches its own queues only, and those other plugins share with it (`sendTo`).
 */
export class JobQueue {
  constructor(
    private readonly sender: JobSender,
    readonly pluginId: string,
  ) {}

  /** Queues a job; resolves to its id, or null when `singletonKey` already holds a job in this slot. */
  send(queue: string, data: object = {}, options: SendJobOptions = {}): Promise<string | null> {
    return this.sender.send(this.pluginId, queue, data, options);
  }

  /**
   * Queues a job on a queue another plugin shares (`@JobHandler('<queue>', { shared: true })`),
   * named `'<its id>.<queue>'`; the job runs in that plugin's handler, and waits while it is
   * stopped. A queue not shared with this plugin is refused (PLG_JOB_QUEUE_NOT_SHARED).
   */
  sendTo(target: string, data: object = {}, options: SendJobOptions = {}): Promise<string | null> {
    return this.sender.sendTo(this.pluginId, target, data, options);
  }

  /** Queues one job per item in one statement (much faster than as many sends); resolves to their ids. */
  sendMany(queue: string, data: object[], options: Omit<SendJobOptions, 'singletonKey' | 'singletonSeconds'> = {}): Promise<string[]> {
    return this.sender.sendMany(this.pluginId, queue, data, options);
  }

  /** Queues a job and answers as an action that queued its work does: `{ status: 'queued', queue, jobId }`. */
  async enqueue(queue: string, data: object = {}, options: SendJobOptions = {}): Promise<QueuedJob> {
    return { status: 'queued', queue, jobId: await this.send(queue, data, options) };
  }
}
