/**
 * Every page at phone width, in Chromium: on a 390 px wide screen nothing is wider than the screen
 * (no sideways scrolling of the page) — a receipt, the stats, a trade's list, a vendor's public
 * profile, the "Page not found" page, an unsubscribe link's page, and the console's Timeline (with
 * an invocation open), Send, Functions, Outbox and Dead letters tabs. The pages hold what makes them
 * wide in use: a long title, a long website address, a route longer than the screen in the timeline,
 * an email open in the outbox, and dead letters
 * (SMTP fails on this server: every email is kept in the outbox, and its sending ends as a dead
 * letter).
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/server/emulators.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';

const PHONE = { width: 390, height: 844 };
const TITLE = 'Fiftieth wedding anniversary dinner and dance, DJ with lights';

describe.skipIf(skipChromium)('at phone width (390 px)', () => {
  let t: TestServer;
  let bea: BrowserUser;
  let leedId: string;
  let unsubscribeLink: string;
  let alertId: number;
  let posterName: string;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer({ timeScale: 0.001, env: { SMTP_URL: `smtp://127.0.0.1:${await freePort()}` } });
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }]);
    const subscriber = await t.signIn('bea@example.com');
    expect((await t.api('PATCH', '/api/me', { token: subscriber.token, body: { subscriptions: ['dj'] } })).status).toBe(200);
    const poster = await t.signIn('pia@example.com');
    posterName = poster.username;
    const profile = { about: 'Weddings, proms and corporate parties across central Illinois since 2009.', website: 'https://www.springfield-party-entertainment-and-wedding-djs.example.com/booking/availability-calendar' };
    expect((await t.api('PATCH', '/api/me', { token: poster.token, body: profile })).status).toBe(200);
    const posted = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj', title: TITLE, price: 4500, visibility: { location: 'shown' } }) });
    expect(posted.status).toBe(201);
    leedId = posted.body.id;
    expect((await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj', title: 'Prom night DJ', location: '9 Oak Street, Springfield, IL 62704' }) })).status).toBe(201);
    await t.settle();
    const alert = t.server.marketplace!.outbox.listEmails({ to: 'bea@example.com', kind: 'new-leed', limit: 5 }).find((email) => email.subject === `New Leed: ${TITLE}`);
    unsubscribeLink = /^<(.+)>$/.exec(alert!.headers!['List-Unsubscribe']!)![1]!;
    alertId = alert!.id;

    // Bea, on her phone, signs in (and to the console, as the operator) and buys the leed.
    bea = await openBrowser(PHONE);
    const page = bea.page;
    await signInThroughOutbox(page, t, 'bea@example.com');
    await page.goto(`${t.url}/leedz/dj/${leedId}`);
    await page.locator('aside.detail').getByRole('button', { name: 'Buy for $45.00' }).click();
    await page.waitForURL(/\/pay\/checkout\//);
    await page.getByRole('button', { name: 'Pay $45.00' }).click();
    await page.waitForURL(`${t.url}/receipts/dj/${leedId}`);
    await t.settle();
  }, 180_000);

  afterAll(async () => {
    await bea?.close();
    await t?.close();
  });

  /** Open `path` afresh, wait for what shows it is loaded, and measure the page's width. */
  async function widthOf(path: string, ready: (page: Page) => Locator, name: string): Promise<number> {
    const page = bea.page;
    // A new load of each page (a change of the fragment alone would not load it again).
    await page.goto('about:blank');
    await page.goto(path.startsWith('http') ? path : `${t.url}${path}`);
    await visible(ready(page));
    await screenshot(page, name);
    return page.evaluate(() => document.documentElement.scrollWidth);
  }

  it('a receipt fits the screen', async () => {
    const width = await widthOf(`/receipts/dj/${leedId}`, (page) => page.getByRole('heading', { name: `Receipt: ${TITLE}` }), 'phone-receipt');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it('the stats fit the screen', async () => {
    const width = await widthOf('/stats', (page) => page.getByRole('region', { name: 'Last sold' }).getByText('$45.00'), 'phone-stats');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it('a trade’s list of upcoming leedz fits the screen', async () => {
    const width = await widthOf('/trades/dj', (page) => page.locator('.trade-list tbody tr', { hasText: 'Prom night DJ' }), 'phone-trade-list');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it('a vendor’s public profile, with a long website address, fits the screen', async () => {
    const width = await widthOf(`/users/${posterName}`, (page) => page.getByRole('link', { name: /springfield-party-entertainment/ }), 'phone-public-profile');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it('the "Page not found" page fits the screen', async () => {
    const width = await widthOf('/a/page/that/does/not/exist/anywhere-on-the-leedz-marketplace', (page) => page.getByRole('heading', { name: 'Page not found' }), 'phone-not-found');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it('an unsubscribe link’s page fits the screen', async () => {
    const width = await widthOf(unsubscribeLink, (page) => page.getByRole('button', { name: 'Unsubscribe from dj leedz' }), 'phone-unsubscribe');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it('the console’s sign-in page, for a phone without the operator’s session, fits the screen, its command wrapped', async () => {
    const stranger = await openBrowser(PHONE);
    try {
      const errors: string[] = [];
      stranger.page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
      await stranger.page.goto(`${t.url}/console`);
      await visible(stranger.page.getByRole('heading', { name: 'Operations console' }));
      await screenshot(stranger.page, 'phone-console-sign-in');
      expect(await stranger.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      // Its style is allowed by the page's policy (a refused one would leave the command unwrapped, and say so).
      expect(await stranger.page.locator('pre').evaluate((pre) => getComputedStyle(pre).whiteSpace)).toBe('pre-wrap');
      // (The page itself is a 401, by design.)
      expect(errors.filter((error) => /Content Security Policy/i.test(error))).toEqual([]);
    } finally {
      await stranger.close();
    }
  }, 60_000);

  it('the console’s Timeline fits the screen: each invocation a card whose outcome is on screen', async () => {
    // A route longer than the screen is wide, in wide letters, as a checkout's path with a leed's random id can be.
    expect((await t.api('GET', `/api/users/${'W'.repeat(30)}`)).status).toBe(404);
    await t.settle();
    const width = await widthOf('/console#timeline', (page) => page.locator('table.invocations tbody tr', { hasText: 'addLeed' }), 'phone-console-timeline');
    expect(width).toBeLessThanOrEqual(PHONE.width);
    // Every card's cells are on the screen, its last one too.
    const beyond = await bea.page.locator('table.invocations tbody td').evaluateAll((cells, right) => cells.filter((cell) => cell.getBoundingClientRect().right > right + 1).map((cell) => cell.textContent), PHONE.width);
    expect(beyond).toEqual([]);
    // One opened: its detail (payload, attempts, the tree of what it caused) fits too.
    await bea.page.locator('table.invocations tbody tr', { hasText: 'addLeed' }).first().locator('a, button').first().click();
    await bea.page.waitForURL(/#timeline\/.+/);
    await visible(bea.page.locator('aside.invocation-detail').getByRole('heading', { name: /addLeed/ }));
    await screenshot(bea.page, 'phone-console-timeline-detail');
    expect(await bea.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it('the console’s Send tab fits the screen', async () => {
    const width = await widthOf('/console#invoke/getLeed', (page) => page.getByRole('button', { name: 'Reset to the example' }), 'phone-console-send');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it('the console’s Functions tab fits the screen: each function a card whose counts read without scrolling sideways', async () => {
    // A failed request: its function's card splits its errors by HTTP class, and says so.
    expect((await t.api('GET', '/api/leedz/dj/l_no_such_leed')).status).toBe(404);
    await t.settle();
    const width = await widthOf('/console#functions', (page) => page.locator('tr[data-function="emailHelper"]'), 'phone-console-functions');
    expect(width).toBeLessThanOrEqual(PHONE.width);
    // Not ten columns in a frame that scrolls: the table is as wide as its frame.
    const frame = await bea.page.locator('.table-wrap').first().evaluate((wrap) => ({ table: wrap.scrollWidth, frame: wrap.clientWidth }));
    expect(frame.table).toBeLessThanOrEqual(frame.frame);
    // The last figure of the row is on screen, named.
    const queued = bea.page.locator('tr[data-function="emailHelper"] td[data-label="queued · running"]');
    const box = (await queued.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(PHONE.width);
    expect(await queued.evaluate((cell) => getComputedStyle(cell, '::before').content)).toContain('queued');
    const split = bea.page.locator('tr[data-function="getLeed"] .http-counts');
    await visible(split);
    expect(await split.evaluate((span) => getComputedStyle(span, '::before').content)).toContain('4xx · 5xx');
    expect((await split.textContent())?.replace(/\s+/g, ' ')).toBe('1 · 0');
  }, 60_000);

  it('the console’s Outbox tab, with an email open, fits the screen', async () => {
    const width = await widthOf(`/console#outbox/${alertId}`, (page) => page.frameLocator('iframe.email-frame').getByRole('heading', { name: TITLE }), 'phone-console-outbox');
    expect(width).toBeLessThanOrEqual(PHONE.width);
  }, 60_000);

  it('the console’s Dead letters tab, with dead letters, fits the screen: each a card whose Replay button is on screen and whose error reads across it', async () => {
    const width = await widthOf('/console#dead-letters', (page) => page.locator('tr[data-dead-letter]', { hasText: 'emailHelper' }), 'phone-console-dead-letters');
    expect(width).toBeLessThanOrEqual(PHONE.width);
    const row = bea.page.locator('tr[data-dead-letter]').first();
    const replay = await row.getByRole('button', { name: /^Replay/ }).boundingBox();
    expect(replay!.x + replay!.width).toBeLessThanOrEqual(PHONE.width);
    // The error takes the card's width, not a column a few letters wide.
    expect((await row.locator('td.error-text').boundingBox())!.width).toBeGreaterThan(PHONE.width / 2);
  }, 60_000);
});
