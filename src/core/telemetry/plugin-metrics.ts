import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Counter, Histogram, Registry } from 'prom-client';
import type { JobObserver, JobOutcome } from '../../jobs/job-observer';
import type { BlockObserver } from './loop-blame';
import { RECENT_SECONDS, RecentCounts } from './recent-counts';
import { RequestSeries } from './request-series';
import type { TaskObserver } from './task-observer';

import type { PluginMetricsSummary } from '../../contracts/plugin-view';

export type { PluginMetricsSummary } from '../../contracts/plugin-view';

/** What the registry reads from the host at scrape time. */
export interface MetricsSource {
  /** Ids of the installed plugins: series of any other plugin are dropped. */
  installed(): Iterable<string>;
  activePlugins(): number;
  /** Unhandled errors attributed to the plugin since the host started. */
  unhandledErrors(pluginId: string): number;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** prom-client and what it loads (some 90 modules): required at the first scrape or the first figure it keeps, not at start. */
function promClient(): typeof import('prom-client') {
  return require('prom-client') as typeof import('prom-client');
}

/** The prom-client side of PluginMetrics: its registry and the series prom-client counts itself. */
class PromSeries {
  readonly registry: Registry;
  readonly taskRuns: Counter<string>;
  readonly taskFailures: Counter<string>;
  readonly taskSeconds: Histogram<string>;
  readonly jobs: Counter<string>;
  readonly jobSeconds: Histogram<string>;
  readonly operations: Counter<string>;
  readonly operationSeconds: Histogram<string>;
  readonly loopBlocks: Counter<string>;
  readonly loopBlockedSeconds: Counter<string>;
  readonly hostLoopBlocks: Counter<string>;
  readonly hostLoopBlockedSeconds: Counter<string>;
  /** The series labelled by plugin, which lose a plugin's values when it is uninstalled. */
  readonly perPlugin: (Counter<string> | Histogram<string>)[];

  constructor(source: MetricsSource, requests: RequestSeries) {
    const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = promClient();
    const registry = (this.registry = new Registry());
    const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers: [registry] });
    const histogram = (name: string, help: string, labelNames: string[]) => new Histogram({ name, help, labelNames, buckets: DURATION_BUCKETS, registers: [registry] });
    requests.register(registry);
    this.taskRuns = counter('appnest_plugin_task_runs_total', 'Scheduled-task runs of a plugin on this instance', ['plugin', 'task']);
    this.taskFailures = counter('appnest_plugin_task_failures_total', 'Scheduled-task runs of a plugin that threw', ['plugin', 'task']);
    this.taskSeconds = histogram('appnest_plugin_task_duration_seconds', 'Time a scheduled-task run took', ['plugin', 'task']);
    this.jobs = counter('appnest_plugin_jobs_total', 'Job attempts a plugin handler finished on this instance, by outcome: completed, retried (failed, pg-boss retries it), failed (no retry left)', [
      'plugin',
      'queue',
      'outcome',
    ]);
    this.jobSeconds = histogram('appnest_plugin_job_duration_seconds', 'Time a job attempt of a plugin handler took', ['plugin', 'queue']);
    this.operations = counter('appnest_plugin_operations_total', 'Enable, disable and upgrade operations on a plugin, by outcome', ['plugin', 'operation', 'outcome']);
    this.operationSeconds = histogram('appnest_plugin_operation_duration_seconds', 'Time an enable, disable or upgrade operation took', ['plugin', 'operation']);
    this.loopBlocks = counter('appnest_plugin_event_loop_blocks_total', 'Times a plugin blocked the event loop for at least APPNEST_BLOCKED_LOOP_MS', ['plugin']);
    this.loopBlockedSeconds = counter('appnest_plugin_event_loop_blocked_seconds_total', 'Time the event loop was blocked by a plugin, in blocks of at least APPNEST_BLOCKED_LOOP_MS', ['plugin']);
    this.hostLoopBlocks = counter('appnest_host_event_loop_blocks_total', 'Times the event loop was blocked for at least APPNEST_BLOCKED_LOOP_MS outside any plugin', []);
    this.hostLoopBlockedSeconds = counter('appnest_host_event_loop_blocked_seconds_total', 'Time the event loop was blocked outside any plugin, in blocks of at least APPNEST_BLOCKED_LOOP_MS', []);
    this.perPlugin = [this.taskRuns, this.taskFailures, this.taskSeconds, this.jobs, this.jobSeconds, this.operations, this.operationSeconds, this.loopBlocks, this.loopBlockedSeconds];
    new Counter({
      name: 'appnest_plugin_unhandled_errors_total',
      help: 'Unhandled rejections and exceptions attributed to a plugin',
      labelNames: ['plugin'],
      registers: [registry],
      collect() {
        this.reset();
        for (const plugin of source.installed()) this.inc({ plugin }, source.unhandledErrors(plugin));
      },
    });
    new Gauge({
      name: 'appnest_active_plugins',
      help: 'Plugins running on this instance',
      registers: [registry],
      collect() {
        this.set(source.activePlugins());
      },
    });
    // Event-loop lag, heap, resident memory, CPU, handles: prom-client's process and Node.js series.
    collectDefaultMetrics({ register: registry });
  }
}

