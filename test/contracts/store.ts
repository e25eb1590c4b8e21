/**
 * The Store contract (the doc comments of `Store` in `src/leedz/ports.ts`), run on every adapter:
 * SQLite now, DynamoDB later. An adapter passes when the marketplace cannot tell it from another.
 * Each test gets a fresh, empty store from `setup`.
 *
 * @example
 * describeStoreContract('sqlite', async () => {
 *   const dir = tempDir();
 *   const store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
 *   return { store, teardown: async () => { store.close(); dir.cleanup(); } };
 * });
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conflictMessage } from '../../src/leedz/domain/conflict.js';
import type { Leed } from '../../src/leedz/domain/leed.js';
import { previewLeed } from '../../src/leedz/domain/visibility.js';
import {
  ConflictError,
  ForbiddenError,
  HeldError,
  type LeedSearch,
  NEW_USER_RADIUS_MILES,
  NotFoundError,
  type ReserveResult,
  type Sale,
  StateError,
  type Store,
} from '../../src/leedz/ports.js';
import { aLeed, anOutboxMessage, at, aUser } from '../helpers/builders.js';

export interface StoreFixture {
  store: Store;
  teardown(): Promise<void>;
}

/** Trades and users that every test starts with (counts at 0). */
const TRADES = ['dj', 'magic', 'face painting'];
const USERS = ['pat', 'sam', 'lee'];

