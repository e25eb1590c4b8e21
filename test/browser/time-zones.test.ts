/**
 * A gig happens where it is: a vendor whose browser is set to UTC posts 18:00–23:00 for a gig in
 * Springfield, IL; the form, the calendar, the leed's panel (for the owner and for a stranger in
 * Tokyo), the email and the trade's list all say 6:00 PM – 11:00 PM Central time; so do the receipt
 * and the buyer's My leedz when the vendor in Tokyo buys it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('times in the gig’s time zone, whatever the browser’s', () => {
  let t: TestServer;
  let utc: BrowserUser;
  let tokyo: BrowserUser;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }]);
    [utc, tokyo] = await Promise.all([openBrowser(undefined, { timezoneId: 'UTC' }), openBrowser(undefined, { timezoneId: 'Asia/Tokyo' })]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([utc?.close(), tokyo?.close()]);
    await t?.close();
  });

  it('posted 18:00–23:00 from a UTC browser for a gig in Illinois, it reads 6:00 PM – 11:00 PM Central everywhere', async () => {
    const subscriber = await t.signIn('sub@example.com');
    await t.api('PATCH', '/api/me', { token: subscriber.token, body: { subscriptions: ['dj'] } });
    const date = new Date(Date.now() + 12 * 86_400_000).toISOString().slice(0, 10);
    const month = date.slice(0, 7);

    const { page } = utc;
    await signInThroughOutbox(page, t, 'uma@example.com');
    await page.getByRole('checkbox', { name: 'Subscribe to dj' }).check();
    await visible(page.getByText('Subscribed to dj.'));
    await page.goto(`${t.url}/post`);
    await visible(page.getByText('The time where the gig is: read in the time zone of its location.').first());
    await page.getByLabel('Trade', { exact: true }).selectOption('dj');
    await page.getByLabel('Title', { exact: true }).fill('Retirement party DJ');
    await page.getByLabel('Location', { exact: true }).fill('123 Main Street, Springfield, IL 62701');
    await page.getByLabel('Starts', { exact: true }).fill(`${date}T18:00`);
    await page.getByLabel('Ends', { exact: true }).fill(`${date}T23:00`);
    await page.getByLabel('Price (US$)', { exact: true }).fill('30');
    await page.getByRole('button', { name: 'Post leed' }).click();
    await page.waitForURL(new RegExp(`/leedz/dj/l_[\\w-]+\\?month=${month}`));
    const leedPath = new URL(page.url()).pathname;
    const panel = page.locator('aside.detail');
    await visible(panel.getByText(/6:00 PM – 11:00 PM C[SD]T/));
    await visible(page.getByText(/Posted “Retirement party DJ” for .*6:00 PM – 11:00 PM C[SD]T\. Subscribers of dj are being emailed\.$/));
    await page.locator('.calendar[data-ready="true"]').waitFor();
    expect(await page.locator('.chip', { hasText: 'Retirement party DJ' }).locator('.chip-time').textContent()).toBe('6pm');

    // Editing shows the times as they were typed, with the gig's zone named.
    await panel.getByRole('link', { name: 'Edit' }).click();
    await visible(page.getByText(/The time where the gig is: C[SD]T \(America\/Chicago\)\./));
    expect(await page.getByLabel('Starts', { exact: true }).inputValue()).toBe(`${date}T18:00`);
    expect(await page.getByLabel('Ends', { exact: true }).inputValue()).toBe(`${date}T23:00`);
    await screenshot(page, 'time-zones-edit-utc-browser');

    // A stranger in Tokyo sees the same day and time, with the zone.
    await t.settle();
    const stranger = tokyo.page;
    await stranger.goto(`${t.url}/?month=${month}`);
    await stranger.locator('.calendar[data-ready="true"]').waitFor();
    const chip = stranger.locator('.chip', { hasText: 'Retirement party DJ' });
    await visible(chip);
    expect(await chip.locator('.chip-time').textContent()).toBe('6pm');
    // Its name begins with what it shows (WCAG 2.5.3, label in name), then the zone.
    expect(await chip.getAttribute('aria-label')).toMatch(/^6pm Retirement party DJ \(6:00 PM C[SD]T\), dj, \$30\.00$/);
    // On the gig's own day of the grid.
    expect(await stranger.locator('li.day', { has: chip }).locator('time').getAttribute('datetime')).toBe(date);
    await chip.click();
    await visible(stranger.locator('aside.detail').getByText(/6:00 PM – 11:00 PM C[SD]T/));
    await screenshot(stranger, 'time-zones-detail-tokyo-stranger');

    // The trade's list, and the email the subscriber got.
    await stranger.goto(`${t.url}/trades/dj`);
    await visible(stranger.locator('.trade-list tbody tr', { hasText: 'Retirement party DJ' }).getByText(/6:00 PM – 11:00 PM C[SD]T/));
    const alert = t.server.marketplace!.outbox.listEmails({ to: 'sub@example.com', kind: 'new-leed', limit: 1 })[0]!;
    expect(alert.text).toMatch(/When: +\w{3}, \w{3} \d+, \d{4}, 6:00 PM – 11:00 PM C[SD]T/);
    expect((await t.api('GET', `/api/leedz${leedPath.slice('/leedz'.length)}`)).body.when).toMatch(/6:00 PM – 11:00 PM C[SD]T$/);
  }, 120_000);

  it('bought from a Tokyo browser, the Illinois leed of 18:00–23:00 reads 6:00 PM – 11:00 PM Central on the receipt and in My leedz', async () => {
    const seller = await t.signIn('sella@example.com');
    const date = new Date(Date.now() + 12 * 86_400_000).toISOString().slice(0, 10);
    // The gig's wall clock, read by the server in the zone of its location (America/Chicago).
    const posted = await t.api('POST', '/api/leedz', {
      token: seller.token,
      body: newLeedBody({ trade: 'dj', title: 'Anniversary dinner DJ', price: 3000, location: '9 Oak Street, Springfield, IL 62704', start: `${date}T18:00`, end: `${date}T23:00` }),
    });
    expect(posted.status).toBe(201);
    // In Tokyo that is the next morning (8:00 or 9:00 AM): a time or date in the browser's zone would not match.
    const day = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' }).format(new Date(`${date}T12:00:00Z`));

    const { page } = tokyo;
    await signInThroughOutbox(page, t, 'taro@example.com');
    await page.goto(`${t.url}/leedz/dj/${posted.body.id}`);
    await page.locator('aside.detail').getByRole('button', { name: 'Buy for $30.00' }).click();
    await page.waitForURL(/\/pay\/checkout\//);
    await page.getByRole('button', { name: 'Pay $30.00' }).click();
    await page.waitForURL(`${t.url}/receipts/dj/${posted.body.id}`);
    const receipt = page.locator('section.receipt');
    await visible(receipt.getByRole('heading', { name: 'Receipt: Anniversary dinner DJ' }));
    expect(await receipt.locator('dt:text-is("Date") + dd').textContent()).toBe(day);
    expect(await receipt.locator('dt:text-is("Time") + dd').textContent()).toMatch(/^6:00 PM – 11:00 PM C[SD]T \(America\/Chicago\)$/);
    await screenshot(page, 'time-zones-receipt-tokyo-buyer');

    await page.getByRole('link', { name: 'My leedz' }).click();
    await page.waitForURL(`${t.url}/my-leedz`);
    const when = page.locator('table.my-bought tr', { hasText: 'Anniversary dinner DJ' }).locator('td[data-label="When"]');
    await visible(when);
    expect(await when.textContent()).toMatch(new RegExp(`^${day}6:00 PM – 11:00 PM C[SD]T$`));
  }, 120_000);

  it('a day of the calendar lists its leedz by the times they show, each where its gig is, not by the instant', async () => {
    const poster = await t.signIn('zed@example.com');
    // 20 days on, at noon UTC: the same calendar day in every US zone.
    const day = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    const post = async (title: string, location: string, startUtc: string) => {
      const start = new Date(`${day}T${startUtc}:00Z`);
      const posted = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj', title, location, start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString() }) });
      expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    };
    // By the instant: New York's 3pm (20:00 UTC) first, then Chicago's 4pm and Los Angeles' 2pm (both 22:00 UTC).
    await post('Chicago four', '233 S Wacker Drive, Chicago, IL 60606', '22:00');
    await post('New York three', '350 Fifth Avenue, New York, NY 10118', '20:00');
    await post('Los Angeles two', '111 S Grand Avenue, Los Angeles, CA 90012', '22:00');
    await t.settle();
    // Uma, subscribed to dj, in a browser set to UTC.
    const page = utc.page;
    await page.goto(`${t.url}/?month=${day.slice(0, 7)}`);
    await page.locator('.calendar[data-ready="true"]').waitFor();
    const cell = page.locator('li.day', { has: page.locator(`time[datetime="${day}"]`) });
    await visible(cell.locator('.chip', { hasText: 'Chicago four' }));
    expect(await cell.locator('.chip-time').allTextContents()).toEqual(['2pm', '3pm', '4pm']);
  }, 60_000);

  it('on the night the clocks go back, each end of a gig is named in its own zone: 1:30 AM CDT – 2:30 AM CST is two hours', async () => {
    // The next first Sunday of November, 06:30 UTC: 1:30 AM CDT in Illinois; two hours later it is 2:30 AM CST.
    const start = nextFallBack(Date.now() + 2 * 86_400_000);
    const vendor = await openBrowser(undefined, { timezoneId: 'UTC' });
    try {
      const { page } = vendor;
      await signInThroughOutbox(page, t, 'dora@example.com');
      const dora = await t.signIn('dora@example.com');
      const posted = await t.api('POST', '/api/leedz', {
        token: dora.token,
        body: newLeedBody({ trade: 'dj', title: 'Late night DJ', start: new Date(start).toISOString(), end: new Date(start + 2 * 3_600_000).toISOString() }),
      });
      expect(posted.status).toBe(201);
      // The API's words, which the page must agree with.
      expect(posted.body.when).toMatch(/1:30 AM CDT – 2:30 AM CST$/);
      await page.goto(`${t.url}/leedz/dj/${posted.body.id}`);
      await visible(page.locator('aside.detail').getByText('1:30 AM CDT – 2:30 AM CST'));
      await page.goto(`${t.url}/trades/dj`);
      await visible(page.locator('.trade-list tbody tr', { hasText: 'Late night DJ' }).getByText('1:30 AM CDT – 2:30 AM CST'));
      await page.goto(`${t.url}/my-leedz`);
      await visible(page.locator('tr', { hasText: 'Late night DJ' }).getByText(/1:30 AM CDT – 2:30 AM CST$/));
    } finally {
      await vendor.close();
    }
  }, 120_000);
});

/** The first Sunday of November after `after` (ms), at 06:30 UTC: US daylight time ends at 2:00 AM that morning. */
function nextFallBack(after: number): number {
  for (let year = new Date(after).getUTCFullYear(); ; year++) {
    const first = new Date(Date.UTC(year, 10, 1)).getUTCDay();
    const at = Date.UTC(year, 10, 1 + ((7 - first) % 7), 6, 30);
    if (at > after) return at;
  }
}
