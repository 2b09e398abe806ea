import type { BrowserContext, Locator, Page } from 'playwright-core';
import { ADMIN_TOKEN } from '../support/test-host';

/** A new tab that records uncaught page errors in `errors`. */
export async function openPage(context: BrowserContext, url: string): Promise<Page & { errors: string[] }> {
  const page = Object.assign(await context.newPage(), { errors: [] as string[] });
  page.on('pageerror', (err) => page.errors.push(err.message));
  page.setDefaultTimeout(20_000);
  await page.goto(url);
  return page;
}

/** Signs in on the admin page with the test token, the way a person does. */
export async function signIn(page: Page): Promise<void> {
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Plugins', exact: true }).waitFor();
}

export const mainNav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
export const navLink = (page: Page, name: string) => mainNav(page).getByRole('link', { name, exact: true });
export const pluginCard = (page: Page, name: string) => page.getByRole('article', { name: `Plugin ${name}`, exact: true });

/** A computed CSS property of the first element of `locator` (evaluated in the page). */
export function computedStyle(locator: Locator, property: string): Promise<string> {
  return locator.evaluate((el, name) => el.ownerDocument.defaultView.getComputedStyle(el).getPropertyValue(name), property);
}

/** Marks the current document, so a later `isSameDocument` tells whether the page was reloaded. */
export const markDocument = (page: Page): Promise<unknown> => page.evaluate('window.appnestTestMark = true');
export const isSameDocument = async (page: Page): Promise<boolean> => (await page.evaluate('window.appnestTestMark === true')) === true;

/** Closes every notification (they sit in the corner, over the cards' bottom-right buttons). */
export async function dismissNotifications(page: Page): Promise<void> {
  const dismiss = page.getByRole('button', { name: 'Dismiss' });
  while ((await dismiss.count()) > 0) await dismiss.first().click();
}
