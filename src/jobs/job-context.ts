/** The second argument of a job handler: which job this is and how to stop it early. */
export interface JobContext {
  id: string;
  /** The queue as the plugin names it (without `<id>.`). */
  queue: string;
  /** 0 on the first attempt. */
  retryCount: number;
  /** Aborted when the job times out, is cancelled, or the plugin stops waiting for it. */
  signal: AbortSignal;
  /**
   * Reports how far the job is, 0 to 100 (kept as a whole number): stored in the database, so the
   * admin API, the admin page and `appnest jobs` of every instance show it. Returns at once (the
   * write follows; only the last of quick reports may be stored); a completed job shows 100.
   */
  progress(percent: number): void;
}