/**
 * The host's Prometheus registry: per-plugin series labelled `plugin` (requests by route template
 * and status class, request, task and job durations, task runs and failures, job attempts by
 * outcome, unhandled errors, blocks of the event loop, enable/disable/upgrade operations) and the
 * host's (event-loop lag and blocks outside any plugin, heap, active plugins). One per host,
 * so several hosts in one process (tests) never mix their figures. The registry is built at the
 * first scrape or the first figure it keeps (a task run, a job, an operation, a block): a start
 * does not load prom-client, and the Node.js series (event-loop lag, garbage collection) count
 * from then.
 */
export class PluginMetrics implements TaskObserver, JobObserver, BlockObserver {
  private readonly summaries = new Map<string, Omit<PluginMetricsSummary, 'requestsLastMinute'> & { requestSeconds: number; recent: RecentCounts }>();
  /** Requests by route and status class, and their durations: counted outside prom-client, the hot path. */
  private readonly requests = new RequestSeries(DURATION_BUCKETS);
  private built?: PromSeries;

  constructor(private readonly source: MetricsSource) {}

  private get prom(): PromSeries {
    return (this.built ??= new PromSeries(this.source, this.requests));
  }

  /** Counts a request a plugin answered (`began`: performance.now() at its arrival); the route is Express's template, not the URL. */
  requestAnswered(pluginId: string, req: IncomingMessage, status: number, began: number): void {
    const seconds = (performance.now() - began) / 1000;
    const template = (req as IncomingMessage & { route?: { path?: unknown } }).route?.path;
    this.requests.record(pluginId, req.method ?? 'GET', typeof template === 'string' ? template : undefined, status, seconds);
    const summary = this.summaryOf(pluginId);
    summary.requests++;
    summary.requestSeconds += seconds;
    summary.recent.add(Math.floor(began / 1000));
    if (status >= 500) summary.serverErrors++;
  }

  taskRan(pluginId: string, task: string, seconds: number, failed: boolean): void {
    const { taskRuns, taskSeconds, taskFailures } = this.prom;
    taskRuns.inc({ plugin: pluginId, task });
    taskSeconds.observe({ plugin: pluginId, task }, seconds);
    if (failed) taskFailures.inc({ plugin: pluginId, task });
    const summary = this.summaryOf(pluginId);
    summary.taskRuns++;
    if (failed) summary.taskFailures++;
  }

  jobRan(pluginId: string, queue: string, seconds: number, outcome: JobOutcome): void {
    const { jobs, jobSeconds } = this.prom;
    jobs.inc({ plugin: pluginId, queue, outcome });
    jobSeconds.observe({ plugin: pluginId, queue }, seconds);
    const summary = this.summaryOf(pluginId);
    if (outcome === 'completed') summary.jobsCompleted++;
    else if (outcome === 'failed') summary.jobsFailed++;
    else summary.jobsRetried++;
  }

  loopBlocked(pluginId: string | undefined, seconds: number, at: Date): void {
    const prom = this.prom;
    if (pluginId === undefined) {
      prom.hostLoopBlocks.inc();
      prom.hostLoopBlockedSeconds.inc(seconds);
      return;
    }
    prom.loopBlocks.inc({ plugin: pluginId });
    prom.loopBlockedSeconds.inc({ plugin: pluginId }, seconds);
    const summary = this.summaryOf(pluginId);
    summary.loopBlocks++;
    summary.lastLoopBlock = { ms: Math.round(seconds * 1000), at: at.toISOString() };
  }

  operation(pluginId: string, operation: 'enable' | 'disable' | 'upgrade', outcome: 'ok' | 'refused' | 'failed', seconds: number): void {
    const { operations, operationSeconds } = this.prom;
    operations.inc({ plugin: pluginId, operation, outcome });
    operationSeconds.observe({ plugin: pluginId, operation }, seconds);
  }

  summary(pluginId: string): PluginMetricsSummary {
    const { requestSeconds, recent, ...summary } = this.summaryOf(pluginId);
    return {
      ...summary,
      requestsLastMinute: recent.sinceSecond(Math.floor(performance.now() / 1000) - RECENT_SECONDS + 1),
      meanRequestMs: summary.requests ? Math.round((requestSeconds / summary.requests) * 10000) / 10 : null,
    };
  }

  /** The exposition text, without the series of plugins no longer installed. */
  async scrape(): Promise<string> {
    await this.forgetUninstalled();
    return this.prom.registry.metrics();
  }

  get contentType(): string {
    return this.prom.registry.contentType;
  }

  private async forgetUninstalled(): Promise<void> {
    const installed = new Set(this.source.installed());
    this.requests.forget(installed);
    for (const id of this.summaries.keys()) if (!installed.has(id)) this.summaries.delete(id);
    for (const metric of this.prom.perPlugin) {
      const { values } = await metric.get();
      for (const { labels } of values) {
        if (typeof labels.plugin !== 'string' || installed.has(labels.plugin)) continue;
        const { le: _bucket, ...series } = labels;
        metric.remove(series as Record<string, string | number>);
      }
    }
  }

  private summaryOf(pluginId: string) {
    let summary = this.summaries.get(pluginId);
    if (!summary) {
      summary = {
        requests: 0,
        serverErrors: 0,
        meanRequestMs: null,
        taskRuns: 0,
        taskFailures: 0,
        jobsCompleted: 0,
        jobsFailed: 0,
        jobsRetried: 0,
        loopBlocks: 0,
        lastLoopBlock: null,
        requestSeconds: 0,
        recent: new RecentCounts(),
      };
      this.summaries.set(pluginId, summary);
    }
    return summary;
  }
}
