/**
 * The Store port on one DynamoDB table (single-table design): the marketplace's store on AWS.
 * `TABLE-DESIGN.md` beside this file lists every item, key and index and the access pattern each
 * serves; `table-definition.ts` is the table itself, as data.
 *
 * Every write that must be atomic is one `TransactWriteItems` whose conditions carry the rule
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html): the
 * leed and its booking, the place lock and the outbox items commit together or not at all. A write
 * that depends on what it read first (the conflict check, an edit, a sale) conditions on a version it
 * read, and starts over from the read when another writer got there first; a cancellation whose
 * conditions failed is translated into the port's errors here (docs/style.md §3) and never leaves as a
 * `TransactionCanceledException`.
 *
 * Reads of items are strongly consistent. The two index queries (month search, pending outbox) are
 * eventually consistent, as every GSI query is: a leed posted a moment ago may miss a search, and a
 * relay may see a message a moment after its commit — neither is a rule of the port.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { conflictMessage } from '../../../leedz/domain/conflict.js';
import type { Leed } from '../../../leedz/domain/leed.js';
import { previewLeed } from '../../../leedz/domain/visibility.js';
import {
  ConflictError,
  ForbiddenError,
  HeldError,
  type LeedSearch,
  NotFoundError,
  type OutboxMessage,
  StateError,
  type Store,
} from '../../../leedz/ports.js';
import {
  BOOKING_PREFIX,
  type BookingItem,
  RECIPIENTS_END,
  bookingItem,
  canonicalInstant,
  isBooked,
  keyOf,
  type LeedItem,
  leedFromItem,
  leedItem,
  monthsBetween,
  type PlaceLockItem,
  type ReservationItem,
  searchPartition,
  toMs,
} from './dynamodb-items.js';
import { createDynamoDbBookkeeping } from './dynamodb-bookkeeping.js';
import { createDynamoDbCheckout } from './dynamodb-checkout.js';
import { createDynamoDbEndedLeedz } from './dynamodb-ended.js';
import { createDynamoDbOutbox } from './dynamodb-outbox.js';
import { createDynamoDbUsers } from './dynamodb-users.js';
import { createDynamoDbCalendarFeeds } from './dynamodb-calendar-feeds.js';
import { createDynamoDbMailing } from './dynamodb-mailing.js';
import { createDynamoDbReports } from './dynamodb-reports.js';
import { AGAIN, compareText, createTableAccess, definedOnly, type Step, type TransactItem } from './dynamodb-table.js';
import { SEARCH_INDEX } from './table-definition.js';

export interface DynamoDbStoreOptions {
  /** A document client, or a plain client that the store wraps in one. */
  client: DynamoDBDocumentClient | DynamoDBClient;
  /** A table created from `LEEDZ_TABLE` (table-definition.ts), with TTL on. */
  tableName: string;
}

/** How many items a page of the month search evaluates when a box filters them. */
const FILTERED_PAGE_SIZE = 100;

/** How many `markOutboxDispatched` updates (and recipient puts) run at once. */
const DISPATCH_CONCURRENCY = 16;


/**
 * Open the store on an existing table.
 *
 * @example
 * const store = createDynamoDbStore({ client: new DynamoDBClient({}), tableName: 'leedz' });
 * await store.insertLeed(leed, [message]); // the leed, its booking and the message commit together
 */
