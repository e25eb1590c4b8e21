/**
 * Keeping people informed, in Chromium: a vendor who was emailed about a leed gets "Leed withdrawn"
 * when its poster deletes it from its page; a buyer makes a private calendar link on their profile,
 * which serves their gigs as iCalendar until they turn it off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('keeping people informed, in a browser', () => {
  let t: TestServer;
  let user: BrowserUser;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }]);
    user = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await user?.close();
    await t?.close();
  });

  it('the poster deletes a leed from its page; the vendor emailed about it reads "Leed withdrawn"', async () => {
    const poster = await t.signIn('pia@example.com');
    const heard = await t.signIn('hal@example.com');
    await t.api('PATCH', '/api/me', { token: heard.token, body: { subscriptions: ['dj'] } });
    const posted = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj', title: 'Graduation party DJ' }) });
    await t.settle();
    expect(t.server.marketplace!.outbox.countEmails({ to: 'hal@example.com', kind: 'new-leed' })).toBe(1);

    const { page } = user;
    await signInThroughOutbox(page, t, 'pia@example.com');
    await page.goto(`${t.url}/leedz/dj/${posted.body.id}`);
    const panel = page.locator('aside.detail');
    await panel.getByRole('button', { name: 'Delete' }).click();
    await panel.getByRole('button', { name: 'Delete leed' }).click();
    await visible(page.getByText('Deleted “Graduation party DJ”.'));
    await t.settle();

    await page.goto(`${t.url}/console#outbox`);
    await page.getByLabel('To', { exact: true }).fill('hal@example.com');
    await page.locator('.email-item', { hasText: 'Leed withdrawn: Graduation party DJ' }).click();
    const email = page.frameLocator('iframe.email-frame');
    await visible(email.getByText('pia withdrew the dj leed "Graduation party DJ": it is no longer for sale.'));
    await visible(email.getByRole('link', { name: 'See other dj leedz' }));
    await visible(email.getByRole('link', { name: /\/profile#subscriptions$/ }));
    await screenshot(page, 'informed-withdrawn-email');
    expect(t.server.marketplace!.outbox.countEmails({ to: 'hal@example.com', kind: 'withdrawn' })).toBe(1);
  }, 120_000);

  it('a buyer makes a calendar link on their profile; it serves their gig as iCalendar until turned off', async () => {
    const poster = await t.signIn('pia@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj', title: 'Sweet sixteen DJ', price: 0, location: '60 Ash Street, Springfield, IL 62702' }) });
    const buyer = await t.signIn('bea@example.com');
    expect((await t.api('POST', `/api/leedz/dj/${posted.body.id}/checkout`, { token: buyer.token })).body.sold).toBe(true);

    const { page } = user;
    await page.context().clearCookies({ name: 'leedz_session' });
    await signInThroughOutbox(page, t, 'bea@example.com');
    await page.goto(`${t.url}/profile#calendar`);
    const section = page.locator('#calendar');
    await visible(section.getByRole('heading', { name: 'Calendar feed' }));
    await visible(section.getByText('Off: no link exists.'));
    await section.getByRole('button', { name: 'Create a calendar link' }).click();
    const field = section.getByLabel('Your calendar link (shown this once)');
    await visible(field);
    const url = await field.inputValue();
    expect(url).toMatch(/\/api\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
    await visible(section.getByText(/^On since/));
    await screenshot(page, 'informed-calendar-feed');

    const feed = await fetch(url);
    expect(feed.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const text = (await feed.text()).replace(/\r\n /g, '');
    expect(text).toContain('SUMMARY:dj: Sweet sixteen DJ');
    expect(text).toContain(`UID:${posted.body.id}@`);

    await section.getByRole('button', { name: 'Turn off' }).click();
    await visible(section.getByText(/Your calendar link is turned off/));
    expect((await fetch(url)).status).toBe(404);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.url}/profile#calendar`);
    await visible(section.getByRole('button', { name: 'Create a calendar link' }));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1366, height: 900 });
  }, 120_000);
});
