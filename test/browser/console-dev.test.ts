/**
 * The console for developers, in Chromium (issue 11, points 5 and 13): HTTP answers shown with their
 * status and body and filtered by class; the log searched by payload text and id beyond the latest
 * page, by outcome and by time range; an invocation replayed from its detail; an event and a request
 * sent from the Send tab with the example its schema gives; a function's queue paused and resumed;
 * the databases' sizes.
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

    // A 2xx answer of another function beside it: the filter has something to hide.
    expect((await t.api('GET', '/api/stats')).status).toBe(200);
    await t.settle();
    const ok = page.locator('tbody tr[data-function="getStats"]');
    const failed = page.locator('tbody tr[data-function="getLeed"]');
    await visible(ok.getByText('HTTP 200'));
    await visible(failed.getByText('HTTP 404'));

    await page.getByLabel('HTTP answers').selectOption('error');
    await ok.first().waitFor({ state: 'detached' });
    await visible(failed.getByText('HTTP 404'));
    expect(await page.locator('tbody tr[data-function]', { hasNotText: /HTTP [45]\d\d/ }).count()).toBe(0);
    await screenshot(page, 'console-http-404');

    await page.getByLabel('HTTP answers').selectOption('2xx');
    await failed.first().waitFor({ state: 'detached' });
    await visible(ok.getByText('HTTP 200'));
    await page.getByLabel('HTTP answers').selectOption('');

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

  it('sends a controller the event its schema’s example gives: queued, then run, in the timeline; the input schema is shown', async () => {
    const page = ops.page;
    await page.goto(`${t.url}/console#invoke/bookkeeping`);
    const payload = page.getByLabel('Payload (JSON)');
    await page.waitForFunction(() => (document.querySelector('#invoke-payload') as HTMLTextAreaElement | null)?.value.includes('"function"'));
    const example = JSON.parse(await payload.inputValue()) as Record<string, unknown>;
    expect(await page.getByLabel('Type').inputValue()).toBe('Event');

    // The schema of the route the example is for: every other field of the example is one of its properties.
    await page.locator('summary', { hasText: `Input schema of ${String(example.function)}` }).click();
    const schema = page.locator('details[open] pre.json');
    await visible(schema);
    const properties = (JSON.parse((await schema.textContent()) ?? '{}') as { properties?: Record<string, unknown> }).properties ?? {};
    const fields = Object.keys(example).filter((key) => key !== 'function');
    expect(fields.length).toBeGreaterThan(0);
    for (const key of fields) expect(properties).toHaveProperty(key);

    await page.getByRole('button', { name: 'Send event' }).click();
    const answer = page.getByTestId('invoke-answer');
    await visible(answer.getByText('Queued (202).'));
    await answer.getByRole('link', { name: 'Show it in the timeline' }).click();
    await page.waitForURL(/#timeline\/[0-9a-f-]{36}$/);
    const id = decodeURIComponent(new URL(page.url()).hash.slice('#timeline/'.length));
    const panel = page.locator('aside.invocation-detail');
    await visible(panel.getByRole('heading', { name: `bookkeeping · ${String(example.function)}` }));
    // It ran as its callers' events do, with the example as its payload.
    await visible(panel.locator('.detail-status .pill', { hasText: 'Success' }));
    await visible(page.locator('tbody tr.selected[data-function="bookkeeping"]'));
    const sent = t.server.runtime.getInvocation(id)!;
    expect(sent.type).toBe('Event');
    expect(sent.state).toBe('succeeded');
    expect(sent.payload).toEqual(example);
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

  it('searches the log by outcome and by time range: what falls outside goes, what falls inside stays', async () => {
    const page = ops.page;
    // The minute an invocation's id was made in (its first 48 bits, milliseconds): what the time range searches by.
    const minuteOf = (id: string) => Math.floor(parseInt(id.replaceAll('-', '').slice(0, 12), 16) / 60_000);
    const trades = async () => (await t.server.runtime.invoke('getTrades', { params: {}, query: {}, headers: {}, url: 'http://127.0.0.1/api/trades' }, 'RequestResponse')).requestId!;
    const earlier = await trades();
    // A request the function fails (bookkeeping's leedPosted without a leed): FunctionError.
    const failed = (await t.server.runtime.invoke('bookkeeping', { function: 'leedPosted' }, 'RequestResponse')).requestId!;
    await t.settle();
    expect(t.server.runtime.getInvocation(failed)!.outcome).toBe('FunctionError');
    const row = (id: string) => page.locator(`tbody tr:has(a[href="#timeline/${id}"])`);

    await page.goto(`${t.url}/console#timeline`);
    await visible(row(earlier));
    await visible(row(failed));
    await page.getByLabel('Outcome').selectOption('FunctionError');
    await row(earlier).waitFor({ state: 'detached' });
    await visible(row(failed));
    expect(await page.locator('tbody tr[data-function]:not([data-outcome="FunctionError"])').count()).toBe(0);
    await page.getByLabel('Outcome').selectOption('Success');
    await row(failed).waitFor({ state: 'detached' });
    await visible(row(earlier));
    await page.getByLabel('Outcome').selectOption('');

    // The time fields are to the minute: a second invocation once the clock has turned a minute.
    const first = minuteOf(earlier);
    await page.waitForFunction((minute) => Math.floor(Date.now() / 60_000) > minute, first, { timeout: 65_000, polling: 250 });
    const later = await trades();
    await t.settle();
    expect(minuteOf(later)).toBeGreaterThan(first);
    /** The minute as the From and To fields take it, in the browser's zone. */
    const field = (minute: number) =>
      page.evaluate((ms) => {
        const d = new Date(ms);
        const two = (n: number) => String(n).padStart(2, '0');
        return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
      }, minute * 60_000);
    await visible(row(later));
    await visible(row(earlier));

    await page.getByLabel('From', { exact: true }).fill(await field(minuteOf(later)));
    await row(earlier).waitFor({ state: 'detached' });
    await visible(row(later));
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill(await field(first));
    await row(later).waitFor({ state: 'detached' });
    await visible(row(earlier));
    await screenshot(page, 'console-search-time-range');
    await page.getByLabel('To', { exact: true }).fill('');
    await visible(row(later));
  }, 150_000);
});
