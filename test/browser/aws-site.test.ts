/**
 * The web app as deployed to AWS (`writeWebSite`: index.html and its assets for S3), in Chromium,
 * beside the same app on the local server. On AWS there is no operations console (it reads the local
 * runtime), so the deployed app links to none: not in its footer, not in the sign-in confirmation.
 * Locally, both are there.
 *
 * API Gateway and CloudFront also answer some requests themselves, in their own shape
 * (`{"message": …}`): the JWT authorizer refuses an expired session token with 401, a throttled route
 * is a 429. The app says what to do about them as it does locally: sign in again, wait a minute. And
 * a site that cannot be reached is the visitor's connection, not a server they should start.
 *
 * CloudFront is played by the page's routing: `/assets/*` from the written folder, `/api/*` from a
 * local server's API (the browser's cookie passed on), every other path `index.html` (as the
 * distribution's functions answer); API Gateway's own answers when the test says so.
 */
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/leedz/functions/routes.js';
import { writeWebSite } from '../../src/server/web-assets.js';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openBrowser, requireChromium, skipChromium, visible, type BrowserUser } from './browser.js';

const SITE = 'https://leedz-site.test';
/** The routes API Gateway's JWT authorizer guards (ROUTES' `session` ones), as patterns of their paths. */
const GUARDED = ROUTES.filter((route) => route.auth === 'session').map((route) => ({ method: route.method, path: new RegExp(`^${route.path.replace(/:[^/]+/g, '[^/]+')}$`) }));
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.svg': 'image/svg+xml' };

describe.skipIf(skipChromium)('the web app on AWS and on the local server', () => {
  const site = tempDir('leedz-aws-site-');
  let t: TestServer;
  let user: BrowserUser;
  /** What API Gateway answers itself, instead of the function: `expired` (its authorizer refuses the token), `throttled` (sign-in), `unreachable`. */
  let gateway: 'expired' | 'throttled' | 'unreachable' | undefined;

  beforeAll(async () => {
    requireChromium();
    await writeWebSite(site.path);
    t = await startTestServer();
    await t.server.marketplace!.store.addTrades([{ name: 'dj' }]);
    user = await openBrowser();
    await user.context.route(`${SITE}/**`, async (route) => {
      const request = route.request();
      const url = new URL(request.url());
      if (url.pathname.startsWith('/api/')) {
        if (gateway === 'unreachable') return route.abort('internetdisconnected');
        if (gateway === 'expired' && GUARDED.some((g) => g.method === request.method() && g.path.test(url.pathname))) {
          return route.fulfill({ status: 401, contentType: 'application/json', body: '{"message":"Unauthorized"}' });
        }
        if (gateway === 'throttled' && url.pathname === '/api/auth/login') return route.fulfill({ status: 429, contentType: 'application/json', body: '{"message":"Too Many Requests"}' });
        // The API of the local server, asked as CloudFront would ask API Gateway (from the server's side: no Origin).
        const body = request.postData();
        const cookie = await request.headerValue('cookie');
        const response = await fetch(`${t.url}${url.pathname}${url.search}`, {
          method: request.method(),
          headers: { accept: 'application/json', ...(cookie === null ? {} : { cookie }), ...(body === null ? {} : { 'content-type': 'application/json' }) },
          ...(body === null ? {} : { body }),
        });
        await route.fulfill({ status: response.status, contentType: response.headers.get('content-type') ?? 'application/json', body: await response.text() });
        return;
      }
      const file = url.pathname.startsWith('/assets/') ? join(site.path, url.pathname) : join(site.path, 'index.html');
      await route.fulfill({ status: 200, contentType: TYPES[extname(file)] ?? 'text/html; charset=utf-8', body: readFileSync(file) });
    });
  }, 120_000);

  afterAll(async () => {
    await user?.close();
    await t?.close();
    site.cleanup();
  });

  /** The footer's links, and what the sign-in page says once a link is on its way. */
  async function linksAndSignInNotice(page: Page, base: string): Promise<{ footer: string[]; notice: string }> {
    await page.goto(`${base}/signin`);
    const footer = page.getByRole('navigation', { name: 'More' });
    await visible(footer.getByRole('link', { name: 'Stats' }));
    const links = await footer.getByRole('link').evaluateAll((anchors) => anchors.map((a) => `${a.textContent} ${a.getAttribute('href')}`));
    await page.getByLabel('Email', { exact: true }).fill('ivy@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'A sign-in link is on its way to ivy@example.com' });
    await visible(notice);
    return { footer: links, notice: (await notice.textContent()) ?? '' };
  }

  it('on AWS, links to no operations console (there is none); locally, to the one the server serves', async () => {
    const aws = await linksAndSignInNotice(user.page, SITE);
    expect(aws.footer).toEqual(['Stats /stats', 'API /api/docs']);
    expect(aws.notice).not.toMatch(/console/i);

    const local = await linksAndSignInNotice(user.page, t.url);
    expect(local.footer).toEqual(['Stats /stats', 'API /api/docs', 'Operations console /console']);
    expect(local.notice).toContain('The email is in the operations console’s outbox.');
    const hint = user.page.getByRole('link', { name: 'operations console’s outbox' });
    expect(await hint.getAttribute('href')).toBe('/console#outbox');
  }, 90_000);

  it("on AWS, says what to do about API Gateway's own answers: a session its authorizer refuses, a throttled sign-in, no connection", async () => {
    const { page, context } = user;
    const session = await t.signIn('uma@example.com');
    await context.addCookies([{ name: 'leedz_session', value: session.token, domain: 'leedz-site.test', path: '/', secure: true, httpOnly: true, sameSite: 'Lax' }]);
    try {
      await page.goto(`${SITE}/profile`);
      await visible(page.getByRole('button', { name: 'Save profile' }));
      // The token expired meanwhile: API Gateway's authorizer answers 401 {"message":"Unauthorized"}.
      gateway = 'expired';
      await page.getByRole('button', { name: 'Save profile' }).click();
      await visible(page.getByRole('alert').filter({ hasText: 'Your session has ended.' }));
      await visible(page.getByText(/you are signed out \(your session has ended\)/));
      expect(await page.getByText('Unauthorized', { exact: false }).count()).toBe(0);
    } finally {
      gateway = undefined;
      await context.clearCookies({ name: 'leedz_session' });
    }

    const askForLink = async () => {
      await page.goto(`${SITE}/signin`);
      await page.getByLabel('Email', { exact: true }).fill('uma@example.com');
      await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
      return page.locator('#signin-email-error, .notice.error');
    };
    try {
      gateway = 'throttled';
      await visible((await askForLink()).filter({ hasText: 'too many requests just now; wait a minute and try again' }));
      // No connection: the page itself says so as it loads (it asks who is signed in first).
      gateway = 'unreachable';
      await page.goto(`${SITE}/signin`);
      await visible(page.getByText('The marketplace could not load: the Leedz cannot be reached; check your connection and try again'));
    } finally {
      gateway = undefined;
    }
  }, 90_000);
});
