/**
 * The marketplace in Chromium, end to end, as two vendors on one machine would use it: sign in by
 * magic link, subscribe, post, get the "New Leed" email, buy through the checkout page, read the
 * receipt, and see the leed sold.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aLeed, aUser } from '../helpers/builders.js';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { fillLeedForm, localInput, openBrowser, requireChromium, screenshot, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('the marketplace in a browser', () => {
  let t: TestServer;
  let ann: BrowserUser;
  let bob: BrowserUser;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades([
      { name: 'caricatures', color: '#e4572e' },
      { name: 'dj', color: '#29335c' },
      { name: 'face painting', color: '#f3a712' },
    ]);
    [ann, bob] = await Promise.all([openBrowser(), openBrowser()]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([ann?.close(), bob?.close()]);
    await t?.close();
  });

  it('Ann subscribes, Bob posts, Ann opens the New Leed email, buys through the checkout and sees every field on the receipt; Bob sees the leed sold', async () => {
    const { page: a } = ann;
    const { page: b } = bob;

    // Ann signs in by magic link and subscribes to caricatures (and dj).
    expect(await signInThroughOutbox(a, t, 'ann@example.com')).toBe('ann');
    await a.getByRole('checkbox', { name: 'Subscribe to caricatures' }).check();
    await visible(a.getByText('Subscribed to caricatures.'));
    await a.getByRole('checkbox', { name: 'Subscribe to dj' }).check();
    await visible(a.getByText('Subscribed to dj.'));
    expect((await t.api('GET', '/api/users/ann')).body.subscriptions).toEqual(['caricatures', 'dj']);

    // Some other leedz, so the calendar has company for the screenshot.
    const carol = await t.signIn('carol@example.com');
    const streets = ['1 Elm St', '22 Oak Ave', '310 Pine Rd', '47 Maple Dr', '5 Cedar Ln', '68 Birch Blvd'];
    for (const [i, street] of streets.entries()) {
      const start = new Date(Date.now() + (3 + i * 2) * 86_400_000);
      start.setUTCHours(17 + (i % 3), 0, 0, 0);
      const posted = await t.api('POST', '/api/leedz', {
        token: carol.token,
        body: { trade: i % 2 === 0 ? 'dj' : 'caricatures', title: i % 2 === 0 ? 'Wedding reception needs a DJ' : 'Office party caricatures', location: `${street}, Springfield, IL 62704`, start: start.toISOString(), end: new Date(start.getTime() + 3 * 3_600_000).toISOString(), price: 1500 + i * 500 },
      });
      expect(posted.status).toBe(201);
    }

    // Bob signs in and posts a caricatures leed through the form: location, email and phone hidden.
    expect(await signInThroughOutbox(b, t, 'bob@example.com')).toBe('bob');
    await b.getByRole('link', { name: 'Post a leed' }).click();
    await fillLeedForm(b, {
      Trade: 'caricatures',
      Title: 'Caricatures at a 40th birthday',
      Location: '123 Main Street, Springfield, IL 62701',
      Starts: localInput(9, 18),
      Ends: localInput(9, 21),
      'Price (US$)': '25',
      'Client email': 'client@example.com',
      'Client phone': '(555) 123-4567',
      Details: 'Two hours, about forty guests.',
      Requirements: 'Bring your own easel.\nA table for the paper.',
    });
    expect(await b.getByRole('checkbox', { name: 'Hide location until bought' }).isChecked()).toBe(true);
    expect(await b.getByRole('checkbox', { name: 'Hide details until bought' }).isChecked()).toBe(false);
    await b.getByRole('button', { name: 'Post leed' }).click();
    await b.waitForURL(/\/leedz\/caricatures\/l_[\w-]+\?month=/);
    const leedPath = new URL(b.url()).pathname;
    const leedId = leedPath.split('/').pop()!;
    await visible(b.getByText('Posted “Caricatures at a 40th birthday”'));
    await visible(b.locator('aside.detail').getByText('Your leed'));

    // Ann's calendar shows it (and her trades' colours); the month of the leed.
    const month = localInput(9, 18).slice(0, 7);
    await a.goto(`${t.url}/?month=${month}`);
    await a.locator('.calendar[data-ready="true"]').waitFor();
    await visible(a.locator('.chip', { hasText: 'Caricatures at a 40th birthday' }));
    expect(await a.locator('.chip').count()).toBeGreaterThanOrEqual(2);
    await screenshot(a, 'marketplace-calendar');

    // Ann finds the New Leed email in the console's outbox and opens the leed from it.
    await a.goto(`${t.url}/console#outbox`);
    await a.getByLabel('To', { exact: true }).fill('ann@example.com');
    await a.locator('.email-item', { hasText: 'New Leed: Caricatures at a 40th birthday' }).click();
    await a.frameLocator('iframe.email-frame').getByRole('link', { name: 'View the leed' }).click();
    await a.waitForURL(new RegExp(`${leedPath}(\\?|$)`));

    // Hidden fields read "Buy to show"; the shown ones are there; Buy and Report are offered.
    const panel = a.locator('aside.detail');
    await visible(panel.getByRole('heading', { name: 'Caricatures at a 40th birthday' }));
    for (const field of ['location', 'clientEmail', 'clientPhone']) await visible(panel.locator(`dd[data-field="${field}"]`, { hasText: 'Buy to show' }));
    await visible(panel.locator('dd[data-field="details"]', { hasText: 'Two hours, about forty guests.' }));
    expect(await panel.getByText('123 Main Street').count()).toBe(0);
    await visible(panel.getByRole('button', { name: 'Report' }));
    await screenshot(a, 'marketplace-detail-panel');

    // Buy: the local checkout page, then back to the receipt with every field.
    await panel.getByRole('button', { name: 'Buy for $25.00' }).click();
    await a.waitForURL(/\/pay\/checkout\//);
    await a.getByRole('button', { name: 'Pay $25.00' }).click();
    await a.waitForURL(`${t.url}/receipts/caricatures/${leedId}`);
    const receipt = a.locator('section.receipt');
    await visible(receipt.getByRole('heading', { name: 'Receipt: Caricatures at a 40th birthday' }));
    const expected = {
      location: '123 Main Street, Springfield, IL 62701',
      clientEmail: 'client@example.com',
      clientPhone: '(555) 123-4567',
      details: 'Two hours, about forty guests.',
      requirements: 'Bring your own easel.\nA table for the paper.',
    };
    for (const [field, text] of Object.entries(expected)) expect(await receipt.locator(`dd[data-field="${field}"]`).textContent()).toBe(text);
    // Shown as written, on two lines (as the receipt email shows them), not run together.
    expect(await receipt.locator('dd[data-field="requirements"]').innerText()).toBe('Bring your own easel.\nA table for the paper.');
    await visible(receipt.getByText('$25.00'));
    await screenshot(a, 'marketplace-receipt');

    // Bob sees his leed sold, to Ann.
    await b.goto(`${t.url}${leedPath}`);
    await visible(b.locator('aside.detail .pill', { hasText: 'Sold to ann' }));
    expect(await b.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await t.settle();
    expect(t.server.marketplace!.outbox.countEmails({ to: 'ann@example.com', kind: 'receipt' })).toBe(1);
  }, 180_000);

  it('works at phone width: the calendar becomes a list of days, the leed panel comes first', async () => {
    const phone = await openBrowser({ width: 390, height: 844 });
    try {
      const { page } = phone;
      await signInThroughOutbox(page, t, 'ann@example.com');
      await page.goto(`${t.url}/?month=${localInput(9, 18).slice(0, 7)}`);
      await page.locator('.calendar[data-ready="true"]').waitFor();
      // Nothing is wider than the screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'marketplace-calendar-phone');
      await page.locator('.chip:visible').first().click();
      await visible(page.locator('aside.detail h2'));
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'marketplace-detail-phone');
    } finally {
      await phone.close();
    }
  }, 120_000);

  it('the list view shows every upcoming leed of one trade, soonest first; signing out forgets the session', async () => {
    const { page } = ann;
    await page.goto(`${t.url}/`);
    await page.getByRole('link', { name: /upcoming dj leedz/ }).click();
    await page.waitForURL(`${t.url}/trades/dj`);
    await visible(page.getByRole('heading', { name: 'Upcoming dj leedz' }));
    const rows = page.locator('.trade-list tbody tr');
    await visible(rows);
    const api = (await t.api('GET', '/api/trades/dj/leedz')).body.leedz as { title: string; start: string }[];
    expect(api.length).toBe(3);
    expect(api.map((l) => l.start)).toEqual([...api.map((l) => l.start)].sort());
    expect(await rows.count()).toBe(api.length);
    expect(await rows.first().locator('td').nth(2).textContent()).toContain(api[0]!.title);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await visible(page.getByRole('link', { name: 'Sign in' }));
    const me = await page.evaluate(async () => (await fetch('/api/me')).status);
    expect(me).toBe(401);
  }, 60_000);

  it('the list view loads more than a page of leedz that all start at one moment, each once', async () => {
    const store = t.server.marketplace!.store;
    await store.addTrades([{ name: 'balloon art', color: '#7a9e7e' }]);
    const { username } = await store.createUser(aUser(), []);
    const start = new Date(Date.now() + 3 * 86_400_000);
    start.setUTCHours(18, 0, 0, 0);
    const end = new Date(start.getTime() + 2 * 3_600_000);
    // A page is 100 (web/app/trade-list.tsx): 130 parties at six o'clock, each at its own address.
    for (let n = 0; n < 130; n++) {
      const location = `${100 + n} Elm St, Springfield, IL 62701`;
      await store.insertLeed(aLeed({ trade: 'balloon art', creator: username, location, placeKey: `${100 + n} elm st springfield il 62701`, start: start.toISOString(), end: end.toISOString() }), []);
    }
    const { page } = bob;
    await page.goto(`${t.url}/trades/${encodeURIComponent('balloon art')}`);
    const foot = page.locator('.trade-list .list-foot');
    await visible(foot.getByText('100 leedz'));
    await foot.getByRole('button', { name: 'Load more' }).click();
    await visible(foot.getByText('130 leedz'));
    expect(await page.locator('.trade-list tbody tr').count()).toBe(130);
    expect(await foot.getByRole('button', { name: 'Load more' }).count()).toBe(0);
  }, 60_000);
});
