/**
 * The web app as deployed to AWS (`writeWebSite`: index.html and its assets for S3), in Chromium,
 * beside the same app on the local server. On AWS there is no operations console (it reads the local
 * runtime), so the deployed app links to none: not in its footer, not in the sign-in confirmation.
 * Locally, both are there.
 *
 * CloudFront is played by the page's routing: `/assets/*` from the written folder, `/api/*` from a
 * local server's API, every other path `index.html` (as the distribution's functions answer).
 */
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWebSite } from '../../src/server/web-assets.js';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { openBrowser, requireChromium, skipChromium, visible, type BrowserUser } from './browser.js';

const SITE = 'https://leedz-site.test';
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.svg': 'image/svg+xml' };

describe.skipIf(skipChromium)('the web app on AWS and on the local server', () => {
  const site = tempDir('leedz-aws-site-');
  let t: TestServer;
  let user: BrowserUser;

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
        // The API of the local server, asked as CloudFront would ask API Gateway (from the server's side: no Origin).
        const body = request.postData();
        const response = await fetch(`${t.url}${url.pathname}${url.search}`, {
          method: request.method(),
          headers: { accept: 'application/json', ...(body === null ? {} : { 'content-type': 'application/json' }) },
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
});
