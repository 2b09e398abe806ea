import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeDb } from '../support/test-database';
import { REPO } from '../support/processes';
import { TestSandbox } from '../support/test-host';
import { browserTestsUnavailable, launchBrowser } from './browser-setup';
import { openPage, pluginCard, signIn } from './spa-page';

const describeBrowser = browserTestsUnavailable() ? describe.skip : describeDb;
const ARTIFACTS = join(REPO, '.tmp', 'browser-artifacts');

describeBrowser('the admin page in Chromium: a plugin’s metrics, health and logs on its card', () => {
  let sandbox: TestSandbox;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['metered', 'logs', 'health-probe']);
    await sandbox.start();
    for (const id of ['metered', 'logs', 'health-probe']) expect((await sandbox.enable(id)).status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.dispose();
    await sandbox?.dispose();
  });

  it('shows the requests, server errors and task failures the plugin had', async () => {
    for (const path of ['items/1', 'items/2', 'broken']) await sandbox.request('GET', `/api/plugins/metered/${path}`);
    for (let i = 0; i < 100 && !(await sandbox.request('GET', '/api/admin/plugins/metered')).body.metrics.taskFailures; i++) await new Promise((r) => setTimeout(r, 20));
    const page = await openPage(browser, `${sandbox.host!.url}/admin`);
    await signIn(page);
    const metrics = pluginCard(page, 'Metered').getByRole('definition');
    const figure = (name: string) => pluginCard(page, 'Metered').locator(`[data-metric="${name}"]`).textContent();
    await metrics.first().waitFor();
    expect(await figure('requests')).toBe('3');
    expect(await figure('requests-last-minute')).toBe('3 req/min');
    expect(await figure('server-errors')).toBe('1');
    expect(await figure('mean-request-ms')).toMatch(/^\d+(\.\d)? ms$/);
    expect(Number(await figure('task-failures'))).toBeGreaterThanOrEqual(1);
    mkdirSync(ARTIFACTS, { recursive: true });
    await pluginCard(page, 'Metered').screenshot({ path: join(ARTIFACTS, 'plugin-metrics.png') });
    expect(page.errors).toEqual([]);
  });

  it('shows each plugin’s health, with the reason its check gives when it is not ok', async () => {
    expect((await sandbox.request('POST', '/api/plugins/health-probe/mode/degraded')).status).toBe(201);
    const page = await openPage(browser, `${sandbox.host!.url}/admin`);
    await signIn(page);
    const probe = pluginCard(page, 'Health probe');
    await probe.locator('[data-health]').waitFor();
    expect(await probe.locator('[data-health]').getAttribute('data-health')).toBe('degraded');
    expect(await probe.locator('[data-health-reason]').textContent()).toContain('Health degraded the probe says degraded');
    expect(await pluginCard(page, 'Metered').locator('[data-health]').textContent()).toBe('health: ok');
    expect(await pluginCard(page, 'Metered').locator('[data-health-reason]').count()).toBe(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await probe.screenshot({ path: join(ARTIFACTS, 'plugin-health-degraded.png') });

    expect((await sandbox.request('POST', '/api/plugins/health-probe/mode/throw')).status).toBe(201);
    await page.reload();
    await probe.locator('[data-health="failed"]').waitFor();
    expect(await probe.locator('[data-health-reason]').textContent()).toContain('the probe cannot reach its upstream');
    await probe.screenshot({ path: join(ARTIFACTS, 'plugin-health-failed.png') });
    expect(page.errors).toEqual([]);
  });

  it('shows the last log lines and changes the log level live', async () => {
    expect((await sandbox.request('GET', '/api/plugins/logs/hello')).status).toBe(200);
    const page = await openPage(browser, `${sandbox.host!.url}/admin`);
    await signIn(page);
    const card = pluginCard(page, 'Logs');
    await card.getByText(/^Last log lines/).click();
    expect(await card.getByLabel('Log lines of Logs').textContent()).toContain('[plugin:logs] LogsController: said hello');
    await card.getByLabel('Log level of Logs').selectOption('debug');
    await page.getByRole('status').filter({ hasText: "Plugin 'Logs' logs at debug now." }).waitFor();
    expect((await sandbox.request('GET', '/api/admin/plugins/logs/logs')).body.logLevel).toBe('debug');
    await page.waitForFunction("document.querySelector('[aria-label=\"Log level of Logs\"]')?.value === 'debug'");
    mkdirSync(ARTIFACTS, { recursive: true });
    await card.screenshot({ path: join(ARTIFACTS, 'plugin-logs.png') });
    expect(page.errors).toEqual([]);
  });
});
