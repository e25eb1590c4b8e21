/**
 * The forms of the marketplace in Chromium: the API's field messages beside the fields of the post
 * form (and nothing stored), editing and deleting one's own leed, the subscription limit with the
 * API's reason, the calendar by keyboard alone, and an accessible name for every control of every
 * page (the marketplace's, signed in and not, and the console's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInTokenOf, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { fillLeedForm, localInput, openBrowser, requireChromium, screenshot, signInThroughOutbox, skipChromium, unnamedControls, visible, type BrowserUser } from './browser.js';

const TRADES = ['caricatures', 'dj', 'face painting', 'balloon art', 'magician', 'photo booth', 'clown'];

describe.skipIf(skipChromium)('forms in a browser', () => {
  let t: TestServer;
  let fay: BrowserUser;
  let token: string;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades(TRADES.map((name) => ({ name })));
    fay = await openBrowser();
    await signInThroughOutbox(fay.page, t, 'fay@example.com');
    token = (await fay.context.cookies()).find((c) => c.name === 'leedz_session')!.value;
  }, 120_000);

  afterAll(async () => {
    await fay?.close();
    await t?.close();
  });

  async function storedLeedz(): Promise<number> {
    return (await t.server.marketplace!.store.searchLeedz({ trades: TRADES, from: '2000-01-01T00:00:00Z', to: '9999-01-01T00:00:00Z', limit: 100 })).length;
  }

  it('a post with bad fields shows the API’s message beside each of those fields and stores nothing; fixed, it posts', async () => {
    const page = fay.page;
    await page.goto(`${t.url}/post`);
    const bad = {
      title: 'x'.repeat(121),
      location: 'Springfield, IL',
      start: localInput(-2, 10),
      end: localInput(-2, 9),
      price: '0.50',
      clientEmail: 'not-an-email',
      clientPhone: '12345',
    };
    await page.getByLabel('Trade', { exact: true }).selectOption('dj');
    await page.getByLabel('Title', { exact: true }).fill(bad.title);
    await page.getByLabel('Location', { exact: true }).fill(bad.location);
    await page.getByLabel('Starts', { exact: true }).fill(bad.start);
    await page.getByLabel('Ends', { exact: true }).fill(bad.end);
    await page.getByLabel('Price (US$)', { exact: true }).fill(bad.price);
    await page.getByLabel('Client email', { exact: true }).fill(bad.clientEmail);
    await page.getByLabel('Client phone', { exact: true }).fill(bad.clientPhone);
    await page.getByRole('button', { name: 'Post leed' }).click();

    const summary = page.locator('#form-errors');
    await visible(summary.getByText('The leed was not saved.'));
    // The summary has focus, so a screen reader reads it at once.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('form-errors');
    // Each of its links takes the user to the field: focused, and the address stays the form's.
    const formUrl = page.url();
    await summary.getByRole('link', { name: 'Client phone' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('leed-clientPhone');
    expect(page.url()).toBe(formUrl);

    // The same body, straight to the API: its messages are what the form shows beside each field.
    const direct = await t.api('POST', '/api/leedz', {
      token,
      body: {
        trade: 'dj',
        title: bad.title,
        location: bad.location,
        start: new Date(bad.start).toISOString(),
        end: new Date(bad.end).toISOString(),
        price: 50,
        clientEmail: bad.clientEmail,
        clientPhone: bad.clientPhone,
        visibility: { location: 'hidden', clientEmail: 'hidden', clientPhone: 'hidden' },
      },
    });
    expect(direct.status).toBe(400);
    const fields = direct.body.error.fields as { path: string; message: string }[];
    expect(fields.map((f) => f.path)).toEqual(expect.arrayContaining(['title', 'location', 'start', 'price', 'clientEmail', 'clientPhone']));
    for (const { path, message } of fields) {
      const beside = page.locator(`#leed-${path}-error`);
      await visible(beside);
      // The API counts money in cents; the form, whose price is in dollars, says it in dollars.
      expect(await beside.textContent()).toContain(path === 'price' ? 'must be 0 (free), or from $1.00 to $100.00' : message);
      expect(await beside.textContent()).not.toMatch(/cents|clientPhone|clientEmail/);
      expect(await page.locator(`#leed-${path}`).getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator(`#leed-${path}`).getAttribute('aria-describedby')).toContain(`leed-${path}-error`);
    }
    expect(await page.locator('#leed-details-error').count()).toBe(0);
    await screenshot(page, 'form-errors');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'form-errors-phone');
    await page.setViewportSize({ width: 1366, height: 900 });

    // One field of a pair in error: the message under it does not stretch its neighbour's box.
    await page.getByLabel('Client email', { exact: true }).fill('client@example.com');
    await page.getByRole('button', { name: 'Post leed' }).click();
    await page.locator('#leed-clientEmail-error').waitFor({ state: 'detached' });
    await visible(page.locator('#leed-clientPhone-error'));
    const [emailBox, phoneBox] = await Promise.all([page.locator('#leed-clientEmail').boundingBox(), page.locator('#leed-clientPhone').boundingBox()]);
    expect(emailBox!.y).toBe(phoneBox!.y);
    expect(emailBox!.height).toBe(phoneBox!.height);

    expect(await storedLeedz()).toBe(0);
    await t.settle();
    expect(t.server.marketplace!.outbox.countEmails({ kind: 'new-leed' })).toBe(0);

    // Fixed, the same form posts, and the messages go away.
    await fillLeedForm(page, {
      Title: 'Retirement party DJ',
      Location: '9 Elm Avenue, Springfield, IL 62704',
      Starts: localInput(5, 19),
      Ends: localInput(5, 23),
      'Price (US$)': '40',
      'Client email': 'host@example.com',
      'Client phone': '555-123-4567',
    });
    await page.getByRole('button', { name: 'Post leed' }).click();
    await page.waitForURL(/\/leedz\/dj\/l_/);
    await visible(page.locator('aside.detail').getByRole('heading', { name: 'Retirement party DJ' }));
    expect(await storedLeedz()).toBe(1);
  }, 120_000);

  it('the creator edits the leed (with the API’s messages on a bad edit) and deletes it', async () => {
    const page = fay.page;
    const panel = page.locator('aside.detail');
    await panel.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL(/\/edit$/);
    await visible(page.getByRole('heading', { name: 'Edit leed' }));
    await page.getByLabel('Client phone', { exact: true }).fill('call me');
    // A fraction of a cent is refused as the API refuses it, not rounded to $26.00 unseen.
    await page.getByLabel('Price (US$)', { exact: true }).fill('25.999');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await visible(page.locator('#leed-clientPhone-error'));
    await visible(page.locator('#leed-price-error', { hasText: 'must be dollars and cents, like 40 or 39.99' }));
    const [trade0, id0] = new URL(page.url()).pathname.split('/').slice(-3, -1);
    expect((await t.api('GET', `/api/leedz/${trade0}/${id0}`, { token })).body.price).toBe(4000);
    // A decimal comma is not a thousands separator to drop: "7,5" is refused, not made $75.00.
    // Nor is what JavaScript's Number() reads as a number: hexadecimal, binary, an exponent.
    for (const typed of ['7,5', '0x10', '0b11', '1e1']) {
      await page.getByLabel('Price (US$)', { exact: true }).fill(typed);
      await page.getByRole('button', { name: 'Save changes' }).click();
      await visible(page.locator('#leed-price-error', { hasText: 'must be dollars and cents, like 40 or 39.99' }));
      expect((await t.api('GET', `/api/leedz/${trade0}/${id0}`, { token })).body.price, typed).toBe(4000);
    }
    await page.getByLabel('Price (US$)', { exact: true }).fill('39.99');
    await page.getByLabel('Client phone', { exact: true }).fill('(555) 987-6543');
    await page.getByLabel('Title', { exact: true }).fill('Retirement party DJ, 4 hours');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await visible(panel.getByRole('heading', { name: 'Retirement party DJ, 4 hours' }));
    await visible(panel.locator('dd[data-field="clientPhone"]', { hasText: '(555) 987-6543' }));
    // 39.99 × 100 is not 3999 in floating point: the form sends the cent the poster typed.
    expect((await t.api('GET', `/api/leedz/${trade0}/${id0}`, { token })).body.price).toBe(3999);

    // Another vendor starts buying it: the price cannot change meanwhile, and the form says so at Price.
    const [trade, id] = new URL(page.url()).pathname.split('/').slice(-2);
    const buyer = await t.signIn('gus@example.com');
    expect((await t.api('POST', `/api/leedz/${trade}/${id}/checkout`, { token: buyer.token })).status).toBe(200);
    await panel.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL(/\/edit$/);
    await page.getByLabel('Price (US$)', { exact: true }).fill('45');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await visible(page.locator('#leed-price-error', { hasText: 'cannot change while a buyer is checking out this leed' }));
    expect(await page.locator('#leed-location-error').count()).toBe(0);
    await page.getByLabel('Price (US$)', { exact: true }).fill('39.99');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await visible(panel.getByRole('heading', { name: 'Retirement party DJ, 4 hours' }));
    expect((await t.api('DELETE', `/api/leedz/${trade}/${id}/checkout`, { token: buyer.token })).status).toBe(204);

    // Asked to confirm, Enter keeps the leed: the focus is on the least destructive answer, and comes back to Delete.
    await panel.getByRole('button', { name: 'Delete' }).click();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep it');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Delete');
    expect(await storedLeedz()).toBe(1);
    await panel.getByRole('button', { name: 'Delete' }).click();
    await panel.getByRole('button', { name: 'Delete leed' }).click();
    await visible(page.getByText('Deleted “Retirement party DJ, 4 hours”.'));
    expect(await storedLeedz()).toBe(0);
  }, 60_000);

  it('what was typed and not saved comes back after a reload, or Back then Forward; Start over clears it', async () => {
    const page = fay.page;
    await page.goto(`${t.url}/`);
    await page.getByRole('link', { name: 'Post a leed' }).first().click();
    await page.waitForURL(`${t.url}/post`);
    await page.getByLabel('Title', { exact: true }).fill('Draft: graduation party DJ');
    // An empty field has nothing to hide: its toggle waits for text (the API keeps no visibility for it).
    const hideDetails = page.getByRole('checkbox', { name: 'Hide details until bought' });
    expect(await hideDetails.isDisabled()).toBe(true);
    await visible(page.locator('label.hide-toggle', { has: hideDetails }).getByText('Nothing to hide yet'));
    await page.getByLabel('Details', { exact: true }).fill('Three hours.\nAbout 80 guests.');
    expect(await hideDetails.isDisabled()).toBe(false);
    const title = page.getByLabel('Title', { exact: true });
    const restored = page.getByText('What you typed here before, and did not save, is back.');

    await page.reload();
    await visible(restored);
    expect(await title.inputValue()).toBe('Draft: graduation party DJ');
    expect(await page.getByLabel('Details', { exact: true }).inputValue()).toBe('Three hours.\nAbout 80 guests.');

    await page.goBack();
    await page.waitForURL(`${t.url}/`);
    await page.goForward();
    await page.waitForURL(`${t.url}/post`);
    expect(await title.inputValue()).toBe('Draft: graduation party DJ');

    await page.getByRole('button', { name: 'Start over' }).click();
    expect(await title.inputValue()).toBe('');
    await page.reload();
    await visible(page.getByRole('heading', { name: 'Post a leed' }));
    expect(await title.inputValue()).toBe('');
    expect(await restored.count()).toBe(0);
  }, 60_000);

  it('the end starts an hour after the start, on the next day past midnight, and follows the start until it is changed', async () => {
    const page = fay.page;
    await page.goto(`${t.url}/post`);
    const starts = page.getByLabel('Starts', { exact: true });
    const ends = page.getByLabel('Ends', { exact: true });
    expect(await ends.inputValue()).toBe('');

    await starts.fill('2031-01-28T20:00');
    expect(await ends.inputValue()).toBe('2031-01-28T21:00');
    await starts.fill('2031-01-28T23:30');
    expect(await ends.inputValue()).toBe('2031-01-29T00:30');

    // Changed by hand, the end stays where it was put.
    await ends.fill('2031-01-29T02:00');
    await starts.fill('2031-01-28T22:00');
    expect(await ends.inputValue()).toBe('2031-01-29T02:00');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL(`${t.url}/`);
  }, 60_000);

  it('a draft is its vendor’s own: Cancel drops it, and signing out drops every one, so the next vendor on the tab starts blank', async () => {
    const hal = await openBrowser();
    try {
      const page = hal.page;
      await signInThroughOutbox(page, t, 'hal@example.com');
      const title = page.getByLabel('Title', { exact: true });
      const restored = page.getByText('What you typed here before, and did not save, is back.');
      const typeDraft = async () => {
        await page.goto(`${t.url}/post`);
        await title.fill('Draft: corporate gala DJ');
        await page.getByLabel('Client email', { exact: true }).fill('vip.client@example.com');
        await page.getByLabel('Client phone', { exact: true }).fill('(312) 555-0142');
      };

      await typeDraft();
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForURL(`${t.url}/`);
      await page.goto(`${t.url}/post`);
      await visible(page.getByRole('heading', { name: 'Post a leed' }));
      expect(await title.inputValue()).toBe('');
      expect(await restored.count()).toBe(0);

      await typeDraft();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(`${t.url}/`);
      await signInThroughOutbox(page, t, 'ivy@example.com');
      await page.goto(`${t.url}/post`);
      await visible(page.getByRole('heading', { name: 'Post a leed' }));
      expect(await title.inputValue()).toBe('');
      expect(await page.getByLabel('Client email', { exact: true }).inputValue()).toBe('');
      expect(await restored.count()).toBe(0);
      expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain('vip.client@example.com');

      // Signed out in another tab: this tab's draft (each tab keeps its own) goes too.
      await typeDraft();
      expect(await page.evaluate(() => JSON.stringify(sessionStorage))).toContain('vip.client@example.com');
      const other = await hal.context.newPage();
      await other.goto(`${t.url}/`);
      await other.locator('.site-header').getByRole('button', { name: 'Sign out' }).click();
      await visible(page.locator('.site-header').getByRole('link', { name: 'Sign in' }));
      await expect.poll(() => page.evaluate(() => JSON.stringify(sessionStorage)), { timeout: 5_000 }).not.toContain('vip.client@example.com');
      await other.close();

      // Signed in as another vendor in another tab, the form open here: it is the new vendor's now,
      // blank, and nothing the last one typed is left to post, nor on the profile to save.
      // The way a second vendor at the same computer would: their emailed link, opened in a new tab.
      const switchTo = async (email: string) => {
        expect((await t.api('POST', '/api/auth/login', { body: { email } })).status).toBe(202);
        await t.settle();
        const [sent] = t.server.marketplace!.outbox.listEmails({ to: email, kind: 'magic-link', limit: 1 });
        const switcher = await hal.context.newPage();
        await switcher.goto(`${t.url}/signin/confirm#token=${signInTokenOf(sent!.text)}`);
        await switcher.getByRole('button', { name: 'Sign in', exact: true }).click();
        // Its header named the last vendor while the page loaded: wait for the new one (the sign-in done, the other tabs told).
        await visible(switcher.getByText(`Signed in as ${email.split('@')[0]}`));
        await switcher.close();
        await page.bringToFront();
      };
      await signInThroughOutbox(page, t, 'hal@example.com');
      await typeDraft();
      await switchTo('ivy@example.com');
      await visible(page.getByText('Signed in as ivy'));
      await expect.poll(() => page.getByLabel('Client email', { exact: true }).inputValue()).toBe('');
      expect(await title.inputValue()).toBe('');
      await page.goto(`${t.url}/profile`);
      const zip = page.getByLabel('Home zip', { exact: true });
      await zip.fill('60601');
      await switchTo('hal@example.com');
      await visible(page.getByText('Signed in as hal'));
      await expect.poll(() => zip.inputValue()).toBe('');
      expect(await page.evaluate(() => JSON.stringify(sessionStorage))).not.toContain('vip.client@example.com');
    } finally {
      await hal.close();
    }
  }, 90_000);

  it('at six subscriptions the other boxes are disabled, saying why; unsubscribing one frees them', async () => {
    const page = fay.page;
    expect((await t.api('PATCH', '/api/me', { token, body: { subscriptions: TRADES.slice(0, 6) } })).status).toBe(200);
    await page.goto(`${t.url}/`);
    const seventh = page.getByRole('checkbox', { name: 'Subscribe to clown' });
    expect(await seventh.isDisabled()).toBe(true);
    await visible(page.getByText('Subscribed to 6 of 6, the most there can be: unsubscribe from one to follow another.'));
    expect(await seventh.getAttribute('aria-describedby')).toContain('trades-help');
    await page.getByRole('checkbox', { name: 'Subscribe to magician' }).uncheck();
    await visible(page.getByText('Unsubscribed from magician.'));
    expect(await seventh.isDisabled()).toBe(false);
    // Should the API refuse anyway, its refusal is said in people's words, and the box goes back.
    const refusal = { error: { code: 'VALIDATION', message: 'invalid subscriptions', fields: [{ path: 'subscriptions', message: 'must list at most 6 trades' }] } };
    await page.route('**/api/me', (route) => (route.request().method() === 'PATCH' ? route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify(refusal) }) : route.continue()));
    await seventh.click();
    await visible(page.getByText('Could not subscribe to clown: you can follow at most 6 trades.'));
    expect(await seventh.isChecked()).toBe(false);
    await page.unroute('**/api/me');
    await page.getByRole('checkbox', { name: 'Subscribe to magician' }).check();
    await visible(page.getByText('Subscribed to magician.'));
    expect((await t.api('GET', '/api/me', { token })).body.subscriptions).toHaveLength(6);
  }, 60_000);

  it('the calendar works by keyboard alone: Tab to a leed, Enter opens it with focus on its title', async () => {
    const page = fay.page;
    const posted = await t.api('POST', '/api/leedz', {
      token,
      body: { trade: 'magician', title: 'Birthday magic show', location: '5 Oak St, Springfield, IL 62704', start: new Date(localInput(4, 15)).toISOString(), end: new Date(localInput(4, 17)).toISOString(), price: 0 },
    });
    expect(posted.status).toBe(201);
    await page.goto(`${t.url}/?month=${localInput(4, 15).slice(0, 7)}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.classList.contains('chip') ?? false);
    }
    expect(reached).toBe(true);
    // A focused control shows a visible focus ring.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    await visible(page.locator('aside.detail h2', { hasText: 'Birthday magic show' }));
    await page.waitForFunction(() => document.activeElement?.id === 'leed-title');
  }, 60_000);

  it('every control on every page has an accessible name', async () => {
    const page = fay.page;
    // A leed fay bought, for its receipt page.
    const poster = await t.signIn('gil@example.com');
    const bought = await t.api('POST', '/api/leedz', { token: poster.token, body: { trade: 'dj', title: 'Company picnic DJ', location: '40 Lake Drive, Springfield, IL 62703', start: new Date(localInput(6, 12)).toISOString(), end: new Date(localInput(6, 15)).toISOString(), price: 0 } });
    expect(bought.status).toBe(201);
    expect((await t.api('POST', `/api/leedz/dj/${bought.body.id}/checkout`, { token })).body.sold).toBe(true);
    // An unsubscribe link's page, as a bulk email's link opens it (the token names the trade, dj).
    const unsubscribe = `/unsubscribe#token=fay.${Buffer.from('dj').toString('base64url')}.x`;
    const pages = [
      '/',
      '/post',
      '/profile',
      '/stats',
      '/trades/dj',
      '/users/fay',
      `/receipts/dj/${bought.body.id}`,
      '/no-such-page',
      '/console#timeline',
      '/console#functions',
      '/console#queue',
      '/console#retries',
      '/console#dead-letters',
      '/console#destinations',
      '/console#outbox',
      '/console#reports',
      '/console#invoke',
      '/my-leedz',
      '/signin/confirm#token=x',
    ];
    // Where a page's heading says it shows what it is for (not its loading or error state).
    const headings: Record<string, string> = {
      [`/receipts/dj/${bought.body.id}`]: 'Receipt: Company picnic DJ',
      '/no-such-page': 'Page not found',
      '/console#invoke': 'Send an event or a request',
      '/signin': 'Sign in',
      [unsubscribe]: 'Unsubscribe',
    };
    const sweep = async (paths: string[]) => {
      for (const path of paths) {
        // A new load of each page (a change of the fragment alone would not load it again).
        await page.goto('about:blank');
        await page.goto(`${t.url}${path}`);
        const heading = headings[path];
        await (heading === undefined ? page.locator('h1').first() : page.getByRole('heading', { level: 1, name: heading, exact: true })).waitFor();
        await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined);
        expect(await unnamedControls(page), path).toEqual([]);
      }
    };
    await sweep(pages);
    // And the pages of someone who is not signed in: the sign-in form, an unsubscribe link, a wrong address.
    const session = (await fay.context.cookies()).filter((c) => c.name === 'leedz_session');
    await fay.context.clearCookies({ name: 'leedz_session' });
    try {
      await sweep(['/signin', unsubscribe, '/no-such-page']);
      await page.goto(`${t.url}/signin`);
      await visible(page.getByLabel('Email', { exact: true }));
      await page.goto(`${t.url}${unsubscribe}`);
      await visible(page.getByRole('button', { name: 'Unsubscribe from dj leedz' }));
    } finally {
      await fay.context.addCookies(session);
    }
  }, 120_000);
});
