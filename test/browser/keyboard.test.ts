/**
 * Finding one's way by keyboard, in Chromium: "Skip to content" moves the focus into the page and
 * "Skip to the calendar" past the trades column; a leed opened from the calendar closes with Escape
 * (or its ✕) and gives the focus back to the leed's link; where an action takes its button away
 * (a deletion, a report, an unsubscribe) the focus goes to what the page says, and Escape answers a
 * confirmation no; a leed on hold comes back to "Buy" by itself when the other vendor cancels.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('by keyboard, in a browser', () => {
  let t: TestServer;
  let kim: BrowserUser;
  let leedId: string;
  let month: string;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }, { name: 'magic' }, { name: 'photography' }]);
    const seller = await t.signIn('keys-seller@example.com');
    const body = newLeedBody({ trade: 'dj', title: 'Harvest dance DJ', location: '7 Field Road, Springfield, IL 62704' });
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body });
    expect(posted.status).toBe(201);
    leedId = posted.body.id;
    month = String(body.start).slice(0, 7);
    kim = await openBrowser();
    await signInThroughOutbox(kim.page, t, 'kim@example.com');
    for (const trade of ['dj', 'magic', 'photography']) {
      await kim.page.getByRole('checkbox', { name: `Subscribe to ${trade}` }).check();
      await visible(kim.page.getByText(`Subscribed to ${trade}.`));
    }
  }, 120_000);

  afterAll(async () => {
    await kim?.close();
    await t?.close();
  });

  const focused = () =>
    kim.page.evaluate(() => ({
      id: document.activeElement?.id ?? '',
      text: document.activeElement?.textContent?.trim() ?? '',
      inTrades: document.activeElement?.closest('.trades-column') !== null,
      inFilters: document.activeElement?.closest('.market-main .filters') !== null,
    }));

  it('Skip to content focuses the page; Skip to the calendar passes the trades column', async () => {
    const page = kim.page;
    await page.goto(`${t.url}/?month=${month}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    await page.keyboard.press('Tab');
    expect((await focused()).text).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect((await focused()).id).toBe('main');

    await page.keyboard.press('Tab');
    expect((await focused()).text).toBe('Skip to the calendar');
    await page.keyboard.press('Enter');
    expect((await focused()).id).toBe('market-main');
    await page.keyboard.press('Tab');
    // The next stop is the calendar's own filters, not the first of the trades column's boxes.
    expect(await focused()).toMatchObject({ inTrades: false, inFilters: true });
  }, 60_000);

  it("the marketplace's headings begin with its h1 and go down one level at a time; a trade's list, opened by its link, has the focus on its heading", async () => {
    const page = kim.page;
    const outline = () =>
      page.evaluate(() => Array.from(document.querySelectorAll('main h1, main h2, main h3, main h4')).map((h) => `${h.tagName.toLowerCase()} ${h.textContent?.trim()}`));
    const checkOutline = (headings: string[]) => {
      expect(headings[0]).toBe('h1 Marketplace');
      expect(headings.filter((h) => h.startsWith('h1 '))).toHaveLength(1);
      for (let i = 1; i < headings.length; i++) expect(Number(headings[i]![1]) - Number(headings[i - 1]![1]), headings.join(' / ')).toBeLessThanOrEqual(1);
    };
    await page.goto(`${t.url}/?month=${month}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    checkOutline(await outline());
    await page.locator('.trades-column').getByRole('link', { name: /upcoming dj leedz/ }).click();
    await visible(page.getByRole('heading', { name: 'Upcoming dj leedz' }));
    await page.getByRole('cell', { name: 'Harvest dance DJ' }).waitFor();
    expect(await focused()).toMatchObject({ id: 'list-title', text: 'Upcoming dj leedz' });
    checkOutline(await outline());
  }, 60_000);

  it('a leed closes with Escape, and the focus goes back to its link on the calendar', async () => {
    const page = kim.page;
    await page.goto(`${t.url}/?month=${month}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    const chip = page.locator(`.calendar a[href^="/leedz/dj/${leedId}"]`);
    await chip.focus();
    await page.keyboard.press('Enter');
    await visible(page.locator('aside.detail').getByRole('heading', { name: 'Harvest dance DJ' }));
    expect((await focused()).id).toBe('leed-title');

    await page.keyboard.press('Escape');
    await page.waitForURL((url) => !url.pathname.includes(leedId));
    expect(await page.locator('aside.detail').count()).toBe(0);
    // The focus moves once the calendar is drawn again, a moment after the address changes.
    await expect.poll(() => page.evaluate((id) => document.activeElement?.getAttribute('href')?.startsWith(`/leedz/dj/${id}`), leedId)).toBe(true);

    // The ✕ does the same.
    await page.keyboard.press('Enter');
    await visible(page.locator('aside.detail').getByRole('heading', { name: 'Harvest dance DJ' }));
    await page.getByRole('link', { name: 'Close the leed' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => !url.pathname.includes(leedId));
    await expect.poll(() => page.evaluate((id) => document.activeElement?.getAttribute('href')?.startsWith(`/leedz/dj/${id}`), leedId)).toBe(true);
  }, 60_000);

  it('beside the calendar (a wide window), a leed opens and closes where the page was scrolled to', async () => {
    const page = kim.page;
    await page.goto(`${t.url}/?month=${month}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    const chip = page.locator(`.calendar a[href^="/leedz/dj/${leedId}"]`);
    // A low window, so that the page scrolls well past where the panel would be.
    await page.setViewportSize({ width: 1366, height: 520 });
    onTestFinished(() => page.setViewportSize({ width: 1366, height: 900 }));
    await chip.evaluate((element) => element.scrollIntoView({ block: 'start' }));
    const scrolled = await page.evaluate(() => scrollY);
    expect(scrolled).toBeGreaterThan(0);

    // Not back at the top, and the leed's link still in the window (the panel narrows the calendar,
    // which grows taller; the browser keeps what was in view in view).
    const keptInView = () =>
      chip.evaluate((element) => {
        const { top, bottom } = element.getBoundingClientRect();
        return { scrolled: scrollY > 0, inView: top >= 0 && bottom <= innerHeight };
      });
    await chip.focus();
    await page.keyboard.press('Enter');
    await visible(page.locator('aside.detail').getByRole('heading', { name: 'Harvest dance DJ' }));
    expect(await keptInView()).toEqual({ scrolled: true, inView: true });
    await page.keyboard.press('Escape');
    await page.waitForURL((url) => !url.pathname.includes(leedId));
    expect(await keptInView()).toEqual({ scrolled: true, inView: true });
  }, 60_000);

  it('where a button goes away, the focus goes somewhere: Escape keeps a leed from deletion, a report and a deletion land on what the page says', async () => {
    const page = kim.page;
    const token = (await kim.context.cookies()).find((cookie) => cookie.name === 'leedz_session')!.value;
    const own = newLeedBody({ trade: 'magic', title: 'Kim’s spare magic show', location: '15 Lake Drive, Springfield, IL 62703' });
    const posted = await t.api('POST', '/api/leedz', { token, body: own });
    expect(posted.status).toBe(201);
    await page.goto(`${t.url}/leedz/magic/${posted.body.id}?month=${String(own.start).slice(0, 7)}`);
    const panel = page.locator('aside.detail');

    // Delete asks, with the focus on Keep it; Escape answers no, and the focus is back on Delete, the leed still open.
    await panel.getByRole('button', { name: 'Delete', exact: true }).click();
    expect((await focused()).text).toBe('Keep it');
    await page.keyboard.press('Escape');
    expect(await panel.getByRole('button', { name: 'Delete leed' }).count()).toBe(0);
    expect((await focused()).text).toBe('Delete');
    expect(page.url()).toContain(posted.body.id);

    // Deleted: the link to it goes with it, and the focus is on what the page says.
    await page.keyboard.press('Enter');
    await panel.getByRole('button', { name: 'Delete leed' }).click();
    await page.waitForURL((url) => !url.pathname.includes(posted.body.id));
    await expect.poll(async () => (await focused()).text).toBe('Deleted “Kim’s spare magic show”.');

    // Report: Cancel gives the focus back to Report; sent, it is on the thanks.
    await page.goto(`${t.url}/leedz/dj/${leedId}?month=${month}`);
    await panel.getByRole('button', { name: 'Report' }).click();
    expect((await focused()).id).toBe('report-reason');
    await panel.getByRole('button', { name: 'Cancel' }).click();
    expect((await focused()).text).toBe('Report');
    await page.keyboard.press('Enter');
    // Sent empty, by the keyboard: the focus goes back to the reason, which the error describes.
    await page.keyboard.press('Tab');
    expect((await focused()).text).toBe('Send report');
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused()).id).toBe('report-reason');
    expect(await page.locator('#report-reason').getAttribute('aria-describedby')).toBe('report-reason-error');
    expect(await page.locator('#report-reason-error').textContent()).toMatch(/^Reason is required/);
    await page.keyboard.type('The same gig is posted twice.');
    await panel.getByRole('button', { name: 'Send report' }).click();
    await expect.poll(async () => (await focused()).text).toBe('Thank you. The admin has been told about this leed.');

    // The profile's Unsubscribe goes with its trade: the focus is on the list's heading.
    await page.goto(`${t.url}/profile`);
    await page.getByRole('button', { name: 'Unsubscribe from photography' }).click();
    await visible(page.getByText('Unsubscribed from photography.'));
    expect((await focused()).id).toBe('subs-title');
  }, 60_000);

  it('on the post form, a field’s hide toggle comes right after the field: typed, then Tab, and it is the toggle', async () => {
    const page = kim.page;
    await page.goto(`${t.url}/post`);
    await page.getByLabel('Location', { exact: true }).click();
    await page.keyboard.type('12 Elm Street, Springfield, IL 62704');
    await page.keyboard.press('Tab');
    expect((await focused()).id).toBe('leed-hide-location');
    // Still shown beside the label, on the label's line.
    const label = await page.locator('label[for="leed-location"]').boundingBox();
    const toggle = await page.locator('[data-field="location"] .hide-toggle').boundingBox();
    expect(toggle!.x).toBeGreaterThan(label!.x + label!.width);
    expect(Math.abs(toggle!.y - label!.y)).toBeLessThan(label!.height);
    await page.keyboard.press('Space');
    expect(await page.getByRole('checkbox', { name: 'Hide location until bought' }).isChecked()).toBe(false);
  });

  it('a leed on hold offers Buy again by itself once the other vendor cancels', async () => {
    const other = await t.signIn('keys-other@example.com');
    const path = `/api/leedz/dj/${leedId}`;
    expect((await t.api('POST', `${path}/checkout`, { token: other.token })).status).toBe(200);
    const page = kim.page;
    await page.goto(`${t.url}/leedz/dj/${leedId}?month=${month}`);
    const panel = page.locator('aside.detail');
    await visible(panel.getByText(/^On hold: another vendor is checking out this leed until/));
    const buy = panel.getByRole('button', { name: 'Buy for $25.00' });
    expect(await buy.isDisabled()).toBe(true);

    expect((await t.api('DELETE', `${path}/checkout`, { token: other.token })).status).toBe(204);
    // No reload: the panel looks again while the hold lasts.
    await panel.getByText(/^On hold: another vendor/).waitFor({ state: 'detached', timeout: 15_000 });
    expect(await buy.isDisabled()).toBe(false);
    await visible(panel.locator('.pill', { hasText: 'Available' }));
  }, 60_000);
});
