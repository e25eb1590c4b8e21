/**
 * The DynamoDB store against DynamoDB Local (AWS's emulator, started once for this file): the Store
 * contract, unchanged from the SQLite run, plus what only this adapter has — several clients racing
 * like several Lambdas, the table as defined, TTL on reservations, the sparse indexes, the months of
 * the search index, and the limit of one transaction.
 */
import { DescribeTableCommand, DescribeTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyOf } from '../../../src/adapters/store/dynamodb/dynamodb-items.js';
import { createDynamoDbStore } from '../../../src/adapters/store/dynamodb/dynamodb-store.js';
import { LEEDZ_TABLE, PENDING_OUTBOX_INDEX, SEARCH_INDEX } from '../../../src/adapters/store/dynamodb/table-definition.js';
import { overlaps } from '../../../src/leedz/domain/conflict.js';
import type { Leed } from '../../../src/leedz/domain/leed.js';
import { ConflictError, type Store } from '../../../src/leedz/ports.js';
import { describeStoreContract } from '../../contracts/store.js';
import { aLeed, anOutboxMessage, at, aUser } from '../../helpers/builders.js';
import { type DynamoDbLocal, requireJava, startDynamoDbLocal } from '../../helpers/dynamodb-local.js';

// Throws, naming the apt package, when Java is missing (unless LEEDZ_SKIP_JAVA=1: then skip).
const hasJava = requireJava();

let local: DynamoDbLocal;

beforeAll(async () => {
  if (hasJava) local = await startDynamoDbLocal();
});

afterAll(async () => {
  await local?.stop();
});

/** A fresh table and a store on it; `teardown` drops the table and closes the client. */
async function freshStore(): Promise<{ store: Store; tableName: string; client: DynamoDBClient; teardown(): Promise<void> }> {
  const tableName = await local.createTable();
  const client = local.client();
  const store = createDynamoDbStore({ client, tableName });
  return {
    store,
    tableName,
    client,
    teardown: async () => {
      await local.deleteTable(tableName);
      client.destroy();
    },
  };
}

describe.skipIf(!hasJava)('DynamoDB Local', () => {
  describeStoreContract('DynamoDB', freshStore);
});

