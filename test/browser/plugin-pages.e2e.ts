import { describeDb } from '../support/test-database';
import { TestSandbox } from '../support/test-host';
import { browserTestsUnavailable, launchBrowser } from './browser-setup';
import { computedStyle, isSameDocument, mainNav, markDocument, navLink, openPage, pluginCard, signIn } from './spa-page';

const unavailable = browserTestsUnavailable();
const describeBrowser = unavailable ? describe.skip : describeDb;

describeBrowser('the SPA in Chromium: plugin pages, navigation and isolation', () => {
  let sandbox: TestSandbox;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let url: string;

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['fe-board', 'fe-broken']);
    await sandbox.start();
    url = sandbox.host!.url;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.dispose();
    await sandbox?.dispose();
  });

  it('enables a plugin through the trust warning, shows its page with data from its backend, and drops it from the navigation when disabled', async () => {
    const page = await openPage(browser, `${url}/admin`);
    await signIn(page);
    const card = pluginCard(page, 'Board');
    await card.locator('[data-state="installed"]').waitFor();
    await markDocument(page);

    await card.getByRole('switch', { name: 'Enable Board' }).click();
    const trust = page.getByRole('dialog', { name: "Trust plugin 'Board'?" });
    await trust.waitFor();
    expect(await trust.textContent()).toContain('full rights');
    await trust.getByRole('button', { name: 'Trust and enable' }).click();
    await card.locator('[data-state="active"]').waitFor();
    await navLink(page, 'Board').click();

    await page.getByRole('heading', { name: 'Board', exact: true }).waitFor();
    await page.getByText('First card from the backend').waitFor();
    expect(await page.getByText('Second card from the backend').isVisible()).toBe(true);
    expect(await computedStyle(page.locator('.board-items'), 'border-left-color')).toBe('rgb(1, 2, 3)');
    expect(new URL(page.url()).pathname).toBe('/plugins/fe-board');

    await navLink(page, 'Home').click();
    await page.getByText('Board widget ready').waitFor();

    await navLink(page, 'Admin').click();
    await card.getByRole('switch', { name: 'Enable Board' }).click();
    await navLink(page, 'Board').waitFor({ state: 'detached' });
    await card.locator('[data-state="disabled"]').waitFor();
    expect(await page.locator('link[data-plugin="fe-board"]').count()).toBe(0);
    expect(await isSameDocument(page)).toBe(true);
    expect(page.errors).toEqual([]);

    await page.goto(`${url}/plugins/fe-board`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  });

  it('loads the other plugins when one entry throws, removes the broken one’s CSS and tells admins only', async () => {
    for (const id of ['fe-board', 'fe-broken']) expect((await sandbox.enable(id)).status).toBe(200);
    const page = await openPage(browser, `${url}/`);
    await page.getByText('Board widget ready').waitFor();
    expect(await mainNav(page).getByRole('link').allTextContents()).toEqual(['Home', 'Board', 'Admin']);
    expect(await page.locator('link[data-plugin="fe-broken"]').count()).toBe(0);
    expect(await computedStyle(page.locator('body'), 'outline-color')).not.toBe('rgb(255, 0, 0)');
    expect(await page.getByRole('alert', { name: 'Plugin load errors' }).count()).toBe(0);

    await navLink(page, 'Admin').click();
    await signIn(page);
    const errors = page.getByRole('alert', { name: 'Plugin load errors' });
    await errors.waitFor();
    expect(await errors.textContent()).toContain('fe-broken exploded while loading');
    expect(await pluginCard(page, 'Broken page code').textContent()).toContain('fe-broken exploded while loading');

    await navLink(page, 'Board').click();
    await page.getByText('First card from the backend').waitFor();
  });

  it('follows plugins enabled or disabled elsewhere when the tab gets the focus back', async () => {
    const page = await openPage(browser, `${url}/`);
    await navLink(page, 'Board').waitFor();
    await markDocument(page);
    expect((await sandbox.disable('fe-board')).status).toBe(200);
    await page.evaluate("window.dispatchEvent(new Event('focus'))");
    await navLink(page, 'Board').waitFor({ state: 'detached' });
    expect((await sandbox.enable('fe-board')).status).toBe(200);
    await page.evaluate("window.dispatchEvent(new Event('focus'))");
    await navLink(page, 'Board').waitFor();
    expect(await isSameDocument(page)).toBe(true);
  });
});
