/**
 * Chromium for the browser tests: Debian's `/usr/bin/chromium` driven by `playwright-core` (no
 * browser is ever downloaded), each user in a browser of their own with a fresh `--user-data-dir`
 * (their own cookies), and the small steps the tests share: sign in through the magic link in the
 * console's outbox, wait for text, save a screenshot to `test-artifacts/`.
 *
 * Without Chromium the suite fails with a message naming the apt package, unless
 * `LEEDZ_SKIP_CHROMIUM=1` (then it is skipped).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** `LEEDZ_SKIP_CHROMIUM=1`: skip the browser suite (for machines without Chromium). */
export const skipChromium = process.env.LEEDZ_SKIP_CHROMIUM === '1';

/** Throws, naming the apt package, when Chromium is missing. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: install the Debian package \`chromium\` (apt-get install -y chromium), or set LEEDZ_SKIP_CHROMIUM=1 to skip the browser tests`,
    );
  }
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export interface BrowserUser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** A new Chromium with a fresh profile (its own cookies), at desktop size and in Chicago's time zone unless told. */
export async function openBrowser(viewport: { width: number; height: number } = { width: 1366, height: 900 }, options: { timezoneId?: string } = {}): Promise<BrowserUser> {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'leedz-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    locale: 'en-US',
    timezoneId: options.timezoneId ?? 'America/Chicago',
  });
  context.setDefaultTimeout(30_000);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Save a full-page screenshot as `test-artifacts/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Wait until `locator` is visible (Playwright's auto-wait, with a clearer failure). */
export async function visible(locator: Locator, timeout = 30_000): Promise<Locator> {
  await locator.first().waitFor({ state: 'visible', timeout });
  return locator;
}

/**
 * Sign in as a person would on one machine: ask for a link on the sign-in page, open the email in
 * the console's outbox (as the operator), click "Sign in" in it, and press the confirm page's Sign in
 * button, which sets the session cookie and goes to `/`. Resolves with the username shown in the header.
 */
export async function signInThroughOutbox(page: Page, server: { url: string; server: { consoleUrl(): string } }, email: string): Promise<string> {
  const baseUrl = server.url;
  // The outbox is the operator's: this browser signs in to the console first, by its one-time link.
  await signInAsOperator(page, server);
  await page.goto(`${baseUrl}/signin`);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  await visible(page.getByText(`A sign-in link is on its way to ${email}`));
  await page.goto(`${baseUrl}/console#outbox`);
  await page.getByLabel('To', { exact: true }).fill(email);
  await page.locator('.email-item', { hasText: 'Your sign-in link for the Leedz' }).first().click();
  await page.frameLocator('iframe.email-frame').getByRole('link', { name: 'Sign in' }).click();
  // The link opens a page that signs in only when its button is pressed (mail scanners open links too).
  await page.waitForURL(/\/signin\/confirm#token=/);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(`${baseUrl}/`);
  const account = page.locator('.signed-in a');
  await visible(account);
  return (await account.textContent()) ?? '';
}

/** Open a fresh console sign-in link (what `npm start` prints) and press its button: this browser gets the operator's session. */
export async function signInAsOperator(page: Page, server: { url: string; server: { consoleUrl(): string } }): Promise<void> {
  await page.goto(server.server.consoleUrl());
  // A browser signed in already goes on to the console (`/console`, the token gone from the address).
  if (page.url() === `${server.url}/console`) return;
  // The button's POST answers 303 when it signs in; a refusal is a page at the same address.
  const signedIn = page.waitForResponse((response) => response.request().method() === 'POST' && new URL(response.url()).pathname === '/console');
  await page.getByRole('button', { name: 'Sign in to the console' }).click();
  const answer = await signedIn;
  if (answer.status() !== 303) throw new Error(`the console's sign-in button was answered ${answer.status()}`);
  await page.waitForURL(`${server.url}/console`);
}

/** A `<input type="datetime-local">` value `days` from now at `hour`:00, in the browser's zone (America/Chicago). */
export function localInput(daysFromNow: number, hour: number): string {
  const date = new Date(Date.now() + daysFromNow * 86_400_000);
  const chicago = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Chicago', year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
  return `${chicago}T${String(hour).padStart(2, '0')}:00`;
}

/**
 * Interactive elements that have no accessible name (what a screen reader would announce as just
 * "button" or "edit text"), from Chromium's own accessibility tree.
 */
export async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { role?: { value?: string }; name?: { value?: string }; ignored?: boolean }[] };
    const controls = new Set(['button', 'link', 'textbox', 'checkbox', 'combobox', 'listbox', 'radio', 'searchbox', 'spinbutton', 'slider', 'switch', 'tab', 'menuitem']);
    return nodes
      .filter((node) => !node.ignored && controls.has(node.role?.value ?? '') && (node.name?.value ?? '').trim() === '')
      .map((node) => node.role?.value ?? '?');
  } finally {
    await cdp.detach();
  }
}

/**
 * Fill the post or edit form's fields, each found by its label as a user reads it (`Trade` is
 * chosen from its list); the fields not given are left as they are.
 *
 * @example
 * await fillLeedForm(page, { Trade: 'dj', Title: 'Prom night DJ', 'Price (US$)': '40' });
 */
export async function fillLeedForm(page: Page, fields: Readonly<Record<string, string>>): Promise<void> {
  for (const [label, value] of Object.entries(fields)) {
    const field = page.getByLabel(label, { exact: true });
    if (label === 'Trade') await field.selectOption(value);
    else await field.fill(value);
  }
}
