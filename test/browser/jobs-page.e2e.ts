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
    sandbox = await TestSandbox.create(['jobs-progress']);
    cpSync(join(ROOT, 'plugins', 'notes'), join(sandbox.pluginsDir, 'notes'), { recursive: true });
    await sandbox.start();
    expect((await sandbox.enable('notes')).status).toBe(200);
    expect((await sandbox.enable('jobs-progress')).status).toBe(200);
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
    await card.locator('.job-progress[data-job-state="completed"][data-progress="100"]').waitFor();
    await page.getByRole('status').filter({ hasText: 'Make a digest: job completed' }).waitFor();

    await card.getByText('Background jobs').click();
    const row = card.locator('tr[data-queue="digest"]');
    await row.waitFor();
    expect((await row.locator('td').allTextContents()).map((cell) => cell.trim())).toEqual(['digest', '0', '0', '1', '0', '0']);
    const notes = (await sandbox.request('GET', '/api/plugins/notes/notes', undefined, null)).body as { title: string }[];
    expect(notes.map((note) => note.title)).toContain('Digest');
    expect(page.errors).toEqual([]);
  });

  it('shows the progress a running job reports as a bar with its percentage, step by step', async () => {
    const page = await openPage(browser, `${sandbox.host!.url}/admin`);
    await signIn(page);
    const card = pluginCard(page, 'Jobs progress');
    await card.getByRole('button', { name: 'Import' }).click();
    const followed = card.locator('.job-progress');
    await card.locator('.job-progress[data-job-state="active"]').waitFor();
    expect(await followed.locator('progress').count()).toBe(0); // nothing reported yet

    const seen: string[] = [];
    for (const percent of [25, 50, 75]) {
      await nextStep();
      const shown = card.locator(`.job-progress[data-job-state="active"][data-progress="${percent}"]`);
      await shown.waitFor();
      expect(await shown.locator('progress.job-progress-bar').getAttribute('value')).toBe(String(percent));
      seen.push((await shown.locator('.job-percent').textContent())!.trim());
    }
    expect(seen).toEqual(['25%', '50%', '75%']);

    await nextStep();
    await card.locator('.job-progress[data-job-state="completed"][data-progress="100"]').waitFor();
    expect((await followed.locator('.job-percent').textContent())!.trim()).toBe('100%');
    expect(page.errors).toEqual([]);
  });

  /** Lets the import take its next step, once it waits for one. */
  async function nextStep(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if ((await sandbox.request('POST', '/api/plugins/jobs-progress/next', {}, null)).body.stepped) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the import never waited for its next step');
  }
});
