/**
 * The smaller things of issue 11, in Chromium: a zip that does not exist clears the calendar and
 * says so; "Claim for free" asks first, and the receipt says claimed, not paid; a sold leed no longer
 * offers "Buy to show"; a busy day opens its leedz in a list instead of growing; errors speak in the
 * form's words; the alert email leads to the subscriptions it mentions; the demo data says "1 hour";
 * a page that does not exist is the app's own; a post outside one's trades says where it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedMarketplace } from '../../src/server/seed.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { fillLeedForm, localInput, openBrowser, requireChromium, screenshot, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('the smaller things, in a browser', () => {
  let t: TestServer;
  let vic: BrowserUser;
  let sellerToken: string;
  const day = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
  const month = day.slice(0, 7);

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }]);
    sellerToken = (await t.signIn('sid@example.com')).token;
    // Six gigs on one day, at six places.
    for (let i = 0; i < 6; i++) {
      const posted = await t.api('POST', '/api/leedz', {
        token: sellerToken,
        body: newLeedBody({ trade: 'dj', title: `Busy day gig ${i + 1}`, location: `${10 + i} Busy Street, Springfield, IL 62704`, start: `${day}T${String(10 + i).padStart(2, '0')}:00`, end: `${day}T${String(11 + i).padStart(2, '0')}:30`, price: i === 0 ? 0 : 2000 }),
      });
      expect(posted.status).toBe(201);
    }
    vic = await openBrowser();
    await signInThroughOutbox(vic.page, t, 'vic@example.com');
    await vic.page.getByRole('checkbox', { name: 'Subscribe to dj' }).check();
    await visible(vic.page.getByText('Subscribed to dj.'));
  }, 120_000);

  afterAll(async () => {
    await vic?.close();
    await t?.close();
  });

  it('a busy day shows a few leedz and opens all of them in a list, by keyboard, without growing', async () => {
    const page = vic.page;
    const search = (perDay: boolean) => (response: { url(): string }) => response.url().includes('/api/leedz?') && response.url().includes('perDay=') === perDay;
    // Away first: a search of the page before (its calendar reloads after subscribing) must not be the answer read here.
    await page.goto('about:blank');
    const monthAnswer = page.waitForResponse(search(true));
    await page.goto(`${t.url}/?month=${month}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    // The month's search brings a few leedz of the day and its count, not all six.
    const { leedz, days } = (await (await monthAnswer).json()) as { leedz: { title: string }[]; days: Record<string, number> };
    expect(days[day]).toBe(6);
    expect(leedz.filter((leed) => leed.title.startsWith('Busy day gig')).length).toBe(3);
    const busy = page.locator('li.day', { has: page.locator(`time[datetime="${day}"]`) });
    expect(await busy.locator('.chip').count()).toBe(2);
    const more = busy.getByRole('button', { name: /^\+4 more/ });
    // No taller than the other days of its week.
    const heights = await page.locator('li.day').evaluateAll((days) => days.map((d) => d.getBoundingClientRect().height));
    expect(Math.max(...heights) - Math.min(...heights)).toBeLessThan(2);
    await more.focus();
    // Opening the day loads its whole list.
    const dayAnswer = page.waitForResponse(search(false));
    await page.keyboard.press('Enter');
    expect((await dayAnswer).status()).toBe(200);
    const list = page.getByRole('dialog');
    await visible(list.getByRole('heading', { name: /: 6 leedz$/ }));
    await list.locator('.chip').nth(5).waitFor();
    expect(await list.locator('.chip').count()).toBe(6);
    await screenshot(page, 'calendar-day-list');
    await page.keyboard.press('Escape');
    await list.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.textContent?.startsWith('+4 more'))).toBe(true);
    // A leed opened from the list closes it.
    await more.click();
    await list.locator('.chip', { hasText: 'Busy day gig 5' }).click();
    await list.waitFor({ state: 'hidden' });
    await visible(page.locator('aside.detail').getByRole('heading', { name: 'Busy day gig 5' }));
  }, 60_000);

  it('a zip that does not exist leaves no leedz on the calendar, and says so in words', async () => {
    const page = vic.page;
    await page.goto(`${t.url}/?month=${month}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    expect(await page.locator('.chip').count()).toBeGreaterThan(0);
    await page.getByLabel('Near zip').fill('00000');
    await page.getByRole('button', { name: 'Apply' }).click();
    await visible(page.getByText('Zip 00000 is not a known US zip code.'));
    await visible(page.getByText('No leedz shown'));
    expect(await page.locator('.chip').count()).toBe(0);
    await screenshot(page, 'calendar-bad-zip');
  }, 60_000);

  it('"Claim for free" asks first; the receipt says claimed; a stranger then sees the hidden fields as sold, not to buy', async () => {
    const page = vic.page;
    const free = (await t.api('GET', `/api/trades/dj/leedz`)).body.leedz.find((l: { price: number }) => l.price === 0) as { id: string };
    await page.goto(`${t.url}/leedz/dj/${free.id}?month=${month}`);
    const panel = page.locator('aside.detail');
    // A free leed's hidden fields are claimed, not bought.
    await visible(panel.locator('dd[data-field="location"]', { hasText: 'Claim to show' }));
    expect(await panel.getByText('Buy to show').count()).toBe(0);
    await panel.getByRole('button', { name: 'Claim for free' }).click();
    await visible(panel.getByText(/^Claim “Busy day gig 1” for free\?/));
    await page.waitForFunction(() => document.activeElement?.textContent === 'Claim it');
    await panel.getByRole('button', { name: 'Cancel' }).click();
    expect((await t.api('GET', `/api/leedz/dj/${free.id}`)).body.status).toBe('active');
    await panel.getByRole('button', { name: 'Claim for free' }).click();
    await panel.getByRole('button', { name: 'Claim it' }).click();
    await page.waitForURL(`${t.url}/receipts/dj/${free.id}`);
    await visible(page.locator('.receipt-badge', { hasText: 'Claimed (free)' }));
    await visible(page.getByText(/You claimed this dj leed from sid/));
    expect(await page.getByText('Paid', { exact: true }).count()).toBe(0);
    await screenshot(page, 'receipt-claimed-free');

    const stranger = await openBrowser();
    try {
      await stranger.page.goto(`${t.url}/leedz/dj/${free.id}`);
      const view = stranger.page.locator('aside.detail');
      await visible(view.locator('.pill', { hasText: 'Sold' }));
      await visible(view.locator('dd[data-field="location"]', { hasText: 'Not shown (sold)' }));
      expect(await view.getByText('Buy to show').count()).toBe(0);
    } finally {
      await stranger.close();
    }
  }, 60_000);

  it('a page that does not exist says so inside the app, with its header and a way back', async () => {
    const page = vic.page;
    const answer = await page.goto(`${t.url}/nonexistent-page`);
    expect(answer?.status()).toBe(404);
    await visible(page.getByRole('heading', { name: 'Page not found' }));
    await visible(page.getByRole('link', { name: 'My leedz' }));
    await page.getByRole('link', { name: 'Back to the marketplace' }).click();
    await page.waitForURL(`${t.url}/`);
  }, 60_000);

  it('with no trade ticked in Trades shown, the calendar asks for one rather than counting 0 leedz', async () => {
    const page = vic.page;
    await page.goto(`${t.url}/?month=${month}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    await page.locator('.filter-trades').getByRole('checkbox', { name: 'dj' }).uncheck();
    await visible(page.locator('.cal-summary').getByText('No trade ticked in Trades shown: tick one to see its leedz'));
    await page.locator('.filter-trades').getByRole('checkbox', { name: 'dj' }).check();
    await visible(page.locator('.cal-summary').getByText(/^\d+ leedz?/));
  }, 60_000);

  it('the month’s count is of its own days, not of the next month’s first days its grid shows', async () => {
    const page = vic.page;
    // The first month from the busy day's whose grid ends with days of the next one (its last day is not a Saturday).
    let [year, index] = [Number(month.slice(0, 4)), Number(month.slice(5, 7)) - 1];
    while (new Date(Date.UTC(year, index + 1, 0)).getUTCDay() === 6) [year, index] = index === 11 ? [year + 1, 0] : [year, index + 1];
    const shown = `${year}-${String(index + 1).padStart(2, '0')}`;
    const nextFirst = new Date(Date.UTC(year, index + 1, 1)).toISOString().slice(0, 10);
    const posted = await t.api('POST', '/api/leedz', {
      token: sellerToken,
      body: newLeedBody({ trade: 'dj', title: 'First of the next month', location: '40 Busy Street, Springfield, IL 62704', start: `${nextFirst}T12:00`, end: `${nextFirst}T14:00` }),
    });
    expect(posted.status).toBe(201);
    await page.goto('about:blank');
    const answer = page.waitForResponse((response) => response.url().includes('/api/leedz?') && response.url().includes('perDay='));
    await page.goto(`${t.url}/?month=${shown}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    const { days } = (await (await answer).json()) as { days: Record<string, number> };
    // The grid shows the next month's first day, with its leed.
    expect(days[nextFirst]).toBeGreaterThan(0);
    await visible(page.locator('li.day', { has: page.locator(`time[datetime="${nextFirst}"]`) }).locator('.chip', { hasText: 'First of the next month' }));
    const own = Object.entries(days).reduce((sum, [key, n]) => sum + (key.startsWith(shown) ? n : 0), 0);
    await visible(page.locator('.cal-summary').getByText(new RegExp(`^${own} ${own === 1 ? 'leed' : 'leedz'}`)));
  }, 60_000);

  it('a title of 120 letters and a long web address break inside their boxes: nothing runs off the page, and My leedz keeps its columns', async () => {
    const page = vic.page;
    const title = 'W'.repeat(120);
    await page.goto(`${t.url}/post`);
    await fillLeedForm(page, {
      Trade: 'dj',
      Title: title,
      Location: '77 Long Word Lane, Springfield, IL 62704',
      Starts: localInput(20, 18),
      Ends: localInput(20, 21),
      'Price (US$)': '40',
      'Client email': 'host@example.com',
      'Client phone': '555-123-4567',
      Details: `Playlist: https://music.example.com/${'playlists/'.repeat(12)}retirement-party`,
    });
    await page.getByRole('button', { name: 'Post leed' }).click();
    await page.waitForURL(/\/leedz\/dj\/l_/);
    const panel = page.locator('aside.detail');
    await visible(panel.getByRole('heading', { name: title }));
    /** The elements among `selector` whose content is wider than their box (cut off, or pushing out of it). */
    const overflowing = (selector: string) =>
      page.locator(selector).evaluateAll((elements) => elements.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => `${e.tagName}.${e.className}: ${e.scrollWidth} > ${e.clientWidth}`));
    expect(await overflowing('main > .notice, aside.detail, aside.detail h2, aside.detail dd')).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1366);

    await page.goto(`${t.url}/my-leedz`);
    const row = page.locator('table.my-posted tr', { hasText: title.slice(0, 20) });
    await visible(row);
    expect(await overflowing('.table-wrap')).toEqual([]);
    // Every column of the row is on the screen, the last one too.
    const youReceive = await row.locator('td[data-label="You receive"]').boundingBox();
    expect(youReceive!.x + youReceive!.width).toBeLessThanOrEqual(1366);
    await screenshot(page, 'long-word-my-leedz');
  }, 60_000);

  it('the stats page says when the last post was, with its zone, and at what price then', async () => {
    const page = vic.page;
    await page.goto(`${t.url}/stats`);
    const last = page.getByRole('region', { name: 'Last posted' });
    await visible(last.getByText('Price when posted'));
    await visible(last.locator('dt', { hasText: /^Posted$/ }));
    expect(await last.locator('dt:text-is("Posted") + dd').textContent()).toMatch(/^\w{3} \d{1,2}, \d{4}, \d{1,2}:\d\d [AP]M C[SD]T$/);
  }, 60_000);

  it('a post in a trade the poster does not subscribe to says it is not on their calendar, and where it is', async () => {
    await t.server.marketplace!.store.addTrades([{ name: 'magic' }]);
    const page = vic.page;
    await page.goto(`${t.url}/post`);
    await page.getByLabel('Trade', { exact: true }).selectOption('magic');
    await page.getByLabel('Title', { exact: true }).fill('School fete magician');
    await page.getByLabel('Location', { exact: true }).fill('5 Fete Lane, Springfield, IL 62704');
    await page.getByLabel('Starts', { exact: true }).fill(`${day}T09:00`);
    await page.getByLabel('Ends', { exact: true }).fill(`${day}T10:00`);
    // No price: free, and the page says so (a forgotten price gives the gig away).
    await page.getByRole('button', { name: 'Post leed' }).click();
    await page.waitForURL(/\/leedz\/magic\/l_/);
    await visible(page.getByText(/^Posted “School fete magician” as a free leed \(the first vendor to claim it gets it\) for .*\. Subscribers of magic are being emailed\. Your calendar shows the trades you subscribe to, and magic is not one of them: find this leed in My leedz, or subscribe to magic in the Trades column\.$/));
    // Where it says: in My leedz.
    await page.goto(`${t.url}/my-leedz`);
    await visible(page.getByRole('link', { name: 'School fete magician' }));
  }, 60_000);

  it('the alert email leads to the subscriptions it mentions; the demo data says "1 hour"', async () => {
    // Posted now that Vic subscribes to dj: Vic is emailed.
    await t.api('POST', '/api/leedz', { token: sellerToken, body: newLeedBody({ trade: 'dj', title: 'Alert for Vic', location: '40 Quiet Street, Springfield, IL 62704' }) });
    await t.settle();
    const [alert] = t.server.marketplace!.outbox.listEmails({ to: 'vic@example.com', kind: 'new-leed', limit: 1 });
    const link = /http:\/\/\S+\/profile#subscriptions/.exec(alert?.text ?? '')?.[0];
    expect(link).toBeDefined();
    const page = vic.page;
    await page.goto(link!);
    await visible(page.locator('#subscriptions').getByRole('heading', { name: 'Subscriptions' }));
    await visible(page.locator('#subscriptions').getByRole('button', { name: 'Unsubscribe from dj' }));
    // A profile refused names the fields as the form labels them, not as the API does.
    await page.getByLabel('Website', { exact: true }).fill('not a url');
    await page.getByLabel('Home zip', { exact: true }).fill('123');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await visible(page.getByText(/^Not saved: check (Website, Home zip|Home zip, Website)\.$/));
    // The first field to fix has focus, not the page: typing goes on there.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('profile-zip');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('62704');
    await page.getByLabel('Website', { exact: true }).fill('');
    // Saved, by keyboard: the button keeps the focus it was pressed with.
    await page.getByRole('button', { name: 'Save profile' }).focus();
    await page.keyboard.press('Enter');
    await visible(page.getByText('Your profile is saved.'));
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Save profile');

    const seeded = await startTestServer();
    try {
      const { store, geocoder } = seeded.server.marketplace!.deps;
      await seedMarketplace({ store, geocoder, now: new Date() }, { users: 10, leedz: 200 });
      const trades = (await store.listTrades()).map((trade) => trade.name);
      const leedz = await store.searchLeedz({ trades, from: new Date().toISOString(), to: new Date(Date.now() + 400 * 86_400_000).toISOString(), limit: 1000 });
      expect(leedz.length).toBeGreaterThan(100);
      expect(leedz.filter((leed) => /\b1 hours\b/.test(leed.details ?? ''))).toEqual([]);
      expect(leedz.some((leed) => /^One hour,/.test(leed.details ?? ''))).toBe(true);
    } finally {
      await seeded.close();
    }
  }, 120_000);
});
