import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describeDb } from '../support/test-database';
import { TestSandbox } from '../support/test-host';
import { browserTestsUnavailable, launchBrowser } from './browser-setup';
import { navLink, openPage } from './spa-page';

const ROOT = join(__dirname, '..', '..');
const unavailable = browserTestsUnavailable();
const describeBrowser = unavailable ? describe.skip : describeDb;

describeBrowser('the shipped examples in Chromium: notes (backend + Vite frontend) and clock (frontend only)', () => {
  let sandbox: TestSandbox;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let url: string;

  beforeAll(async () => {
    sandbox = await TestSandbox.create();
    cpSync(join(ROOT, 'plugins', 'notes'), join(sandbox.pluginsDir, 'notes'), { recursive: true });
    cpSync(join(ROOT, 'frontend-plugins', 'clock'), join(sandbox.frontendPluginsDir, 'clock'), { recursive: true });
    await sandbox.start();
    url = sandbox.host!.url;
    for (const id of ['notes', 'clock']) expect((await sandbox.enable(id)).status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.dispose();
    await sandbox?.dispose();
  });

  it('lists, adds and deletes notes on the Notes page through the host API client', async () => {
    const page = await openPage(browser, `${url}/`);
    await navLink(page, 'Notes').click();
    await page.getByRole('heading', { name: 'Notes', exact: true }).waitFor();
    await page.getByLabel('Title').fill('Buy milk');
    await page.getByLabel('Text').fill('Two litres');
    await page.getByRole('button', { name: 'Add note' }).click();
    const list = page.getByRole('list', { name: 'Notes' });
    await list.getByText('Buy milk').waitFor();
    expect(await list.textContent()).toContain('Two litres');
    const stored = await sandbox.request('GET', '/api/plugins/notes/notes', undefined, null);
    expect(stored.body.map((n: { title: string }) => n.title)).toContain('Buy milk');

    await list.getByRole('button', { name: 'Delete Buy milk' }).click();
    await list.getByText('Buy milk').waitFor({ state: 'detached' });
    expect(page.errors).toEqual([]);
  });

  it('shows the clock widget on the home page and the clock page from the frontend-only bundle', async () => {
    const page = await openPage(browser, `${url}/`);
    const widget = page.getByRole('region', { name: 'Clock' });
    await widget.locator('.clock-time').waitFor();
    expect(await widget.locator('.clock-time').textContent()).toMatch(/\d{2}.\d{2}.\d{2}/);
    await navLink(page, 'Clock').click();
    await page.getByRole('heading', { name: 'World clock' }).waitFor();
    expect(await page.getByRole('list', { name: 'Time zones' }).getByRole('listitem').count()).toBe(5);
    expect(page.errors).toEqual([]);
  });
});
