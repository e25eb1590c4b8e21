/**
 * My leedz in Chromium: a vendor reaches it from the header, by keyboard too, and finds what they
 * posted (sold, to whom, what they received) and bought, with the totals; their own leedz stay on
 * their calendar whatever the radius they filter by.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localInput, openBrowser, requireChromium, screenshot, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

describe.skipIf(skipChromium)('my leedz, in a browser', () => {
  let t: TestServer;
  let sam: BrowserUser;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }, { name: 'magician' }]);
    sam = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await sam?.close();
    await t?.close();
  });

  it('shows what Sam posted and bought with the totals, reached from the header by keyboard', async () => {
    const seller = await t.signIn('sam@example.com');
    const other = await t.signIn('olga@example.com');
    const start = `${localInput(6, 19)}`;
    const end = `${localInput(6, 22)}`;
    const sold = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Wedding DJ, 3 hours', price: 4000, start, end }) });
    await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'magician', title: 'Kids party magic', price: 0, location: '8 Oak Street, Springfield, IL 62704' }) });
    const bought = await t.api('POST', '/api/leedz', { token: other.token, body: newLeedBody({ trade: 'dj', title: 'Office party DJ', price: 1500, location: '77 Elm Street, Springfield, IL 62702' }) });
    // Olga buys Sam's DJ leed; Sam buys Olga's.
    for (const [buyer, leed] of [[other.token, sold.body.id], [seller.token, bought.body.id]] as const) {
      const checkout = await t.api('POST', `/api/leedz/dj/${leed}/checkout`, { token: buyer });
      const webhook = t.server.marketplace!.payments.completeCheckout(new URL(checkout.body.checkoutUrl).pathname.split('/').pop()!);
      expect((await t.api('POST', '/api/payments/webhook', { raw: webhook.body, headers: { 'content-type': 'application/json', ...webhook.headers } })).status).toBe(200);
    }

    const { page } = sam;
    await signInThroughOutbox(page, t, 'sam@example.com');
    await page.goto(`${t.url}/`);
    await visible(page.locator('.signed-in'));
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.textContent === 'My leedz');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(`${t.url}/my-leedz`);
    await visible(page.getByRole('heading', { name: 'My leedz', level: 1 }));
    // $40.00 sold, less the 9% fee ($3.60); $15.00 spent.
    expect(await page.locator('[data-total="earned"]').textContent()).toBe('$36.40');
    expect(await page.locator('[data-total="fees"]').textContent()).toBe('$3.60');
    expect(await page.locator('[data-total="spent"]').textContent()).toBe('$15.00');
    const soldRow = page.locator('table.my-posted tr', { hasText: 'Wedding DJ, 3 hours' });
    await visible(soldRow.getByText('Sold to olga'));
    await visible(soldRow.getByText('$36.40'));
    await visible(soldRow.getByText(/7:00 PM – 10:00 PM C[SD]T/));
    await visible(page.locator('table.my-posted tr', { hasText: 'Kids party magic' }).getByText('Available'));
    const boughtRow = page.locator('table.my-bought tr', { hasText: 'Office party DJ' });
    await visible(boughtRow.getByRole('link', { name: 'olga' }));
    await screenshot(page, 'my-leedz');
    // Why the list may count fewer than the profile's Posted: gone leedz are not listed.
    await visible(page.getByText('Leedz you deleted, or that the Leedz took down, are not listed here.'));
    await boughtRow.getByRole('link', { name: /^Receipt/ }).click();
    await visible(page.getByRole('heading', { name: 'Receipt: Office party DJ' }));

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.url}/my-leedz`);
    await visible(page.locator('[data-total="earned"]'));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // Each row reads whole on the screen, every cell after its column's name: nothing off to the right.
    const boughtOnPhone = page.locator('table.my-bought tr', { hasText: 'Office party DJ' });
    for (const cell of [boughtOnPhone.getByRole('link', { name: /^Receipt/ }), boughtOnPhone.locator('td[data-label="Paid"]'), page.locator('table.my-posted td[data-label="You receive"]').first()]) {
      const box = await cell.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    }
    expect(await boughtOnPhone.locator('td[data-label="Paid"]').evaluate((td) => getComputedStyle(td, '::before').content)).toBe('"Paid: "');
    await screenshot(page, 'my-leedz-phone');
    await page.setViewportSize({ width: 1366, height: 900 });
  }, 120_000);

  it('keeps Sam’s own leed on his calendar when he filters near a zip far away', async () => {
    const { page } = sam;
    await page.goto(`${t.url}/`);
    await page.getByRole('checkbox', { name: 'Subscribe to magician' }).check();
    await visible(page.getByText('Subscribed to magician.'));
    const posted = (await t.api('GET', '/api/trades/magician/leedz')).body.leedz[0] as { start: string };
    const month = new Date(posted.start).toLocaleDateString('en-CA', { timeZone: 'America/Chicago' }).slice(0, 7);
    await page.goto(`${t.url}/?month=${month}&zip=90210&radius=5`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    const chip = page.locator('.chip.own', { hasText: 'Kids party magic' });
    await visible(chip);
    await visible(page.getByText('1 leed within 5 miles of 90210'));
  }, 60_000);
});
