/**
 * A leed once its gig is over, and the lists that show leedz, driven in-process over the local
 * adapters (SQLite) with a clock the test moves: an ended leed is as final as a sold one (no edit, no
 * delete), the lists leave it out even when their answer was kept from before it ended, a search names
 * a trade that does not exist, and a trade's list pages past leedz that share one start.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../../src/adapters/store/sqlite/sqlite-store.js';
import type { Leed } from '../../../src/leedz/domain/leed.js';
import type { HttpRequest } from '../../../src/leedz/functions/http.js';
import { createMarketplace, type Marketplace } from '../../../src/leedz/marketplace.js';
import { LEEDZ_ENDED_SCHEDULE } from '../../../src/leedz/controllers/bookkeeping.js';
import { aLeed, at, aUser } from '../../helpers/builders.js';
import { callAs } from '../../helpers/call-function.js';
import { localDeps } from '../../helpers/local-deps.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { controllerContext } from '../controllers/fakes.js';

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
let marketplace: Marketplace;
/** The marketplace's clock; tests move it. */
let clock: Date;
/** Over at 08:00, an hour before the clock starts. */
let ended: Leed;
/** From 08:00 to 11:00: on when the clock starts. */
let running: Leed;
/** The next evening. */
let upcoming: Leed;

beforeEach(async () => {
  dir = tempDir('leedz-lifecycle-');
  store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
  clock = new Date(at('2030-05-10T09:00'));
  marketplace = createMarketplace(localDeps(store, dir.path, { now: () => clock }));
  await store.addTrades([{ name: 'dj' }, { name: 'magician' }]);
  for (const username of ['pat', 'sam']) await store.createUser(aUser({ username }), []);
  ended = aLeed({ creator: 'pat', start: at('2030-05-10T06:00'), end: at('2030-05-10T08:00'), placeKey: 'ended' });
  running = aLeed({ creator: 'pat', start: at('2030-05-10T08:00'), end: at('2030-05-10T11:00'), placeKey: 'running' });
  upcoming = aLeed({ creator: 'pat', start: at('2030-05-11T18:00'), end: at('2030-05-11T22:00'), placeKey: 'upcoming' });
  for (const leed of [ended, running, upcoming]) await store.insertLeed(leed, []);
});

afterEach(() => {
  store.close();
  dir.cleanup();
});

/** Call the function `name` as the HTTP edge would, as `username` (or no one). */
const call = (name: string, request: Partial<HttpRequest> & { as?: string }) => callAs(marketplace, name, request);

const ids = (answer: { body: { leedz: { id: string }[] } }) => answer.body.leedz.map((leed) => leed.id);
const search = (query: Record<string, string>, as?: string) => call('searchLeedz', { query: { trades: 'dj', from: at('2030-05-09T00:00'), to: at('2030-05-20T00:00'), ...query }, as });
const upcomingOf = (trade: string, query: Record<string, string> = {}) => call('upcomingLeedz', { params: { trade }, query });

describe('a leed whose end has passed', () => {
  it('cannot be edited, not even back into the future: 409, and it stays as it was', async () => {
    const revived = await call('editLeed', { as: 'pat', params: { trade: 'dj', id: ended.id }, body: { start: at('2030-06-10T18:00'), end: at('2030-06-10T20:00') } });

    expect(revived.status).toBe(409);
    expect(revived.body.error).toEqual({ code: 'CONFLICT', message: expect.stringMatching(/has ended|expired/) });
    expect(await store.getLeed('dj', ended.id)).toEqual(ended);
    expect((await call('getLeed', { params: { trade: 'dj', id: ended.id } })).body.status).toBe('expired');
  });

  it('cannot be deleted: 409, and it stays', async () => {
    const deleted = await call('deleteLeed', { as: 'pat', params: { trade: 'dj', id: ended.id } });

    expect(deleted.status).toBe(409);
    expect(deleted.body.error).toEqual({ code: 'CONFLICT', message: expect.stringMatching(/has ended|expired/) });
    expect((await store.getLeed('dj', ended.id))?.status).toBe('active');
    expect(await store.pendingOutbox(10)).toEqual([]);
  });

  it('is still the creator’s to change and delete while it runs', async () => {
    expect((await call('editLeed', { as: 'pat', params: { trade: 'dj', id: running.id }, body: { title: 'Brunch set' } })).status).toBe(200);
    expect((await call('deleteLeed', { as: 'pat', params: { trade: 'dj', id: running.id } })).status).toBe(204);
  });
});

