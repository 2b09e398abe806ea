import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describeDb } from '../support/test-database';
import { TestSandbox } from '../support/test-host';
import { browserTestsUnavailable, launchBrowser } from './browser-setup';
import { openPage, pluginCard, signIn } from './spa-page';

const ROOT = join(__dirname, '..', '..');
const unavailable = browserTestsUnavailable();
const describeBrowser = unavailable ? describe.skip : describeDb;

describeBrowser('background jobs on the admin page in Chromium', () => {
  let sandbox: TestSandbox;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    sandbox = await TestSandbox.create();
    cpSync(join(ROOT, 'plugins', 'notes'), join(sandbox.pluginsDir, 'notes'), { recursive: true });
    await sandbox.start();
    expect((await sandbox.enable('notes')).status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.dispose();
    await sandbox?.dispose();
  });

  it('follows the job an action queued until it completes, then lists the queue under Background jobs', async () => {
    const page = await openPage(browser, `${sandbox.host!.url}/admin`);
    await signIn(page);
    const card = pluginCard(page, 'Notes');
    await card.getByRole('button', { name: 'Make a digest' }).click();
    await page.getByRole('status').filter({ hasText: 'Make a digest: queued as job' }).waitFor();
    await card.locator('.job-progress[data-job-state="completed"]').waitFor();
    await page.getByRole('status').filter({ hasText: 'Make a digest: job completed' }).waitFor();

    await card.getByText('Background jobs').click();
    const row = card.locator('tr[data-queue="digest"]');
    await row.waitFor();
    expect((await row.locator('td').allTextContents()).map((cell) => cell.trim())).toEqual(['digest', '0', '0', '1', '0', '0']);
    const notes = (await sandbox.request('GET', '/api/plugins/notes/notes', undefined, null)).body as { title: string }[];
    expect(notes.map((note) => note.title)).toContain('Digest');
    expect(page.errors).toEqual([]);
  });
});
