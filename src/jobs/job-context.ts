/** The second argument of a job handler: which job this is and how to stop it early. */
export interface JobContext {
  id: string;
  /** The queue as the plugin names it (without `<id>.`). */
  queue: string;
  /** 0 on the first attempt. */
  retryCount: number;
  /** Aborted when the job times out, is cancelled, or the plugin stops waiting for it. */
  signal: AbortSignal;
}
