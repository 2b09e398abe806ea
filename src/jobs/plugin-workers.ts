import type { JobResult, JobWithMetadata, PgBoss } from 'pg-boss';
import { PluginError } from '../errors/plugin-error';
import type { HostLogger } from '../logging/host-logger';
import type { JobContext } from './job-context';
import type { DeclaredHandler } from './job-declarations';
import type { JobProgressStore, ProgressReporter } from './job-progress';
import type { JobObserver } from './job-observer';
import { queueOptions } from './queue-options';

interface Worker {
  queue: string;
  name: string;
  workId: string;
}

/**
 * The workers of one plugin activation, `concurrency` of them per `@JobHandler` queue. `stop` takes no
 * new job and waits, at most `drainMs`, for the running ones.
 */
export class PluginWorkers {
  private readonly workers: Worker[] = [];
  private readonly running = new Set<AbortController>();
  private stopping?: Promise<void>;

  constructor(
    private readonly boss: PgBoss,
    readonly pluginId: string,
    private readonly logger: HostLogger,
    /** Between fetches; with LISTEN/NOTIFY a new job wakes the worker at once, and this still finds retries whose delay ran out. */
    private readonly pollingIntervalSeconds: number,
    private readonly progress: JobProgressStore,
    /** Told of each attempt's outcome and duration (the metrics). */
    private readonly observer?: JobObserver,
  ) {}

  /**
   * `concurrency` pg-boss workers per handler, each fetching up to `batchSize` jobs at a time and
   * running them side by side, each settled on its own. A worker whose fetch came back full fetches
   * again at once (pg-boss would wait a polling interval after a single-job fetch); one that found
   * fewer waits for a notification or the next poll.
   */
  async start(handlers: DeclaredHandler[]): Promise<void> {
    for (const handler of handlers) {
      const name = `${this.pluginId}.${handler.queue}`;
      const { expireInSeconds } = queueOptions(handler.options);
      const workOptions = {
        batchSize: handler.options.batchSize ?? 1,
        includeMetadata: true as const,
        perJobResults: true as const,
        pollingIntervalSeconds: this.pollingIntervalSeconds,
        notifyPollingIntervalSeconds: this.pollingIntervalSeconds,
      };
      for (let i = 0; i < (handler.options.concurrency ?? 1); i++) {
        let workId = '';
        workId = await this.boss.work<object, unknown, typeof workOptions>(name, workOptions, async (jobs) => {
          const results = await Promise.all(jobs.map((job) => this.settle(handler, job, expireInSeconds - 1)));
          if (jobs.length === workOptions.batchSize) this.boss.notifyWorker(workId);
          return results;
        });
        this.workers.push({ queue: handler.queue, name, workId });
      }
    }
  }

  private async settle(handler: DeclaredHandler, job: JobWithMetadata<object>, timeoutSeconds: number): Promise<JobResult> {
    const reporter = this.progress.reporter(this.pluginId, job.id, job.retryCount);
    const began = performance.now();
    try {
      const output = await this.run(handler, job, timeoutSeconds, reporter);
      await reporter.flush();
      this.observer?.jobRan(this.pluginId, handler.queue, (performance.now() - began) / 1000, 'completed');
      // A completed job is at 100 % by its state; its row goes.
      if (reporter.used) await this.progress.forget(job.id).catch(() => undefined);
      return { id: job.id, status: 'completed', output: output === undefined ? undefined : { value: output } };
    } catch (err) {
      await reporter.flush();
      this.observer?.jobRan(this.pluginId, handler.queue, (performance.now() - began) / 1000, job.retryCount < job.retryLimit ? 'retried' : 'failed');
      const error = err instanceof Error ? { name: err.name, message: err.message, ...(err instanceof PluginError ? { code: err.code } : {}), stack: err.stack } : { message: String(err) };
      return { id: job.id, status: 'failed', output: error };
    }
  }

  /** Runs one job: the handler's throw or timeout fails this attempt (logged with the plugin id) and pg-boss retries it. */
  private async run(handler: DeclaredHandler, job: JobWithMetadata<object>, timeoutSeconds: number, reporter: ProgressReporter): Promise<unknown> {
    const controller = new AbortController();
    this.running.add(controller);
    const signal = AbortSignal.any([controller.signal, job.signal]);
    const context: JobContext = { id: job.id, queue: handler.queue, retryCount: job.retryCount, signal, progress: (percent) => reporter.report(percent) };
    let timer: NodeJS.Timeout | undefined;
    const attempt = `job '${handler.queue}' ${job.id} (attempt ${job.retryCount + 1} of ${job.retryLimit + 1})`;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new PluginError('PLG_JOB_TIMEOUT', `Plugin '${this.pluginId}': ${attempt} ran past its ${timeoutSeconds} s timeout.`, { pluginId: this.pluginId }));
        }, timeoutSeconds * 1000);
      });
      return await Promise.race([Promise.resolve().then(() => handler.method.call(handler.instance, job.data, context)), timeout]);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.error(err instanceof PluginError && err.code === 'PLG_JOB_TIMEOUT' ? message : `Plugin '${this.pluginId}': ${attempt} failed: ${message}`);
      throw err;
    } finally {
      clearTimeout(timer);
      this.running.delete(controller);
    }
  }

  /** Queues of this activation, as the plugin names them. */
  queues(): string[] {
    return [...new Set(this.workers.map((w) => w.queue))];
  }

  /** Takes no new job, then waits at most `drainMs` for the running ones. Idempotent. */
  stop(drainMs: number): Promise<void> {
    this.stopping ??= (async () => {
      const drained = Promise.all(this.workers.map((w) => this.boss.offWork(w.name, { id: w.workId, wait: true }).catch(() => undefined)));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), drainMs)));
      const outcome = await Promise.race([drained, late]);
      clearTimeout(timer);
      if (outcome === 'late') {
        this.logger.warn(`Plugin '${this.pluginId}': ${this.running.size} job(s) still running after ${drainMs} ms; stopping anyway (each is failed by its timeout and retried).`);
        for (const controller of this.running) controller.abort();
      }
    })();
    return this.stopping;
  }
}