describe('a trade’s count of leedz', () => {
  const djCount = async () => ((await call('getTrades', {})).body.trades as { name: string; leedCount: number }[]).find((trade) => trade.name === 'dj')!.leedCount;
  const logged: string[] = [];
  /** The schedule's ask (an EventBridge rule on AWS, a timer of the local server). */
  const scheduledRun = () => marketplace.controllers.bookkeeping.dispatch({ ...LEEDZ_ENDED_SCHEDULE.payload }, controllerContext('bookkeeping', { log: (line) => logged.push(line) }));

  it('loses a leed once its gig has ended, once, and a running one only when it ends', async () => {
    // As bookkeeping counted the three when they were posted.
    await store.applyBookkeeping('posted', { trades: { dj: 3 } });
    expect(await djCount()).toBe(3);

    expect(await scheduledRun()).toEqual({ applied: true, ended: 1 });
    expect(await djCount()).toBe(2);
    expect(logged).toEqual(["bookkeeping: 1 leedz whose gig ended taken off their trades' counts"]);
    expect(await scheduledRun()).toEqual({ applied: false, ended: 0 });
    expect(await djCount()).toBe(2);
    expect(logged).toHaveLength(1);
    // A catch-up by hand (`since`) says how many even when none: the sign that it is done.
    await marketplace.controllers.bookkeeping.dispatch({ function: 'leedzEnded', since: at('2030-01-01T00:00') }, controllerContext('bookkeeping', { log: (line) => logged.push(line) }));
    expect(logged.at(-1)).toBe("bookkeeping: 0 leedz whose gig ended taken off their trades' counts");

    clock = new Date(at('2030-05-10T11:00'));
    expect(await scheduledRun()).toEqual({ applied: false, ended: 0 });
    clock = new Date(at('2030-05-10T11:01'));
    expect(await scheduledRun()).toEqual({ applied: true, ended: 1 });
    expect(await djCount()).toBe(1);
    // What the count says is what a trade's upcoming leedz list.
    expect(ids(await upcomingOf('dj', { from: at('2030-05-01T00:00') }))).toEqual([upcoming.id]);
  });

  it('loses a leed once, whichever way it goes first: a sale recorded just after it was counted off as ended, or an ended leed taken down', async () => {
    await store.applyBookkeeping('posted', { trades: { dj: 3 } });
    const bookkeeping = (payload: Record<string, unknown>) => marketplace.controllers.bookkeeping.dispatch(payload as never, controllerContext('bookkeeping'));
    clock = new Date(at('2030-05-10T11:01'));
    expect(await scheduledRun()).toEqual({ applied: true, ended: 2 });
    expect(await djCount()).toBe(1);

    // Paid at 10:59, before its end: recorded after the count, as a slow webhook would be.
    expect((await store.recordSale({ trade: 'dj', id: running.id, buyer: 'sam', paymentId: 'pay_1', amount: running.price, soldAt: at('2030-05-10T10:59') }, [])).ok).toBe(true);
    await bookkeeping({ function: 'leedSold', leedId: running.id, trade: 'dj' });
    expect(await djCount()).toBe(1);
    expect((await store.getUser('sam'))?.bought).toBe(1);

    // The operator takes the ended one down (its page is still there to see).
    await store.takeDownLeed('dj', ended.id, []);
    await bookkeeping({ function: 'leedDeleted', leedId: ended.id, trade: 'dj' });
    expect(await djCount()).toBe(1);
  });
});

describe('the lists', () => {
  it('a search from a day in the past leaves out the leedz that have ended', async () => {
    expect(ids(await search({}))).toEqual([running.id, upcoming.id]);
    const calendar = await search({ perDay: '5' });
    expect(ids(calendar)).toEqual([running.id, upcoming.id]);
    expect(calendar.body.days).toEqual({ '2030-05-10': 1, '2030-05-11': 1 });
  });

  it('a kept search answer loses a leed when it ends, though no write changed the trade', async () => {
    expect(ids(await search({}))).toEqual([running.id, upcoming.id]);
    expect(ids(await search({ perDay: '5' }))).toEqual([running.id, upcoming.id]);

    clock = new Date(at('2030-05-10T11:01'));

    expect(ids(await search({}))).toEqual([upcoming.id]);
    const calendar = await search({ perDay: '5' });
    expect(ids(calendar)).toEqual([upcoming.id]);
    expect(calendar.body.days).toEqual({ '2030-05-11': 1 });
  });

  it('a limit counts the leedz listed, never the ended ones left out', async () => {
    expect(ids(await search({ limit: '1' }))).toEqual([running.id]);
    expect(ids(await upcomingOf('dj', { from: at('2030-05-01T00:00'), limit: '1' }))).toEqual([running.id]);
  });

  it('a radius search leaves the signed-in vendor’s own ended leedz out too', async () => {
    // Beverly Hills: Springfield's leedz are far outside 10 miles, and join as the vendor's own.
    expect(ids(await search({ zip: '90210', radius: '10' }, 'pat'))).toEqual([running.id, upcoming.id]);
    expect(ids(await search({ zip: '62701', radius: '10' }))).toEqual([running.id, upcoming.id]);
  });

  it('a trade’s upcoming leedz from a time in the past leave out the leedz that have ended', async () => {
    expect(ids(await upcomingOf('dj', { from: at('2030-05-01T00:00') }))).toEqual([running.id, upcoming.id]);
    expect(ids(await upcomingOf('dj'))).toEqual([upcoming.id]);
  });
});

describe('a search of a trade that does not exist', () => {
  it('is refused with 400, naming trades and the unknown trade', async () => {
    const refused = await search({ trades: 'dj,plumber' });

    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION');
    expect(refused.body.error.fields).toEqual([{ path: 'trades', message: expect.stringContaining('"plumber"') }]);
    expect(refused.body.error.fields[0].message).not.toContain('"dj"');
    expect((await search({ trades: 'dj,magician' })).status).toBe(200);
  });
});

describe('paging a trade’s upcoming leedz', () => {
  it('gets past more leedz than a page holds that share one start, with after = the last leed’s id', async () => {
    const start = at('2030-05-12T18:00');
    const end = at('2030-05-12T20:00');
    const same = ['a', 'b', 'c', 'd', 'e'].map((place) => aLeed({ creator: 'pat', start, end, placeKey: `same-${place}` }));
    for (const leed of same) await store.insertLeed(leed, []);
    const sameIds = same.map((leed) => leed.id).sort();

    const seen: string[] = [];
    let page = await upcomingOf('dj', { from: start, limit: '2' });
    for (let pages = 0; pages < 10; pages++) {
      expect(page.status).toBe(200);
      if (page.body.leedz.length === 0) break;
      seen.push(...ids(page));
      const last = page.body.leedz.at(-1);
      page = await upcomingOf('dj', { from: last.start, after: last.id, limit: '2' });
    }

    expect(seen).toEqual(sameIds);
    expect((await upcomingOf('dj', { after: sameIds[0]! })).status).toBe(400);
  });
});
