// What the admin API answers about a plugin's background jobs, shared by the host, the CLI and the
// web app. Types only, importing nothing.

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';

export interface QueueSummary {
  /** As the plugin names it. */
  queue: string;
  queued: number;
  active: number;
  completed: number;
  failed: number;
  deadLettered: number;
}

/** One job, as GET /api/admin/plugins/<id>/jobs/<job> describes it (and each recent failure). */
export interface JobView {
  id: string;
  queue: string;
  state: JobState;
  retryCount: number;
  /** Attempts after the first it may take (GET .../jobs/<job> only). */
  retryLimit?: number;
  error: string;
  at: string | null;
  /** Percent done as the handler reported it (`job.progress(n)`); 100 once completed; null when none was reported. */
  progress?: number | null;
}

/** A job running now, with the progress its handler last reported (null before the first report). */
export interface ActiveJob {
  id: string;
  queue: string;
  retryCount: number;
  startedAt: string | null;
  progress: number | null;
}

/** GET /api/admin/plugins/<id>/jobs */
export interface JobsSummary {
  pluginId: string;
  queues: QueueSummary[];
  /** The jobs running now (the longest-running first, at most 20). */
  activeJobs: ActiveJob[];
  recentFailures: JobView[];
}

/** What an action returns when it hands its work to a job: the admin page then follows the job. */
export interface QueuedJob {
  status: 'queued';
  queue: string;
  jobId: string | null;
}
