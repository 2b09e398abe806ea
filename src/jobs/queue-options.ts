import type { Queue } from 'pg-boss';
import type { JobHandlerOptions } from './job-handler.decorator';

export const JOB_DEFAULTS = { retryLimit: 3, retryDelaySeconds: 5, retryBackoff: true, timeoutSeconds: 300, heartbeatSeconds: 10 } as const;

/**
 * pg-boss queue options for a handler's options. The queue's expiry is one second past the
 * handler's timeout: the host fails a late handler itself (with the plugin id in the log), and the
 * database's expiry catches a handler whose instance froze.
 */
export function queueOptions(options: JobHandlerOptions, deadLetter?: string): Omit<Queue, 'name'> & { expireInSeconds: number } {
  return {
    retryLimit: options.retryLimit ?? JOB_DEFAULTS.retryLimit,
    retryDelay: options.retryDelaySeconds ?? JOB_DEFAULTS.retryDelaySeconds,
    retryBackoff: options.retryBackoff ?? JOB_DEFAULTS.retryBackoff,
    expireInSeconds: (options.timeoutSeconds ?? JOB_DEFAULTS.timeoutSeconds) + 1,
    heartbeatSeconds: options.heartbeatSeconds ?? JOB_DEFAULTS.heartbeatSeconds,
    ...(deadLetter ? { deadLetter } : {}),
    notify: options.wakeOnSend ?? true,
  };
}
