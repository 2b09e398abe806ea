import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
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

/**
 * The host's Prometheus registry: per-plugin series labelled `plugin` (requests by route template
 * and status class, request, task and job durations, task runs and failures, job attempts by
 * outcome, unhandled errors, blocks of the event loop, enable/disable/upgrade operations) and the
 * host's (event-loop lag and blocks outside any plugin, heap, active plugins). One per host,
 * so several hosts in one process (tests) never mix their figures.
 */
export class PluginMetrics implements TaskObserver, JobObserver, BlockObserver {
  readonly registry = new Registry();
  private readonly summaries = new Map<string, Omit<PluginMetricsSummary, 'requestsLastMinute'> & { requestSeconds: number; recent: RecentCounts }>();
  /** Requests by route and status class, and their durations: counted outside prom-client, the hot path. */
  private readonly requests = new RequestSeries(this.registry, DURATION_BUCKETS);
  private readonly taskRuns = new Counter({
    name: 'appnest_plugin_task_runs_total',
    help: 'Scheduled-task runs of a plugin on this instance',
    labelNames: ['plugin', 'task'],
    registers: [this.registry],
  });
  private readonly taskFailures = new Counter({
    name: 'appnest_plugin_task_failures_total',
    help: 'Scheduled-task runs of a plugin that threw',
    labelNames: ['plugin', 'task'],
    registers: [this.registry],
  });
  private readonly taskSeconds = new Histogram({
    name: 'appnest_plugin_task_duration_seconds',
    help: 'Time a scheduled-task run took',
    labelNames: ['plugin', 'task'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly jobs = new Counter({
    name: 'appnest_plugin_jobs_total',
    help: 'Job attempts a plugin handler finished on this instance, by outcome: completed, retried (failed, pg-boss retries it), failed (no retry left)',
    labelNames: ['plugin', 'queue', 'outcome'],
    registers: [this.registry],
  });
  private readonly jobSeconds = new Histogram({
    name: 'appnest_plugin_job_duration_seconds',
    help: 'Time a job attempt of a plugin handler took',
    labelNames: ['plugin', 'queue'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly operations = new Counter({
    name: 'appnest_plugin_operations_total',
    help: 'Enable, disable and upgrade operations on a plugin, by outcome',
    labelNames: ['plugin', 'operation', 'outcome'],
    registers: [this.registry],
  });
  private readonly operationSeconds = new Histogram({
    name: 'appnest_plugin_operation_duration_seconds',
    help: 'Time an enable, disable or upgrade operation took',
    labelNames: ['plugin', 'operation'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly loopBlocks = new Counter({
    name: 'appnest_plugin_event_loop_blocks_total',
    help: 'Times a plugin blocked the event loop for at least APPNEST_BLOCKED_LOOP_MS',
    labelNames: ['plugin'],
    registers: [this.registry],
  });
  private readonly loopBlockedSeconds = new Counter({
    name: 'appnest_plugin_event_loop_blocked_seconds_total',
    help: 'Time the event loop was blocked by a plugin, in blocks of at least APPNEST_BLOCKED_LOOP_MS',
    labelNames: ['plugin'],
    registers: [this.registry],
  });
  private readonly hostLoopBlocks = new Counter({
    name: 'appnest_host_event_loop_blocks_total',
    help: 'Times the event loop was blocked for at least APPNEST_BLOCKED_LOOP_MS outside any plugin',
    registers: [this.registry],
  });
  private readonly hostLoopBlockedSeconds = new Counter({
    name: 'appnest_host_event_loop_blocked_seconds_total',
    help: 'Time the event loop was blocked outside any plugin, in blocks of at least APPNEST_BLOCKED_LOOP_MS',
    registers: [this.registry],
  });
  private readonly perPlugin: (Counter<string> | Histogram<string>)[] = [
    this.taskRuns,
    this.taskFailures,
    this.taskSeconds,
    this.jobs,
    this.jobSeconds,
    this.operations,
    this.operationSeconds,
    this.loopBlocks,
    this.loopBlockedSeconds,
  ];

  constructor(private readonly source: MetricsSource) {
    const read = this.source;
    new Counter({
      name: 'appnest_plugin_unhandled_errors_total',
      help: 'Unhandled rejections and exceptions attributed to a plugin',
      labelNames: ['plugin'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const plugin of read.installed()) this.inc({ plugin }, read.unhandledErrors(plugin));
      },
    });
    new Gauge({
      name: 'appnest_active_plugins',
      help: 'Plugins running on this instance',
      registers: [this.registry],
      collect() {
        this.set(read.activePlugins());
      },
    });
    // Event-loop lag, heap, resident memory, CPU, handles: prom-client's process and Node.js series.
    collectDefaultMetrics({ register: this.registry });
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
    this.taskRuns.inc({ plugin: pluginId, task });
    this.taskSeconds.observe({ plugin: pluginId, task }, seconds);
    if (failed) this.taskFailures.inc({ plugin: pluginId, task });
    const summary = this.summaryOf(pluginId);
    summary.taskRuns++;
    if (failed) summary.taskFailures++;
  }

  jobRan(pluginId: string, queue: string, seconds: number, outcome: JobOutcome): void {
    this.jobs.inc({ plugin: pluginId, queue, outcome });
    this.jobSeconds.observe({ plugin: pluginId, queue }, seconds);
    const summary = this.summaryOf(pluginId);
    if (outcome === 'completed') summary.jobsCompleted++;
    else if (outcome === 'failed') summary.jobsFailed++;
    else summary.jobsRetried++;
  }

  loopBlocked(pluginId: string | undefined, seconds: number, at: Date): void {
    if (pluginId === undefined) {
      this.hostLoopBlocks.inc();
      this.hostLoopBlockedSeconds.inc(seconds);
      return;
    }
    this.loopBlocks.inc({ plugin: pluginId });
    this.loopBlockedSeconds.inc({ plugin: pluginId }, seconds);
    const summary = this.summaryOf(pluginId);
    summary.loopBlocks++;
    summary.lastLoopBlock = { ms: Math.round(seconds * 1000), at: at.toISOString() };
  }

  operation(pluginId: string, operation: 'enable' | 'disable' | 'upgrade', outcome: 'ok' | 'refused' | 'failed', seconds: number): void {
    this.operations.inc({ plugin: pluginId, operation, outcome });
    this.operationSeconds.observe({ plugin: pluginId, operation }, seconds);
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
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async forgetUninstalled(): Promise<void> {
    const installed = new Set(this.source.installed());
    this.requests.forget(installed);
    for (const id of this.summaries.keys()) if (!installed.has(id)) this.summaries.delete(id);
    for (const metric of this.perPlugin) {
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
