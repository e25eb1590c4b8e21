/**
 * The console for developers, in Chromium (issue 11, points 5 and 13): HTTP answers shown with their
 * status and body and filtered by class; the log searched by payload text and id beyond the latest
 * page; an invocation replayed from its detail; an event and a request sent from the Send tab with
 * the example its schema gives; a function's queue paused and resumed; the databases' sizes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { openBrowser, requireChromium, screenshot, signInAsOperator, skipChromium, visible, type BrowserUser } from './browser.js';

describe.skipIf(skipChromium)('the console for developers', () => {
  let t: TestServer;
  let ops: BrowserUser;

  beforeAll(async () => {
    requireChromium();
    t = await startTestServer({ timeScale: 0.001 });
    ops = await openBrowser();
    await signInAsOperator(ops.page, t);
  }, 120_000);

  afterAll(async () => {
    await ops?.close();
    await t?.close();
  });

  it('shows a failed request as its HTTP status with its answer, counts it, and filters by class', async () => {
    const page = ops.page;
    const missing = await t.api('GET', '/api/leedz/dj/l_no_such_leed');
    expect(missing.status).toBe(404);
    await t.settle();
    const [row] = t.server.runtime.listInvocations({ function: 'getLeed', limit: 1 });
    await page.goto(`${t.url}/console#timeline/${row!.id}`);
    const panel = page.locator('aside.invocation-detail');
    await visible(panel.getByText('HTTP 404'));
    await visible(panel.locator('dd', { hasText: /^404$/ }));
    expect(await panel.getByTestId('invocation-response').textContent()).toContain('NOT_FOUND');

    await page.getByLabel('HTTP answers').selectOption('error');
    await visible(page.locator('tr[data-function="getLeed"]'));
    await page.waitForFunction(() => Array.from(document.querySelectorAll('tbody tr[data-function]')).every((tr) => tr.getAttribute('data-function') === 'getLeed' || tr.textContent?.includes('HTTP 4')));
    await screenshot(page, 'console-http-404');

    await page.goto(`${t.url}/console#functions`);
    const cell = page.locator('tr[data-function="getLeed"] td[data-http-4xx]');
    await visible(cell);
    await page.waitForFunction(() => document.querySelector('tr[data-function="getLeed"] td[data-http-4xx]')?.getAttribute('data-http-4xx') === '1');
  }, 60_000);

  it('finds an invocation by payload text and by id beyond the latest page, and pages back through older ones', async () => {
    const page = ops.page;
    await t.api('GET', '/api/leedz?trades=needle-trade&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z');
    // More than a page of newer invocations on top of it.
    for (let n = 0; n < 210; n++) await t.server.runtime.invoke('getTrades', { params: {}, query: {}, headers: {}, url: 'http://127.0.0.1/api/trades' }, 'RequestResponse');
    await page.goto(`${t.url}/console#timeline`);
    await page.getByLabel('Search the log').fill('needle-trade');
    await visible(page.locator('tr[data-function="searchLeedz"]'));
    expect(await page.locator('tbody tr[data-function]').count()).toBe(1);

    const [found] = t.server.runtime.listInvocations({ text: 'needle-trade', limit: 1 });
    await page.getByLabel('Search the log').fill(found!.id.slice(0, 13));
    await page.waitForFunction(() => document.querySelectorAll('tbody tr[data-function]').length === 1);
    expect(await page.locator('tbody tr[data-function]').getAttribute('data-function')).toBe('searchLeedz');

    await page.getByLabel('Search the log').fill('');
    await page.getByLabel('Function', { exact: true }).selectOption('getTrades');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr[data-function]').length === 200);
    await page.getByRole('button', { name: 'Older →' }).click();
    await visible(page.getByText(/Page 2: 200 older invocations/));
    await page.waitForFunction(() => document.querySelectorAll('tbody tr[data-function]').length === 10);
    await page.getByRole('button', { name: 'Newest' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr[data-function]').length === 200);
  }, 90_000);

  it('sends an event and a request from the Send tab, starting from the schema’s example, and replays from the detail', async () => {
    const page = ops.page;
    await page.goto(`${t.url}/console#invoke/bookkeeping`);
    const payload = page.getByLabel('Payload (JSON)');
    await page.waitForFunction(() => (document.querySelector('#invoke-payload') as HTMLTextAreaElement | null)?.value.includes('"function"'));
    const example = JSON.parse(await payload.inputValue()) as { function: string };
    expect(typeof example.function).toBe('string');
    expect(await page.getByLabel('Type').inputValue()).toBe('Event');

    await page.goto(`${t.url}/console#invoke/getTrades`);
    await page.waitForFunction(() => (document.querySelector('#invoke-payload') as HTMLTextAreaElement | null)?.value.includes('"params"'));
    expect(await page.getByLabel('Type').inputValue()).toBe('RequestResponse');
    await page.getByRole('button', { name: 'Send request' }).click();
    const answer = page.getByTestId('invoke-answer');
    await visible(answer.getByText('Answered (200).'));
    expect(await answer.locator('pre').textContent()).toContain('"trades"');

    await payload.fill('{not json');
    await page.getByRole('button', { name: 'Send request' }).click();
    await visible(page.getByRole('alert').getByText(/The payload is not JSON/));
    await screenshot(page, 'console-send');

    // Replay the request from its own detail: a new invocation, marked as its replay.
    const [latest] = t.server.runtime.listInvocations({ function: 'getTrades', limit: 1 });
    await page.goto(`${t.url}/console#timeline/${latest!.id}`);
    await page.locator('aside.invocation-detail').getByRole('button', { name: 'Replay' }).click();
    await visible(page.getByText('Ran again.'));
    await page.getByRole('link', { name: 'Show the replay' }).click();
    await visible(page.locator('aside.invocation-detail').getByText('Replay of'));
    expect(t.server.runtime.listInvocations({ function: 'getTrades', limit: 1 })[0]!.replayOf).toBe(latest!.id);
  }, 60_000);

  it('pauses a function’s queue so its events wait, resumes it so they run, and shows the databases’ sizes', async () => {
    const page = ops.page;
    await page.goto(`${t.url}/console#functions`);
    await page.getByRole('button', { name: 'Pause bookkeeping’s queue' }).click();
    await visible(page.locator('tr[data-function="bookkeeping"]').getByText('· paused'));
    expect(t.server.runtime.describe('bookkeeping')!.config.paused).toBe(true);

    const posted = await t.server.runtime.invoke('bookkeeping', { function: 'leedPosted', trade: 'dj', leedId: 'l_console_pause' }, 'Event');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(t.server.runtime.getInvocation(posted.requestId!)!.state).toBe('queued');

    await page.getByRole('button', { name: 'Resume bookkeeping’s queue' }).click();
    await visible(page.getByRole('button', { name: 'Pause bookkeeping’s queue' }));
    await t.server.runtime.drain();
    expect(t.server.runtime.getInvocation(posted.requestId!)!.state).not.toBe('queued');

    await page.goto(`${t.url}/console#queue`);
    await visible(page.locator('tr[data-database="runtime"]').getByText(/\d+ (KB|MB)/));
    await visible(page.locator('tr[data-database="leedz"]'));
  }, 60_000);
});
