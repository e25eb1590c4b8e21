/**
 * Checking out in Chromium: while Ann is on the checkout page the leed says "On hold" to Bob, with
 * until when, and his Buy button waits; Ann's Cancel on the checkout page brings her back to the
 * leed, available again at once, and Bob buys it without waiting for the 15 minutes. A payment on a
 * checkout cancelled in another tab, once Bob holds the leed, is refunded, and the receipt page and an
 * email say so. The poster sees the hold on their own leed, and deleting it warns that a vendor paying
 * now is refunded. A checkout left open runs out after its 15 minutes (the server's clock is moved
 * past them): the other vendor's open panel shows the leed Available again, and he buys it. Buy on a
 * leed deleted since its panel opened says the leed is gone, rather than keep offering it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/leedz/deps.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('checking out, in a browser', () => {
  let t: TestServer;
  let ann: BrowserUser;
  let bob: BrowserUser;
  // The marketplace's clock runs this far ahead of the wall clock (0 until a test moves it): a hold
  // lasts its real 15 minutes, which a test skips over instead of waiting for them.
  let clockAheadMs = 0;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer({ now: () => new Date(Date.now() + clockAheadMs) });
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }]);
    // Bob's browser is in New York, an hour from the gigs' Illinois.
    [ann, bob] = await Promise.all([openBrowser(), openBrowser({ width: 390, height: 844 }, { timezoneId: 'America/New_York' })]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([ann?.close(), bob?.close()]);
    await t?.close();
  });

  it('Cancel on the checkout page releases the hold at once; meanwhile the leed says it is on hold', async () => {
    const seller = await t.signIn('sella@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Prom night DJ', price: 4500 }) });
    expect(posted.status).toBe(201);
    const leedUrl = `${t.url}/leedz/dj/${posted.body.id}`;

    await signInThroughOutbox(ann.page, t, 'ann@example.com');
    await signInThroughOutbox(bob.page, t, 'bob@example.com');
    const a = ann.page;
    const b = bob.page;

    await a.goto(leedUrl);
    await a.locator('aside.detail').getByRole('button', { name: 'Buy for $45.00' }).click();
    await a.waitForURL(/\/pay\/checkout\//);
    await visible(a.getByRole('button', { name: 'Pay $45.00' }));
    // The provider's page keeps its look under its own policy (no script, its inline style only).
    expect(await a.getByRole('button', { name: 'Pay $45.00' }).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(26, 127, 55)');

    // Bob, at phone width, sees the hold and until when; Buy waits.
    await b.goto(leedUrl);
    const panel = b.locator('aside.detail');
    await visible(panel.locator('.pill', { hasText: 'On hold' }));
    // In the gig's zone (Central, not the New York browser's), as the API's refusals give it, and how soon.
    await visible(panel.getByText(/On hold: another vendor is checking out this leed until \d{1,2}:\d\d [AP]M C[SD]T \(in about 1[45] minutes\)\./));
    expect(await panel.getByRole('button', { name: 'Buy for $45.00' }).isDisabled()).toBe(true);
    expect(await b.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(b, 'checkout-on-hold-phone');

    // Ann cancels on the checkout page: back on the leed, available again.
    await a.getByRole('link', { name: 'Cancel' }).click();
    await a.waitForURL((url) => url.pathname === `/leedz/dj/${posted.body.id}` && !url.search.includes('checkout'));
    await visible(a.getByText('Checkout cancelled: nothing was paid, and the leed is available again.'));
    await visible(a.locator('aside.detail .pill', { hasText: 'Available' }));
    await screenshot(a, 'checkout-cancelled');

    // Bob buys it at once.
    await b.reload();
    await visible(panel.locator('.pill', { hasText: 'Available' }));
    await panel.getByRole('button', { name: 'Buy for $45.00' }).click();
    await b.waitForURL(/\/pay\/checkout\//);
    await b.getByRole('button', { name: 'Pay $45.00' }).click();
    await b.waitForURL(`${t.url}/receipts/dj/${posted.body.id}`);
    await visible(b.getByRole('heading', { name: 'Receipt: Prom night DJ' }));
  }, 120_000);

  it('Buy on a leed its poster deleted while it was open: the panel says it is gone, with no Buy left, and takes the focus', async () => {
    const seller = await t.signIn('selld@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Gone before Ann buys', price: 3000, location: '40 Cedar Court, Springfield, IL 62702' }) });
    expect(posted.status).toBe(201);
    const a = ann.page;
    await a.goto(`${t.url}/leedz/dj/${posted.body.id}`);
    const panel = a.locator('aside.detail');
    await visible(panel.locator('.pill', { hasText: 'Available' }));

    expect((await t.api('DELETE', `/api/leedz/dj/${posted.body.id}`, { token: seller.token })).status).toBe(204);
    await panel.getByRole('button', { name: 'Buy for $30.00' }).click();

    await visible(panel.getByRole('heading', { name: 'Leed not available' }));
    await visible(panel.getByText('This leed does not exist or was deleted.'));
    expect(await panel.getByRole('button', { name: /Buy for/ }).count()).toBe(0);
    expect(await panel.locator('.pill', { hasText: 'Available' }).count()).toBe(0);
    expect(await a.evaluate(() => document.activeElement?.textContent)).toBe('Leed not available');
  }, 60_000);

  it('the buyer who left the checkout page sees the leed held for them, and may continue or cancel', async () => {
    const seller = await t.signIn('sella@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Gala DJ', price: 3000, location: '44 Park Avenue, Springfield, IL 62702' }) });
    const a = ann.page;
    await a.goto(`${t.url}/leedz/dj/${posted.body.id}`);
    const panel = a.locator('aside.detail');
    await panel.getByRole('button', { name: 'Buy for $30.00' }).click();
    await a.waitForURL(/\/pay\/checkout\//);
    await a.goBack();
    await visible(panel.locator('.pill', { hasText: 'Held for you' }));
    await visible(panel.getByText(/it is held for you until/));
    await visible(panel.getByRole('button', { name: 'Continue to checkout' }));
    await panel.getByRole('button', { name: 'Cancel checkout' }).click();
    await visible(panel.locator('.pill', { hasText: 'Available' }));
    expect((await t.api('GET', `/api/leedz/dj/${posted.body.id}`)).body.hold).toBeUndefined();
  }, 60_000);

  it('Pay on a checkout cancelled in another tab, while another vendor holds the leed: refunded, and the receipt page says so', async () => {
    const seller = await t.signIn('sella@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Retirement party DJ', price: 4000, location: '9 Oak Street, Springfield, IL 62704' }) });
    expect(posted.status).toBe(201);
    const leedUrl = `${t.url}/leedz/dj/${posted.body.id}`;
    const a = ann.page;
    const b = bob.page;

    // Ann opens a checkout, and cancels it in another tab, leaving the checkout page open.
    await a.goto(leedUrl);
    await a.locator('aside.detail').getByRole('button', { name: 'Buy for $40.00' }).click();
    await a.waitForURL(/\/pay\/checkout\//);
    const tab = await ann.context.newPage();
    await tab.goto(leedUrl);
    await tab.locator('aside.detail').getByRole('button', { name: 'Cancel checkout' }).click();
    await visible(tab.locator('aside.detail .pill', { hasText: 'Available' }));
    await tab.close();

    // Bob starts his checkout: the leed is held for him.
    await b.goto(leedUrl);
    await b.locator('aside.detail').getByRole('button', { name: 'Buy for $40.00' }).click();
    await b.waitForURL(/\/pay\/checkout\//);

    // Ann presses Pay on her old checkout page: refunded, the leed still Bob's to buy.
    await a.getByRole('button', { name: 'Pay $40.00' }).click();
    await a.waitForURL(`${t.url}/receipts/dj/${posted.body.id}`);
    const receipt = a.locator('section.receipt');
    await visible(receipt.getByRole('heading', { name: 'Another vendor is checking out this leed' }));
    await visible(receipt.getByText(/^Another vendor is checking out this leed until \d{1,2}:\d\d [AP]M C[SD]T\. If you paid for it, your payment is refunded: the leed was on hold for them when your payment arrived\./));
    expect(await receipt.getByText('This receipt belongs to the buyer of the leed.').count()).toBe(0);
    await screenshot(a, 'receipt-held-by-another');
    const view = (await t.api('GET', `/api/leedz/dj/${posted.body.id}`)).body;
    expect(view.status).toBe('active');
    expect(view.hold).toBeDefined();

    // Bob pays: his receipt; Ann's page now says the leed went to another vendor.
    await b.getByRole('button', { name: 'Pay $40.00' }).click();
    await b.waitForURL(`${t.url}/receipts/dj/${posted.body.id}`);
    await visible(b.getByRole('heading', { name: 'Receipt: Retirement party DJ' }));
    await a.reload();
    await visible(receipt.getByRole('heading', { name: 'Sold to another vendor' }));
    await visible(receipt.getByText(/If you paid for it, your payment is refunded: another vendor bought the leed, or held it, before your payment arrived\./));
    // And the refund is not silent: Ann is emailed how much came back, and why.
    await t.settle();
    const [notice] = t.server.marketplace!.outbox.listEmails({ to: 'ann@example.com', kind: 'refund', limit: 5 });
    expect(notice?.subject).toBe('Payment refunded: Retirement party DJ');
    expect(notice?.text).toContain('Your payment of $40.00 for the dj leed "Retirement party DJ" was refunded in full: your checkout had been cancelled or had run out');
  }, 120_000);

  it('the poster sees their leed on hold, and Delete warns that a vendor paying now is refunded; that vendor\'s receipt page says so', async () => {
    const poster = await openBrowser();
    try {
      await signInThroughOutbox(poster.page, t, 'hold-poster@example.com');
      const { token } = await t.signIn('hold-poster@example.com');
      const posted = await t.api('POST', '/api/leedz', { token, body: newLeedBody({ trade: 'dj', title: 'Block party DJ', price: 3500, location: '3 Maple Court, Springfield, IL 62704' }) });
      expect(posted.status).toBe(201);
      const leedUrl = `${t.url}/leedz/dj/${posted.body.id}`;

      // Ann starts a checkout and stays on its page.
      const a = ann.page;
      await a.goto(leedUrl);
      await a.locator('aside.detail').getByRole('button', { name: 'Buy for $35.00' }).click();
      await a.waitForURL(/\/pay\/checkout\//);

      const p = poster.page;
      await p.goto(leedUrl);
      const panel = p.locator('aside.detail');
      await visible(panel.getByText(/^On hold: a vendor is checking out this leed until \d{1,2}:\d\d [AP]M C[SD]T \(in about 1[45] minutes\)\. Its price cannot change until then\.$/));
      await panel.getByRole('button', { name: 'Delete' }).click();
      await visible(panel.getByText(/Delete “Block party DJ”\? Nobody will be able to buy it any more\. A vendor is checking out this leed until .*: if they pay, their payment is refunded and they are told why\./));
      await screenshot(p, 'delete-during-hold');
      await panel.getByRole('button', { name: 'Delete leed' }).click();
      await p.waitForURL((url) => !url.pathname.includes(posted.body.id));

      // Ann pays all the same: refunded, and told why.
      await a.getByRole('button', { name: 'Pay $35.00' }).click();
      await a.waitForURL(`${t.url}/receipts/dj/${posted.body.id}`);
      const receipt = a.locator('section.receipt');
      await visible(receipt.getByRole('heading', { name: 'No longer for sale' }));
      await visible(receipt.getByText('This leed is no longer for sale: its poster withdrew it, or its time has passed. If you paid for it, your payment is refunded, and an email tells you so.'));
      await receipt.getByRole('link', { name: 'See other dj leedz' }).click();
      await a.waitForURL(`${t.url}/trades/dj`);
      await t.settle();
      const [notice] = t.server.marketplace!.outbox.listEmails({ to: 'ann@example.com', kind: 'refund', limit: 1 });
      expect(notice?.subject).toBe('Payment refunded: Block party DJ');
      expect(notice?.text).toContain('the leed is no longer for sale');
    } finally {
      await poster.close();
    }
  }, 120_000);

  it('a checkout left open runs out after its 15 minutes: the other vendor’s open panel shows the leed Available, and he buys it', async () => {
    const seller = await t.signIn('sella@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Homecoming dance DJ', price: 5000, location: '27 Cedar Lane, Springfield, IL 62703' }) });
    expect(posted.status).toBe(201);
    const leedUrl = `${t.url}/leedz/dj/${posted.body.id}`;
    const a = ann.page;
    const b = bob.page;

    // Ann starts a checkout and walks away from it: no Pay, no Cancel.
    await a.goto(leedUrl);
    await a.locator('aside.detail').getByRole('button', { name: 'Buy for $50.00' }).click();
    await a.waitForURL(/\/pay\/checkout\//);
    await a.goto('about:blank');

    // Bob opens the leed: on hold, his Buy waits.
    await b.goto(leedUrl);
    const panel = b.locator('aside.detail');
    await visible(panel.locator('.pill', { hasText: 'On hold' }));
    expect(await panel.getByRole('button', { name: 'Buy for $50.00' }).isDisabled()).toBe(true);

    try {
      // The hold's minutes pass (on the marketplace's clock), with Bob's panel left open.
      clockAheadMs = (DEFAULT_SETTINGS.checkoutMinutes + 1) * 60_000;
      await visible(panel.locator('.pill', { hasText: 'Available' }), 15_000);
      expect(await panel.getByText(/On hold/).count()).toBe(0);
      expect((await t.api('GET', `/api/leedz/dj/${posted.body.id}`)).body.hold).toBeUndefined();
      await screenshot(b, 'checkout-hold-ran-out-phone');

      // Bob checks out at once: the leed is held for him now, and he pays.
      await panel.getByRole('button', { name: 'Buy for $50.00' }).click();
      await b.waitForURL(/\/pay\/checkout\//);
      await b.getByRole('button', { name: 'Pay $50.00' }).click();
      await b.waitForURL(`${t.url}/receipts/dj/${posted.body.id}`);
      await visible(b.getByRole('heading', { name: 'Receipt: Homecoming dance DJ' }));
      const view = (await t.api('GET', `/api/leedz/dj/${posted.body.id}`)).body;
      expect(view.status).toBe('sold');
    } finally {
      clockAheadMs = 0;
    }
  }, 120_000);
});
