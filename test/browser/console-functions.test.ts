/**
 * The console's Functions tab and its polling, in Chromium: the "Dead letters" column counts what
 * the Dead letters tab lists, and that tab says how many it leaves out; the table fits a 1,366 px screen; a console whose session ends (401),
 * or that talks to a server without the runtime's endpoints (404), stops asking and says why; Sign
 * out ends the session on the server. The tab says since when it counts, and a restart of the server
 * on the same data folder keeps both the counts and that date.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { resolveServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { openBrowser, requireChromium, screenshot, signInAsOperator, skipChromium, visible, type BrowserUser } from './browser.js';
import { freePort } from '../../src/server/emulators.js';

/** A loopback port that was free a moment ago (SMTP there fails: emailHelper cannot send). */

/** Requests to the runtime's `/local` endpoints made by `page` from now on. */
function countLocalRequests(page: Page): { count(): number; paths(): string[] } {
  const paths: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/local/')) paths.push(path);
  });
  return { count: () => paths.length, paths: () => [...paths] };
}

describe.skipIf(skipChromium)('the console’s Functions tab and polling', () => {
  let t: TestServer;
  let ops: BrowserUser;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer({ timeScale: 0.001, env: { SMTP_URL: `smtp://127.0.0.1:${await freePort()}` } });
    ops = await openBrowser();
  }, 120_000);

  afterAll(async () => {
    await ops?.close();
    await t?.close();
  });

  it('counts the dead letters the Dead letters tab lists, and fits 1,366 px', async () => {
    const page = ops.page;
    // Two sign-in emails that cannot be sent: two dead letters of emailHelper after three attempts each.
    for (const email of ['dana@example.com', 'dora@example.com']) expect((await t.api('POST', '/api/auth/login', { body: { email } })).status).toBe(202);
    await signInAsOperator(page, t);
    await page.goto(`${t.url}/console#dead-letters`);
    const rows = page.locator('tr[data-dead-letter]', { hasText: 'emailHelper' });
    await page.waitForFunction(() => document.querySelectorAll('tr[data-dead-letter]').length === 2, undefined, { timeout: 60_000 });
    const listed = await rows.count();

    await page.getByRole('link', { name: 'Functions' }).click();
    const cell = page.locator('tr[data-function="emailHelper"] td[data-dead-letters]');
    await visible(cell);
    await page.waitForFunction(() => document.querySelector('tr[data-function="emailHelper"] td[data-dead-letters]')?.getAttribute('data-dead-letters') !== '0');
    expect(Number(await cell.getAttribute('data-dead-letters'))).toBe(listed);
    expect((await cell.textContent())?.trim()).toBe(String(listed));
    // No horizontal scrolling at a laptop's width: the table fits its frame, the page its window.
    const fits = await page.locator('.table-wrap').evaluate((wrap) => ({ table: wrap.scrollWidth, frame: wrap.clientWidth }));
    expect(fits.table).toBeLessThanOrEqual(fits.frame);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1366);
    await screenshot(page, 'console-functions-1366');

    // The link goes to the tab it counts.
    await cell.getByRole('link').click();
    await page.waitForURL(/#dead-letters$/);
    await rows.nth(listed - 1).waitFor();
    expect(await rows.count()).toBe(listed);
  }, 120_000);

  it('the Dead letters tab lists the newest 200, says how many more are open, and Replay all counts every open one', async () => {
    const page = ops.page;
    // Events bookkeeping refuses (no route): each a dead letter after its one attempt.
    for (let i = 0; i < 205; i++) await t.server.runtime.invoke('bookkeeping', { leedId: `l_${i}` }, 'Event');
    await t.server.runtime.drain();
    const open = t.server.runtime.countOpenDeadLetters();
    expect(open).toBeGreaterThan(205);
    await signInAsOperator(page, t);
    await page.goto(`${t.url}/console#dead-letters`);
    await visible(page.getByRole('button', { name: `Replay all (${open})` }));
    expect(await page.locator('tr[data-dead-letter]').count()).toBe(200);
    await visible(page.locator('[data-more-dead-letters]').getByText(`The newest 200 are listed: ${open - 200} more open dead letters are not`));
  }, 120_000);

  it('shows a queue paused or resumed elsewhere (the CLI, another tab) without a reload', async () => {
    const page = ops.page;
    await signInAsOperator(page, t);
    await page.goto(`${t.url}/console#functions`);
    const row = page.locator('tr[data-function="bookkeeping"]');
    await visible(row.getByRole('button', { name: 'Pause bookkeeping’s queue' }));
    try {
      t.server.runtime.pause('bookkeeping');
      await visible(row.getByText('· paused'));
      await visible(row.getByRole('button', { name: 'Resume bookkeeping’s queue' }));
    } finally {
      t.server.runtime.resume('bookkeeping');
    }
    await visible(row.getByRole('button', { name: 'Pause bookkeeping’s queue' }));
    expect(await row.getByText('· paused').count()).toBe(0);
  });

  it('a missing invocation is that panel’s own "not found"; the console goes on', async () => {
    const page = ops.page;
    await page.goto(`${t.url}/console#timeline/no-such-invocation`);
    await visible(page.locator('aside.invocation-detail').getByText(/not found/));
    await visible(page.getByRole('heading', { name: 'Invocations' }));
    expect(await page.getByRole('heading', { name: 'The console stopped' }).count()).toBe(0);
  }, 60_000);

  it('follows the address when its fragment changes while the page is still starting', async () => {
    await signInAsOperator(ops.page, t);
    const page = await ops.page.context().newPage();
    try {
      // The fragment changes as soon as the document is parsed, before the console's effects run:
      // what a test runner's goto, or a quick click on a bookmark, does to a page that is loading.
      await page.addInitScript(() => {
        document.addEventListener('DOMContentLoaded', () => {
          location.hash = '#retries';
        });
      });
      await page.goto(`${t.url}/console#timeline`);
      await visible(page.getByRole('heading', { name: 'Retries', level: 1 }));
      expect(await page.locator('nav.tabs a[aria-current="page"]').textContent()).toBe('Retries');
      expect(await page.getByRole('heading', { name: 'Invocations' }).count()).toBe(0);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('when the operator session ends, the console stops polling and says how to sign in again', async () => {
    const page = ops.page;
    await page.goto(`${t.url}/console#functions`);
    await visible(page.locator('tr[data-function="emailHelper"]'));
    await page.context().clearCookies();
    await visible(page.getByRole('heading', { name: 'The console stopped' }), 10_000);
    await visible(page.getByText(/Your operator session has ended/));
    await visible(page.getByText('npm run leedz -- console-url'));
    const requests = countLocalRequests(page);
    await page.waitForTimeout(4000);
    expect(requests.count()).toBe(0);
    // Other tabs do not start polling again either.
    await page.getByRole('link', { name: 'Queue' }).click();
    await page.waitForTimeout(1500);
    expect(requests.count()).toBe(0);
    await screenshot(page, 'console-stopped-401');
  }, 60_000);

  it('a console that finds no runtime endpoints (404) stops after the first answer and says so', async () => {
    const page = ops.page;
    await signInAsOperator(page, t);
    // What a console at a wrong address meets: a server that has nothing at /local.
    await page.route('**/local/**', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: '404 Not Found' }));
    // A fresh page: the signed-in console's own polls (its default tab asks every second) must not
    // be counted, nor could a hash change alone stop them.
    await page.goto('about:blank');
    const requests = countLocalRequests(page);
    await page.goto(`${t.url}/console#functions`);
    await visible(page.getByRole('heading', { name: 'The console stopped' }));
    await visible(page.getByText(/answered 404/));
    const atStop = requests.count();
    await page.waitForTimeout(4000);
    expect(requests.count()).toBe(atStop);
    // What the first render asked for, each once (how many of them left before the first 404 came
    // back depends on the machine's load): none was asked for again, so nothing polled.
    const paths = requests.paths();
    expect(paths.length).toBeGreaterThan(0);
    expect(new Set(paths).size).toBe(paths.length);
    // Focus is on the explanation, and the page stays usable at phone width.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('stopped-title');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'console-stopped-404-phone');
    await page.unroute('**/local/**');
    await page.setViewportSize({ width: 1366, height: 900 });
  }, 60_000);

  it('Sign out ends the session on the server: the console shows its sign-in page, and the old cookie opens nothing', async () => {
    const page = ops.page;
    await signInAsOperator(page, t);
    await visible(page.getByRole('link', { name: 'Timeline' }));
    const [session] = (await page.context().cookies()).filter((cookie) => cookie.name === 'leedz_operator');
    expect(session).toBeDefined();
    await screenshot(page, 'console-header-sign-out');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${t.url}/console`);
    await visible(page.getByRole('heading', { name: 'Operations console' }));
    await visible(page.getByText('npm run leedz -- console-url'));
    // The cookie the browser held, sent again from elsewhere, is refused.
    const replayed = await fetch(`${t.url}/local/invocations?limit=1`, { headers: { cookie: `${session!.name}=${session!.value}` } });
    expect(replayed.status).toBe(401);
  }, 60_000);
});

/**
 * A browser, and a data folder for a server the tests start (`own.start(env)`), for the describe
 * block that calls it; both are closed after the block.
 */
function ownServer(prefix: string) {
  const own: { dir?: { path: string; cleanup(): void }; server?: RunningServer; ops?: BrowserUser; start(env: Record<string, string>): Promise<RunningServer> } = {
    async start(env) {
      own.server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: own.dir!.path, LEEDZ_TIME_SCALE: '0.001', ...env }));
      return own.server;
    },
  };
  beforeAll(async () => {
    requireChromium();
    own.dir = tempDir(prefix);
    own.ops = await openBrowser();
  }, 120_000);
  afterAll(async () => {
    await own.ops?.close();
    await own.server?.close();
    own.dir?.cleanup();
  });
  return own;
}

describe.skipIf(skipChromium)('the Functions tab’s counts, across a restart', () => {
  const own = ownServer('leedz-e2e-');
  /** The marketplace server: the same data folder each time. */
  const start = () => own.start({ LEEDZ_SEED: 'false' });

  it('says since when it counts, and a restart on the same data folder keeps the counts and that date', async () => {
    const page = own.ops!.page;
    /** The Functions tab of the running server: getTrades counted 3 times, and the sentence that says since when. */
    const readTab = async (running: RunningServer) => {
      await signInAsOperator(page, { url: running.url, server: running });
      await page.goto(`${running.url}/console#functions`);
      await page.locator('tr[data-function="getTrades"] td').first().filter({ hasText: /^3$/ }).waitFor();
      const [metrics] = await page.evaluate(() => fetch('/local/metrics').then((r) => r.json() as Promise<{ function: string; countsSince: string }[]>));
      const sentence = page.getByText(/^Counts since .* \(this data folder’s first invocation: they are kept across restarts and retention\)\./);
      await visible(sentence);
      return { countsSince: metrics!.countsSince, text: (await sentence.textContent()) ?? '' };
    };

    let server = await start();
    for (let n = 0; n < 3; n++) expect((await fetch(`${server.url}/api/trades`)).status).toBe(200);
    const before = await readTab(server);
    // The date the server counts from, written as the console writes dates (the browser's zone: Chicago).
    const since = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit' }).format(new Date(before.countsSince));
    expect(before.text).toContain(`Counts since ${since} (`);
    expect(Date.now() - Date.parse(before.countsSince)).toBeLessThan(10 * 60_000);
    await screenshot(page, 'console-functions-counts-since');

    await server.close();
    own.server = undefined;
    server = await start();
    const after = await readTab(server);
    expect(after.countsSince).toBe(before.countsSince);
    expect(after.text).toBe(before.text);
  }, 120_000);
});

describe.skipIf(skipChromium)('the console on the framework’s example (no marketplace)', () => {
  const own = ownServer('leedz-example-');

  it('Outbox and Reports say the example has none, and every other tab goes on working', async () => {
    const server = await own.start({ LEEDZ_APP: 'example' });
    const page = own.ops!.page;
    await signInAsOperator(page, { url: server.url, server });
    await page.goto(`${server.url}/console#outbox`);
    await visible(page.getByText('This server keeps no email outbox to show'));
    await page.getByRole('link', { name: 'Reports' }).click();
    await visible(page.getByText('This server has no reports to moderate: the framework’s example has no marketplace.'));
    await page.getByRole('link', { name: 'Functions' }).click();
    await visible(page.locator('tr[data-function="orderController"]'));
    expect(await page.getByText('The console stopped').count()).toBe(0);
    await screenshot(page, 'console-example-functions');
  }, 60_000);
});