describe.skipIf(!hasJava)('DynamoDB store', () => {
  let fixture: Awaited<ReturnType<typeof freshStore>>;
  let store: Store;
  let raw: DynamoDBDocumentClient;
  const extraClients: DynamoDBClient[] = [];

  /** The item under `key`, as stored (strongly consistent). */
  async function rawItem(key: { PK: string; SK: string }): Promise<Record<string, unknown> | undefined> {
    return (await raw.send(new GetCommand({ TableName: fixture.tableName, Key: key, ConsistentRead: true }))).Item;
  }

  /** Every item an index holds (its whole content: the sparse indexes are small here). */
  async function indexItems(indexName: string): Promise<Record<string, unknown>[]> {
    return (await raw.send(new ScanCommand({ TableName: fixture.tableName, IndexName: indexName }))).Items ?? [];
  }

  /** `n` stores on the same table, each with its own client (its own connections), like `n` Lambdas. */
  function storesOnOwnClients(n: number): Store[] {
    return Array.from({ length: n }, () => {
      const client = local.client();
      extraClients.push(client);
      return createDynamoDbStore({ client, tableName: fixture.tableName });
    });
  }

  beforeEach(async () => {
    fixture = await freshStore();
    store = fixture.store;
    raw = DynamoDBDocumentClient.from(fixture.client);
    await store.addTrades([{ name: 'dj' }, { name: 'magic' }]);
    for (const username of ['pat', 'sam', 'lee']) await store.createUser(aUser({ username }), []);
  });

  afterEach(async () => {
    for (const client of extraClients.splice(0)) client.destroy();
    await fixture.teardown();
  });

  describe('the table', () => {
    it('is created from LEEDZ_TABLE: keys, both sparse indexes, the stream and TTL on expiresAt', async () => {
      const { Table } = await fixture.client.send(new DescribeTableCommand({ TableName: fixture.tableName }));
      const ttl = await fixture.client.send(new DescribeTimeToLiveCommand({ TableName: fixture.tableName }));

      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ]);
      expect(Table?.GlobalSecondaryIndexes?.map((gsi) => [gsi.IndexName, gsi.KeySchema?.map((k) => k.AttributeName)]).sort()).toEqual([
        [PENDING_OUTBOX_INDEX, ['pendingPK', 'pendingSK']],
        [SEARCH_INDEX, ['searchPK', 'searchSK']],
      ]);
      expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
      expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: LEEDZ_TABLE.timeToLiveAttribute });
    });
  });

  describe('racing clients', () => {
    it('lets exactly one of eight clients book one slot at once; the others get ConflictError', async () => {
      const stores = storesOnOwnClients(8);
      const leedz = stores.map(() => aLeed({ start: at('2030-07-01T18:00'), end: at('2030-07-01T20:00') }));

      const results = await Promise.allSettled(stores.map((s, i) => s.insertLeed(leedz[i]!, [anOutboxMessage({ id: `posted:${leedz[i]!.id}` })])));

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConflictError);
      const winner = leedz[results.findIndex((r) => r.status === 'fulfilled')]!;
      expect((await store.pendingOutbox(100)).map((m) => m.id)).toEqual([`posted:${winner.id}`]);
    });

    it('never double-books when four clients post many overlapping leedz at one place, and books every free slot', async () => {
      const stores = storesOnOwnClients(4);
      const HOUR = 3_600_000;
      const base = Date.parse('2030-08-01T00:00:00.000Z');
      // Two-hour gigs starting on the hour over two days: each overlaps its neighbours; each client walks them in its own order.
      const slots = Array.from({ length: 48 }, (_, i) => i);
      const orders = [slots, [...slots].reverse(), [...slots].sort((x, y) => (x % 5) - (y % 5) || x - y), [...slots].sort((x, y) => (x % 3) - (y % 3) || y - x)];

      const reports = await Promise.all(
        stores.map(async (s, c) => {
          const inserted: Leed[] = [];
          for (const slot of orders[c]!) {
            const start = base + slot * HOUR;
            const leed = aLeed({ id: `l_${c}_${slot}`, start: new Date(start).toISOString(), end: new Date(start + 2 * HOUR).toISOString() });
            try {
              await s.insertLeed(leed, [anOutboxMessage({ id: `posted:${leed.id}` })]);
              inserted.push(leed);
            } catch (error) {
              if (!(error instanceof ConflictError)) throw error;
            }
          }
          return inserted;
        }),
      );

      const inserted = reports.flat();
      const stored = await store.searchLeedz({ trades: ['dj'], from: at('2030-08-01T00:00'), to: at('2030-08-03T00:00'), limit: 1_000 });
      expect(stored.map((l) => l.id).sort()).toEqual(inserted.map((l) => l.id).sort());
      for (const [i, a] of stored.entries()) for (const b of stored.slice(i + 1)) expect(overlaps(a, b), `${a.id} overlaps ${b.id}`).toBe(false);
      // Every slot is either booked or overlaps a booking: no post was refused for nothing.
      for (const slot of slots) {
        const start = base + slot * HOUR;
        const span = { start: new Date(start).toISOString(), end: new Date(start + 2 * HOUR).toISOString() };
        expect(stored.some((l) => overlaps(l, span)), `slot ${slot}`).toBe(true);
      }
      // Each insert committed its message and its booking with it, and nothing else did.
      expect((await store.pendingOutbox(1_000)).map((m) => m.id).sort()).toEqual(inserted.map((l) => `posted:${l.id}`).sort());
      const bookings = await raw.send(
        new QueryCommand({ TableName: fixture.tableName, KeyConditionExpression: 'PK = :pk AND begins_with(SK, :b)', ExpressionAttributeValues: { ':pk': keyOf.placePartition('dj', inserted[0]!.placeKey), ':b': 'BOOKING#' }, ConsistentRead: true }),
      );
      expect(bookings.Items?.map((b) => b.leedId).sort()).toEqual(inserted.map((l) => l.id).sort());
    }, 120_000);

    it('sells to exactly one of several clients paying at once', async () => {
      const leed = aLeed();
      await store.insertLeed(leed, []);
      const stores = storesOnOwnClients(6);

      const results = await Promise.all(
        stores.map((s, i) => s.recordSale({ trade: 'dj', id: leed.id, buyer: i % 2 === 0 ? 'sam' : 'lee', paymentId: `pay_${i}`, amount: 2_500, soldAt: at('2030-05-10T09:00') }, [anOutboxMessage({ id: `sold:${i}` })])),
      );

      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(5).fill('already-sold'));
      expect(await store.pendingOutbox(10)).toHaveLength(1);
    });

    it('applies racing decrements from several clients without taking a counter below 0', async () => {
      await store.applyBookkeeping('posted:seed', { trades: { dj: 3 }, totals: { posted: 3 } });
      const stores = storesOnOwnClients(6);

      await Promise.all(stores.map((s, i) => s.applyBookkeeping(`deleted:${i}`, { trades: { dj: -1 }, totals: { posted: -1 } })));

      expect((await store.getTrade('dj'))?.leedCount).toBe(0);
      expect((await store.getStats()).posted).toBe(0);
    });

    it('keeps the subscription items equal to the subscriptions when profile edits race', async () => {
      const stores = storesOnOwnClients(4);
      const lists = [['dj'], ['magic'], ['dj', 'magic'], []];

      await Promise.all(stores.map((s, i) => s.updateUser('pat', { subscriptions: lists[i]!, zip: '6270' + i })));

      const pat = await store.getUser('pat');
      for (const trade of ['dj', 'magic']) {
        const subscribers = await store.listSubscribers(trade, null, 10);
        expect(subscribers.some((s) => s.username === 'pat'), trade).toBe(pat?.subscriptions.includes(trade));
        for (const s of subscribers) expect(s.zip).toBe(pat?.zip);
      }
    });
  });

  describe('checkout reservations', () => {
    it('stores the reservation beside the leed with expiresAt, in epoch seconds, for TTL', async () => {
      const leed = aLeed();
      await store.insertLeed(leed, []);

      await store.reserveCheckout('dj', leed.id, 'sam', at('2030-05-10T09:15'), at('2030-05-10T09:00'));

      expect(await rawItem(keyOf.reservation(leed.id))).toMatchObject({
        buyer: 'sam',
        reservedUntil: at('2030-05-10T09:15'),
        [LEEDZ_TABLE.timeToLiveAttribute]: Date.parse(at('2030-05-10T09:15')) / 1_000,
      });
    });

    it('lets another buyer in once the time has passed, though TTL has not yet deleted the item', async () => {
      const leed = aLeed();
      await store.insertLeed(leed, []);
      // Already past by the wall clock: TTL may delete it at any time, days later (it is lazy).
      await store.reserveCheckout('dj', leed.id, 'sam', at('2020-01-01T00:15'), at('2020-01-01T00:00'));
      expect(await rawItem(keyOf.reservation(leed.id))).toBeDefined();

      expect(await store.reserveCheckout('dj', leed.id, 'lee', at('2020-01-01T00:30'), at('2020-01-01T00:10'))).toEqual({ ok: false, reason: 'reserved' });
      expect(await store.reserveCheckout('dj', leed.id, 'lee', at('2020-01-01T00:30'), at('2020-01-01T00:15'))).toEqual({ ok: true, reservedUntil: at('2020-01-01T00:30'), alreadyHeld: false, price: leed.price });
    });

    it('removes the reservation when the leed is sold', async () => {
      const leed = aLeed();
      await store.insertLeed(leed, []);
      await store.reserveCheckout('dj', leed.id, 'sam', at('2030-05-10T09:15'), at('2030-05-10T09:00'));

      await store.recordSale({ trade: 'dj', id: leed.id, buyer: 'sam', paymentId: 'pay_1', amount: 2_500, soldAt: at('2030-05-10T09:05') }, []);

      expect(await rawItem(keyOf.reservation(leed.id))).toBeUndefined();
    });
  });

  describe('the sparse indexes', () => {
    it('keeps only pending outbox messages in the pending-outbox index; a dispatched one stays in the table with a TTL', async () => {
      const [a, b] = [anOutboxMessage(), anOutboxMessage()];
      await store.insertLeed(aLeed(), [a, b]);
      expect((await indexItems(PENDING_OUTBOX_INDEX)).map((i) => i.id).sort()).toEqual([a.id, b.id].sort());

      await store.markOutboxDispatched([a.id]);

      expect((await indexItems(PENDING_OUTBOX_INDEX)).map((i) => i.id)).toEqual([b.id]);
      const dispatched = await rawItem(keyOf.outbox(a.id));
      expect(dispatched).toMatchObject({ id: a.id, dispatchedAt: expect.any(String), [LEEDZ_TABLE.timeToLiveAttribute]: expect.any(Number) });
      expect(dispatched).not.toHaveProperty('pendingPK');
      expect(dispatched).not.toHaveProperty('pendingSK');
    });

    it('does not create an item for an unknown id, nor move the time of a message dispatched twice', async () => {
      const a = anOutboxMessage();
      await store.insertLeed(aLeed(), [a]);
      await store.markOutboxDispatched([a.id]);
      const first = await rawItem(keyOf.outbox(a.id));

      await store.markOutboxDispatched([a.id, 'unknown-id']);

      expect(await rawItem(keyOf.outbox(a.id))).toEqual(first);
      expect(await rawItem(keyOf.outbox('unknown-id'))).toBeUndefined();
    });

    it('keeps only active leedz in the search index', async () => {
      const [active, sold, deleted] = [1, 2, 3].map((n) => aLeed({ placeKey: `${n} main st`, location: `${n} Main St, Springfield, IL 62701` }));
      for (const leed of [active!, sold!, deleted!]) await store.insertLeed(leed, []);
      await store.recordSale({ trade: 'dj', id: sold!.id, buyer: 'sam', paymentId: 'p', amount: 2_500, soldAt: at('2030-05-10T09:00') }, []);
      await store.deleteLeed('dj', deleted!.id, 'pat', []);

      expect((await indexItems(SEARCH_INDEX)).map((i) => i.id)).toEqual([active!.id]);
    });
  });

  describe('search across months', () => {
    const place = (n: number) => ({ location: `${n} Main St, Springfield, IL 62701`, placeKey: `${n} main st springfield il 62701` });

    it('reads every month that [from, to] touches, in start order, including both ends', async () => {
      const leedz = [
        aLeed({ ...place(1), start: at('2030-11-30T23:00'), end: at('2030-12-01T01:00') }),
        aLeed({ ...place(2), start: at('2030-12-31T22:00'), end: at('2031-01-01T02:00') }),
        aLeed({ ...place(3), trade: 'magic', start: at('2031-01-01T00:00'), end: at('2031-01-01T02:00') }),
        aLeed({ ...place(4), start: at('2031-02-01T00:00'), end: at('2031-02-01T02:00') }),
        aLeed({ ...place(5), start: at('2031-02-01T00:01'), end: at('2031-02-01T02:00') }),
        aLeed({ ...place(6), start: at('2030-11-30T22:59'), end: at('2030-12-01T01:00') }),
      ];
      for (const leed of leedz) await store.insertLeed(leed, []);

      const found = await store.searchLeedz({ trades: ['dj', 'magic'], from: at('2030-11-30T23:00'), to: at('2031-02-01T00:00'), limit: 100 });

      expect(found.map((l) => l.id)).toEqual(leedz.slice(0, 4).map((l) => l.id));
    });

    it('stops at the limit, taking the earliest across trades and months', async () => {
      const leedz = [
        aLeed({ ...place(1), start: at('2030-06-30T20:00'), end: at('2030-06-30T22:00') }),
        aLeed({ ...place(2), trade: 'magic', start: at('2030-07-01T10:00'), end: at('2030-07-01T12:00') }),
        aLeed({ ...place(3), start: at('2030-07-01T09:00'), end: at('2030-07-01T11:00') }),
        aLeed({ ...place(4), start: at('2030-08-01T09:00'), end: at('2030-08-01T11:00') }),
      ];
      for (const leed of leedz) await store.insertLeed(leed, []);

      const found = await store.searchLeedz({ trades: ['dj', 'magic'], from: at('2030-06-01T00:00'), to: at('2030-08-31T00:00'), limit: 2 });

      expect(found.map((l) => l.id)).toEqual([leedz[0]!.id, leedz[2]!.id]);
    });

    it('moves a rescheduled leed to its new month, and frees its old slot', async () => {
      const leed = aLeed({ start: at('2030-06-30T18:00'), end: at('2030-06-30T20:00') });
      await store.insertLeed(leed, []);

      await store.updateLeed('dj', leed.id, 'pat', { start: at('2030-07-02T18:00'), end: at('2030-07-02T20:00') }, []);

      expect(await store.searchLeedz({ trades: ['dj'], from: at('2030-06-01T00:00'), to: at('2030-06-30T23:59'), limit: 10 })).toEqual([]);
      expect((await store.searchLeedz({ trades: ['dj'], from: at('2030-07-01T00:00'), to: at('2030-07-31T00:00'), limit: 10 })).map((l) => l.id)).toEqual([leed.id]);
      await store.insertLeed(aLeed({ start: at('2030-06-30T18:00'), end: at('2030-06-30T20:00') }), []);
      await expect(store.insertLeed(aLeed({ start: at('2030-07-02T19:00'), end: at('2030-07-02T21:00') }), [])).rejects.toBeInstanceOf(ConflictError);
    });
  });

  describe('limits and references', () => {
    it('refuses a bookkeeping change of more than 99 counters before writing anything', async () => {
      const users = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`user${i}`, { posted: 1 }]));

      await expect(store.applyBookkeeping('big', { users })).rejects.toThrow(/at most 100 items/);
      expect(await store.applyBookkeeping('big', { trades: { dj: 1 } })).toBe(true);
    });

    it('refuses a leed of an unknown trade or creator, and a subscription to an unknown trade, with NotFoundError', async () => {
      await expect(store.insertLeed(aLeed({ trade: 'juggling' }), [])).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.insertLeed(aLeed({ creator: 'nobody' }), [])).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(store.updateUser('pat', { subscriptions: ['juggling'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('refuses a second leed with the same id, even of another trade, with ConflictError', async () => {
      await store.insertLeed(aLeed({ id: 'l_same' }), []);

      await expect(store.insertLeed(aLeed({ id: 'l_same', trade: 'magic' }), [])).rejects.toBeInstanceOf(ConflictError);
    });

    it('counts nothing for a trade or user that does not exist, and creates no item for it', async () => {
      expect(await store.applyBookkeeping('k', { trades: { juggling: 1, dj: 1 }, users: { nobody: { posted: 1 } } })).toBe(true);

      expect(await store.getTrade('juggling')).toBeUndefined();
      expect(await rawItem(keyOf.user('nobody'))).toBeUndefined();
      expect((await store.getTrade('dj'))?.leedCount).toBe(1);
    });
  });
});
