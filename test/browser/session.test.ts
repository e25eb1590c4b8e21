/**
 * Signing in, in Chromium: the home page asks "who am I" without a failed request in the console;
 * a sign-in link survives a plain GET (what mail scanners do) and signs in only from its page's
 * button; a used, forged or truncated link says what happened and offers a new one; a session that
 * ends under a form says so in plain words; a sign-in or sign-out in one tab shows in the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLeedBody, signInTokenOf, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('signing in, in a browser', () => {
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

  /** Ask for a link through the API and read it from the outbox, as its recipient would. */
  async function signInLinkFor(email: string): Promise<string> {
    const before = t.server.marketplace!.outbox.countEmails({ to: email, kind: 'magic-link' });
    expect((await t.api('POST', '/api/auth/login', { body: { email } })).status).toBe(202);
    await t.settle();
    const emails = t.server.marketplace!.outbox.listEmails({ to: email, kind: 'magic-link', limit: 1 });
    expect(t.server.marketplace!.outbox.countEmails({ to: email, kind: 'magic-link' })).toBe(before + 1);
    const link = /https?:\/\/\S+\/signin\/confirm#token=[A-Za-z0-9_%-]+/.exec(emails[0]!.text)?.[0];
    expect(link).toBeDefined();
    return link!;
  }

  it('a signed-out visitor’s home page asks who is signed in without any failed request or console error', async () => {
    const { page } = user;
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${t.url}/`);
    await visible(page.getByRole('link', { name: 'Sign in' }));
    await page.locator('.calendar[data-ready="true"]').or(page.getByText('Showing the busiest trades')).first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);
    const session = await page.evaluate(async () => {
      const response = await fetch('/api/session');
      return { status: response.status, body: await response.json() };
    });
    expect(session).toEqual({ status: 200, body: { signedIn: false } });
    page.removeAllListeners('console');
    page.removeAllListeners('response');
  }, 60_000);

  it('a plain GET of the link (a mail scanner) does not use it up; its page signs in with a button, by keyboard too', async () => {
    const { page } = user;
    const link = await signInLinkFor('gail@example.com');
    // What a mail scanner or a link preview does: fetch the link. The token is in the fragment, never sent.
    const scanned = await fetch(link);
    expect(scanned.status).toBe(200);
    expect(await scanned.text()).not.toContain(new URL(link).hash.slice(1));

    await page.goto(link);
    await visible(page.getByRole('heading', { name: 'Sign in to the Leedz' }));
    // Nothing happened yet: the browser has no session until the button is pressed.
    expect((await page.context().cookies()).some((c) => c.name === 'leedz_session')).toBe(false);
    await screenshot(page, 'signin-confirm');
    // The button has focus: Enter signs in.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Sign in');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${t.url}/`);
    await visible(page.locator('.signed-in a', { hasText: 'gail' }));
    await visible(page.getByText('Signed in as gail.'));
    expect(new URL(page.url()).hash).toBe('');

    // The same link again: used, so the page says so and offers a new one.
    await page.goto(link);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await visible(page.getByRole('heading', { name: 'This sign-in link no longer works' }));
    await visible(page.getByText('It was already used, or it is more than 15 minutes old'));
    await screenshot(page, 'signin-link-used');
    await page.getByLabel('Email', { exact: true }).fill('gail@example.com');
    await page.getByRole('button', { name: 'Email me a new link' }).click();
    await visible(page.getByText('A sign-in link is on its way to gail@example.com'));
    await t.settle();
    const newest = t.server.marketplace!.outbox.listEmails({ to: 'gail@example.com', kind: 'magic-link', limit: 1 });
    expect(signInTokenOf(newest[0]!.text)).not.toBe(signInTokenOf(`${link} `));
  }, 90_000);

  it('"Sign in to buy" comes back to the leed once the emailed link is used', async () => {
    const seller = await t.signIn('sel@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Gala DJ, 4 hours', price: 3_000 }) });
    expect(posted.status).toBe(201);
    const browser = await openBrowser();
    try {
      const { page } = browser;
      const leedPath = `/leedz/dj/${posted.body.id}`;
      await page.goto(`${t.url}${leedPath}`);
      await page.locator('aside.detail').getByRole('link', { name: 'Sign in to buy' }).click();
      await page.waitForURL(/\/signin\?next=/);
      await page.getByLabel('Email').fill('returning@example.com');
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      await visible(page.getByText(/A sign-in link is on its way/));
      await t.settle();
      const [email] = t.server.marketplace!.outbox.listEmails({ to: 'returning@example.com', kind: 'magic-link', limit: 1 });
      const link = /https?:\/\/\S+\/signin\/confirm#token=[A-Za-z0-9_%-]+/.exec(email!.text)![0];
      // Opened from the email in another tab of the same browser.
      const fromEmail = await browser.context.newPage();
      await fromEmail.goto(link);
      await fromEmail.getByRole('button', { name: 'Sign in', exact: true }).click();
      await fromEmail.waitForURL(new RegExp(`^${t.url}${leedPath}(\\?|$)`));
      await visible(fromEmail.locator('aside.detail').getByRole('button', { name: 'Buy for $30.00' }));
      // Back in the first tab, still on its sign-in page's "on its way": it follows the other tab's sign-in.
      await page.bringToFront();
      await visible(page.locator('.site-header').getByRole('button', { name: 'Sign out' }));
      await page.goto(`${t.url}${leedPath}`);
      await visible(page.locator('aside.detail').getByRole('button', { name: 'Buy for $30.00' }));
      // Signed out in the other tab: this one no longer offers to buy as someone signed out.
      await fromEmail.bringToFront();
      await fromEmail.locator('.site-header').getByRole('button', { name: 'Sign out' }).click();
      await visible(page.locator('aside.detail').getByRole('link', { name: 'Sign in to buy' }));
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('the "Sign in" link of a signed-out page comes back to that page: post, my leedz, profile, a month of the calendar', async () => {
    const browser = await openBrowser();
    try {
      const { page } = browser;
      for (const path of ['/post', '/my-leedz', '/profile']) {
        await page.goto(`${t.url}${path}`);
        await page.locator('main').getByRole('link', { name: 'Sign in', exact: true }).click();
        await page.waitForURL(`${t.url}/signin?next=${encodeURIComponent(path)}`);
      }
      // The trades column's "Sign in to subscribe", on a month the vendor went to.
      await page.goto(`${t.url}/?month=2031-03`);
      await page.locator('.trades-column').getByRole('link', { name: 'Sign in', exact: true }).click();
      await page.waitForURL(`${t.url}/signin?next=${encodeURIComponent('/?month=2031-03')}`);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('a session that ends under a form says so in plain words and keeps what was typed', async () => {
    const { page, context } = user;
    await page.goto(await signInLinkFor('ivy@example.com'));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await visible(page.getByText(/Signed in as/));
    await page.goto(`${t.url}/post`);
    await page.getByLabel('Title', { exact: true }).fill('Birthday party DJ, 3 hours');
    await context.clearCookies();
    await page.getByRole('button', { name: 'Post leed' }).click();
    await visible(page.getByText(/you are signed out \(your session has ended\)/));
    expect(await page.getByText(/Authorization: Bearer/).count()).toBe(0);
    expect(await page.getByLabel('Title', { exact: true }).inputValue()).toBe('Birthday party DJ, 3 hours');
    // The top of the page says so too, with the way back: a sign-in in a new tab that returns here.
    const again = page.getByRole('alert').getByRole('link', { name: 'Sign in again in a new tab' });
    await visible(again);
    expect(await again.getAttribute('href')).toBe(`/signin?next=${encodeURIComponent('/post')}`);
    expect(await again.getAttribute('target')).toBe('_blank');
    // Signed in again in another tab: the notice goes, and what was typed is still there to post.
    const other = await context.newPage();
    await other.goto(await signInLinkFor('ivy@example.com'));
    await other.getByRole('button', { name: 'Sign in', exact: true }).click();
    await visible(other.getByText(/Signed in as/));
    await other.close();
    await page.bringToFront();
    await expect.poll(() => again.count()).toBe(0);
    expect(await page.getByLabel('Title', { exact: true }).inputValue()).toBe('Birthday party DJ, 3 hours');
  }, 60_000);

  it('a forged token and an address without one each say what happened, at phone width too', async () => {
    const phone = await openBrowser({ width: 390, height: 844 });
    try {
      const { page } = phone;
      await page.goto(`${t.url}/signin/confirm#token=${'x'.repeat(43)}`);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await visible(page.getByRole('heading', { name: 'This sign-in link no longer works' }));
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.goto(`${t.url}/signin/confirm`);
      await visible(page.getByRole('heading', { name: 'This sign-in link is incomplete' }));
      await visible(page.getByRole('button', { name: 'Email me a new link' }));
      await screenshot(page, 'signin-link-incomplete-phone');
      // Cut short in the mail app (a token of a few characters): the same page, not a dead end.
      await page.goto(`${t.url}/signin/confirm#token=abc`);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await visible(page.getByRole('heading', { name: 'This sign-in link is incomplete' }));
      await visible(page.getByRole('button', { name: 'Email me a new link' }));
    } finally {
      await phone.close();
    }
  }, 60_000);
});