export function describeStoreContract(name: string, setup: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await setup();
      store = fixture.store;
      await store.addTrades(TRADES.map((trade) => ({ name: trade })));
      for (const username of USERS) await store.createUser(aUser({ username }), []);
    });

    afterEach(async () => {
      await fixture.teardown();
    });

    async function rejection(promise: Promise<unknown>): Promise<Error> {
      const error = await promise.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      if (!(error instanceof Error)) throw new Error(`expected a rejection, got ${error === undefined ? 'a fulfilment' : String(error)}`);
      return error;
    }

    async function pendingIds(): Promise<string[]> {
      return (await store.pendingOutbox(1_000)).map((message) => message.id);
    }

    function sale(leed: Leed, overrides: Partial<Sale> = {}): Sale {
      return { trade: leed.trade, id: leed.id, buyer: 'sam', paymentId: 'pay_1', amount: leed.price, soldAt: at('2030-05-10T09:00'), ...overrides };
    }

    // ── trades ────────────────────────────────────────────────────────────────────────────────────

    describe('trades', () => {
      it('lists trades by leedCount, highest first', async () => {
        await store.applyBookkeeping('posted:1', { trades: { magic: 3, dj: 1 } });

        const trades = await store.listTrades();

        expect(trades.map((t) => [t.name, t.leedCount])).toEqual([
          ['magic', 3],
          ['dj', 1],
          ['face painting', 0],
        ]);
      });

      it('adds only trades that do not exist yet, keeping the existing ones as they are', async () => {
        await store.applyBookkeeping('posted:1', { trades: { dj: 2 } });

        await store.addTrades([{ name: 'dj', color: '#ff0000' }, { name: 'caricatures', color: '#00ff00' }]);

        expect(await store.getTrade('dj')).toEqual({ name: 'dj', leedCount: 2 });
        expect(await store.getTrade('caricatures')).toEqual({ name: 'caricatures', leedCount: 0, color: '#00ff00' });
        expect(await store.getTrade('juggling')).toBeUndefined();
        expect(await store.listTrades()).toHaveLength(4);
      });
    });

    // ── users ─────────────────────────────────────────────────────────────────────────────────────

    describe('users', () => {
      it('creates a user with badges 0 and 1, the default radius, no zip and zero counters', async () => {
        const created = await store.createUser(aUser({ username: 'robin', email: 'robin@example.com' }), []);

        const expected = {
          username: 'robin',
          email: 'robin@example.com',
          website: null,
          about: null,
          zip: null,
          radius: NEW_USER_RADIUS_MILES,
          subscriptions: [],
          posted: 0,
          bought: 0,
          sold: 0,
          badges: [0, 1],
          paymentsConnected: false,
        };
        expect(created).toEqual(expected);
        expect(await store.getUser('robin')).toEqual(expected);
        expect(await store.getUserByEmail('robin@example.com')).toEqual(expected);
        expect(await store.getUser('nobody')).toBeUndefined();
        expect(await store.getUserByEmail('nobody@example.com')).toBeUndefined();
      });

      it('commits a new user with its outbox message', async () => {
        await store.createUser(aUser({ username: 'robin' }), [anOutboxMessage({ id: 'user:robin' })]);

        expect(await pendingIds()).toEqual(['user:robin']);
      });

      it('refuses a taken username with ConflictError, and writes no outbox message', async () => {
        const error = await rejection(store.createUser(aUser({ username: 'pat', email: 'other@example.com' }), [anOutboxMessage({ id: 'user:pat' })]));

        expect(error).toBeInstanceOf(ConflictError);
        expect(await pendingIds()).toEqual([]);
        expect((await store.getUser('pat'))?.email).toBe('pat@example.com');
      });

      it('refuses a taken email with ConflictError', async () => {
        const error = await rejection(store.createUser(aUser({ username: 'robin', email: 'pat@example.com' }), []));

        expect(error).toBeInstanceOf(ConflictError);
        expect(await store.getUser('robin')).toBeUndefined();
      });

      it('applies a profile change and replaces the subscriptions, in the given order', async () => {
        await store.updateUser('pat', { subscriptions: ['dj', 'magic'] });

        const updated = await store.updateUser('pat', {
          website: 'https://pat.example.com',
          about: 'DJ since 1999',
          zip: '62701',
          radius: 20,
          point: { lat: 39.78, lon: -89.65 },
          subscriptions: ['face painting', 'magic'],
        });

        expect(updated).toMatchObject({ website: 'https://pat.example.com', about: 'DJ since 1999', zip: '62701', radius: 20, subscriptions: ['face painting', 'magic'] });
        expect(await store.getUser('pat')).toEqual(updated);
        expect(await store.listSubscribers('dj', null, 10)).toEqual([]);
        expect((await store.listSubscribers('magic', null, 10)).map((s) => s.username)).toEqual(['pat']);
      });

      it('keeps what a profile change leaves out, and clears what it sets to null', async () => {
        await store.updateUser('pat', { website: 'https://pat.example.com', zip: '62701', point: { lat: 39.78, lon: -89.65 }, subscriptions: ['dj'] });

        await store.updateUser('pat', { about: 'hello', radius: 35 });
        expect(await store.getUser('pat')).toMatchObject({ website: 'https://pat.example.com', about: 'hello', zip: '62701', radius: 35, subscriptions: ['dj'] });
        expect((await store.listSubscribers('dj', null, 10))[0]?.point).toEqual({ lat: 39.78, lon: -89.65 });

        await store.updateUser('pat', { website: null, zip: null, point: null });
        expect(await store.getUser('pat')).toMatchObject({ website: null, zip: null });
        expect((await store.listSubscribers('dj', null, 10))[0]).toMatchObject({ zip: null, point: null });
      });

      it('refuses to update a user who does not exist with NotFoundError', async () => {
        expect(await rejection(store.updateUser('nobody', { about: 'x' }))).toBeInstanceOf(NotFoundError);
      });

      // Two unsubscribe links clicked at once: each drops its trade from the list as it is when
      // written, so neither writes back the trade the other dropped.
      it('applies a change given as a function to the user as it is when written, so racing ones all take effect', async () => {
        await store.updateUser('pat', { subscriptions: TRADES });

        await Promise.all(['dj', 'magic'].map((dropped) => store.updateUser('pat', (current) => ({ subscriptions: current.subscriptions.filter((trade) => trade !== dropped) }))));

        expect((await store.getUser('pat'))?.subscriptions).toEqual(['face painting']);
        expect(await store.listSubscribers('dj', null, 10)).toEqual([]);
        expect(await store.listSubscribers('magic', null, 10)).toEqual([]);
        expect((await store.listSubscribers('face painting', null, 10)).map((s) => s.username)).toEqual(['pat']);
        expect(await rejection(store.updateUser('nobody', () => ({ about: 'x' })))).toBeInstanceOf(NotFoundError);
      });

      it('sets badges', async () => {
        await store.setBadges('pat', [0, 1, 2, 5]);

        expect((await store.getUser('pat'))?.badges).toEqual([0, 1, 2, 5]);
      });
    });

    // ── subscribers ───────────────────────────────────────────────────────────────────────────────

    describe('subscribers', () => {
      it("pages through one trade's subscribers by username, with their email, zip, point and radius", async () => {
        for (const username of ['erin', 'cody', 'alex', 'dana', 'bo']) {
          await store.createUser(aUser({ username }), []);
          await store.updateUser(username, { subscriptions: username === 'dana' ? ['magic'] : ['magic', 'dj'], zip: '62701', point: { lat: 39.78, lon: -89.65 }, radius: 80 });
        }
        await store.updateUser('pat', { subscriptions: ['face painting'] });

        const first = await store.listSubscribers('dj', null, 2);
        const second = await store.listSubscribers('dj', first.at(-1)?.username ?? null, 2);
        const third = await store.listSubscribers('dj', second.at(-1)?.username ?? null, 2);

        expect(first).toEqual([
          { username: 'alex', email: 'alex@example.com', zip: '62701', point: { lat: 39.78, lon: -89.65 }, radius: 80 },
          { username: 'bo', email: 'bo@example.com', zip: '62701', point: { lat: 39.78, lon: -89.65 }, radius: 80 },
        ]);
        expect(second.map((s) => s.username)).toEqual(['cody', 'erin']);
        expect(third).toEqual([]);
      });

      it('gives a subscriber without a home zip a null zip and point', async () => {
        await store.updateUser('lee', { subscriptions: ['dj'] });

        expect(await store.listSubscribers('dj', null, 10)).toEqual([
          { username: 'lee', email: 'lee@example.com', zip: null, point: null, radius: NEW_USER_RADIUS_MILES },
        ]);
      });
    });

    // ── leedz: insert and get ─────────────────────────────────────────────────────────────────────

    describe('insert and get', () => {
      it('round-trips every field of a leed', async () => {
        const active = aLeed({ visibility: { location: 'hidden', clientEmail: 'shown', clientPhone: 'hidden', details: 'hidden', requirements: 'shown' } });
        const sold = aLeed({
          trade: 'magic',
          clientEmail: null,
          clientPhone: null,
          details: null,
          requirements: null,
          price: 0,
          status: 'sold',
          buyer: 'sam',
          soldAt: at('2030-05-02T08:30'),
        });

        await store.insertLeed(active, []);
        await store.insertLeed(sold, []);

        expect(await store.getLeed(active.trade, active.id)).toEqual(active);
        expect(await store.getLeed(sold.trade, sold.id)).toEqual(sold);
      });

      it('finds a leed only under its own trade', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        expect(await store.getLeed('magic', leed.id)).toBeUndefined();
        expect(await store.getLeed('dj', 'l_unknown')).toBeUndefined();
      });

      it('commits a leed with its outbox messages', async () => {
        const leed = aLeed();

        await store.insertLeed(leed, [anOutboxMessage({ id: `notify:${leed.id}` }), anOutboxMessage({ id: `posted:${leed.id}` })]);

        expect((await pendingIds()).sort()).toEqual([`notify:${leed.id}`, `posted:${leed.id}`]);
      });
    });

    // ── conflicts ─────────────────────────────────────────────────────────────────────────────────

    describe('conflicts (no double booking)', () => {
      const existing = aLeed({ start: at('2030-06-01T18:00'), end: at('2030-06-01T20:00') });

      beforeEach(async () => {
        await store.insertLeed(existing, []);
      });

      it.each([
        ['overlapping its start', '2030-06-01T17:00', '2030-06-01T19:00'],
        ['overlapping its end', '2030-06-01T19:00', '2030-06-01T21:00'],
        ['inside it', '2030-06-01T18:30', '2030-06-01T19:30'],
        ['around it', '2030-06-01T17:00', '2030-06-01T21:00'],
        ['at the same times', '2030-06-01T18:00', '2030-06-01T20:00'],
      ])('refuses a leed of the same trade at the same place %s with ConflictError', async (_, start, end) => {
        const candidate = aLeed({ start: at(start), end: at(end), location: '123 Main Street, Springfield, IL 62701' });

        const error = await rejection(store.insertLeed(candidate, [anOutboxMessage()]));

        expect(error).toBeInstanceOf(ConflictError);
        expect(error.message).toBe(conflictMessage('dj', candidate.location));
        expect(await store.getLeed('dj', candidate.id)).toBeUndefined();
        expect(await pendingIds()).toEqual([]);
      });

      it('accepts back-to-back leedz, before and after', async () => {
        await store.insertLeed(aLeed({ start: at('2030-06-01T16:00'), end: at('2030-06-01T18:00') }), []);
        await store.insertLeed(aLeed({ start: at('2030-06-01T20:00'), end: at('2030-06-01T22:00') }), []);
      });

      it('accepts another trade at the same place and time', async () => {
        await store.insertLeed(aLeed({ trade: 'magic' }), []);
      });

      it('accepts the same trade at another place at the same time', async () => {
        await store.insertLeed(aLeed({ location: '9 Elm St, Springfield, IL 62702', zip: '62702', placeKey: '9 elm st springfield il 62702' }), []);
      });

      it('accepts a leed in the slot of a deleted leed', async () => {
        await store.deleteLeed(existing.trade, existing.id, existing.creator, []);

        await store.insertLeed(aLeed(), []);
      });

      it('refuses a leed in the slot of a sold leed: the gig is still booked, by its buyer', async () => {
        expect((await store.recordSale(sale(existing), [])).ok).toBe(true);

        expect(await rejection(store.insertLeed(aLeed(), []))).toBeInstanceOf(ConflictError);
      });

      it('lets exactly one of two racing overlapping inserts through', async () => {
        const first = aLeed({ start: at('2030-07-01T18:00'), end: at('2030-07-01T20:00') });
        const second = aLeed({ start: at('2030-07-01T19:00'), end: at('2030-07-01T21:00') });

        const results = await Promise.allSettled([store.insertLeed(first, [anOutboxMessage()]), store.insertLeed(second, [anOutboxMessage()])]);

        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const refused = results.filter((r) => r.status === 'rejected');
        expect(refused).toHaveLength(1);
        expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
        const stored = await store.searchLeedz({ trades: ['dj'], from: at('2030-07-01T00:00'), to: at('2030-07-02T00:00'), limit: 10 });
        expect(stored).toHaveLength(1);
        expect(await pendingIds()).toHaveLength(1);
      });
    });

    // ── search ────────────────────────────────────────────────────────────────────────────────────

    describe('search', () => {
      const june = { from: at('2030-06-01T00:00'), to: at('2030-06-30T00:00') };
      // Distinct places, so that none conflicts with another.
      const place = (n: number) => ({ location: `${n} Main St, Springfield, IL 62701`, placeKey: `${n} main st springfield il 62701` });

      it('returns the active leedz of the given trades starting in [from, to], ordered by start', async () => {
        const atFrom = aLeed({ ...place(1), start: june.from, end: at('2030-06-01T02:00') });
        const magic = aLeed({ ...place(2), trade: 'magic', start: at('2030-06-10T18:00'), end: at('2030-06-10T20:00') });
        const dj = aLeed({ ...place(3), start: at('2030-06-05T18:00'), end: at('2030-06-05T20:00') });
        const atTo = aLeed({ ...place(4), start: june.to, end: at('2030-06-30T02:00') });
        const otherTrade = aLeed({ ...place(5), trade: 'face painting', start: at('2030-06-06T18:00'), end: at('2030-06-06T20:00') });
        const before = aLeed({ ...place(6), start: at('2030-05-31T23:00'), end: at('2030-06-01T01:00') });
        const after = aLeed({ ...place(7), start: at('2030-06-30T00:01'), end: at('2030-06-30T02:00') });
        const deleted = aLeed({ ...place(8), start: at('2030-06-07T18:00'), end: at('2030-06-07T20:00') });
        const sold = aLeed({ ...place(9), start: at('2030-06-08T18:00'), end: at('2030-06-08T20:00') });
        for (const leed of [atFrom, magic, dj, atTo, otherTrade, before, after, deleted, sold]) await store.insertLeed(leed, []);
        await store.deleteLeed('dj', deleted.id, deleted.creator, []);
        await store.recordSale(sale(sold), []);

        const found = await store.searchLeedz({ trades: ['dj', 'magic'], ...june, limit: 100 });

        expect(found.map((l) => l.id)).toEqual([atFrom.id, dj.id, magic.id, atTo.id]);
        expect(found[1]).toEqual(dj);
      });

      it('returns only leedz whose point lies in the box', async () => {
        const springfield = aLeed({ ...place(1), point: { lat: 39.78, lon: -89.65 } });
        const chicago = aLeed({ ...place(2), point: { lat: 41.88, lon: -87.63 } });
        await store.insertLeed(springfield, []);
        await store.insertLeed(chicago, []);

        const found = await store.searchLeedz({ trades: ['dj'], ...june, box: { minLat: 39, maxLat: 40.5, minLon: -90.5, maxLon: -89 }, limit: 100 });

        expect(found.map((l) => l.id)).toEqual([springfield.id]);
      });

      it('returns at most `limit` leedz, the earliest first', async () => {
        const leedz = [3, 1, 2].map((day) => aLeed({ ...place(day), start: at(`2030-06-0${day}T18:00`), end: at(`2030-06-0${day}T20:00`) }));
        for (const leed of leedz) await store.insertLeed(leed, []);

        const found = await store.searchLeedz({ trades: ['dj'], ...june, limit: 2 });

        expect(found.map((l) => l.start)).toEqual([at('2030-06-01T18:00'), at('2030-06-02T18:00')]);
      });

      it('leaves out the leedz that end before `endsFrom`, and fills the limit with the others', async () => {
        const over = aLeed({ ...place(1), start: at('2030-06-01T18:00'), end: at('2030-06-01T20:00') });
        const endsThen = aLeed({ ...place(2), start: at('2030-06-01T19:00'), end: at('2030-06-01T21:00') });
        const running = aLeed({ ...place(3), start: at('2030-06-01T20:00'), end: at('2030-06-01T23:00') });
        const later = aLeed({ ...place(4), start: at('2030-06-02T18:00'), end: at('2030-06-02T20:00') });
        for (const leed of [over, endsThen, running, later]) await store.insertLeed(leed, []);
        const query: LeedSearch = { trades: ['dj'], ...june, endsFrom: at('2030-06-01T21:00'), limit: 2 };

        expect((await store.searchLeedz(query)).map((l) => l.id)).toEqual([endsThen.id, running.id]);
        expect((await store.searchLeedListings({ ...query, limit: 10 })).map((l) => l.id)).toEqual([endsThen.id, running.id, later.id]);
        if (store.searchPreviewsJson !== undefined) expect(JSON.parse(await store.searchPreviewsJson(query)).map((l: Leed) => l.id)).toEqual([endsThen.id, running.id]);
      });

      it('with `after`, starts after that leed among those starting at `from`: a page ending in a tie goes on from it', async () => {
        const start = at('2030-06-05T18:00');
        const tied = [1, 2, 3, 4].map((n) => aLeed({ ...place(n), start, end: at('2030-06-05T20:00') }));
        const next = aLeed({ ...place(5), start: at('2030-06-05T19:00'), end: at('2030-06-05T21:00') });
        for (const leed of [...tied, next]) await store.insertLeed(leed, []);
        const byId = tied.map((l) => l.id).sort();
        const query: LeedSearch = { trades: ['dj'], from: start, to: june.to, after: byId[1], limit: 2 };

        expect((await store.searchLeedz(query)).map((l) => l.id)).toEqual(byId.slice(2));
        expect((await store.searchLeedListings({ ...query, limit: 10 })).map((l) => l.id)).toEqual([...byId.slice(2), next.id]);
        if (store.searchPreviewsJson !== undefined) expect(JSON.parse(await store.searchPreviewsJson(query)).map((l: Leed) => l.id)).toEqual(byId.slice(2));
        expect((await store.searchLeedz({ ...query, after: byId[3], limit: 10 })).map((l) => l.id)).toEqual([next.id]);
      });

      it('returns nothing for no trades', async () => {
        await store.insertLeed(aLeed(), []);

        expect(await store.searchLeedz({ trades: [], ...june, limit: 10 })).toEqual([]);
        expect(await store.searchLeedListings({ trades: [], ...june, limit: 10 })).toEqual([]);
      });

      it('lists the same leedz as it searches, in the same order, as their public fields and point', async () => {
        const leedz = [
          aLeed({ ...place(1), start: at('2030-06-03T18:00'), end: at('2030-06-03T20:00'), point: { lat: 39.78, lon: -89.65 } }),
          aLeed({ ...place(2), trade: 'magic', start: at('2030-06-02T18:00'), end: at('2030-06-02T20:00') }),
          aLeed({ ...place(3), start: at('2030-06-01T18:00'), end: at('2030-06-01T20:00'), point: { lat: 41.88, lon: -87.63 } }),
          aLeed({ ...place(4), start: at('2030-06-04T18:00'), end: at('2030-06-04T20:00'), clientEmail: 'secret@example.com' }),
        ];
        for (const leed of leedz) await store.insertLeed(leed, []);
        const queries: LeedSearch[] = [
          { trades: ['dj', 'magic'], ...june, limit: 100 },
          { trades: ['dj'], ...june, limit: 2 },
          { trades: ['dj'], ...june, box: { minLat: 39, maxLat: 40.5, minLon: -90.5, maxLon: -89 }, limit: 100 },
        ];
        for (const query of queries) {
          const listings = await store.searchLeedListings(query);
          const expected = (await store.searchLeedz(query)).map((leed) => ({ ...previewLeed(leed), point: leed.point }));
          expect(listings).toEqual(expected);
          expect(listings.length).toBeGreaterThan(0);
          for (const listing of listings) expect(Object.keys(listing).sort()).toEqual([...Object.keys(previewLeed(leedz[0]!)), 'point'].sort());
          // A store that builds the previews' JSON itself builds exactly what serializing them gives.
          if (store.searchPreviewsJson !== undefined && query.box === undefined) {
            expect(await store.searchPreviewsJson(query)).toBe(JSON.stringify(listings.map(({ point: _point, ...preview }) => preview)));
          }
        }
        if (store.searchPreviewsJson !== undefined) expect(await store.searchPreviewsJson({ trades: ['nobody-posts-this'], ...june, limit: 10 })).toBe('[]');
      });

      it('changes the search version of a trade with every write to its leedz, and only of that trade', async (ctx) => {
        if (store.searchVersion === undefined) return ctx.skip();
        const version = () => store.searchVersion!(['dj']);
        const other = await store.searchVersion(['magic']);
        const seen = [await version()];
        const leed = aLeed({ ...place(7), start: at('2030-06-05T18:00'), end: at('2030-06-05T20:00') });
        await store.insertLeed(leed, []);
        seen.push(await version());
        await store.updateLeed('dj', leed.id, leed.creator, { title: 'A new title' }, []);
        seen.push(await version());
        await store.deleteLeed('dj', leed.id, leed.creator, []);
        seen.push(await version());
        expect(new Set(seen).size).toBe(4);
        expect(await store.searchVersion(['magic'])).toBe(other);
        // Unchanged by reading.
        await store.searchLeedListings({ trades: ['dj'], ...june, limit: 10 });
        expect(await version()).toBe(seen.at(-1));
      });
    });

    // ── update ────────────────────────────────────────────────────────────────────────────────────

    describe('update', () => {
      it("applies the creator's changes, commits them with the outbox, and returns the stored leed", async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        const updated = await store.updateLeed(
          'dj',
          leed.id,
          'pat',
          { title: 'New title', end: at('2030-06-01T21:00'), price: 500, clientPhone: null, visibility: { ...leed.visibility, clientPhone: 'shown' } },
          [anOutboxMessage({ id: 'edited:1' })],
        );

        const expected = { ...leed, title: 'New title', end: at('2030-06-01T21:00'), price: 500, clientPhone: null, visibility: { ...leed.visibility, clientPhone: 'shown' } };
        expect(updated).toEqual(expected);
        expect(await store.getLeed('dj', leed.id)).toEqual(expected);
        expect(await pendingIds()).toEqual(['edited:1']);
      });

      it('moves a leed to a new place with its point, place key and time zone', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        const move = { location: '1 Lake Shore Dr, Chicago, IL 60611', zip: '60611', point: { lat: 41.89, lon: -87.62 }, placeKey: '1 lake shore dr chicago il 60611', timeZone: 'America/Chicago' };

        expect(await store.updateLeed('dj', leed.id, 'pat', move, [])).toEqual({ ...leed, ...move });
      });

      it('does not count the leed itself as a conflict', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        await store.updateLeed('dj', leed.id, 'pat', { start: at('2030-06-01T19:00'), end: at('2030-06-01T21:00') }, []);
      });

      it('refuses a change by anyone but the creator with ForbiddenError', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        expect(await rejection(store.updateLeed('dj', leed.id, 'sam', { title: 'Mine now' }, [anOutboxMessage()]))).toBeInstanceOf(ForbiddenError);
        expect((await store.getLeed('dj', leed.id))?.title).toBe(leed.title);
        expect(await pendingIds()).toEqual([]);
      });

      it('refuses to change a sold or deleted leed with StateError', async () => {
        const sold = aLeed();
        const deleted = aLeed({ trade: 'magic' });
        await store.insertLeed(sold, []);
        await store.insertLeed(deleted, []);
        await store.recordSale(sale(sold), []);
        await store.deleteLeed('magic', deleted.id, 'pat', []);

        expect(await rejection(store.updateLeed('dj', sold.id, 'pat', { title: 'x' }, []))).toBeInstanceOf(StateError);
        expect(await rejection(store.updateLeed('magic', deleted.id, 'pat', { title: 'x' }, []))).toBeInstanceOf(StateError);
      });

      it('refuses a leed that does not exist with NotFoundError', async () => {
        expect(await rejection(store.updateLeed('dj', 'l_unknown', 'pat', { title: 'x' }, []))).toBeInstanceOf(NotFoundError);
      });

      it('refuses a move onto an overlapping leed with ConflictError, changing nothing', async () => {
        const evening = aLeed({ start: at('2030-06-01T18:00'), end: at('2030-06-01T20:00') });
        const night = aLeed({ start: at('2030-06-01T20:00'), end: at('2030-06-01T22:00') });
        await store.insertLeed(evening, []);
        await store.insertLeed(night, []);

        const error = await rejection(store.updateLeed('dj', night.id, 'pat', { start: at('2030-06-01T19:00') }, [anOutboxMessage()]));

        expect(error).toBeInstanceOf(ConflictError);
        expect(error.message).toBe(conflictMessage('dj', night.location));
        expect(await store.getLeed('dj', night.id)).toEqual(night);
        expect(await pendingIds()).toEqual([]);
      });
    });

    // ── delete ────────────────────────────────────────────────────────────────────────────────────

    describe('delete', () => {
      it('marks the leed deleted, takes it out of search, and commits the outbox', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        const deleted = await store.deleteLeed('dj', leed.id, 'pat', [anOutboxMessage({ id: `deleted:${leed.id}` })]);

        expect(deleted).toEqual({ ...leed, status: 'deleted' });
        expect(await store.getLeed('dj', leed.id)).toEqual({ ...leed, status: 'deleted' });
        expect(await store.searchLeedz({ trades: ['dj'], from: at('2030-01-01T00:00'), to: at('2031-01-01T00:00'), limit: 10 })).toEqual([]);
        expect(await pendingIds()).toEqual([`deleted:${leed.id}`]);
      });

      it("refuses anyone but the creator with ForbiddenError, a sold or deleted leed with StateError, an unknown one with NotFoundError", async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        expect(await rejection(store.deleteLeed('dj', leed.id, 'sam', []))).toBeInstanceOf(ForbiddenError);
        await store.recordSale(sale(leed), []);
        expect(await rejection(store.deleteLeed('dj', leed.id, 'pat', [anOutboxMessage()]))).toBeInstanceOf(StateError);
        expect(await rejection(store.deleteLeed('dj', 'l_unknown', 'pat', []))).toBeInstanceOf(NotFoundError);
        expect((await store.getLeed('dj', leed.id))?.status).toBe('sold');
        expect(await pendingIds()).toEqual([]);
      });

      it('refuses to delete a leed twice', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.deleteLeed('dj', leed.id, 'pat', []);

        expect(await rejection(store.deleteLeed('dj', leed.id, 'pat', []))).toBeInstanceOf(StateError);
      });

      // The messages' ids come from the leed (`deleted:<id>`, as the function writes them), so the
      // racing delete that loses finds the message written too: it is told the leed is deleted.
      it('deletes once when deletes race, each with the same message, and tells the others it is deleted', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        const results = await Promise.allSettled(Array.from({ length: 3 }, () => store.deleteLeed('dj', leed.id, 'pat', [anOutboxMessage({ id: `deleted:${leed.id}` })])));

        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const result of results) if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(StateError);
        expect(await pendingIds()).toEqual([`deleted:${leed.id}`]);
      });
    });

    // ── checkout reservations ─────────────────────────────────────────────────────────────────────

    describe('reserveCheckout', () => {
      const now = at('2030-05-10T09:00');
      const in15 = at('2030-05-10T09:15');

      it('reserves for the buyer, and refuses a second buyer while the reservation lasts', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        expect(await store.reserveCheckout('dj', leed.id, 'sam', in15, now)).toEqual({ ok: true, reservedUntil: in15, alreadyHeld: false, price: leed.price });
        expect(await store.reserveCheckout('dj', leed.id, 'lee', at('2030-05-10T09:20'), at('2030-05-10T09:05'))).toEqual({ ok: false, reason: 'reserved' });
      });

      it('lets a second buyer reserve once the first reservation has expired', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'sam', in15, now);

        expect(await store.reserveCheckout('dj', leed.id, 'lee', at('2030-05-10T09:30'), in15)).toEqual({ ok: true, reservedUntil: at('2030-05-10T09:30'), alreadyHeld: false, price: leed.price });
        expect(await store.reserveCheckout('dj', leed.id, 'sam', at('2030-05-10T09:31'), at('2030-05-10T09:16'))).toEqual({ ok: false, reason: 'reserved' });
      });

      it('gives the same buyer their hold back as it is while it lasts: checking out again never extends it', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'sam', in15, now);

        expect(await store.reserveCheckout('dj', leed.id, 'sam', at('2030-05-10T09:20'), at('2030-05-10T09:05'))).toEqual({ ok: true, reservedUntil: in15, alreadyHeld: true, price: leed.price });
        expect(await store.getCheckoutHold('dj', leed.id, at('2030-05-10T09:05'))).toEqual({ buyer: 'sam', until: in15 });
        expect(await store.reserveCheckout('dj', leed.id, 'lee', at('2030-05-10T09:30'), in15)).toEqual({ ok: true, reservedUntil: at('2030-05-10T09:30'), alreadyHeld: false, price: leed.price });
      });

      it('refuses a new price while a hold lasts at the time given (HeldError, with its end), and takes the other fields', async () => {
        const leed = aLeed({ price: 2_500 });
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'sam', in15, now);

        const refusal = await rejection(store.updateLeed('dj', leed.id, 'pat', { price: 3_000 }, [], at('2030-05-10T09:05')));
        expect(refusal).toBeInstanceOf(HeldError);
        expect((refusal as HeldError).until).toBe(in15);
        expect((await store.getLeed('dj', leed.id))?.price).toBe(2_500);
        expect((await store.updateLeed('dj', leed.id, 'pat', { title: 'Still a DJ gig', price: 2_500 }, [], at('2030-05-10T09:05'))).title).toBe('Still a DJ gig');
        // Once the hold has run out, or without a time (no hold is looked at), the price changes.
        expect((await store.updateLeed('dj', leed.id, 'pat', { price: 3_000 }, [], in15)).price).toBe(3_000);
      });

      // A race probe on DynamoDB found an edit and a checkout both answered 200: the hold made at the
      // old price after the edit's check, and the payment refunded as the wrong amount.
      it('makes a hold at the price as it is: a new price racing a checkout is refused, or the hold carries it', async () => {
        for (let round = 0; round < 5; round++) {
          const leed = aLeed({ price: 2_500, title: `Race ${round}`, location: `${round + 1} Race Street, Springfield, IL 62704`, placeKey: `${round + 1} race st 62704` });
          await store.insertLeed(leed, []);

          const [edited, held] = await Promise.allSettled([
            store.updateLeed('dj', leed.id, 'pat', { price: 3_000 }, [], now),
            store.reserveCheckout('dj', leed.id, 'sam', in15, now),
          ]);

          expect(held.status).toBe('fulfilled');
          const reservation = (held as PromiseFulfilledResult<ReserveResult>).value;
          if (!reservation.ok) throw new Error(`round ${round}: the hold was refused (${reservation.reason})`);
          if (edited.status === 'fulfilled') expect(reservation.price).toBe(3_000);
          else {
            expect(edited.reason).toBeInstanceOf(HeldError);
            expect(reservation.price).toBe(2_500);
          }
          expect((await store.getLeed('dj', leed.id))?.price).toBe(reservation.price);
        }
      });

      it('gives the same buyer a new hold once theirs has run out, as anyone may take one then', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'sam', in15, now);

        expect(await store.reserveCheckout('dj', leed.id, 'sam', at('2030-05-10T09:30'), in15)).toEqual({ ok: true, reservedUntil: at('2030-05-10T09:30'), alreadyHeld: false, price: leed.price });
      });

      it('refuses the creator, a leed no longer active, and an unknown leed', async () => {
        const leed = aLeed();
        const deleted = aLeed({ trade: 'magic' });
        await store.insertLeed(leed, []);
        await store.insertLeed(deleted, []);
        await store.deleteLeed('magic', deleted.id, 'pat', []);

        expect(await store.reserveCheckout('dj', leed.id, 'pat', in15, now)).toEqual({ ok: false, reason: 'own-leed' });
        expect(await store.reserveCheckout('magic', deleted.id, 'sam', in15, now)).toEqual({ ok: false, reason: 'not-active' });
        expect(await store.reserveCheckout('dj', 'l_unknown', 'sam', in15, now)).toEqual({ ok: false, reason: 'not-found' });
      });

      it('does not change what getLeed returns', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'sam', in15, now);

        expect(await store.getLeed('dj', leed.id)).toEqual(leed);
      });

      it('tells the hold while it lasts, and none once it has run out, the leed is sold, or for another trade', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        expect(await store.getCheckoutHold('dj', leed.id, now)).toBeUndefined();
        await store.reserveCheckout('dj', leed.id, 'sam', in15, now);

        expect(await store.getCheckoutHold('dj', leed.id, at('2030-05-10T09:14'))).toEqual({ buyer: 'sam', until: in15 });
        expect(await store.getCheckoutHold('dj', leed.id, in15)).toBeUndefined();
        expect(await store.getCheckoutHold('magic', leed.id, now)).toBeUndefined();
        expect(await store.getCheckoutHold('dj', 'l_unknown', now)).toBeUndefined();
        await store.recordSale(sale(leed), []);
        expect(await store.getCheckoutHold('dj', leed.id, now)).toBeUndefined();
      });

      it("releases the buyer's own hold at once, so that another buyer may check out; never another buyer's", async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'sam', in15, now);

        expect(await store.releaseCheckout('dj', leed.id, 'lee')).toBe(false);
        expect(await store.getCheckoutHold('dj', leed.id, now)).toEqual({ buyer: 'sam', until: in15 });
        expect(await store.releaseCheckout('magic', leed.id, 'sam')).toBe(false);
        expect(await store.releaseCheckout('dj', leed.id, 'sam')).toBe(true);
        expect(await store.getCheckoutHold('dj', leed.id, now)).toBeUndefined();
        expect(await store.releaseCheckout('dj', leed.id, 'sam')).toBe(false);
        expect(await store.reserveCheckout('dj', leed.id, 'lee', in15, at('2030-05-10T09:01'))).toEqual({ ok: true, reservedUntil: in15, alreadyHeld: false, price: leed.price });
        expect(await store.getLeed('dj', leed.id)).toEqual(leed);
      });
    });

    // ── sales ─────────────────────────────────────────────────────────────────────────────────────

    describe('recordSale', () => {
      it('marks an active leed sold to the buyer, with the outbox, exactly once', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        const result = await store.recordSale(sale(leed), [anOutboxMessage({ id: `sold:${leed.id}` })]);

        const sold = { ...leed, status: 'sold', buyer: 'sam', soldAt: at('2030-05-10T09:00') };
        expect(result).toEqual({ ok: true, leed: sold });
        expect(await store.getLeed('dj', leed.id)).toEqual(sold);
        expect(await pendingIds()).toEqual([`sold:${leed.id}`]);
      });

      it('reports the same payment again as duplicate-payment and writes nothing', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.recordSale(sale(leed), [anOutboxMessage({ id: 'sold:1' })]);

        const again = await store.recordSale(sale(leed, { soldAt: at('2030-05-10T10:00') }), [anOutboxMessage({ id: 'sold:again' })]);

        expect(again).toMatchObject({ ok: false, reason: 'duplicate-payment', leed: { status: 'sold', buyer: 'sam', soldAt: at('2030-05-10T09:00') } });
        expect(await pendingIds()).toEqual(['sold:1']);
      });

      it('refuses another payment for a sold leed as already-sold and writes nothing', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.recordSale(sale(leed), []);

        const second = await store.recordSale(sale(leed, { buyer: 'lee', paymentId: 'pay_2' }), [anOutboxMessage()]);

        expect(second).toMatchObject({ ok: false, reason: 'already-sold', leed: { buyer: 'sam' } });
        expect((await store.getLeed('dj', leed.id))?.buyer).toBe('sam');
        expect(await pendingIds()).toEqual([]);
      });

      it('sells to exactly one of two racing payments', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        const results = await Promise.all([
          store.recordSale(sale(leed, { buyer: 'sam', paymentId: 'pay_sam' }), [anOutboxMessage({ id: 'sold:sam' })]),
          store.recordSale(sale(leed, { buyer: 'lee', paymentId: 'pay_lee' }), [anOutboxMessage({ id: 'sold:lee' })]),
        ]);

        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(['already-sold']);
        const winner = (await store.getLeed('dj', leed.id))?.buyer;
        expect(await pendingIds()).toEqual([`sold:${winner}`]);
      });

      // As the webhook writes them, the messages of a sale are named by the leed (`receipts:<id>`,
      // `sold:<id>`): the payment that loses the race finds them written by the winner too, and is
      // refused as already sold, not failed (a failure left its money unrefunded).
      it('sells to exactly one of racing payments whose messages have the same ids, and refuses the others as already sold', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        const results = await Promise.all(
          ['sam', 'lee', 'kim'].map((buyer) =>
            store.recordSale(sale(leed, { buyer, paymentId: `pay_${buyer}` }), [anOutboxMessage({ id: `receipts:${leed.id}` }), anOutboxMessage({ id: `sold:${leed.id}` })]),
          ),
        );

        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(['already-sold', 'already-sold']);
        expect((await pendingIds()).sort()).toEqual([`receipts:${leed.id}`, `sold:${leed.id}`]);
      });

      it('gives a free leed to one of two claimers with the same free payment id', async () => {
        const leed = aLeed({ price: 0 });
        await store.insertLeed(leed, []);

        const results = await Promise.all(['sam', 'lee'].map((buyer) => store.recordSale(sale(leed, { buyer, paymentId: `free:${leed.id}`, amount: 0 }), [])));

        expect(results.map((r) => (r.ok ? 'ok' : r.reason)).sort()).toEqual(['already-sold', 'ok']);
      });

      it('refuses a payment of another amount than the price as wrong-amount and writes nothing', async () => {
        const leed = aLeed({ price: 2_500 });
        await store.insertLeed(leed, []);

        expect(await store.recordSale(sale(leed, { amount: 100 }), [anOutboxMessage()])).toMatchObject({ ok: false, reason: 'wrong-amount', leed: { status: 'active', price: 2_500 } });
        expect(await store.getLeed('dj', leed.id)).toEqual(leed);
        expect(await pendingIds()).toEqual([]);
      });

      it('sells for the price as it is when the payment arrives, not as it was at checkout', async () => {
        const leed = aLeed({ price: 2_500 });
        await store.insertLeed(leed, []);
        await store.updateLeed('dj', leed.id, 'pat', { price: 5_000 }, []);

        expect(await store.recordSale(sale(leed, { amount: 2_500 }), [])).toMatchObject({ ok: false, reason: 'wrong-amount', leed: { price: 5_000 } });
        expect(await store.recordSale(sale(leed, { amount: 5_000 }), [])).toMatchObject({ ok: true, leed: { status: 'sold', price: 5_000 } });
      });

      it("refuses a payment on a cancelled checkout while another buyer's hold lasts as held-by-another, writing nothing; that buyer's payment then sells", async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        // Sam checks out and cancels; Lee checks out; Sam then pays on his old checkout page.
        await store.reserveCheckout('dj', leed.id, 'sam', at('2030-05-10T09:15'), at('2030-05-10T09:00'));
        await store.releaseCheckout('dj', leed.id, 'sam');
        await store.reserveCheckout('dj', leed.id, 'lee', at('2030-05-10T09:17'), at('2030-05-10T09:02'));

        const refused = await store.recordSale(sale(leed, { buyer: 'sam', paymentId: 'pay_sam', soldAt: at('2030-05-10T09:03') }), [anOutboxMessage()]);

        expect(refused).toMatchObject({ ok: false, reason: 'held-by-another', leed: { status: 'active', buyer: null } });
        expect(await store.getLeed('dj', leed.id)).toEqual(leed);
        expect(await store.getCheckoutHold('dj', leed.id, at('2030-05-10T09:03'))).toEqual({ buyer: 'lee', until: at('2030-05-10T09:17') });
        expect(await pendingIds()).toEqual([]);
        const sold = await store.recordSale(sale(leed, { buyer: 'lee', paymentId: 'pay_lee', soldAt: at('2030-05-10T09:04') }), [anOutboxMessage({ id: `sold:${leed.id}` })]);
        expect(sold).toMatchObject({ ok: true, leed: { status: 'sold', buyer: 'lee' } });
        expect(await pendingIds()).toEqual([`sold:${leed.id}`]);
      });

      it('keeps a refused payment refused, for its reason, once the leed could be bought; another payment sells', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'lee', at('2030-05-10T09:15'), at('2030-05-10T09:00'));
        const refused = await store.recordSale(sale(leed, { buyer: 'sam', paymentId: 'pay_sam', soldAt: at('2030-05-10T09:03') }), []);
        expect(refused).toMatchObject({ ok: false, reason: 'held-by-another' });
        expect(await store.refusePayment({ trade: 'dj', id: leed.id, paymentId: 'pay_sam', reason: 'held-by-another', at: at('2030-05-10T09:03') })).toBe('refused');
        // Kept once: saying it again changes nothing.
        expect(await store.refusePayment({ trade: 'dj', id: leed.id, paymentId: 'pay_sam', reason: 'held-by-another', at: at('2030-05-10T09:04') })).toBe('refused');
        await store.releaseCheckout('dj', leed.id, 'lee');

        const again = await store.recordSale(sale(leed, { buyer: 'sam', paymentId: 'pay_sam', soldAt: at('2030-05-10T09:05') }), [anOutboxMessage()]);

        expect(again).toMatchObject({ ok: false, reason: 'held-by-another', leed: { status: 'active', buyer: null } });
        expect(await store.getLeed('dj', leed.id)).toEqual(leed);
        expect(await pendingIds()).toEqual([]);
        const other = await store.recordSale(sale(leed, { buyer: 'sam', paymentId: 'pay_sam_2', soldAt: at('2030-05-10T09:06') }), []);
        expect(other).toMatchObject({ ok: true, leed: { status: 'sold', buyer: 'sam' } });
      });

      it('keeps no refusal of the payment a leed was sold with: it is sold, and stays so', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.recordSale(sale(leed, { paymentId: 'pay_1' }), []);

        expect(await store.refusePayment({ trade: 'dj', id: leed.id, paymentId: 'pay_1', reason: 'not-active', at: at('2030-05-10T09:01') })).toBe('sold');
        expect(await store.recordSale(sale(leed, { paymentId: 'pay_1', soldAt: at('2030-05-10T09:02') }), [])).toMatchObject({ ok: false, reason: 'duplicate-payment' });
      });

      it('lets one payment be sold or refused, never both, when the two race', async () => {
        for (let round = 0; round < 5; round++) {
          const leed = aLeed({ start: at(`2030-06-0${round + 1}T18:00`), end: at(`2030-06-0${round + 1}T20:00`) });
          await store.insertLeed(leed, []);
          const [sold, kept] = await Promise.all([
            store.recordSale(sale(leed, { paymentId: `pay_race_${round}` }), []),
            store.refusePayment({ trade: 'dj', id: leed.id, paymentId: `pay_race_${round}`, reason: 'held-by-another', at: at('2030-05-10T09:00') }),
          ]);
          expect(sold.ok && kept === 'refused', `round ${round}`).toBe(false);
          expect((await store.getLeed('dj', leed.id))?.status).toBe(sold.ok ? 'sold' : 'active');
        }
      });

      it("sells to the holder's own payment while their hold lasts, and the hold goes with the sale", async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'sam', at('2030-05-10T09:15'), at('2030-05-10T09:00'));

        const sold = await store.recordSale(sale(leed, { buyer: 'sam', soldAt: at('2030-05-10T09:05') }), []);

        expect(sold).toMatchObject({ ok: true, leed: { status: 'sold', buyer: 'sam', soldAt: at('2030-05-10T09:05') } });
        expect(await store.getCheckoutHold('dj', leed.id, at('2030-05-10T09:06'))).toBeUndefined();
      });

      it("sells to another buyer's payment once the hold has run out (at its `until`), not a moment before", async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'lee', at('2030-05-10T09:15'), at('2030-05-10T09:00'));

        expect(await store.recordSale(sale(leed, { buyer: 'sam', paymentId: 'pay_early', soldAt: '2030-05-10T09:14:59.999Z' }), [])).toMatchObject({ ok: false, reason: 'held-by-another' });
        const sold = await store.recordSale(sale(leed, { buyer: 'sam', paymentId: 'pay_late', soldAt: at('2030-05-10T09:15') }), []);

        expect(sold).toMatchObject({ ok: true, leed: { status: 'sold', buyer: 'sam' } });
        expect((await store.getLeed('dj', leed.id))?.buyer).toBe('sam');
      });

      it('refuses a payment made after the gig ended as not-active (it is refunded): the leed stays as it was', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);

        expect(await store.recordSale(sale(leed, { soldAt: at('2030-06-01T20:01') }), [anOutboxMessage()])).toMatchObject({ ok: false, reason: 'not-active' });
        expect(await store.getLeed('dj', leed.id)).toEqual(leed);
        expect(await pendingIds()).toEqual([]);
        // Up to its end it is still for sale.
        expect(await store.recordSale(sale(leed, { soldAt: at('2030-06-01T20:00') }), [])).toMatchObject({ ok: true });
      });

      it('refuses a deleted leed as not-active and an unknown one as not-found', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.deleteLeed('dj', leed.id, 'pat', []);

        expect(await store.recordSale(sale(leed), [anOutboxMessage()])).toMatchObject({ ok: false, reason: 'not-active' });
        expect(await store.recordSale(sale(aLeed()), [])).toMatchObject({ ok: false, reason: 'not-found' });
        expect(await pendingIds()).toEqual([]);
      });
    });

    describe('takeDownLeed', () => {
      it("takes anyone's active leed down: deleted, out of search, its slot and hold free, with the outbox", async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.reserveCheckout('dj', leed.id, 'sam', at('2030-05-10T09:15'), at('2030-05-10T09:00'));

        const taken = await store.takeDownLeed('dj', leed.id, [anOutboxMessage({ id: 'taken-down' })]);

        expect(taken).toEqual({ ...leed, status: 'deleted' });
        expect((await store.getLeed('dj', leed.id))?.status).toBe('deleted');
        expect(await store.searchLeedz({ trades: ['dj'], from: at('2030-01-01T00:00'), to: at('2031-01-01T00:00'), limit: 10 })).toEqual([]);
        expect(await store.getCheckoutHold('dj', leed.id, at('2030-05-10T09:01'))).toBeUndefined();
        expect(await pendingIds()).toEqual(['taken-down']);
        await store.insertLeed(aLeed({ start: leed.start, end: leed.end }), []);
      });

      it('refuses a leed that is not active with StateError, an unknown one with NotFoundError, writing nothing', async () => {
        const leed = aLeed();
        await store.insertLeed(leed, []);
        await store.recordSale(sale(leed), []);

        expect(await rejection(store.takeDownLeed('dj', leed.id, [anOutboxMessage()]))).toBeInstanceOf(StateError);
        expect(await rejection(store.takeDownLeed('magic', leed.id, []))).toBeInstanceOf(NotFoundError);
        expect(await rejection(store.takeDownLeed('dj', 'l_unknown', []))).toBeInstanceOf(NotFoundError);
        expect(await pendingIds()).toEqual([]);
      });
    });

    // ── one user's leedz ──────────────────────────────────────────────────────────────────────────

    describe("one user's leedz", () => {
      it('lists what a user posted (not deleted) and what they bought, latest start first', async () => {
        const early = aLeed({ start: at('2030-06-01T18:00'), end: at('2030-06-01T20:00') });
        const late = aLeed({ trade: 'magic', start: at('2030-07-01T18:00'), end: at('2030-07-01T20:00') });
        const gone = aLeed({ trade: 'face painting' });
        const bySam = aLeed({ creator: 'sam', location: '9 Elm St, Springfield, IL 62704', placeKey: '9 elm st springfield il 62704' });
        for (const leed of [early, late, gone, bySam]) await store.insertLeed(leed, []);
        await store.deleteLeed('face painting', gone.id, 'pat', []);
        await store.recordSale(sale(early, { buyer: 'lee' }), []);
        await store.recordSale(sale(bySam, { buyer: 'pat', paymentId: 'pay_2' }), []);

        expect((await store.listPostedLeedz('pat', 10)).map((l) => [l.id, l.status])).toEqual([
          [late.id, 'active'],
          [early.id, 'sold'],
        ]);
        expect(await store.listPostedLeedz('pat', 1)).toEqual([late]);
        expect((await store.listBoughtLeedz('pat', 10)).map((l) => [l.id, l.buyer])).toEqual([[bySam.id, 'pat']]);
        expect((await store.listBoughtLeedz('lee', 10)).map((l) => l.id)).toEqual([early.id]);
        expect(await store.listBoughtLeedz('sam', 10)).toEqual([]);
        expect(await store.listPostedLeedz('nobody', 10)).toEqual([]);
      });
    });

    // ── who was told about a leed ─────────────────────────────────────────────────────────────────

    describe('leed recipients', () => {
      it('keeps each recipient once, and pages through them by username', async () => {
        const recipients = ['dee', 'ann', 'cat', 'bob'].map((username) => ({ username, email: `${username}@example.com` }));
        await store.addLeedRecipients('l_1', recipients.slice(0, 3));
        await store.addLeedRecipients('l_1', [recipients[0]!, recipients[3]!, recipients[3]!]);
        await store.addLeedRecipients('l_2', [{ username: 'eve', email: 'eve@example.com' }]);

        expect(await store.listLeedRecipients('l_1', null, 10)).toEqual(['ann', 'bob', 'cat', 'dee'].map((username) => ({ username, email: `${username}@example.com` })));
        expect((await store.listLeedRecipients('l_1', null, 2)).map((r) => r.username)).toEqual(['ann', 'bob']);
        expect((await store.listLeedRecipients('l_1', 'bob', 2)).map((r) => r.username)).toEqual(['cat', 'dee']);
        expect(await store.listLeedRecipients('l_1', 'dee', 2)).toEqual([]);
        expect(await store.listLeedRecipients('l_3', null, 2)).toEqual([]);
      });
    });

    // ── calendar feeds ────────────────────────────────────────────────────────────────────────────

    describe('calendar feeds', () => {
      it('finds the owner of a feed by its token hash until it is replaced or revoked', async () => {
        expect(await store.getCalendarFeed('pat')).toBeUndefined();
        await store.setCalendarFeed('pat', { tokenHash: 'a'.repeat(64), createdAt: at('2030-05-01T12:00') });
        expect(await store.getCalendarFeed('pat')).toEqual({ tokenHash: 'a'.repeat(64), createdAt: at('2030-05-01T12:00') });
        expect(await store.findCalendarFeedOwner('a'.repeat(64))).toBe('pat');

        await store.setCalendarFeed('pat', { tokenHash: 'b'.repeat(64), createdAt: at('2030-05-02T12:00') });
        expect(await store.findCalendarFeedOwner('a'.repeat(64))).toBeUndefined();
        expect(await store.findCalendarFeedOwner('b'.repeat(64))).toBe('pat');

        await store.setCalendarFeed('pat', null);
        expect(await store.findCalendarFeedOwner('b'.repeat(64))).toBeUndefined();
        expect(await store.getCalendarFeed('pat')).toBeUndefined();
        await store.setCalendarFeed('pat', null);
      });

      it('refuses a feed for a user who does not exist with NotFoundError', async () => {
        expect(await rejection(store.setCalendarFeed('nobody', { tokenHash: 'c'.repeat(64), createdAt: at('2030-05-01T12:00') }))).toBeInstanceOf(NotFoundError);
        expect(await store.findCalendarFeedOwner('c'.repeat(64))).toBeUndefined();
      });
    });

    // ── reports ───────────────────────────────────────────────────────────────────────────────────

    describe('reports', () => {
      const report = (id: string, createdAt: string) => ({ id, leedId: id.split(':')[0]!, trade: 'dj', reporter: id.split(':')[1]!, reason: `reason of ${id}`, createdAt });

      it('keeps one open report per leed and reporter, with its outbox, and lists the open ones newest first', async () => {
        expect(await store.addReport(report('l_1:sam', at('2030-05-01T12:00')), [anOutboxMessage({ id: 'report-1' })])).toBe(true);
        expect(await store.addReport(report('l_1:sam', at('2030-05-01T13:00')), [anOutboxMessage({ id: 'report-again' })])).toBe(false);
        expect(await store.addReport(report('l_2:lee', at('2030-05-02T12:00')), [])).toBe(true);

        expect(await pendingIds()).toEqual(['report-1']);
        expect(await store.listReports('open', 10)).toEqual([
          { ...report('l_2:lee', at('2030-05-02T12:00')), status: 'open', resolvedAt: null },
          { ...report('l_1:sam', at('2030-05-01T12:00')), status: 'open', resolvedAt: null },
        ]);
        expect(await store.listReports('open', 1)).toHaveLength(1);
        expect(await store.listReports('closed', 10)).toEqual([]);
        expect(await store.getReport('l_1:sam')).toMatchObject({ reason: 'reason of l_1:sam', status: 'open' });
        expect(await store.getReport('l_9:nobody')).toBeUndefined();
      });

      it('resolves an open report once: dismissed or taken down, then listed as closed', async () => {
        await store.addReport(report('l_1:sam', at('2030-05-01T12:00')), []);
        await store.addReport(report('l_2:lee', at('2030-05-02T12:00')), []);

        expect(await store.resolveReport('l_1:sam', 'dismissed', at('2030-05-03T12:00'))).toMatchObject({ status: 'dismissed', resolvedAt: at('2030-05-03T12:00') });
        expect(await rejection(store.resolveReport('l_1:sam', 'taken-down', at('2030-05-03T13:00')))).toBeInstanceOf(StateError);
        expect(await rejection(store.resolveReport('l_9:nobody', 'dismissed', at('2030-05-03T13:00')))).toBeInstanceOf(NotFoundError);
        await store.resolveReport('l_2:lee', 'taken-down', at('2030-05-04T12:00'));

        expect(await store.listReports('open', 10)).toEqual([]);
        expect((await store.listReports('closed', 10)).map((r) => [r.id, r.status])).toEqual([
          ['l_2:lee', 'taken-down'],
          ['l_1:sam', 'dismissed'],
        ]);
      });
    });

    // ── rate limits ───────────────────────────────────────────────────────────────────────────────

    describe('countRequest', () => {
      const HOUR = 3_600_000;

      it('counts per key in fixed windows, a weight as that many requests, and starts each window at 0', async () => {
        const inWindow = '2027-03-01T10:05:00.000Z';
        expect(await store.countRequest('a', HOUR, inWindow)).toBe(1);
        expect(await store.countRequest('a', HOUR, '2027-03-01T10:59:59.000Z')).toBe(2);
        expect(await store.countRequest('a', HOUR, inWindow, 10)).toBe(12);
        expect(await store.countRequest('b', HOUR, inWindow)).toBe(1);
        expect(await store.countRequest('a', HOUR, '2027-03-01T11:00:00.000Z')).toBe(1);
        expect(await store.countRequest('a', HOUR, '2027-03-01T11:10:00.000Z', 5)).toBe(6);
      });

      it('reads the count without adding to it with a weight of 0', async () => {
        const inWindow = '2027-03-01T10:05:00.000Z';
        expect(await store.countRequest('never', HOUR, inWindow, 0)).toBe(0);
        await store.countRequest('a', HOUR, inWindow);
        expect(await store.countRequest('a', HOUR, inWindow, 0)).toBe(1);
        expect(await store.countRequest('a', HOUR, inWindow, 0)).toBe(1);
        expect(await store.countRequest('a', HOUR, inWindow)).toBe(2);
      });
    });

    // ── the outbox ────────────────────────────────────────────────────────────────────────────────

    describe('outbox', () => {
      it('hands out pending messages oldest first, as they were written, up to the limit', async () => {
        const first = anOutboxMessage({ target: 'emailHelper', payload: { function: 'notifyUsers', leedId: 'l_1', _meta: { hop: 1 } } });
        await store.insertLeed(aLeed({ trade: 'dj' }), [first]);
        await store.insertLeed(aLeed({ trade: 'magic' }), [anOutboxMessage()]);
        await store.insertLeed(aLeed({ trade: 'face painting' }), [anOutboxMessage()]);

        const pending = await store.pendingOutbox(2);

        expect(pending).toHaveLength(2);
        expect(pending[0]).toEqual({ ...first, createdAt: expect.any(String) });
        expect(Date.parse(pending[0]!.createdAt)).not.toBeNaN();
        expect(Date.parse(pending[0]!.createdAt)).toBeLessThanOrEqual(Date.parse(pending[1]!.createdAt));
      });

      it('no longer hands out messages marked dispatched', async () => {
        const [a, b, c] = [anOutboxMessage(), anOutboxMessage(), anOutboxMessage()];
        await store.insertLeed(aLeed(), [a, b, c]);

        await store.markOutboxDispatched([a.id, c.id, 'unknown-id']);

        expect(await pendingIds()).toEqual([b.id]);
        await store.markOutboxDispatched([b.id]);
        expect(await store.pendingOutbox(10)).toEqual([]);
      });
    });

    // ── bookkeeping and stats ─────────────────────────────────────────────────────────────────────

    describe('bookkeeping and stats', () => {
      it('starts with empty stats', async () => {
        expect(await store.getStats()).toEqual({ posted: 0, sold: 0, users: 0, lastPosted: null, lastSold: null });
      });

      it('applies counter changes once per key', async () => {
        const lastPosted = { trade: 'dj', price: 2_500, zip: '62701', at: at('2030-05-01T12:00') };
        const changes = { trades: { dj: 1 }, users: { pat: { posted: 1 } }, totals: { posted: 1 }, lastPosted };

        expect(await store.applyBookkeeping('posted:l_1', changes)).toBe(true);
        expect(await store.applyBookkeeping('posted:l_1', changes)).toBe(false);

        expect((await store.getTrade('dj'))?.leedCount).toBe(1);
        expect((await store.getUser('pat'))?.posted).toBe(1);
        expect(await store.getStats()).toEqual({ posted: 1, sold: 0, users: 0, lastPosted, lastSold: null });
      });

      it('moves every kind of counter', async () => {
        const lastSold = { trade: 'dj', price: 2_500, zip: '62701', at: at('2030-05-10T09:00') };
        await store.applyBookkeeping('posted:l_1', { trades: { dj: 2 } });

        await store.applyBookkeeping('sold:l_1', {
          trades: { dj: -1 },
          users: { pat: { sold: 1 }, sam: { bought: 1 } },
          totals: { sold: 1, users: 2 },
          lastSold,
        });

        expect((await store.getTrade('dj'))?.leedCount).toBe(1);
        expect(await store.getUser('pat')).toMatchObject({ posted: 0, sold: 1, bought: 0 });
        expect(await store.getUser('sam')).toMatchObject({ posted: 0, sold: 0, bought: 1 });
        expect(await store.getStats()).toMatchObject({ sold: 1, users: 2, lastSold, lastPosted: null });
      });

      it('finds the active leedz whose gig has ended, until each is marked; never a running, sold or deleted one', async () => {
        const ended = aLeed({ start: at('2030-06-01T18:00'), end: at('2030-06-01T20:00'), placeKey: 'ended' });
        const endedMagic = aLeed({ trade: 'magic', start: at('2030-06-01T10:00'), end: at('2030-06-01T12:00'), placeKey: 'ended-magic' });
        const running = aLeed({ start: at('2030-06-01T19:00'), end: at('2030-06-01T23:00'), placeKey: 'running' });
        const sold = aLeed({ start: at('2030-06-01T08:00'), end: at('2030-06-01T10:00'), placeKey: 'sold' });
        const deleted = aLeed({ start: at('2030-06-01T08:00'), end: at('2030-06-01T10:00'), placeKey: 'deleted' });
        for (const leed of [ended, endedMagic, running, sold, deleted]) await store.insertLeed(leed, []);
        await store.recordSale(sale(sold), []);
        await store.deleteLeed('dj', deleted.id, 'pat', []);
        const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);

        const found = await store.endedLeedz(at('2030-06-01T21:00'), 10);

        expect(found.sort(byId)).toEqual([{ trade: 'dj', id: ended.id }, { trade: 'magic', id: endedMagic.id }].sort(byId));
        await store.markEndCounted('dj', ended.id);
        expect(await store.endedLeedz(at('2030-06-01T21:00'), 10)).toEqual([{ trade: 'magic', id: endedMagic.id }]);
        await store.markEndCounted('magic', endedMagic.id);
        expect(await store.endedLeedz(at('2030-06-01T21:00'), 10)).toEqual([]);
        // Still active and whole: the mark is the store's own.
        expect(await store.getLeed('dj', ended.id)).toEqual(ended);
        // A sold leed is left as it was.
        await store.markEndCounted('dj', sold.id);
        expect((await store.getLeed('dj', sold.id))?.status).toBe('sold');

        // Over once its end has passed, as `hasEnded` says: not at its end itself.
        expect(await store.endedLeedz(at('2030-06-01T23:00'), 10)).toEqual([]);
        expect(await store.endedLeedz(new Date(Date.parse(at('2030-06-01T23:00')) + 1).toISOString(), 10)).toEqual([{ trade: 'dj', id: running.id }]);
      });

      it('finds at most `limit` at a time, and with `since` only those that ended at or after it', async () => {
        const leedz = [12, 13, 14].map((hour) => aLeed({ start: at(`2030-06-01T${hour - 2}:00`), end: at(`2030-06-01T${hour}:00`), placeKey: `at-${hour}` }));
        for (const leed of leedz) await store.insertLeed(leed, []);

        const first = await store.endedLeedz(at('2030-06-01T15:00'), 2);
        for (const leed of first) await store.markEndCounted(leed.trade, leed.id);
        const second = await store.endedLeedz(at('2030-06-01T15:00'), 2);

        expect(first).toHaveLength(2);
        expect([...first, ...second].map((leed) => leed.id).sort()).toEqual(leedz.map((leed) => leed.id).sort());
        expect(second).toEqual([{ trade: 'dj', id: leedz[2]!.id }]);
        expect(await store.endedLeedz(at('2030-06-01T15:00'), 10, at('2030-06-01T14:00'))).toEqual(second);
        expect(await store.endedLeedz(at('2030-06-01T15:00'), 10, at('2030-06-01T14:01'))).toEqual([]);
      });

      it('with `since`, finds a leed that ended long before (a deployment’s first run, a long outage)', async () => {
        const old = aLeed({ start: at('2030-01-10T18:00'), end: at('2030-01-10T20:00'), placeKey: 'old' });
        await store.insertLeed(old, []);

        expect(await store.endedLeedz(at('2030-06-01T00:00'), 10, at('2030-01-01T00:00'))).toEqual([{ trade: 'dj', id: old.id }]);
      });

      it('never takes a count below 0', async () => {
        await store.applyBookkeeping('deleted:l_1', { trades: { dj: -1 }, users: { pat: { posted: -1 } }, totals: { posted: -1 } });

        expect((await store.getTrade('dj'))?.leedCount).toBe(0);
        expect((await store.getUser('pat'))?.posted).toBe(0);
        expect((await store.getStats()).posted).toBe(0);
      });
    });

    // ── bulk mail: the suppression list, who still subscribes, the unsubscribe secret ─────────────

    describe('bulk mail', () => {
      it('lists a suppressed address whatever its case, and only that one', async () => {
        await store.suppressEmails([{ email: 'Gone@Example.com', reason: 'bounce', at: at('2030-05-01T10:00'), detail: '550 5.1.1 no such user' }]);

        expect(await store.suppressedAmong(['gone@example.com', 'pat@example.com', 'GONE@EXAMPLE.COM'])).toEqual(new Set(['gone@example.com', 'GONE@EXAMPLE.COM']));
        expect(await store.suppressedAmong([])).toEqual(new Set());
        expect(await store.getSuppression('gone@EXAMPLE.com')).toEqual({ email: 'gone@example.com', reason: 'bounce', at: at('2030-05-01T10:00'), detail: '550 5.1.1 no such user' });
        expect(await store.getSuppression('pat@example.com')).toBeUndefined();
      });

      it('keeps the first entry of an address suppressed twice (a redelivered event changes nothing)', async () => {
        await store.suppressEmails([{ email: 'sam@example.com', reason: 'complaint', at: at('2030-05-01T10:00'), detail: 'abuse' }]);
        await store.suppressEmails([
          { email: 'sam@example.com', reason: 'bounce', at: at('2030-05-02T10:00') },
          { email: 'lee@example.com', reason: 'bounce', at: at('2030-05-02T10:00') },
        ]);

        expect(await store.getSuppression('sam@example.com')).toEqual({ email: 'sam@example.com', reason: 'complaint', at: at('2030-05-01T10:00'), detail: 'abuse' });
        expect(await store.suppressedAmong(['sam@example.com', 'lee@example.com', 'pat@example.com'])).toEqual(new Set(['sam@example.com', 'lee@example.com']));
      });

      it('tells which users still subscribe to a trade', async () => {
        await store.updateUser('pat', { subscriptions: ['dj', 'magic'] });
        await store.updateUser('sam', { subscriptions: ['magic'] });
        await store.updateUser('lee', { subscriptions: ['dj'] });
        await store.updateUser('lee', { subscriptions: [] });

        expect(await store.subscribedAmong('dj', ['pat', 'sam', 'lee', 'nobody'])).toEqual(new Set(['pat']));
        expect(await store.subscribedAmong('magic', ['pat', 'sam'])).toEqual(new Set(['pat', 'sam']));
        expect(await store.subscribedAmong('dj', [])).toEqual(new Set());
      });

      it('makes the unsubscribe secret once: every call, concurrent first calls too, gets the same one', async () => {
        const first = await Promise.all(Array.from({ length: 5 }, () => store.unsubscribeSecret()));
        const later = await store.unsubscribeSecret();

        expect(new Set([...first, later]).size).toBe(1);
        expect(later).toMatch(/^[A-Za-z0-9_-]{43}$/);
      });
    });
  });
}
