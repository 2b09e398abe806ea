import { SetMetadata } from '@nestjs/common';
import { PLUGIN_ID_PATTERN } from '../discovery/plugin-id';

export const JOB_HANDLER_METADATA = 'appnest:job-handler';

/** How a queue's jobs are run, retried and given up on. Every field has a default. */
export interface JobHandlerOptions {
  /** Attempts after the first one (default 3). */
  retryLimit?: number;
  /** Seconds before the first retry (default 5); doubled on each retry when `retryBackoff` is on. */
  retryDelaySeconds?: number;
  /** Exponential backoff between retries (default true). */
  retryBackoff?: boolean;
  /** A handler still running after this long is failed and retried (default 300). */
  timeoutSeconds?: number;
  /** A job out of retries moves to the dead-letter queue `<id>.<queue>.dead` (default true). */
  deadLetter?: boolean;
  /** Workers this instance runs for this queue (default 1). */
  concurrency?: number;
  /**
   * Jobs each worker fetches at once and runs side by side (default 1): at most
   * `concurrency × batchSize` handlers run at a time. Raise it for many short jobs; each job is
   * still retried or completed on its own.
   */
  batchSize?: number;
  /**
   * A send wakes an idle worker at once through LISTEN/NOTIFY on PostgreSQL (default true). Each
   * notification costs the sending transaction a cluster-wide lock at commit: turn it off for a
   * queue fed thousands of times a second, whose idle workers then find new jobs within a poll (1 s).
   */
  wakeOnSend?: boolean;
  /** Seconds between the liveness beats of a running job, 10 or more; a job whose instance stops beating is retried elsewhere (default 10). */
  heartbeatSeconds?: number;
  /**
   * Offers the queue to other plugins, which send to it with `jobs.sendTo('<id>.<queue>', data)`:
   * `true` for every plugin, or the ids of those that may (default: the plugin's own). Its jobs
   * still run in this handler, and wait while this plugin is stopped.
   */
  shared?: boolean | string[];
}

export interface JobHandlerDeclaration {
  queue: string;
  options: JobHandlerOptions;
}

/** A queue name as the plugin writes it: letters, digits, `_` and `-` (the host adds `<id>.`). */
export const QUEUE_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * Marks a provider method as the handler of the plugin's queue `queue`, as `@Cron` marks a
 * scheduled task. The host calls it as `method(data, job)` once per job while the plugin is
 * active; a throw or a timeout fails the attempt, which is retried per `options`.
 */
export function JobHandler(queue: string, options: JobHandlerOptions = {}): MethodDecorator {
  if (typeof queue !== 'string' || !QUEUE_NAME.test(queue)) {
    throw new TypeError(`@JobHandler('${String(queue)}'): a queue name is lower-case letters, digits, '_' and '-', starting with a letter, e.g. @JobHandler('send-mail').`);
  }
  if (options.heartbeatSeconds !== undefined && !(Number.isInteger(options.heartbeatSeconds) && options.heartbeatSeconds >= 10)) {
    throw new TypeError(`@JobHandler('${queue}'): heartbeatSeconds must be a whole number of 10 or more.`);
  }
  const { shared } = options;
  if (shared !== undefined && typeof shared !== 'boolean' && !(Array.isArray(shared) && shared.every((id) => typeof id === 'string' && PLUGIN_ID_PATTERN.test(id)))) {
    throw new TypeError(`@JobHandler('${queue}'): shared is true, false or a list of plugin ids, e.g. { shared: ['gallery'] }.`);
  }
  return SetMetadata(JOB_HANDLER_METADATA, { queue, options } satisfies JobHandlerDeclaration);
}
