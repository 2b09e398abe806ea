import type { Metric, Registry } from 'prom-client';

interface RouteSeries {
  labels: { plugin: string; method: string; route: string };
  /** Responses by status class: index 1 to 5 for 1xx to 5xx. */
  byClass: number[];
  /** Per bucket (not cumulative); the last one is +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * The per-request series (`appnest_plugin_requests_total` and
 * `appnest_plugin_request_duration_seconds`), counted in plain arrays and turned into
 * Prometheus samples only when scraped. prom-client's own Counter and Histogram validate and hash
 * the labels on every increment, which cost about 2 % of the CPU of a trivial plugin route; here a
 * request costs one Map lookup and a few increments.
 */
export class RequestSeries {
  /** By plugin: its route of each Express template met, and its series by route then method (no key is built per request). */
  private readonly byPlugin = new Map<string, { routes: Map<string | undefined, string>; series: Map<string, Map<string, RouteSeries>> }>();
  private readonly series = new Set<RouteSeries>();

  constructor(private readonly buckets: number[]) {}

  /** Adds the two series to `registry`, which reads them from the arrays at each scrape. */
  register(registry: Registry): void {
    const read = this.series;
    const bounds = this.buckets;
    // The registry asks each metric for `get()` (name, help, type, values): these two answer it from the arrays.
    const requests = {
      name: 'appnest_plugin_requests_total',
      help: 'HTTP requests a plugin answered, by route template and status class',
      type: 'counter',
      aggregator: 'sum',
      get: async () => ({
        name: requests.name,
        help: requests.help,
        type: requests.type,
        aggregator: requests.aggregator,
        values: [...read.values()].flatMap((s) => s.byClass.flatMap((value, c) => (value ? [{ labels: { ...s.labels, status_class: `${c}xx` }, value }] : []))),
      }),
    };
    const seconds = {
      name: 'appnest_plugin_request_duration_seconds',
      help: 'Time a plugin took to answer a request',
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({
        name: seconds.name,
        help: seconds.help,
        type: seconds.type,
        aggregator: seconds.aggregator,
        values: [...read.values()].flatMap((s) => {
          let cumulative = 0;
          const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = bounds.map((le, i) => {
            cumulative += s.buckets[i];
            return { labels: { le, ...s.labels }, value: cumulative, metricName: `${seconds.name}_bucket` };
          });
          values.push(
            { labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${seconds.name}_bucket` },
            { labels: s.labels, value: s.sum, metricName: `${seconds.name}_sum` },
            { labels: s.labels, value: s.count, metricName: `${seconds.name}_count` },
          );
          return values;
        }),
      }),
    };
    registry.registerMetric(requests as unknown as Metric);
    registry.registerMetric(seconds as unknown as Metric);
  }

  /** One answered request: `template` is the Express route template that matched, if any. */
  record(plugin: string, method: string, template: string | undefined, status: number, seconds: number): void {
    let own = this.byPlugin.get(plugin);
    if (!own) this.byPlugin.set(plugin, (own = { routes: new Map(), series: new Map() }));
    let route = own.routes.get(template);
    if (route === undefined) own.routes.set(template, (route = template === undefined ? 'unmatched' : routeWithinPlugin(template, plugin)));
    let byMethod = own.series.get(route);
    if (!byMethod) own.series.set(route, (byMethod = new Map()));
    let s = byMethod.get(method);
    if (!s) {
      s = { labels: { plugin, method, route }, byClass: [0, 0, 0, 0, 0, 0], buckets: Array.from({ length: this.buckets.length + 1 }, () => 0), sum: 0, count: 0 };
      byMethod.set(method, s);
      this.series.add(s);
    }
    const statusClass = Math.floor(status / 100);
    if (statusClass >= 1 && statusClass <= 5) s.byClass[statusClass]++;
    let i = 0;
    while (i < this.buckets.length && seconds > this.buckets[i]) i++;
    s.buckets[i]++;
    s.sum += seconds;
    s.count++;
  }

  /** Drops the series of every plugin not in `installed`. */
  forget(installed: Set<string>): void {
    for (const plugin of this.byPlugin.keys()) if (!installed.has(plugin)) this.byPlugin.delete(plugin);
    for (const s of this.series) if (!installed.has(s.labels.plugin)) this.series.delete(s);
  }
}

/**
 * `/api/plugins/notes/notes/:id` → `/notes/:id` (the plugin label already names the plugin). A
 * template outside the prefix is Nest's not-found catch-all: `unmatched`, so that stray URLs
 * cannot grow the number of series.
 */
function routeWithinPlugin(template: string, pluginId: string): string {
  const prefix = `/api/plugins/${pluginId}`;
  if (template === prefix) return '/';
  return template.startsWith(`${prefix}/`) ? template.slice(prefix.length) : 'unmatched';
}
