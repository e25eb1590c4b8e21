import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../../../src/framework/errors.js';
import { createBookkeeping } from '../../../src/leedz/controllers/bookkeeping.js';
import { buildDeps, buildLeed, buildUser, controllerContext, FakeStore, RecordingMailer } from './fakes.js';

const open: Database.Database[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function setup(store: FakeStore) {
  const { deps, db } = buildDeps(store, new RecordingMailer());
  open.push(db);
  return { store, bookkeeping: createBookkeeping(deps) };
}

const ctx = () => controllerContext('bookkeeping', { hop: 1 });

describe('bookkeeping.leedPosted', () => {
  it("adds the leed to its trade, the creator's posted count and the stats, under the key posted:<id>", async () => {
    const leed = buildLeed();
    const { bookkeeping, store } = setup(new FakeStore().addLeed(leed).addUser(buildUser('sam')));

    const result = await bookkeeping.dispatch({ function: 'leedPosted', leedId: 'l_1', trade: 'dj' }, ctx());

    expect(result).toEqual({ applied: true });
    expect(store.bookkeeping).toEqual([
      {
        key: 'posted:l_1',
        applied: true,
        changes: {
          trades: { dj: 1 },
          users: { sam: { posted: 1 } },
          totals: { posted: 1 },
          lastPosted: { trade: 'dj', price: 2500, zip: '62701', at: '2026-12-01T12:00:00.000Z' },
        },
      },
    ]);
  });

  it('awards Top Poster when the tenth post is counted', async () => {
    const { bookkeeping, store } = setup(new FakeStore().addLeed(buildLeed()).addUser(buildUser('sam', { posted: 9 })));

    await bookkeeping.dispatch({ function: 'leedPosted', leedId: 'l_1', trade: 'dj' }, ctx());

    expect(store.badges).toEqual([{ username: 'sam', badges: [0, 1, 2] }]);
  });

  it('counts a redelivered event once and recomputes the same badges', async () => {
    const { bookkeeping, store } = setup(new FakeStore().addLeed(buildLeed()).addUser(buildUser('sam', { posted: 9 })));

    const first = await bookkeeping.dispatch({ function: 'leedPosted', leedId: 'l_1', trade: 'dj' }, ctx());
    const second = await bookkeeping.dispatch({ function: 'leedPosted', leedId: 'l_1', trade: 'dj' }, ctx());

    expect([first, second]).toEqual([{ applied: true }, { applied: false }]);
    expect(store.users.get('sam')?.posted).toBe(10);
    expect(store.bookkeeping.map((call) => call.key)).toEqual(['posted:l_1', 'posted:l_1']);
    expect(store.badges).toEqual([
      { username: 'sam', badges: [0, 1, 2] },
      { username: 'sam', badges: [0, 1, 2] },
    ]);
  });

  it('changes no counter for a leed that does not exist', async () => {
    const { bookkeeping, store } = setup(new FakeStore());

    expect(await bookkeeping.dispatch({ function: 'leedPosted', leedId: 'l_missing', trade: 'dj' }, ctx())).toEqual({ applied: false });
    expect(store.bookkeeping).toEqual([]);
    expect(store.badges).toEqual([]);
  });
});

describe('bookkeeping.leedSold', () => {
  const soldLeed = buildLeed({ status: 'sold', buyer: 'pat', soldAt: '2026-12-02T15:30:00.000Z' });

  it("counts the buyer's purchase, the seller's sale and the stats under the key sold:<id>, and takes the leed off its trade under off:<id>", async () => {
    const { bookkeeping, store } = setup(new FakeStore().addLeed(soldLeed).addUser(buildUser('sam')).addUser(buildUser('pat')));

    await bookkeeping.dispatch({ function: 'leedSold', leedId: 'l_1', trade: 'dj' }, ctx());

    expect(store.bookkeeping).toEqual([
      {
        key: 'sold:l_1',
        applied: true,
        changes: {
          users: { pat: { bought: 1 }, sam: { sold: 1 } },
          totals: { sold: 1 },
          lastSold: { trade: 'dj', price: 2500, zip: '62701', at: '2026-12-02T15:30:00.000Z' },
        },
      },
      { key: 'off:l_1', applied: true, changes: { trades: { dj: -1 } } },
    ]);
  });

  it('recomputes the badges of the buyer and the seller from their new counters and payment status', async () => {
    const store = new FakeStore()
      .addLeed(soldLeed)
      .addUser(buildUser('sam', { sold: 9, paymentsConnected: true }))
      .addUser(buildUser('pat', { bought: 9 }));
    const { bookkeeping } = setup(store);

    await bookkeeping.dispatch({ function: 'leedSold', leedId: 'l_1', trade: 'dj' }, ctx());

    expect(store.badges).toEqual([
      { username: 'pat', badges: [0, 1, 4] },
      { username: 'sam', badges: [0, 1, 3, 5] },
    ]);
  });

  it('changes no counter for a leed that is not sold', async () => {
    const { bookkeeping, store } = setup(new FakeStore().addLeed(buildLeed()));

    expect(await bookkeeping.dispatch({ function: 'leedSold', leedId: 'l_1', trade: 'dj' }, ctx())).toEqual({ applied: false });
    expect(store.bookkeeping).toEqual([]);
  });
});

describe('bookkeeping.leedDeleted', () => {
  it('takes the leed off its trade under the key off:<id>, which every way out shares, and nothing else', async () => {
    const { bookkeeping, store } = setup(new FakeStore().addLeed(buildLeed({ status: 'deleted' })));

    await bookkeeping.dispatch({ function: 'leedDeleted', leedId: 'l_1', trade: 'dj' }, ctx());

    expect(store.bookkeeping).toEqual([{ key: 'off:l_1', applied: true, changes: { trades: { dj: -1 } } }]);
    expect(store.badges).toEqual([]);
  });

  it('changes no counter for a leed that is still active', async () => {
    const { bookkeeping, store } = setup(new FakeStore().addLeed(buildLeed()));

    expect(await bookkeeping.dispatch({ function: 'leedDeleted', leedId: 'l_1', trade: 'dj' }, ctx())).toEqual({ applied: false });
    expect(store.bookkeeping).toEqual([]);
  });
});

describe('bookkeeping.userCreated', () => {
  it('counts the new user in the stats under the key user:<username> and sets their sign-up badges', async () => {
    const { bookkeeping, store } = setup(new FakeStore().addUser(buildUser('pat', { badges: [] })));

    await bookkeeping.dispatch({ function: 'userCreated', username: 'pat' }, ctx());

    expect(store.bookkeeping).toEqual([{ key: 'user:pat', applied: true, changes: { totals: { users: 1 } } }]);
    expect(store.badges).toEqual([{ username: 'pat', badges: [0, 1] }]);
  });

  it('accepts the flat envelope a non-TypeScript caller writes by hand, and refuses one without a username', async () => {
    const { bookkeeping } = setup(new FakeStore().addUser(buildUser('pat')));

    await expect(bookkeeping.dispatch(JSON.parse('{"function":"userCreated","username":"pat"}'), ctx())).resolves.toEqual({ applied: true });
    await expect(bookkeeping.dispatch({ function: 'userCreated' }, ctx())).rejects.toBeInstanceOf(InvalidPayloadError);
  });
});
