import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';

describe('PluginMetrics', () => {
  it('loads prom-client at the first scrape, not at start, and the scrape holds what was counted before', async () => {
    let loads = 0;
    jest.doMock('prom-client', () => {
      loads++;
      return jest.requireActual('prom-client');
    });
    const { PluginMetrics } = require('./plugin-metrics') as typeof import('./plugin-metrics');
    const metrics = new PluginMetrics({ installed: () => ['a'], activePlugins: () => 1, unhandledErrors: () => 2 });
    const req = { method: 'GET', route: { path: '/api/plugins/a/items' } } as unknown as IncomingMessage;
    metrics.requestAnswered('a', req, 200, performance.now());
    metrics.requestAnswered('a', req, 503, performance.now());
    expect(metrics.summary('a')).toMatchObject({ requests: 2, serverErrors: 1 });
    expect(loads).toBe(0);

    const text = await metrics.scrape();
    expect(loads).toBe(1);
    expect(text).toContain('appnest_plugin_requests_total{plugin="a",method="GET",route="/items",status_class="2xx"} 1');
    expect(text).toContain('appnest_plugin_requests_total{plugin="a",method="GET",route="/items",status_class="5xx"} 1');
    expect(text).toContain('appnest_plugin_unhandled_errors_total{plugin="a"} 2');
    expect(text).toContain('appnest_active_plugins 1');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(metrics.contentType).toMatch(/^text\/plain/);

    metrics.taskRan('a', 'tick', 0.01, true);
    expect(await metrics.scrape()).toContain('appnest_plugin_task_failures_total{plugin="a",task="tick"} 1');
    expect(loads).toBe(1);
  });
});
