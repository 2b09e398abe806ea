import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip } from '../src/archive/test-zip';
import { describeDb } from './support/test-database';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';
import { versionedZip } from './support/versioned-plugin';
import { uploadZip } from './support/zips';

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
    // All five were made within the last minute: the rate counts them too.
    expect(body.metrics).toMatchObject({ requests: 5, requestsLastMinute: 5, serverErrors: 1 });
    expect(body.metrics.taskFailures).toBeGreaterThanOrEqual(1);
    expect(body.metrics.meanRequestMs).toBeGreaterThan(0);
    const echo = (await sandbox.request('GET', '/api/admin/plugins/echo')).body;
    expect(echo.metrics).toEqual({
      requests: 3,
      requestsLastMinute: 3,
      serverErrors: 0,
      meanRequestMs: expect.any(Number),
      taskRuns: 0,
      taskFailures: 0,
      jobsCompleted: 0,
      jobsFailed: 0,
      jobsRetried: 0,
      loopBlocks: 0,
      lastLoopBlock: null,
    });
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

describeDb('the metrics token', () => {
  let sandbox: TestSandbox;
  beforeAll(async () => {
    sandbox = await TestSandbox.create(['echo']);
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('lets APPNEST_METRICS_TOKEN scrape /metrics and nothing else', async () => {
    await sandbox.start({ metricsToken: 'scraper-token' });
    const scraped = await sandbox.request<string>('GET', '/metrics', undefined, 'scraper-token');
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('appnest_active_plugins');
    expect((await sandbox.request('GET', '/metrics')).status).toBe(200);
    for (const [method, path] of [
      ['GET', '/api/admin/plugins'],
      ['GET', '/api/admin/plugins/echo'],
      ['GET', '/api/admin/plugins/echo/logs'],
      ['POST', '/api/admin/plugins/echo/enabled'],
    ]) {
      const refused = await sandbox.request(method, path, method === 'POST' ? { enabled: true, acceptRisk: true } : undefined, 'scraper-token');
      expect({ path, status: refused.status, code: refused.body.code }).toEqual({ path, status: 401, code: 'PLG_UNAUTHORIZED' });
    }
    const wrong = await sandbox.request('GET', '/metrics', undefined, 'not-the-token');
    expect(wrong).toMatchObject({ status: 401, body: { code: 'PLG_UNAUTHORIZED', hint: expect.stringContaining('APPNEST_METRICS_TOKEN') } });
  });

  it("reads the token from the data folder's metrics-token file at each scrape, when APPNEST_METRICS_TOKEN is unset", async () => {
    await sandbox.start();
    expect((await sandbox.request('GET', '/metrics', undefined, 'file-token')).status).toBe(401);
    writeFileSync(join(sandbox.dataDir, 'metrics-token'), 'file-token\n', { mode: 0o600 });
    expect((await sandbox.request('GET', '/metrics', undefined, 'file-token')).status).toBe(200);
    expect((await sandbox.request('GET', '/api/admin/plugins', undefined, 'file-token')).status).toBe(401);
    writeFileSync(join(sandbox.dataDir, 'metrics-token'), 'rotated-token\n');
    expect((await sandbox.request('GET', '/metrics', undefined, 'file-token')).status).toBe(401);
    expect((await sandbox.request('GET', '/metrics', undefined, 'rotated-token')).status).toBe(200);
    expect((await sandbox.request('GET', '/metrics', undefined, ADMIN_TOKEN)).status).toBe(200);
  });
});

describeDb('job and upgrade metrics', () => {
  let sandbox: TestSandbox;
  const scrape = async () => (await sandbox.request<string>('GET', '/metrics')).body;
  const jobs = (text: string, queue: string, outcome: string) => sample(text, 'appnest_plugin_jobs_total', { plugin: 'jobs-worker', queue, outcome });

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['jobs-worker']);
    await sandbox.start();
    expect((await sandbox.enable('jobs-worker')).status).toBe(200);
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('counts each job attempt of a plugin handler exactly: completed, retried and failed, with its duration', async () => {
    const send = async (queue: string, data: object) => expect((await sandbox.request('POST', `/api/plugins/jobs-worker/send/${queue}`, { data }, null)).status).toBe(201);
    for (const key of ['a', 'b', 'c']) await send('record', { key });
    await send('flaky', { succeedOn: 2 });
    await send('doomed', {});
    const settled = (text: string) => jobs(text, 'record', 'completed') === 3 && jobs(text, 'flaky', 'completed') === 1 && jobs(text, 'doomed', 'failed') === 1;
    let text = await scrape();
    for (let i = 0; i < 300 && !settled(text); i++) {
      await sleep(100);
      text = await scrape();
    }
    // Nothing more is coming: no attempt is counted twice.
    await sleep(1500);
    text = await scrape();
    expect(jobs(text, 'record', 'completed')).toBe(3);
    expect(jobs(text, 'record', 'retried')).toBeUndefined();
    expect(jobs(text, 'flaky', 'retried')).toBe(2);
    expect(jobs(text, 'flaky', 'completed')).toBe(1);
    expect(jobs(text, 'flaky', 'failed')).toBeUndefined();
    expect(jobs(text, 'doomed', 'retried')).toBe(1);
    expect(jobs(text, 'doomed', 'failed')).toBe(1);
    expect(sample(text, 'appnest_plugin_job_duration_seconds_count', { plugin: 'jobs-worker', queue: 'flaky' })).toBe(3);
    expect(sample(text, 'appnest_plugin_job_duration_seconds_count', { plugin: 'jobs-worker', queue: 'record' })).toBe(3);
    const { body } = await sandbox.request('GET', '/api/admin/plugins/jobs-worker');
    expect(body.metrics).toMatchObject({ jobsCompleted: 4, jobsRetried: 3, jobsFailed: 1 });
  });

  it('counts an upgrade (an install over an installed version) by outcome, and a first install not at all', async () => {
    const upload = (zip: Buffer, overwrite: boolean) => uploadZip(sandbox.host!.url, ADMIN_TOKEN, zip, 'vers.zip', overwrite);
    const upgrades = (text: string, outcome: string) => sample(text, 'appnest_plugin_operations_total', { plugin: 'vers', operation: 'upgrade', outcome });
    expect((await upload(versionedZip('1.0.0'), false)).status).toBe(201);
    expect((await sandbox.enable('vers')).status).toBe(200);
    expect(sample(await scrape(), 'appnest_plugin_operation_duration_seconds_count', { plugin: 'vers', operation: 'upgrade' })).toBeUndefined();
    expect((await upload(versionedZip('1.0.1'), true)).status).toBe(201);
    expect((await upload(versionedZip('1.0.2'), true)).status).toBe(201);
    expect((await upload(versionedZip('1.0.3'), false)).body.code).toBe('PLG_ALREADY_INSTALLED');
    const throwing = buildZip([
      { name: 'plugin.json', data: JSON.stringify({ id: 'vers', name: 'Vers', version: '2.0.0' }) },
      { name: 'app.module.ts', data: "import { Module } from '@nestjs/common';\n@Module({})\nexport class VersModule {\n  constructor() {\n    throw new Error('2.0.0 cannot start');\n  }\n}\n" },
    ]);
    expect((await upload(throwing, true)).body.code).toBe('PLG_START_FAILED');
    const text = await scrape();
    expect(upgrades(text, 'ok')).toBe(2);
    expect(upgrades(text, 'refused')).toBe(1);
    expect(upgrades(text, 'failed')).toBe(1);
    expect(sample(text, 'appnest_plugin_operation_duration_seconds_count', { plugin: 'vers', operation: 'upgrade' })).toBe(4);
    expect((await sandbox.request('GET', '/api/plugins/vers/version')).body).toEqual({ version: '1.0.2' });
  });
});
