import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { describeDb } from '../support/test-database';
import { FIXTURES, TestSandbox } from '../support/test-host';
import { browserTestsUnavailable, launchBrowser } from './browser-setup';
import { dismissNotifications, navLink, openPage, pluginCard, signIn } from './spa-page';

const unavailable = browserTestsUnavailable();
const describeBrowser = unavailable ? describe.skip : describeDb;

/** The fixture as a zip, padded with incompressible bytes so a throttled upload shows its progress. */
function pluginZip(fixture: string, padding = 0): Buffer {
  const zip = new AdmZip();
  zip.addLocalFolder(join(FIXTURES, fixture), fixture);
  if (padding) zip.addFile(`${fixture}/padding.bin`, randomBytes(padding));
  return zip.toBuffer();
}

describeBrowser('the admin page in Chromium: settings, actions, import and uninstall', () => {
  let sandbox: TestSandbox;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let url: string;

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['fe-admin']);
    await sandbox.start();
    url = sandbox.host!.url;
    expect((await sandbox.enable('fe-admin')).status).toBe(200);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.dispose();
    await sandbox?.dispose();
  });

  it('renders the settings form from the schema, shows the server’s per-field errors, then saves', async () => {
    const page = await openPage(browser, `${url}/admin`);
    await signIn(page);
    const form = pluginCard(page, 'Admin fixture').getByRole('form', { name: 'Settings of Admin fixture' });
    expect(await form.getByLabel('Item limit').inputValue()).toBe('5');
    expect(await form.getByLabel('Mode').inputValue()).toBe('safe');
    expect(await form.getByLabel('Verbose logs').isChecked()).toBe(false);
    expect(await form.getByLabel('Notes').evaluate((el) => el.tagName)).toBe('TEXTAREA');
    expect(await form.getByLabel('API key').getAttribute('type')).toBe('password');

    await form.getByLabel('Item limit').fill('50');
    await form.getByRole('button', { name: 'Save settings' }).click();
    const fieldError = form.locator('#setting-fe-admin-limit-error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain('limit');
    expect(await form.getByLabel('Item limit').getAttribute('aria-invalid')).toBe('true');

    await form.getByLabel('Item limit').fill('7');
    await form.getByLabel('Mode').selectOption('fast');
    await form.getByLabel('API key').fill('s3cret');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: "Settings of 'Admin fixture' saved." }).waitFor();
    expect(await fieldError.count()).toBe(0);
    const stored = await sandbox.request('GET', '/api/admin/plugins/fe-admin');
    expect(stored.body.settings).toMatchObject({ limit: 7, mode: 'fast', apiKey: '********' });
    // The form shows the stored secret as kept once the list has reloaded after the save.
    await form.locator('input[type="password"][placeholder*="leave empty to keep"]').waitFor();
  });

  it('runs an action after its confirmation dialog and shows the result', async () => {
    const page = await openPage(browser, `${url}/admin`);
    await signIn(page);
    const card = pluginCard(page, 'Admin fixture');
    await card.getByRole('button', { name: 'Count items' }).click();
    const dialog = page.getByRole('dialog', { name: 'Count every item?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('This reads every item once.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });

    await card.getByRole('button', { name: 'Count items' }).click();
    await dialog.getByRole('button', { name: 'Count items' }).click();
    const done = page.getByRole('status').filter({ hasText: 'Count items:' });
    await done.waitFor();
    expect(await done.textContent()).toContain('"counted":3');
  });

  it('imports a zip from the page, refuses a second copy until “replace” is ticked, then uninstalls it after confirmation, then shows a plugin whose files vanished as missing, with what to do', async () => {
    const page = await openPage(browser, `${url}/admin`);
    await signIn(page);
    const form = page.getByRole('form', { name: 'Import a plugin' });
    const file = { name: 'fe-import.zip', mimeType: 'application/zip', buffer: pluginZip('fe-import', 400_000) };
    const cdp = await browser.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 400_000 });
    await form.getByLabel('Plugin archive (.zip)').setInputFiles(file);
    await form.getByRole('button', { name: 'Import' }).click();
    const progress = form.getByRole('progressbar', { name: 'Upload progress' });
    await page.waitForFunction(
      (el) => {
        const value = Number(el?.getAttribute('value'));
        return value > 0 && value < 1;
      },
      await progress.elementHandle(),
    );
    await page.getByRole('status').filter({ hasText: "Installed plugin 'fe-import'" }).waitFor();
    await progress.waitFor({ state: 'detached' });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const card = pluginCard(page, 'Imported bundle');
    await card.locator('[data-state="installed"]').waitFor();

    await form.getByLabel('Plugin archive (.zip)').setInputFiles(file);
    await form.getByRole('button', { name: 'Import' }).click();
    await form.getByRole('alert').filter({ hasText: 'Replace an installed plugin' }).waitFor();
    await form.getByLabel('Replace an installed plugin with the same id').check();
    await form.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').filter({ hasText: "Installed plugin 'fe-import'" }).nth(1).waitFor();

    await card.getByRole('switch', { name: 'Enable Imported bundle' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Trust and enable' }).click();
    await navLink(page, 'Imported').waitFor();

    await dismissNotifications(page);
    await card.getByRole('button', { name: 'Uninstall' }).click();
    await page.getByRole('dialog', { name: "Uninstall plugin 'Imported bundle'?" }).getByRole('button', { name: 'Uninstall' }).click();
    await navLink(page, 'Imported').waitFor({ state: 'detached' });
    await card.waitFor({ state: 'detached' });
    expect((await sandbox.request('GET', '/api/admin/plugins/fe-import')).status).toBe(404);
    await dismissNotifications(page);

    // Files that vanish without an uninstall leave a missing card that says what to do.
    sandbox.addPlugin('fe-import');
    expect((await sandbox.request('POST', '/api/admin/plugins/reload')).body.added).toEqual(['fe-import']);
    rmSync(join(sandbox.pluginsDir, 'fe-import'), { recursive: true });
    expect((await sandbox.request('POST', '/api/admin/plugins/reload')).body.removed).toEqual(['fe-import']);
    await page.reload();
    const missing = pluginCard(page, 'fe-import');
    await missing.locator('[data-state="missing"]').waitFor();
    await missing.getByRole('alert').filter({ hasText: 'vanished from the plugins folder without an uninstall' }).filter({ hasText: 'Put the folder (or its zip) back and reload' }).waitFor();

    await missing.getByRole('button', { name: 'Uninstall' }).click();
    const purge = page.getByRole('dialog', { name: "Uninstall plugin 'fe-import'?" });
    await purge.getByLabel('Also revert its migrations and delete its settings (purge)').check();
    await purge.getByRole('button', { name: 'Uninstall' }).click();
    await missing.waitFor({ state: 'detached' });
    expect((await sandbox.request('GET', '/api/admin/plugins/fe-import')).status).toBe(404);
  });
});