export function createDynamoDbStore(options: DynamoDbStoreOptions): Store {
  const doc =
    options.client instanceof DynamoDBDocumentClient
      ? options.client
      : DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
  const TableName = options.tableName;
  const table = createTableAccess(doc, TableName);
  const { get, query, getMany, transact, retrying, outboxSteps, mustExist, throwForCommonFailures } = table;
  const users = createDynamoDbUsers(table);

  // ── the conflict check ─────────────────────────────────────────────────────────────────────────

  interface PlaceRead {
    lock: PlaceLockItem | undefined;
    clash: BookingItem | undefined;
  }

  /**
   * Read a place's lock, then its bookings that could overlap [startMs, endMs) (other than `selfId`).
   * The lock is read first: a transaction that commits on `version = <what was read>` then knows that
   * no booking was written at this place after the lock was read, so the bookings read after it were
   * all there are.
   */
  async function readPlace(trade: string, placeKey: string, startMs: number, endMs: number, selfId: string): Promise<PlaceRead> {
    const lock = await get<PlaceLockItem>(keyOf.placeLock(trade, placeKey));
    // Every booking is written together with its place's lock, so no lock means no booking.
    if (lock === undefined) return { lock, clash: undefined };
    // A booking that overlaps starts before `endMs` and, lasting at most maxSpanMs, after startMs − maxSpanMs.
    const bookings = await query<BookingItem>({
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
      ExpressionAttributeValues: {
        ':pk': keyOf.placePartition(trade, placeKey),
        ':from': `${BOOKING_PREFIX}${new Date(startMs - lock.maxSpanMs).toISOString()}`,
        ':to': `${BOOKING_PREFIX}${new Date(endMs).toISOString()}`,
      },
      ConsistentRead: true,
    });
    const clash = bookings.find(
      (b) => b.trade === trade && b.placeKey === placeKey && b.leedId !== selfId && b.startMs < endMs && b.endMs > startMs,
    );
    return { lock, clash };
  }

  /** Bump the place's lock on the condition that it is still at the version read (or still absent). */
  function lockStep(item: LeedItem, lock: PlaceLockItem | undefined): Step {
    const span = item.endMs - item.startMs;
    return {
      label: 'lock',
      item: {
        Update: {
          TableName,
          Key: keyOf.placeLock(item.trade, item.placeKey),
          UpdateExpression: 'SET #version = :next, #maxSpanMs = :maxSpanMs',
          ConditionExpression: lock === undefined ? 'attribute_not_exists(PK)' : '#version = :read',
          ExpressionAttributeNames: { '#version': 'version', '#maxSpanMs': 'maxSpanMs' },
          ExpressionAttributeValues: {
            ':next': (lock?.version ?? 0) + 1,
            ':maxSpanMs': Math.max(lock?.maxSpanMs ?? 0, span),
            ...(lock === undefined ? {} : { ':read': lock.version }),
          },
        },
      },
    };
  }

  // ── leedz that a creator may change ────────────────────────────────────────────────────────────

  async function changeableLeed(trade: string, id: string, creator: string): Promise<LeedItem> {
    const item = await get<LeedItem>(keyOf.leed(id));
    if (item === undefined || item.trade !== trade) throw new NotFoundError(`no ${trade} leed ${id}`);
    if (item.creator !== creator) throw new ForbiddenError('only the creator of a leed may change it');
    if (item.status !== 'active') throw new StateError(`this leed is ${item.status}`);
    return item;
  }

  /** The condition that the leed is still as read: active, at the same revision. */
  function unchangedSince(item: LeedItem): Pick<NonNullable<TransactItem['Update']>, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
    return {
      ConditionExpression: '#revision = :revision AND #status = :active',
      ExpressionAttributeNames: { '#revision': 'revision', '#status': 'status' },
      ExpressionAttributeValues: { ':revision': item.revision, ':active': 'active' },
    };
  }

  /**
   * One month of one trade's active leedz starting in [from, to] (after the leed `after` among those
   * starting at `from`, not over before `endsFrom`, in the box), at most `want`.
   */
  async function searchMonth(trade: string, month: string, search: LeedSearch, from: string, to: string, want: number): Promise<LeedItem[]> {
    const { after, endsFrom, box } = search;
    // Applied after the key range and after Limit: `query` keeps paging (100 at a time) until it has `want`.
    const filters: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (box !== undefined) {
      filters.push('#point.#lat BETWEEN :minLat AND :maxLat AND #point.#lon BETWEEN :minLon AND :maxLon');
      Object.assign(names, { '#point': 'point', '#lat': 'lat', '#lon': 'lon' });
      Object.assign(values, { ':minLat': box.minLat, ':maxLat': box.maxLat, ':minLon': box.minLon, ':maxLon': box.maxLon });
    }
    if (endsFrom !== undefined) {
      filters.push('#endMs >= :endsFrom');
      Object.assign(names, { '#endMs': 'endMs' });
      Object.assign(values, { ':endsFrom': toMs(endsFrom) });
    }
    if (after !== undefined) {
      // The key range starts at the leed `after` itself (BETWEEN is inclusive, and a key condition
      // takes one range): it is filtered out. A filter may not name the index's keys, so by its id.
      filters.push('#id <> :after');
      Object.assign(names, { '#id': 'id' });
      Object.assign(values, { ':after': after });
    }
    return query<LeedItem>(
      {
        IndexName: SEARCH_INDEX,
        // `<start>#<id>` ≥ from, and ≤ `<to>$` ('$' sorts right after '#'), so a leed starting exactly at `to` is in.
        KeyConditionExpression: 'searchPK = :pk AND searchSK BETWEEN :from AND :to',
        ...(filters.length === 0 ? {} : { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names }),
        ExpressionAttributeValues: {
          ':pk': searchPartition(trade, month),
          ':from': after === undefined ? from : `${from}#${after}`,
          ':to': `${to}$`,
          ...values,
        },
      },
      want,
      filters.length === 0 ? undefined : Math.max(want, FILTERED_PAGE_SIZE),
    );
  }

  /**
   * Mark an active leed deleted, as read (its revision), out of the search index, its slot freed,
   * with the outbox; {@link AGAIN} when it changed since the read.
   */
  async function markDeleted(current: LeedItem, outbox: readonly OutboxMessage[]): Promise<Leed | typeof AGAIN> {
    const condition = unchangedSince(current);
    const outcome = await transact([
      {
        label: 'leed',
        item: {
          Update: {
            TableName,
            Key: keyOf.leed(current.id),
            // Out of the search index (sparse), and its slot freed.
            UpdateExpression: 'SET #status = :deleted, #revision = #revision + :one REMOVE searchPK, searchSK',
            ...condition,
            ExpressionAttributeValues: { ...condition.ExpressionAttributeValues, ':deleted': 'deleted', ':one': 1 },
          },
        },
      },
      { label: 'booking', item: { Delete: { TableName, Key: keyOf.booking(current.trade, current.placeKey, current.start, current.id) } } },
      // A hold on a deleted leed holds nothing.
      { label: 'reservation', item: { Delete: { TableName, Key: keyOf.reservation(current.id) } } },
      ...outboxSteps(outbox),
    ]);
    if (outcome.committed) return { ...leedFromItem(current), status: 'deleted' } satisfies Leed;
    throwForCommonFailures(outcome.failed);
    return AGAIN;
  }

  /** A user's posted or bought leedz: the pointers in their partition, then the leedz, latest start first. */
  async function leedzOf(username: string, which: 'posted' | 'bought', limit: number): Promise<Leed[]> {
    if (limit <= 0) return [];
    const prefix = which === 'posted' ? keyOf.postedBy(username, '').SK : keyOf.boughtBy(username, '').SK;
    const pointers = await query<{ leedId: string }>({
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': keyOf.user(username).PK, ':prefix': prefix },
      ConsistentRead: true,
    });
    const items = await getMany<LeedItem>(pointers.map((p) => keyOf.leed(p.leedId)));
    return items
      .filter((item) => (which === 'posted' ? item.creator === username && item.status !== 'deleted' : item.buyer === username))
      .sort((a, b) => b.startMs - a.startMs || compareText(b.id, a.id))
      .slice(0, limit)
      .map(leedFromItem);
  }

  // ── reads that other methods share ─────────────────────────────────────────────────────────────

  async function searchLeedz(search: LeedSearch): Promise<Leed[]> {
    const trades = [...new Set(search.trades)];
    if (trades.length === 0 || search.limit <= 0) return [];
    const from = canonicalInstant(search.from);
    const to = canonicalInstant(search.to);
    if (from > to) return [];
    const found: LeedItem[] = [];
    // A month's partition holds only leedz starting in that month, so the months are read in order and
    // the search stops at the month that fills the limit. Within a month the trades are read at once.
    for (const month of monthsBetween(from, to)) {
      const want = search.limit - found.length;
      const perTrade = await Promise.all(trades.map((trade) => searchMonth(trade, month, search, from, to, want)));
      found.push(...perTrade.flat().sort(byStartThenId).slice(0, want));
      if (found.length >= search.limit) break;
    }
    return found.map(leedFromItem);
  }

  // ── the port ───────────────────────────────────────────────────────────────────────────────────

  return {
    // leedz

    async insertLeed(leed, outbox) {
      const item = leedItem(leed, 0);
      await retrying('insertLeed', async () => {
        const place = await readPlace(item.trade, item.placeKey, item.startMs, item.endMs, item.id);
        if (place.clash !== undefined) throw new ConflictError(conflictMessage(leed.trade, leed.location));
        const outcome = await transact([
          { label: 'leed', item: { Put: { TableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } } },
          mustExist('trade', keyOf.trade(item.trade), item.trade),
          mustExist('creator', keyOf.user(item.creator), item.creator),
          // The lock is bumped even for a leed that books nothing (inserted deleted): it is what makes the check above atomic.
          lockStep(item, place.lock),
          ...(isBooked(item.status) ? [{ label: 'booking', item: { Put: { TableName, Item: bookingItem(item) } } } satisfies Step] : []),
          // The creator's list of their leedz points at it (listPostedLeedz).
          { label: 'leed', item: { Put: { TableName, Item: { ...keyOf.postedBy(item.creator, item.id), leedId: item.id } } } },
          ...outboxSteps(outbox),
        ]);
        if (outcome.committed) return undefined;
        if (outcome.failed.some((f) => f.step.label === 'leed')) throw new ConflictError('a leed with this id already exists');
        throwForCommonFailures(outcome.failed);
        // Someone booked at this place since the lock was read (or held it): check again.
        return AGAIN;
      });
    },

    async getLeed(trade, id) {
      const item = await get<LeedItem>(keyOf.leed(id));
      return item === undefined || item.trade !== trade ? undefined : leedFromItem(item);
    },

    searchLeedz,

    async searchLeedListings(search: LeedSearch) {
      // An item is read whole either way (a projection saves bandwidth, not capacity units).
      return (await searchLeedz(search)).map((leed) => ({ ...previewLeed(leed), point: leed.point }));
    },

    async updateLeed(trade, id, creator, changes, outbox, now) {
      return retrying('updateLeed', async () => {
        const current = await changeableLeed(trade, id, creator);
        const next = leedItem({ ...leedFromItem(current), ...definedOnly(changes) }, current.revision + 1);
        const steps: Step[] = [{ label: 'leed', item: { Put: { TableName, Item: next, ...unchangedSince(current) } } }];
        if (now !== undefined && next.price !== current.price) {
          // No hold that lasts at `now`: a checkout charges the price it was made at.
          steps.push({
            label: 'reservation',
            item: {
              ConditionCheck: {
                TableName,
                Key: keyOf.reservation(id),
                ConditionExpression: 'attribute_not_exists(PK) OR #untilMs <= :now',
                ExpressionAttributeNames: { '#untilMs': 'untilMs' },
                ExpressionAttributeValues: { ':now': toMs(now) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          });
        }
        const moved = next.placeKey !== current.placeKey || next.startMs !== current.startMs || next.endMs !== current.endMs;
        if (moved) {
          // The same check as an insert, at the new place and time, ignoring the leed's own booking.
          const place = await readPlace(next.trade, next.placeKey, next.startMs, next.endMs, next.id);
          if (place.clash !== undefined) throw new ConflictError(conflictMessage(next.trade, next.location));
          const oldBooking = bookingItem(current);
          const newBooking = bookingItem(next);
          steps.push(lockStep(next, place.lock));
          if (oldBooking.PK !== newBooking.PK || oldBooking.SK !== newBooking.SK) {
            steps.push({ label: 'booking', item: { Delete: { TableName, Key: { PK: oldBooking.PK, SK: oldBooking.SK } } } });
          }
          steps.push({ label: 'booking', item: { Put: { TableName, Item: newBooking } } });
        }
        const outcome = await transact([...steps, ...outboxSteps(outbox)]);
        if (outcome.committed) return leedFromItem(next);
        throwForCommonFailures(outcome.failed);
        const hold = outcome.failed.find((f) => f.step.label === 'reservation')?.old as ReservationItem | undefined;
        if (hold !== undefined && !outcome.failed.some((f) => f.step.label === 'leed')) throw new HeldError(hold.reservedUntil);
        // The leed or the place changed since the read: read again (which also reports a sale or delete).
        return AGAIN;
      });
    },

    async deleteLeed(trade, id, creator, outbox) {
      return retrying('deleteLeed', async () => markDeleted(await changeableLeed(trade, id, creator), outbox));
    },

    async takeDownLeed(trade, id, outbox) {
      return retrying('takeDownLeed', async () => {
        const current = await get<LeedItem>(keyOf.leed(id));
        if (current === undefined || current.trade !== trade) throw new NotFoundError(`no ${trade} leed ${id}`);
        if (current.status !== 'active') throw new StateError(`this leed is ${current.status}`);
        return markDeleted(current, outbox);
      });
    },

    // one user's leedz

    async listPostedLeedz(creator, limit) {
      return leedzOf(creator, 'posted', limit);
    },

    async listBoughtLeedz(buyer, limit) {
      return leedzOf(buyer, 'bought', limit);
    },

    // who was told about a leed

    async addLeedRecipients(leedId, recipients) {
      const unique = [...new Map(recipients.map((r) => [r.username, r])).values()];
      // A Put of the same key again changes nothing: repeated recipients and redeliveries are one.
      // PutItem rather than BatchWriteItem, for the same reason as getMany.
      for (let i = 0; i < unique.length; i += DISPATCH_CONCURRENCY) {
        await Promise.all(
          unique.slice(i, i + DISPATCH_CONCURRENCY).map((r) => doc.send(new PutCommand({ TableName, Item: { ...keyOf.recipient(leedId, r.username), username: r.username, email: r.email } }))),
        );
      }
    },

    async listLeedRecipients(leedId, cursor, limit) {
      if (limit <= 0) return [];
      // BETWEEN is inclusive: the cursor's own item may come back first, so ask for one more and drop it.
      const items = await query<{ username: string; email: string }>(
        {
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': keyOf.leed(leedId).PK, ':from': keyOf.recipient(leedId, cursor ?? '').SK, ':to': RECIPIENTS_END },
          ConsistentRead: true,
        },
        limit + 1,
      );
      return items.filter((item) => item.username !== cursor).slice(0, limit).map((item) => ({ username: item.username, email: item.email }));
    },

    ...users,
    ...createDynamoDbCheckout(table),
    ...createDynamoDbEndedLeedz(table, users),
    ...createDynamoDbOutbox(table),
    ...createDynamoDbBookkeeping(table),
    ...createDynamoDbCalendarFeeds(table),
    ...createDynamoDbReports(table),
    ...createDynamoDbMailing(table),
  };
}

// ── ordering ────────────────────────────────────────────────────────────────────────────────────

function byStartThenId(a: LeedItem, b: LeedItem): number {
  return a.startMs - b.startMs || compareText(a.id, b.id);
}
