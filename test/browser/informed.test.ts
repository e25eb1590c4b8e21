/**
 * Keeping people informed, in Chromium: a vendor who was emailed about a leed gets "Leed withdrawn"
 * when its poster deletes it from its page, and "Leed changed" when its poster moves its time and
 * place on the Edit form; a buyer makes a private calendar link on their profile, which serves their
 * gigs as iCalendar until they turn it off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { localInput, openBrowser, requireChromium, screenshot, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';

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

  it('the poster moves a leed’s time and place on its Edit form; the vendor emailed about it reads "Leed changed" with the new time and place', async () => {
    const poster = await t.signIn('pia@example.com');
    const heard = await t.signIn('ivy@example.com');
    await t.api('PATCH', '/api/me', { token: heard.token, body: { subscriptions: ['dj'] } });
    const posted = await t.api('POST', '/api/leedz', {
      token: poster.token,
      body: newLeedBody({ trade: 'dj', title: 'Anniversary dinner DJ', location: '7 Birch Road, Springfield, IL 62701', visibility: { location: 'shown' } }),
    });
    expect(posted.status).toBe(201);
    await t.settle();
    expect(t.server.marketplace!.outbox.countEmails({ to: 'ivy@example.com', kind: 'new-leed' })).toBe(1);

    // On the Edit form, in the gig's own zone (Springfield: Chicago's): a day later, 7 PM to 10 PM, across town.
    const { page } = user;
    await page.context().clearCookies({ name: 'leedz_session' });
    await signInThroughOutbox(page, t, 'pia@example.com');
    await page.goto(`${t.url}/leedz/dj/${posted.body.id}`);
    const panel = page.locator('aside.detail');
    await panel.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL(/\/edit$/);
    const start = localInput(8, 19);
    await page.getByLabel('Location', { exact: true }).fill('88 Cedar Lane, Springfield, IL 62702');
    await page.getByLabel('Starts', { exact: true }).fill(start);
    await page.getByLabel('Ends', { exact: true }).fill(localInput(8, 22));
    await page.getByRole('button', { name: 'Save changes' }).click();
    await visible(page.getByText('Your changes are saved.'));
    await visible(panel.getByRole('heading', { name: 'Anniversary dinner DJ' }));
    await t.settle();

    // The new time as the email words it: the gig's date, its clock and its zone.
    const day = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' }).format(new Date(`${start.slice(0, 10)}T12:00:00Z`));
    const when = new RegExp(`^${day}, 7:00 PM – 10:00 PM C[SD]T$`);
    await page.goto(`${t.url}/console#outbox`);
    await page.getByLabel('To', { exact: true }).fill('ivy@example.com');
    // Hal (a dj subscriber since the first test) is told of the change too: pick Ivy's email, whatever the filter has shown yet.
    await page.locator('.email-item', { hasText: 'Leed changed: Anniversary dinner DJ' }).filter({ hasText: 'ivy@example.com' }).click();
    const email = page.frameLocator('iframe.email-frame');
    await visible(email.getByText('pia changed the time and the place of this dj leed, which you were told about.'));
    const fact = (label: string) => email.locator('th[scope="row"]', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::td');
    await visible(fact('When, now'));
    expect((await fact('When, now').textContent())?.trim()).toMatch(when);
    expect((await fact('When, before').textContent())?.trim()).toMatch(/PM C[SD]T$/);
    expect((await fact('When, before').textContent())?.trim()).not.toMatch(/7:00 PM/);
    expect((await fact('Zip, now').textContent())?.trim()).toBe('62702');
    expect((await fact('Zip, before').textContent())?.trim()).toBe('62701');
    expect((await fact('Location').textContent())?.trim()).toBe('88 Cedar Lane, Springfield, IL 62702');
    await visible(email.getByRole('link', { name: 'View the leed' }));
    await screenshot(page, 'informed-changed-email');

    // One email for the edit, the plain-text part saying the same; and every vendor told of the leed is told of the change.
    const changed = t.server.marketplace!.outbox.listEmails({ to: 'ivy@example.com', kind: 'changed', limit: 5 });
    expect(changed).toHaveLength(1);
    expect(changed[0]!.subject).toBe('Leed changed: Anniversary dinner DJ');
    expect(changed[0]!.text).toMatch(new RegExp(`When, now: +${day}, 7:00 PM – 10:00 PM C[SD]T`));
    expect(changed[0]!.text).toMatch(/Zip, now: +62702/);
    const recipients = (kind: 'new-leed' | 'changed', subject: string) =>
      t.server.marketplace!.outbox
        .listEmails({ kind, limit: 100 })
        .filter((e) => e.subject === subject)
        .map((e) => e.to)
        .sort();
    expect(recipients('changed', 'Leed changed: Anniversary dinner DJ')).toEqual(recipients('new-leed', 'New Leed: Anniversary dinner DJ'));
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
