import { Registry } from 'prom-client';
import { RequestSeries } from './request-series';

describe('RequestSeries', () => {
  it('exposes requests by route and status class, and a cumulative duration histogram, as prom-client would', async () => {
    const registry = new Registry();
    const series = new RequestSeries([0.01, 0.1]);
    series.register(registry);
    series.record('notes', 'GET', '/api/plugins/notes/notes/:id', 200, 0.004);
    series.record('notes', 'GET', '/api/plugins/notes/notes/:id', 404, 0.05);
    series.record('notes', 'GET', '/api/plugins/notes/notes/:id', 200, 0.5);
    series.record('notes', 'POST', '/api/plugins/notes', 201, 0.01);
    // Two templates outside the plugin's prefix, and none at all: one `unmatched` series, not three.
    series.record('notes', 'GET', '*', 404, 0.001);
    series.record('notes', 'GET', '/{*path}', 404, 0.001);
    series.record('notes', 'GET', undefined, 404, 0.001);
    const lines = (await registry.metrics()).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE appnest_plugin_requests_total counter',
        'appnest_plugin_requests_total{plugin="notes",method="GET",route="/notes/:id",status_class="2xx"} 2',
        'appnest_plugin_requests_total{plugin="notes",method="GET",route="/notes/:id",status_class="4xx"} 1',
        'appnest_plugin_requests_total{plugin="notes",method="POST",route="/",status_class="2xx"} 1',
        'appnest_plugin_requests_total{plugin="notes",method="GET",route="unmatched",status_class="4xx"} 3',
        '# TYPE appnest_plugin_request_duration_seconds histogram',
        'appnest_plugin_request_duration_seconds_bucket{le="0.01",plugin="notes",method="GET",route="/notes/:id"} 1',
        'appnest_plugin_request_duration_seconds_bucket{le="0.1",plugin="notes",method="GET",route="/notes/:id"} 2',
        'appnest_plugin_request_duration_seconds_bucket{le="+Inf",plugin="notes",method="GET",route="/notes/:id"} 3',
        'appnest_plugin_request_duration_seconds_sum{plugin="notes",method="GET",route="/notes/:id"} 0.554',
        'appnest_plugin_request_duration_seconds_count{plugin="notes",method="GET",route="/notes/:id"} 3',
        'appnest_plugin_request_duration_seconds_bucket{le="0.01",plugin="notes",method="POST",route="/"} 1',
      ]),
    );
    expect(lines.filter((l) => l.includes('route="unmatched"') && l.startsWith('appnest_plugin_requests_total'))).toHaveLength(1);
  });

  it('forgets the series of plugins no longer installed', async () => {
    const registry = new Registry();
    const series = new RequestSeries([0.1]);
    series.register(registry);
    series.record('a', 'GET', '/api/plugins/a/x', 200, 0.01);
    series.record('b', 'GET', '/api/plugins/b/x', 200, 0.01);
    series.forget(new Set(['b']));
    const text = await registry.metrics();
    expect(text).not.toContain('plugin="a"');
    expect(text).toContain('appnest_plugin_requests_total{plugin="b",method="GET",route="/x",status_class="2xx"} 1');
  });
});
