import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeDb } from '../support/test-database';
import { REPO } from '../support/processes';
import { ADMIN_TOKEN, TestSandbox } from '../support/test-host';
import { versionedZip } from '../support/versioned-plugin';
import { uploadZip } from '../support/zips';
import { browserTestsUnavailable, launchBrowser } from './browser-setup';
import { openPage, pluginCard, signIn } from './spa-page';

const describeBrowser = browserTestsUnavailable() ? describe.skip : describeDb;
const ARTIFACTS = join(REPO, '.tmp', 'browser-artifacts');

describeBrowser('the admin page in Chromium: rolling an upgrade back from its card', () => {
  let sandbox: TestSandbox;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;

  beforeAll(async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start({ upgradeProbeMs: 0 });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.dispose();
    await sandbox?.dispose();
  });

  it('offers the version the last upgrade kept, rolls back to it after a confirmation, and says so on the card', async () => {
    const url = sandbox.host!.url;
    expect((await uploadZip(url, ADMIN_TOKEN, versionedZip('1.0.0'), 'vers.zip')).status).toBe(201);
    expect((await sandbox.enable('vers')).status).toBe(200);
    expect((await uploadZip(url, ADMIN_TOKEN, versionedZip('1.0.1'), 'vers.zip', true)).status).toBe(201);

    const page = await openPage(browser, `${url}/admin`);
    await signIn(page);
    const card = pluginCard(page, 'Vers');
    const button = card.getByRole('button', { name: 'Roll back to 1.0.0' });
    await button.click();
    const dialog = page.getByRole('dialog', { name: "Roll plugin 'Vers' back to 1.0.0?" });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('migrations of 1.0.1 are not reverted');
    await dialog.getByRole('button', { name: 'Roll back to 1.0.0' }).click();

    await card.locator('[data-rollback]').waitFor();
    expect(await card.locator('[data-rollback]').textContent()).toContain('Rolled back: 1.0.1 → 1.0.0');
    expect(await card.locator('h2').textContent()).toContain('1.0.0');
    expect(await button.count()).toBe(0);
    expect((await sandbox.request('GET', '/api/plugins/vers/version')).body).toEqual({ version: '1.0.0' });
    mkdirSync(ARTIFACTS, { recursive: true });
    await card.screenshot({ path: join(ARTIFACTS, 'plugin-rolled-back.png') });
    expect(page.errors).toEqual([]);
  });
});
