import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of the one sample named `name` whose labels include `labels`, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found.length ? Number(found[0].slice(found[0].lastIndexOf(' ') + 1)) : undefined;
}

describeDb('metrics', () => {
  let sandbox: TestSandbox;
  const scrape = async () => {
    const reply = await sandbox.request<string>('GET', '/metrics');
    expect(reply.status).toBe(200);
    return reply.body;
  };

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['metered', 'echo']);
    await sandbox.start();
    expect((await sandbox.enable('metered')).status).toBe(200);
    expect((await sandbox.enable('echo')).status).toBe(200);
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('refuses a scrape without the admin token', async () => {
    expect((await sandbox.request('GET', '/metrics', undefined, null)).status).toBe(401);
  });

  it('counts each plugin request exactly, by route template and status class', async () => {
    for (const path of ['items/1', 'items/2', 'items/missing', 'broken', 'nowhere']) await sandbox.request('GET', `/api/plugins/metered/${path}`);
    for (const word of ['a', 'b', 'c']) expect((await sandbox.request('GET', `/api/plugins/echo/say/${word}`)).status).toBe(200);
    const text = await scrape();
    const requests = (labels: Record<string, string>) => sample(text, 'appnest_plugin_requests_total', labels);
    expect(requests({ plugin: 'metered', route: '/items/:id', status_class: '2xx' })).toBe(2);
    expect(requests({ plugin: 'metered', route: '/items/:id', status_class: '4xx' })).toBe(1);
    expect(requests({ plugin: 'metered', route: '/broken', status_class: '5xx' })).toBe(1);
    expect(requests({ plugin: 'metered', route: 'unmatched', status_class: '4xx' })).toBe(1);
    expect(requests({ plugin: 'echo', method: 'GET', route: '/say/:word', status_class: '2xx' })).toBe(3);
    expect(sample(text, 'appnest_plugin_request_duration_seconds_count', { plugin: 'echo', route: '/say/:word' })).toBe(3);
    expect(sample(text, 'appnest_plugin_request_duration_seconds_count', { plugin: 'metered', route: '/items/:id' })).toBe(3);
  });

  it('counts a failing task run as a run and a failure of its plugin, and nothing for the others', async () => {
    for (let i = 0; i < 100 && !sample(await scrape(), 'appnest_plugin_task_failures_total', { plugin: 'metered' }); i++) await sleep(20);
    const text = await scrape();
    const failures = sample(text, 'appnest_plugin_task_failures_total', { plugin: 'metered', task: 'explodes' }) ?? 0;
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'appnest_plugin_task_runs_total', { plugin: 'metered', task: 'explodes' })).toBeGreaterThanOrEqual(failures);
    expect(sample(text, 'appnest_plugin_task_duration_seconds_count', { plugin: 'metered', task: 'explodes' })).toBeGreaterThanOrEqual(failures);
    expect(sample(text, 'appnest_plugin_task_failures_total', { plugin: 'echo' })).toBeUndefined();
    expect(sample(text, 'appnest_plugin_unhandled_errors_total', { plugin: 'metered' })).toBe(0);
  });

  it('counts enable operations with their duration, and reports the host series', async () => {
    const text = await scrape();
    expect(sample(text, 'appnest_plugin_operations_total', { plugin: 'metered', operation: 'enable', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'appnest_plugin_operation_duration_seconds_count', { plugin: 'echo', operation: 'enable' })).toBe(1);
    expect(sample(text, 'appnest_active_plugins')).toBe(2);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('summarises the same figures in the admin API', async () => {
    const { body } = await sandbox.request('GET', '/api/admin/plugins/metered');
    expect(body.metrics).toMatchObject({ requests: 5, serverErrors: 1 });
    expect(body.metrics.taskFailures).toBeGreaterThanOrEqual(1);
    expect(body.metrics.meanRequestMs).toBeGreaterThan(0);
    const echo = (await sandbox.request('GET', '/api/admin/plugins/echo')).body;
    expect(echo.metrics).toEqual({ requests: 3, serverErrors: 0, meanRequestMs: expect.any(Number), taskRuns: 0, taskFailures: 0 });
  });

  it('drops every series of a plugin once it is uninstalled', async () => {
    expect((await sandbox.disable('metered')).status).toBe(200);
    expect((await sandbox.request('DELETE', '/api/admin/plugins/metered')).status).toBe(200);
    const text = await scrape();
    expect(text).not.toContain('plugin="metered"');
    expect(sample(text, 'appnest_plugin_requests_total', { plugin: 'echo', route: '/say/:word' })).toBe(3);
    expect(sample(text, 'appnest_active_plugins')).toBe(1);
  });
});

describeDb('metrics turned off', () => {
  it('counts no plugin request with APPNEST_METRICS=0, and still serves the host series', async () => {
    const sandbox = await TestSandbox.create(['echo']);
    try {
      await sandbox.start({ metrics: false });
      expect((await sandbox.enable('echo')).status).toBe(200);
      expect((await sandbox.request('GET', '/api/plugins/echo/say/a')).status).toBe(200);
      const text = (await sandbox.request<string>('GET', '/metrics')).body;
      expect(sample(text, 'appnest_plugin_requests_total', { plugin: 'echo' })).toBeUndefined();
      expect(sample(text, 'appnest_active_plugins')).toBe(1);
      expect((await sandbox.request('GET', '/api/admin/plugins/echo')).body.metrics).toMatchObject({ requests: 0 });
    } finally {
      await sandbox.dispose();
    }
  });
});
