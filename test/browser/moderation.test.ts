/**
 * Moderation in Chromium: a vendor reports a leed from its panel; the operator finds the report in
 * the console's Reports tab with the leed, the reporter and the reason, takes the leed down after
 * confirming (by keyboard), and its poster gets "Your leed was taken down"; another report is
 * dismissed. Signed-in vendors cannot read the reports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, signInAsOperator, signInThroughOutbox, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('moderation, in a browser', () => {
  let t: TestServer;
  let rita: BrowserUser;
  let ops: BrowserUser;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }]);
    [rita, ops] = await Promise.all([openBrowser(), openBrowser()]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([rita?.close(), ops?.close()]);
    await t?.close();
  });

  it('Rita reports a leed; the operator takes it down from the console and its poster is emailed', async () => {
    const poster = await t.signIn('paul@example.com');
    const spam = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj', title: 'CHEAP DJ!!! CALL NOW' }) });
    const odd = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj', title: 'Odd but fine DJ gig', location: '5 Odd Street, Springfield, IL 62704' }) });

    const r = rita.page;
    await signInThroughOutbox(r, t, 'rita@example.com');
    for (const [id, reason] of [[spam.body.id, 'Spam: the same ad is posted every day.'], [odd.body.id, 'Looks odd to me']] as const) {
      await r.goto(`${t.url}/leedz/dj/${id}`);
      await r.locator('aside.detail').getByRole('button', { name: 'Report' }).click();
      await r.getByLabel('Why are you reporting this leed?').fill(reason);
      await r.getByRole('button', { name: 'Send report' }).click();
      await visible(r.getByText('Thank you.'));
    }
    // Rita is a vendor, not the operator (she read her sign-in email in the console: that session goes).
    await rita.context.clearCookies({ name: 'leedz_operator' });
    expect(await r.evaluate(async () => (await fetch('/api/ops/reports')).status)).toBe(401);

    const o = ops.page;
    await signInAsOperator(o, t);
    await o.goto(`${t.url}/console#reports`);
    const card = o.locator('li.report', { hasText: 'CHEAP DJ!!! CALL NOW' });
    await visible(card.getByText('Spam: the same ad is posted every day.'));
    await visible(card.getByText(/^rita, /));
    await visible(card.getByText(/posted by paul/));
    await screenshot(o, 'console-reports');

    await card.getByRole('button', { name: /^Take down/ }).click();
    // The confirmation takes focus: Enter takes the leed down.
    await o.waitForFunction(() => document.activeElement?.textContent === 'Take it down');
    await o.keyboard.press('Enter');
    await visible(o.getByText('“CHEAP DJ!!! CALL NOW” is taken down'));
    await o.locator('li.report', { hasText: 'Odd but fine DJ gig' }).getByRole('button', { name: /^Dismiss/ }).click();
    await visible(o.getByText('Report on “Odd but fine DJ gig” dismissed.'));
    await visible(o.getByText('No open reports.'));
    await o.getByRole('button', { name: 'Resolved' }).click();
    await visible(o.locator('li.report', { hasText: 'CHEAP DJ!!! CALL NOW' }).getByText('Taken down'));
    await visible(o.locator('li.report', { hasText: 'Odd but fine DJ gig' }).getByText('Dismissed'));
    await screenshot(o, 'console-reports-resolved');

    await t.settle();
    await o.getByRole('link', { name: 'Outbox' }).click();
    await o.getByLabel('To', { exact: true }).fill('paul@example.com');
    await o.locator('.email-item', { hasText: 'Your leed was taken down: CHEAP DJ!!! CALL NOW' }).click();
    await visible(o.frameLocator('iframe.email-frame').getByText(/After a report by another vendor, the Leedz took down your dj leed/));
    expect((await t.api('GET', `/api/leedz/dj/${spam.body.id}`)).status).toBe(404);
    expect((await t.api('GET', `/api/leedz/dj/${odd.body.id}`)).body.status).toBe('active');

    await o.setViewportSize({ width: 390, height: 844 });
    await o.goto(`${t.url}/console#reports`);
    await visible(o.getByRole('heading', { name: 'Reports' }));
    expect(await o.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  }, 120_000);
});
