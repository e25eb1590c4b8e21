/**
 * The operations console in Chromium: a controller made to fail (SMTP_URL points at a loopback port
 * where nothing listens, so `emailHelper` cannot send) shows its retries and then a dead letter;
 * with an SMTP server started on that port, Replay succeeds and the timeline shows the replay.
 */
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, signInAsOperator, skipChromium, visible, type BrowserUser } from './browser.js';
import { freePort } from '../../src/server/emulators.js';

/** A loopback port that was free a moment ago. */

/** A real SMTP server on `port` that keeps the recipients of what it accepts. */
async function startSmtpServer(port: number): Promise<{ recipients: string[]; close(): Promise<void> }> {
  const recipients: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      stream.resume();
      stream.on('end', () => {
        recipients.push(...session.envelope.rcptTo.map((r) => r.address));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { recipients, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe.skipIf(skipChromium)('the operations console in a browser', () => {
  let t: TestServer;
  let ops: BrowserUser;
  let smtpPort: number;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>> | undefined;

  beforeAll(async () => {
    requireChromium();
    smtpPort = await freePort();
    // Retries after 60 ms and 120 ms instead of 1 and 2 minutes.
    t = await startTestServer({ timeScale: 0.001, env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` } });
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }]);
    ops = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await ops?.close();
    await t?.close();
    await smtp?.close();
  });

  it('a failing controller shows its retries, then a dead letter; Replay succeeds and the timeline shows it', async () => {
    const page = ops.page;
    // Ask for a sign-in link: emailHelper.magicLink fails to reach SMTP on every attempt.
    await page.goto(`${t.url}/signin`);
    await page.getByLabel('Email', { exact: true }).fill('dana@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await visible(page.getByText('A sign-in link is on its way'));

    // Retries: three attempts, each failure's error listed.
    await signInAsOperator(page, t);
    await page.goto(`${t.url}/console#retries`);
    const retried = page.locator('tr[data-route="magicLink"]');
    await visible(retried.filter({ hasText: "RetriesExhausted" }), 60_000);
    expect(await retried.locator('td.num').first().textContent()).toBe('3');
    expect(await retried.textContent()).toContain('SmtpSendError');
    await screenshot(page, 'console-retries');

    // The timeline: the login request, and under it the Event it handed off, failed after 3 attempts.
    await page.getByRole('link', { name: 'Timeline' }).click();
    const failedRow = page.locator('tr[data-route="magicLink"][data-outcome="RetriesExhausted"]');
    await visible(failedRow);
    const loginRow = page.locator('tr[data-function="login"]');
    await visible(loginRow);
    // The child is listed right under its parent, marked as caused by it.
    expect(await page.locator('tr[data-function="login"] + tr').getAttribute('data-route')).toBe('magicLink');
    await failedRow.getByRole('link').first().click();
    const detail = page.locator('aside.invocation-detail');
    await visible(detail.getByRole('heading', { name: 'Failed attempts' }));
    expect(await detail.locator('ol.attempts li').count()).toBe(3);
    await visible(detail.getByText('Caused by'));
    await screenshot(page, 'console-timeline-failure');

    // The dead letter.
    await page.getByRole('link', { name: 'Dead letters' }).click();
    const letter = page.locator('tr[data-dead-letter]', { hasText: 'magicLink' });
    await visible(letter);
    await visible(letter.getByText('RetriesExhausted'));
    expect(await letter.getByText('not retriable').count()).toBe(0);
    // An event its function refuses (no route): one attempt, the same condition, and the console says why.
    await t.server.runtime.invoke('bookkeeping', { leedId: 'l_1' }, 'Event');
    await t.server.runtime.drain();
    const refused = page.locator('tr[data-dead-letter]', { hasText: 'UnknownFunctionError' });
    await visible(refused);
    await visible(refused.getByText('not retriable: no retry'));
    expect(await refused.locator('td.num').nth(1).textContent()).toBe('1');
    await screenshot(page, 'console-dead-letters');

    // The outbox lists the email all the same, marked as not sent, with why.
    await page.getByRole('link', { name: 'Outbox' }).click();
    const unsent = page.locator('.email-item', { hasText: 'Your sign-in link for the Leedz' });
    await visible(unsent.locator('.pill.warn', { hasText: 'not sent yet' }));
    await unsent.click();
    const smtpLine = page.locator('.email-view dt', { hasText: 'SMTP' }).locator('xpath=following-sibling::dd[1]');
    expect(await (await visible(smtpLine)).textContent()).toMatch(/^not sent, .*could not reach the SMTP server at smtp:\/\/127\.0\.0\.1:\d+ .* emailHelper tries again/);
    await page.getByRole('link', { name: 'Dead letters' }).click();

    // SMTP comes back; Replay succeeds.
    smtp = await startSmtpServer(smtpPort);
    await letter.getByRole('button', { name: /^Replay/ }).click();
    const replayed = page.getByRole('status').filter({ hasText: 'replayed as invocation' });
    await visible(replayed);
    await visible(letter.getByText('replayed as'));
    await replayed.getByRole('link').click();

    // The timeline shows the replay, succeeded.
    await page.waitForURL(/#timeline\//);
    const replayRow = page.locator('tr[data-route="magicLink"][data-outcome="Success"]');
    await visible(replayRow, 60_000);
    await visible(replayRow.locator('.replay-mark'));
    await visible(page.locator('aside.invocation-detail').getByText('Replay of'));
    await visible(page.locator('aside.invocation-detail .pill', { hasText: 'Success' }));
    expect(smtp.recipients).toContain('dana@example.com');
    // The one it replays names it, from the server's record (not from the rows the timeline has loaded), and offers only to replay it again.
    const replayId = decodeURIComponent(new URL(page.url()).hash.replace('#timeline/', ''));
    await page.locator('aside.invocation-detail').getByText('Replay of').locator('xpath=following-sibling::dd[1]').getByRole('link').click();
    await visible(page.locator('aside.invocation-detail dd.replayed-as').getByRole('link', { name: replayId }));
    await visible(page.locator('aside.invocation-detail').getByRole('button', { name: 'Replay again' }));
    await replayRow.first().getByRole('link').first().click();
    await screenshot(page, 'console-timeline');

    // The email as its recipient sees it, sandboxed.
    await page.getByRole('link', { name: 'Outbox' }).click();
    await page.locator('.email-item', { hasText: 'Your sign-in link for the Leedz' }).click();
    await visible(smtpLine.getByText(/^accepted by the SMTP server/));
    expect(await page.locator('.email-item', { hasText: 'Your sign-in link for the Leedz' }).locator('.pill.warn').count()).toBe(0);
    const frame = page.locator('iframe.email-frame');
    expect(await frame.getAttribute('sandbox')).toBe('allow-top-navigation-by-user-activation');
    await visible(page.frameLocator('iframe.email-frame').getByRole('link', { name: 'Sign in' }));
    await screenshot(page, 'console-outbox');
    // Bulk mail's one-click unsubscribe (a header field) is there to try.
    await t.server.marketplace!.outbox.send({
      to: 'dana@example.com', kind: 'new-leed', key: 'l_9:dana:new-leed', subject: 'New Leed: Spring fair', html: '<p>Spring fair</p>', text: 'Spring fair',
      headers: { 'List-Unsubscribe': `<${t.url}/api/unsubscribe?token=abc.def.ghi>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    await page.locator('.email-item', { hasText: 'New Leed: Spring fair' }).click();
    const unsubscribe = page.getByRole('link', { name: 'the one-click link of List-Unsubscribe' });
    expect(await (await visible(unsubscribe)).getAttribute('href')).toBe(`${t.url}/api/unsubscribe?token=abc.def.ghi`);

    // Metrics and charts.
    await page.getByRole('link', { name: 'Functions' }).click();
    await visible(page.locator('tr[data-function="emailHelper"]'));
    await screenshot(page, 'console-functions');
    await page.getByRole('link', { name: 'Queue' }).click();
    await visible(page.getByRole('img', { name: /Queue depth/ }));
    await screenshot(page, 'console-queue');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Timeline' }).click();
    await visible(page.locator('tr[data-function="login"]'));
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'console-timeline-phone');
  }, 180_000);
});
