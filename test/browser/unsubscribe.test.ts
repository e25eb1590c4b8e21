/**
 * Unsubscribing from an alert, in Chromium: the List-Unsubscribe link opened in a browser (a GET)
 * lands on the page that asks first and changes nothing; its button unsubscribes from that trade
 * without a session; a broken link says so; and the page has no unnamed control.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, skipChromium, unnamedControls, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('unsubscribing, in a browser', () => {
  let t: TestServer;
  let user: BrowserUser;
  let pat: { token: string; username: string };
  let link: string;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }, { name: 'magic' }]);
    pat = await t.signIn('pat@example.com');
    expect((await t.api('PATCH', '/api/me', { token: pat.token, body: { subscriptions: ['dj', 'magic'] } })).status).toBe(200);
    const poster = await t.signIn('poster@example.com');
    expect((await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj' }) })).status).toBe(201);
    await t.settle();
    const [alert] = t.server.marketplace!.outbox.listEmails({ to: 'pat@example.com', kind: 'new-leed' });
    link = /^<(.+)>$/.exec(alert!.headers!['List-Unsubscribe']!)![1]!;
    user = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await user?.close();
    await t?.close();
  });

  const subscriptions = async () => (await t.api('GET', '/api/me', { token: pat.token })).body.subscriptions as string[];

  it('opening the link shows what the button will do, and changes nothing until it is pressed', async () => {
    const { page } = user;
    await page.goto(link);
    await page.waitForURL(/\/unsubscribe#token=/);
    const button = page.getByRole('button', { name: 'Unsubscribe from dj leedz' });
    await visible(button);
    await expect(button.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Unsubscribe');
    // Subscriptions are also the calendar's trades: the page says so before the button is pressed.
    await visible(page.getByText('Your subscriptions are also the trades your calendar shows: dj leaves it too.'));
    expect(await unnamedControls(page)).toEqual([]);
    await screenshot(page, 'unsubscribe-ask');
    expect(await subscriptions()).toEqual(['dj', 'magic']);
  }, 60_000);

  it('the button unsubscribes from that trade only, with no session in this browser', async () => {
    const { page } = user;
    expect(await user.context.cookies()).toEqual([]);
    await page.getByRole('button', { name: 'Unsubscribe from dj leedz' }).click();
    await visible(page.getByText('You will get no more emails about dj leedz, and they no longer fill your calendar.'));
    await screenshot(page, 'unsubscribe-done');
    expect(await subscriptions()).toEqual(['magic']);
    // Subscribing again is done where it is done: the marketplace's trades column.
    await visible(page.getByText('Changed your mind? Subscribe again in the trades column of the marketplace.'));
    expect(await page.locator('main').getByRole('link', { name: 'marketplace', exact: true }).getAttribute('href')).toBe('/');
  }, 60_000);

  it('a link cut short or tampered with says it does not work, and unsubscribes nobody', async () => {
    const { page } = user;
    const token = new URL(link).searchParams.get('token')!;
    const [name, , mac] = token.split('.');
    const tampered = `${name}.${Buffer.from('magic').toString('base64url')}.${mac}`;
    // A new load of the page (a change of the fragment alone would not load it again).
    await page.goto('about:blank');
    await page.goto(`${t.url}/unsubscribe#token=${tampered}`);
    await page.getByRole('button', { name: 'Unsubscribe from magic leedz' }).click();
    await visible(page.getByRole('heading', { name: 'This unsubscribe link does not work' }));
    // The API's message, standing alone: a sentence with its capital and its full stop.
    await visible(page.getByText(/^This unsubscribe link is not one of ours.*\.$/));
    expect(await subscriptions()).toEqual(['magic']);

    await page.goto('about:blank');
    await page.goto(`${t.url}/unsubscribe`);
    await visible(page.getByText('The address has no unsubscribe token'));
    // A token that is there but not one (cut, or garbled) is not called missing.
    await page.goto('about:blank');
    await page.goto(`${t.url}/unsubscribe#token=garbage`);
    await visible(page.getByText('The address’s unsubscribe token is not one of ours, or not whole: open the link from the email again, whole.'));
  }, 60_000);
});
