/**
 * The API reference in Chromium: styled under its own policy (no violation in the console), each
 * operation with tables and examples, its links usable by keyboard, and readable on a phone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('the API reference, in a browser', () => {
  let t: TestServer;
  let reader: BrowserUser;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer();
    reader = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await reader?.close();
    await t?.close();
  });

  it('reads as a reference: styled, with tables, examples and errors; by keyboard and at phone width', async () => {
    const { page } = reader;
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    await page.goto(`${t.url}/api/docs`);
    await visible(page.getByRole('heading', { name: 'The Leedz API', level: 1 }));
    // The stylesheet applies (a CSP violation would leave the badge unstyled, and say so in the console).
    expect(await page.locator('.method.post').first().evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(29, 79, 145)');
    expect(problems).toEqual([]);

    const post = page.locator('section#addLeed');
    await visible(post.getByRole('heading', { name: 'Request body (JSON)' }));
    await visible(post.getByRole('cell', { name: 'location', exact: true }));
    await visible(post.getByText(/a full street address: house number, street, town, state and the 5-digit zip/));
    await visible(post.getByRole('cell', { name: 'CONFLICT' }));
    await visible(post.locator('pre', { hasText: '"start": "2027-01-09T18:00"' }));
    // A named type is a link to its own section.
    await page.locator('section#getLeed').getByRole('link', { name: 'LeedView' }).first().click();
    await page.waitForURL(/#type-LeedView$/);
    await visible(page.locator('section#type-LeedView').getByRole('cell', { name: 'hidden', exact: true }));

    // The table of contents by keyboard.
    await page.goto(`${t.url}/api/docs`);
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.textContent === 'GET /api/stats');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL(/#getStats$/);
    await screenshot(page, 'api-docs');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.url}/api/docs#addLeed`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'api-docs-phone');
  }, 60_000);
});
