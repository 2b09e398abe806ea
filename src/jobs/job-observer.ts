/** How a job attempt ended: `retried` is a failed attempt pg-boss runs again, `failed` one with no retry left. */
export type JobOutcome = 'completed' | 'retried' | 'failed';

/** Told of every job attempt a plugin's handler finished on this instance: its outcome and duration. */
export interface JobObserver {
  jobRan(pluginId: string, queue: string, seconds: number, outcome: JobOutcome): void;
}
