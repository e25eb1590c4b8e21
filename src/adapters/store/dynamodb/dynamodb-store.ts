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
 * conditions failed is translated into the port's errors here (STYLE.md §3) and never leaves as a
 * `TransactionCanceledException`.
 *
 * Reads of items are strongly consistent. The two index queries (month search, pending outbox) are
 * eventually consistent, as every GSI query is: a leed posted a moment ago may miss a search, and a
 * relay may see a message a moment after its commit — neither is a rule of the port.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { badgesFor } from '../../../leedz/domain/badges.js';
import { conflictMessage } from '../../../leedz/domain/conflict.js';
import type { Leed } from '../../../leedz/domain/leed.js';
import type { Trade } from '../../../leedz/domain/trade.js';
import type { User } from '../../../leedz/domain/user.js';
import { previewLeed } from '../../../leedz/domain/visibility.js';
import {
  type Bookkeeping,
  ConflictError,
  ForbiddenError,
  type LeedSearch,
  NEW_USER_RADIUS_MILES,
  type NewUser,
  NotFoundError,
  type OutboxMessage,
  type Report,
  type ReserveResult,
  type Sale,
  type SaleResult,
  StateError,
  type Store,
} from '../../../leedz/ports.js';
import {
  BOOKING_PREFIX,
  type BookingItem,
  type CalendarFeedItem,
  RECIPIENTS_END,
  REPORTS_PARTITION,
  type ReportItem,
  reportFromItem,
  bookingItem,
  canonicalInstant,
  type EmailItem,
  isBooked,
  type ItemKey,
  keyOf,
  type LeedItem,
  leedFromItem,
  leedItem,
  monthsBetween,
  type OutboxItem,
  outboxFromItem,
  PENDING_OUTBOX_PARTITION,
  type PlaceLockItem,
  type ReservationItem,
  searchPartition,
  type StatsItem,
  statsFromItem,
  subscriberFromItem,
  type SubscriptionItem,
  subscriptionItem,
  toMs,
  TRADES_PARTITION,
  type TradeItem,
  tradeFromItem,
  tradeItem,
  type UserItem,
  userFromItem,
  userItem,
} from './dynamodb-items.js';
import { createDynamoDbMailing } from './dynamodb-mailing.js';
import { PENDING_OUTBOX_INDEX, SEARCH_INDEX } from './table-definition.js';

export interface DynamoDbStoreOptions {
  /** A document client, or a plain client that the store wraps in one. */
  client: DynamoDBDocumentClient | DynamoDBClient;
  /** A table created from `LEEDZ_TABLE` (table-definition.ts), with TTL on. */
  tableName: string;
}

/** The most items one `TransactWriteItems` may hold (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html). */
export const MAX_TRANSACTION_ITEMS = 100;

/** How many times a write that lost a race starts over (re-reading) before giving up as a fault. */
const MAX_ATTEMPTS = 12;

/** How long a dispatched outbox message stays readable before TTL removes it (seconds). */
const DISPATCHED_OUTBOX_RETENTION_S = 7 * 24 * 60 * 60;

/** How many items a page of the month search evaluates when a box filters them. */
const FILTERED_PAGE_SIZE = 100;

/** How many `markOutboxDispatched` updates (and recipient puts) run at once. */
const DISPATCH_CONCURRENCY = 16;

/** How many item reads run at once when a list is read item by item. */
const READ_CONCURRENCY = 16;

// ── transactions ─────────────────────────────────────────────────────────────────────────────────

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** What a transaction step is for: a failed condition is reported by its label, not its position. */
type StepLabel =
  | 'user'
  | 'email'
  | 'trade'
  | 'creator'
  | 'subscription'
  | 'leed'
  | 'booking'
  | 'lock'
  | 'reservation'
  | 'applied'
  | 'counter'
  | 'report'
  | 'outbox';

interface Step {
  label: StepLabel;
  /** Which trade, user or message, for the error message and for bookkeeping's clamping. */
  detail?: string;
  item: TransactItem;
}

interface FailedCondition {
  step: Step;
  /** The item as it was, when the step asked for it with `ReturnValuesOnConditionCheckFailure: ALL_OLD` and it existed. */
  old: Record<string, unknown> | undefined;
}

type Outcome =
  | { committed: true }
  /** `raced`: another transaction held one of the items (`TransactionConflict`); starting over is enough. */
  | { committed: false; failed: FailedCondition[]; raced: boolean };

/** Returned by an attempt that lost a race: read again and retry. */
const AGAIN = Symbol('again');

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

  // ── reading ────────────────────────────────────────────────────────────────────────────────────

  async function get<T>(key: ItemKey): Promise<T | undefined> {
    const { Item } = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return Item as T | undefined;
  }

  /**
   * Every item of a query, page after page, or the first `max` of them. `pageSize` (default: what is
   * still wanted) is how many items a page evaluates; with a filter, a bigger page saves round trips.
   */
  async function query<T>(input: Omit<QueryCommandInput, 'TableName'>, max = Number.POSITIVE_INFINITY, pageSize?: number): Promise<T[]> {
    const items: T[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const want = pageSize ?? max - items.length;
      const page = await doc.send(
        new QueryCommand({ ...input, TableName, ExclusiveStartKey, ...(Number.isFinite(want) ? { Limit: want } : {}) }),
      );
      items.push(...((page.Items ?? []) as T[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey !== undefined && items.length < max);
    return items.length > max ? items.slice(0, max) : items;
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Run the steps as one transaction. A cancellation for failed conditions or a conflict with another
   * transaction comes back as a value; any other failure (throttling, validation) is a fault and throws.
   */
  async function transact(steps: Step[]): Promise<Outcome> {
    if (steps.length > MAX_TRANSACTION_ITEMS) {
      throw new RangeError(`a DynamoDB transaction holds at most ${MAX_TRANSACTION_ITEMS} items; this one needs ${steps.length}`);
    }
    try {
      // A token per attempt: the SDK's own retries of this request (a lost response) then find it
      // committed instead of failing their conditions against their own first write.
      await doc.send(new TransactWriteCommand({ TransactItems: steps.map((s) => s.item), ClientRequestToken: randomUUID() }));
      return { committed: true };
    } catch (error) {
      if (!isVendorError(error, TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed: FailedCondition[] = [];
      let raced = false;
      for (const [i, reason] of reasons.entries()) {
        const step = steps[i];
        if (reason.Code === 'ConditionalCheckFailed' && step !== undefined) {
          failed.push({ step, old: reason.Item === undefined ? undefined : unmarshall(reason.Item) });
        } else if (reason.Code === 'TransactionConflict') {
          raced = true;
        } else if (reason.Code !== undefined && reason.Code !== 'None') {
          throw error;
        }
      }
      if (failed.length === 0 && !raced) throw error;
      return { committed: false, failed, raced };
    }
  }

  /**
   * Run `attempt` until it returns something other than {@link AGAIN}, backing off a little more each
   * time (with jitter, so that racing writers spread out).
   */
  async function retrying<T>(what: string, attempt: () => Promise<T | typeof AGAIN>): Promise<T> {
    for (let n = 0; n < MAX_ATTEMPTS; n++) {
      const result = await attempt();
      if (result !== AGAIN) return result;
      await sleep(Math.random() * Math.min(200, 5 * 2 ** n));
    }
    throw new Error(`${what}: still contended after ${MAX_ATTEMPTS} attempts`);
  }

  let lastStamp = 0;

  /** Outbox items for the transaction of the change they belong to; pending (in the sparse index) until dispatched. */
  function outboxSteps(messages: readonly OutboxMessage[]): Step[] {
    const now = Date.now();
    const createdAt = new Date(now).toISOString();
    return messages.map((message) => {
      // Microseconds, strictly increasing in this process: the messages of one change keep their order.
      lastStamp = Math.max(now * 1_000, lastStamp + 1);
      const item: OutboxItem = {
        ...keyOf.outbox(message.id),
        id: message.id,
        target: message.target,
        payload: JSON.stringify(message.payload),
        createdAt,
        pendingPK: PENDING_OUTBOX_PARTITION,
        pendingSK: `${String(lastStamp).padStart(17, '0')}#${message.id}`,
      };
      return { label: 'outbox', detail: message.id, item: { Put: { TableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } } };
    });
  }

  function mustExist(label: 'trade' | 'creator', key: ItemKey, detail: string): Step {
    return { label, detail, item: { ConditionCheck: { TableName, Key: key, ConditionExpression: 'attribute_exists(PK)' } } };
  }

  /**
   * The failures that every write shares: a duplicate outbox id (a fault of the caller) and a
   * reference to a trade or user that does not exist.
   */
  function throwForCommonFailures(failed: FailedCondition[]): void {
    for (const { step } of failed) {
      if (step.label === 'outbox') throw new Error(`an outbox message with id ${step.detail} already exists`);
      if (step.label === 'trade') throw new NotFoundError(`no trade ${step.detail}`);
      if (step.label === 'creator') throw new NotFoundError(`no user ${step.detail}`);
    }
  }

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

  function saleRefusal(item: LeedItem | undefined, sale: Sale): SaleResult | undefined {
    if (item === undefined || item.trade !== sale.trade) return { ok: false, reason: 'not-found' };
    const leed = leedFromItem(item);
    if (item.paymentId === sale.paymentId && item.buyer === sale.buyer) return { ok: false, reason: 'duplicate-payment', leed };
    if (item.status === 'sold') return { ok: false, reason: 'already-sold', leed };
    if (item.status !== 'active') return { ok: false, reason: 'not-active', leed };
    return undefined;
  }

  /** One month of one trade's active leedz starting in [from, to] (and in the box), at most `want`. */
  async function searchMonth(trade: string, month: string, from: string, to: string, box: LeedSearch['box'], want: number): Promise<LeedItem[]> {
    return query<LeedItem>(
      {
        IndexName: SEARCH_INDEX,
        // `<start>#<id>` ≥ from, and ≤ `<to>$` ('$' sorts right after '#'), so a leed starting exactly at `to` is in.
        KeyConditionExpression: 'searchPK = :pk AND searchSK BETWEEN :from AND :to',
        ...(box === undefined
          ? {}
          : {
              // Applied after the key range and after Limit: `query` keeps paging (100 at a time) until it has `want`.
              FilterExpression: '#point.#lat BETWEEN :minLat AND :maxLat AND #point.#lon BETWEEN :minLon AND :maxLon',
              ExpressionAttributeNames: { '#point': 'point', '#lat': 'lat', '#lon': 'lon' },
            }),
        ExpressionAttributeValues: {
          ':pk': searchPartition(trade, month),
          ':from': from,
          ':to': `${to}$`,
          ...(box === undefined ? {} : { ':minLat': box.minLat, ':maxLat': box.maxLat, ':minLon': box.minLon, ':maxLon': box.maxLon }),
        },
      },
      want,
      box === undefined ? undefined : Math.max(want, FILTERED_PAGE_SIZE),
    );
  }

  /** Take a message out of the pending index (sparse: the keys go) and let TTL remove it in a week. */
  async function markDispatched(id: string, now: number): Promise<void> {
    try {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keyOf.outbox(id),
          UpdateExpression: 'SET #dispatchedAt = :now, #expiresAt = :expiresAt REMOVE pendingPK, pendingSK',
          // Unknown ids and messages already dispatched are left alone (and an unknown id is not created).
          ConditionExpression: 'attribute_exists(pendingPK)',
          ExpressionAttributeNames: { '#dispatchedAt': 'dispatchedAt', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':now': new Date(now).toISOString(), ':expiresAt': Math.ceil(now / 1_000) + DISPATCHED_OUTBOX_RETENTION_S },
        }),
      );
    } catch (error) {
      if (!isVendorError(error, ConditionalCheckFailedException)) throw error;
    }
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

  /**
   * Items by key, a few reads at a time. GetItem rather than BatchGetItem: the Lambdas' IAM policies
   * grant the item actions the store uses (infra/leedz-stack.ts), and a vendor's own list is short.
   */
  async function getMany<T>(keys: readonly ItemKey[]): Promise<T[]> {
    const found: T[] = [];
    for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
      const items = await Promise.all(keys.slice(i, i + READ_CONCURRENCY).map((key) => get<T>(key)));
      for (const item of items) if (item !== undefined) found.push(item);
    }
    return found;
  }

  // ── reads that other methods share ─────────────────────────────────────────────────────────────

  async function listTrades(): Promise<Trade[]> {
    // About 30 items in one partition: read them all and sort here, rather than keep an index by count.
    const items = await query<TradeItem>({
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': TRADES_PARTITION },
      ConsistentRead: true,
    });
    return items.map(tradeFromItem).sort((a, b) => b.leedCount - a.leedCount || compareText(a.name, b.name));
  }

  async function getUser(username: string): Promise<User | undefined> {
    const item = await get<UserItem>(keyOf.user(username));
    return item === undefined ? undefined : userFromItem(item);
  }

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
      const perTrade = await Promise.all(trades.map((trade) => searchMonth(trade, month, from, to, search.box, want)));
      found.push(...perTrade.flat().sort(byStartThenId).slice(0, want));
      if (found.length >= search.limit) break;
    }
    return found.map(leedFromItem);
  }

  // ── the port ───────────────────────────────────────────────────────────────────────────────────

  return {
    // trades

    listTrades,

    async getTrade(name) {
      const item = await get<TradeItem>(keyOf.trade(name));
      return item === undefined ? undefined : tradeFromItem(item);
    },

    async addTrades(trades) {
      await retrying('addTrades', async () => {
        const existing = new Set((await listTrades()).map((t) => t.name));
        const fresh = new Map<string, { name: string; color?: string }>();
        for (const trade of trades) if (!existing.has(trade.name) && !fresh.has(trade.name)) fresh.set(trade.name, trade);
        // Atomic per 100 trades (one transaction each); the seed has about 30.
        const steps = [...fresh.values()].map((trade): Step => ({
          label: 'trade',
          detail: trade.name,
          item: { Put: { TableName, Item: tradeItem(trade), ConditionExpression: 'attribute_not_exists(PK)' } },
        }));
        for (let i = 0; i < steps.length; i += MAX_TRANSACTION_ITEMS) {
          const outcome = await transact(steps.slice(i, i + MAX_TRANSACTION_ITEMS));
          // Another writer added one of them meanwhile: read again, add what is still missing.
          if (!outcome.committed) return AGAIN;
        }
        return undefined;
      });
    },

    // users

    getUser,

    async getUserByEmail(email) {
      const marker = await get<EmailItem>(keyOf.email(email));
      return marker === undefined ? undefined : getUser(marker.username);
    },

    async createUser(newUser: NewUser, outbox) {
      const counters = { posted: 0, bought: 0, sold: 0 };
      const user: User = {
        username: newUser.username,
        email: newUser.email,
        website: null,
        about: null,
        zip: null,
        radius: NEW_USER_RADIUS_MILES,
        subscriptions: [],
        ...counters,
        badges: badgesFor(counters, { paymentsConnected: false }),
        paymentsConnected: false,
      };
      const email: EmailItem = { ...keyOf.email(user.email), username: user.username };
      // Both uniqueness rules are conditions of one transaction: the user item and the email marker.
      await retrying('createUser', async () => {
        const outcome = await transact([
          { label: 'user', item: { Put: { TableName, Item: userItem(user, newUser.createdAt), ConditionExpression: 'attribute_not_exists(PK)' } } },
          { label: 'email', item: { Put: { TableName, Item: email, ConditionExpression: 'attribute_not_exists(PK)' } } },
          ...outboxSteps(outbox),
        ]);
        if (outcome.committed) return undefined;
        const labels = new Set(outcome.failed.map((f) => f.step.label));
        if (labels.has('user')) throw new ConflictError('this username is taken');
        if (labels.has('email')) throw new ConflictError('this email address already has an account');
        throwForCommonFailures(outcome.failed);
        return AGAIN;
      });
      return user;
    },

    async updateUser(username, changes) {
      return retrying('updateUser', async () => {
        const current = await get<UserItem>(keyOf.user(username));
        if (current === undefined) throw new NotFoundError(`no user ${username}`);
        const { point, subscriptions, ...profile } = changes;
        const next: UserItem = {
          ...current,
          ...definedOnly(profile),
          point: point === undefined ? current.point : point,
          subscriptions: subscriptions === undefined ? current.subscriptions : [...new Set(subscriptions)],
          version: current.version + 1,
        };
        const added = next.subscriptions.filter((trade) => !current.subscriptions.includes(trade));
        const removed = current.subscriptions.filter((trade) => !next.subscriptions.includes(trade));
        const steps: Step[] = [
          {
            label: 'user',
            item: {
              // Only the profile: counters and badges are bookkeeping's, and may change meanwhile.
              Update: {
                TableName,
                Key: keyOf.user(username),
                UpdateExpression: 'SET #website = :website, #about = :about, #zip = :zip, #point = :point, #radius = :radius, #subscriptions = :subscriptions, #version = :next',
                ConditionExpression: '#version = :read',
                ExpressionAttributeNames: {
                  '#website': 'website',
                  '#about': 'about',
                  '#zip': 'zip',
                  '#point': 'point',
                  '#radius': 'radius',
                  '#subscriptions': 'subscriptions',
                  '#version': 'version',
                },
                ExpressionAttributeValues: {
                  ':website': next.website,
                  ':about': next.about,
                  ':zip': next.zip,
                  ':point': next.point,
                  ':radius': next.radius,
                  ':subscriptions': next.subscriptions,
                  ':next': next.version,
                  ':read': current.version,
                },
              },
            },
          },
          ...added.map((trade) => mustExist('trade', keyOf.trade(trade), trade)),
          ...removed.map((trade): Step => ({ label: 'subscription', item: { Delete: { TableName, Key: keyOf.subscription(trade, username) } } })),
          // Every subscription again: each carries a copy of the zip, point and radius.
          ...next.subscriptions.map((trade): Step => ({ label: 'subscription', item: { Put: { TableName, Item: subscriptionItem(trade, next) } } })),
        ];
        const outcome = await transact(steps);
        if (outcome.committed) return userFromItem(next);
        throwForCommonFailures(outcome.failed);
        // Another profile change committed since the read: apply this one on top of it.
        return AGAIN;
      });
    },

    async listSubscribers(trade, cursor, limit) {
      if (limit <= 0) return [];
      // The partition holds only subscriptions; usernames are never empty, so `SUB#` starts before the first.
      const items = await query<SubscriptionItem>(
        {
          KeyConditionExpression: 'PK = :pk AND SK > :after',
          ExpressionAttributeValues: { ':pk': keyOf.subscriptionPartition(trade), ':after': keyOf.subscription(trade, cursor ?? '').SK },
          ConsistentRead: true,
        },
        limit,
      );
      return items.map(subscriberFromItem);
    },

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

    async updateLeed(trade, id, creator, changes, outbox) {
      return retrying('updateLeed', async () => {
        const current = await changeableLeed(trade, id, creator);
        const next = leedItem({ ...leedFromItem(current), ...definedOnly(changes) }, current.revision + 1);
        const steps: Step[] = [{ label: 'leed', item: { Put: { TableName, Item: next, ...unchangedSince(current) } } }];
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

    // calendar feeds

    async setCalendarFeed(username, feed) {
      await retrying('setCalendarFeed', async () => {
        const current = await get<CalendarFeedItem>(keyOf.calendarFeed(username));
        const steps: Step[] = [];
        if (current !== undefined && current.tokenHash !== feed?.tokenHash) {
          steps.push({ label: 'user', item: { Delete: { TableName, Key: keyOf.calendarFeedMarker(current.tokenHash) } } });
        }
        if (feed === null) {
          if (current !== undefined) steps.push({ label: 'user', item: { Delete: { TableName, Key: keyOf.calendarFeed(username), ConditionExpression: '#tokenHash = :read', ExpressionAttributeNames: { '#tokenHash': 'tokenHash' }, ExpressionAttributeValues: { ':read': current.tokenHash } } } });
        } else {
          steps.push(
            mustExist('creator', keyOf.user(username), username),
            {
              label: 'user',
              item: {
                Put: {
                  TableName,
                  Item: { ...keyOf.calendarFeed(username), tokenHash: feed.tokenHash, createdAt: canonicalInstant(feed.createdAt) },
                  // Replaces what was read, and nothing written since.
                  ConditionExpression: current === undefined ? 'attribute_not_exists(PK)' : '#tokenHash = :read',
                  ...(current === undefined ? {} : { ExpressionAttributeNames: { '#tokenHash': 'tokenHash' }, ExpressionAttributeValues: { ':read': current.tokenHash } }),
                },
              },
            },
            { label: 'user', item: { Put: { TableName, Item: { ...keyOf.calendarFeedMarker(feed.tokenHash), username } } } },
          );
        }
        if (steps.length === 0) return undefined;
        const outcome = await transact(steps);
        if (outcome.committed) return undefined;
        throwForCommonFailures(outcome.failed);
        return AGAIN;
      });
    },

    async getCalendarFeed(username) {
      const item = await get<CalendarFeedItem>(keyOf.calendarFeed(username));
      return item === undefined ? undefined : { tokenHash: item.tokenHash, createdAt: item.createdAt };
    },

    async findCalendarFeedOwner(tokenHash) {
      return (await get<{ username: string }>(keyOf.calendarFeedMarker(tokenHash)))?.username;
    },

    // reports

    async addReport(report, outbox) {
      const item: ReportItem = { ...keyOf.report(report.id), ...report, createdAt: canonicalInstant(report.createdAt), status: 'open', resolvedAt: null };
      return retrying('addReport', async () => {
        const outcome = await transact([{ label: 'report', item: { Put: { TableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } } }, ...outboxSteps(outbox)]);
        if (outcome.committed) return true;
        if (outcome.failed.some((f) => f.step.label === 'report')) return false;
        throwForCommonFailures(outcome.failed);
        return AGAIN;
      });
    },

    async getReport(id) {
      const item = await get<ReportItem>(keyOf.report(id));
      return item === undefined ? undefined : reportFromItem(item);
    },

    async listReports(which, limit) {
      if (limit <= 0) return [];
      // One partition for every report: moderation is a few a day, read whole and sorted here.
      const items = await query<ReportItem>({ KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': REPORTS_PARTITION }, ConsistentRead: true });
      const reports = items.map(reportFromItem).filter((r) => (which === 'open') === (r.status === 'open'));
      const at = (r: Report) => (which === 'open' ? r.createdAt : (r.resolvedAt ?? r.createdAt));
      return reports.sort((a, b) => compareText(at(b), at(a)) || compareText(b.id, a.id)).slice(0, limit);
    },

    async resolveReport(id, status, resolvedAt) {
      try {
        const { Attributes } = await doc.send(
          new UpdateCommand({
            TableName,
            Key: keyOf.report(id),
            UpdateExpression: 'SET #status = :status, #resolvedAt = :resolvedAt',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status', '#resolvedAt': 'resolvedAt' },
            ExpressionAttributeValues: { ':status': status, ':resolvedAt': canonicalInstant(resolvedAt), ':open': 'open' },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return reportFromItem(Attributes as ReportItem);
      } catch (error) {
        if (!isVendorError(error, ConditionalCheckFailedException)) throw error;
        const old = error.Item === undefined ? undefined : (unmarshall(error.Item) as ReportItem);
        if (old === undefined) throw new NotFoundError(`no report ${id}`);
        throw new StateError(`this report is ${old.status} already`);
      }
    },

    async reserveCheckout(trade, id, buyer, until, now): Promise<ReserveResult> {
      const reservedUntil = canonicalInstant(until);
      const reservation: ReservationItem = {
        ...keyOf.reservation(id),
        buyer,
        reservedUntil,
        untilMs: toMs(reservedUntil),
        // TTL wants epoch seconds; the item may outlive this by days, so conditions compare untilMs.
        expiresAt: Math.ceil(toMs(reservedUntil) / 1_000),
      };
      return retrying('reserveCheckout', async (): Promise<ReserveResult | typeof AGAIN> => {
        const leed = await get<LeedItem>(keyOf.leed(id));
        if (leed === undefined || leed.trade !== trade) return { ok: false, reason: 'not-found' };
        if (leed.creator === buyer) return { ok: false, reason: 'own-leed' };
        if (leed.status !== 'active') return { ok: false, reason: 'not-active' };
        const outcome = await transact([
          {
            label: 'leed',
            item: {
              ConditionCheck: {
                TableName,
                Key: keyOf.leed(id),
                ConditionExpression: '#status = :active',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':active': 'active' },
              },
            },
          },
          {
            label: 'reservation',
            item: {
              Put: {
                TableName,
                Item: reservation,
                // Free, the buyer's own (a renewal), or another's that has run out by the caller's clock.
                ConditionExpression: 'attribute_not_exists(PK) OR #buyer = :buyer OR #untilMs <= :now',
                ExpressionAttributeNames: { '#buyer': 'buyer', '#untilMs': 'untilMs' },
                ExpressionAttributeValues: { ':buyer': buyer, ':now': toMs(now) },
              },
            },
          },
        ]);
        if (outcome.committed) return { ok: true, reservedUntil };
        const failed = new Set(outcome.failed.map((f) => f.step.label));
        // Sold or deleted since the read (the next read says so), or a race: read again.
        if (failed.has('leed') || !failed.has('reservation')) return AGAIN;
        return { ok: false, reason: 'reserved' };
      });
    },

    async getCheckoutHold(trade, id, now) {
      const [leed, hold] = await Promise.all([get<LeedItem>(keyOf.leed(id)), get<ReservationItem>(keyOf.reservation(id))]);
      if (leed === undefined || leed.trade !== trade || leed.status !== 'active' || hold === undefined) return undefined;
      // TTL deletes lazily: an item that has run out may still be there.
      return hold.untilMs > toMs(now) ? { buyer: hold.buyer, until: hold.reservedUntil } : undefined;
    },

    async releaseCheckout(trade, id, buyer) {
      const leed = await get<LeedItem>(keyOf.leed(id));
      if (leed === undefined || leed.trade !== trade) return false;
      try {
        await doc.send(
          new DeleteCommand({
            TableName,
            Key: keyOf.reservation(id),
            // Only the buyer's own hold: another buyer's checkout is not theirs to cancel.
            ConditionExpression: '#buyer = :buyer',
            ExpressionAttributeNames: { '#buyer': 'buyer' },
            ExpressionAttributeValues: { ':buyer': buyer },
          }),
        );
        return true;
      } catch (error) {
        if (isVendorError(error, ConditionalCheckFailedException)) return false;
        throw error;
      }
    },

    async recordSale(sale: Sale, outbox): Promise<SaleResult> {
      const soldAt = canonicalInstant(sale.soldAt);
      return retrying('recordSale', async (): Promise<SaleResult | typeof AGAIN> => {
        const current = await get<LeedItem>(keyOf.leed(sale.id));
        const refusal = saleRefusal(current, sale);
        if (refusal !== undefined || current === undefined) return refusal ?? { ok: false, reason: 'not-found' };
        const outcome = await transact([
          {
            label: 'leed',
            item: {
              Update: {
                TableName,
                Key: keyOf.leed(sale.id),
                // Exactly once: only an active leed is sold; the loser of a race finds it sold (ALL_OLD says by whom).
                UpdateExpression:
                  'SET #status = :sold, #buyer = :buyer, #soldAt = :soldAt, #paymentId = :paymentId, #revision = #revision + :one REMOVE searchPK, searchSK',
                // The revision too, so that the leed returned is the one stored (an edit in between: read again).
                ConditionExpression: '#status = :active AND #revision = :revision',
                ExpressionAttributeNames: { '#status': 'status', '#buyer': 'buyer', '#soldAt': 'soldAt', '#paymentId': 'paymentId', '#revision': 'revision' },
                ExpressionAttributeValues: {
                  ':sold': 'sold',
                  ':active': 'active',
                  ':revision': current.revision,
                  ':buyer': sale.buyer,
                  ':soldAt': soldAt,
                  ':paymentId': sale.paymentId,
                  ':one': 1,
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          },
          { label: 'reservation', item: { Delete: { TableName, Key: keyOf.reservation(sale.id) } } },
          // The buyer's list of their leedz points at it (listBoughtLeedz).
          { label: 'leed', item: { Put: { TableName, Item: { ...keyOf.boughtBy(sale.buyer, sale.id), leedId: sale.id } } } },
          ...outboxSteps(outbox),
        ]);
        if (outcome.committed) return { ok: true, leed: { ...leedFromItem(current), status: 'sold', buyer: sale.buyer, soldAt } };
        throwForCommonFailures(outcome.failed);
        const lost = outcome.failed.find((f) => f.step.label === 'leed');
        return lost === undefined ? AGAIN : (saleRefusal(lost.old as LeedItem | undefined, sale) ?? AGAIN);
      });
    },

    // bookkeeping and stats

    async applyBookkeeping(key, changes: Bookkeeping) {
      const counters = counterChanges(changes);
      return retrying('applyBookkeeping', async () => {
        const steps: Step[] = [
          // The exactly-once guard: this marker and the counters commit together, or nothing does.
          { label: 'applied', item: { Put: { TableName, Item: { ...keyOf.applied(key), appliedAt: new Date().toISOString() }, ConditionExpression: 'attribute_not_exists(PK)' } } },
          ...counters.map((change): Step => ({ label: 'counter', detail: change.id, item: { Update: counterUpdate(TableName, change) } })),
        ];
        const outcome = await transact(steps);
        if (outcome.committed) return true;
        if (outcome.failed.some((f) => f.step.label === 'applied')) return false;
        // A decrement would go below 0, or its trade or user does not exist: adjust by what is stored, retry.
        for (const { step, old } of outcome.failed) {
          const change = counters.find((c) => c.id === step.detail);
          if (change !== undefined) clampToStored(change, old);
        }
        counters.splice(0, counters.length, ...counters.filter((c) => !c.dropped && (c.set.length > 0 || Object.values(c.add).some((d) => d !== 0))));
        return AGAIN;
      });
    },

    async setBadges(username, badges) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keyOf.user(username),
            UpdateExpression: 'SET #badges = :badges',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeNames: { '#badges': 'badges' },
            ExpressionAttributeValues: { ':badges': badges },
          }),
        );
      } catch (error) {
        if (isVendorError(error, ConditionalCheckFailedException)) throw new NotFoundError(`no user ${username}`);
        throw error;
      }
    },

    async getStats() {
      return statsFromItem(await get<StatsItem>(keyOf.stats()));
    },

    // rate limits

    async countRequest(key, windowMs, now) {
      const window = Math.floor(toMs(now) / windowMs);
      const { Attributes } = await doc.send(
        new UpdateCommand({
          TableName,
          Key: keyOf.requestCount(key, window),
          UpdateExpression: 'ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
          // TTL removes the window's item (lazily) once it is over.
          ExpressionAttributeValues: { ':one': 1, ':expiresAt': Math.ceil(((window + 1) * windowMs) / 1_000) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.count ?? 1);
    },

    // the outbox

    async pendingOutbox(limit) {
      if (limit <= 0) return [];
      const items = await query<OutboxItem>(
        {
          IndexName: PENDING_OUTBOX_INDEX,
          KeyConditionExpression: 'pendingPK = :pending',
          ExpressionAttributeValues: { ':pending': PENDING_OUTBOX_PARTITION },
        },
        limit,
      );
      return items.map(outboxFromItem);
    },

    async markOutboxDispatched(ids) {
      const now = Date.now();
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += DISPATCH_CONCURRENCY) {
        await Promise.all(unique.slice(i, i + DISPATCH_CONCURRENCY).map((id) => markDispatched(id, now)));
      }
    },

    ...createDynamoDbMailing(doc, TableName),
  };
}

// ── bookkeeping ──────────────────────────────────────────────────────────────────────────────────

/** The changes to one counter item: deltas to ADD and values to SET. */
interface CounterChange {
  /** Unique within one bookkeeping call: `trade:dj`, `user:pat`, `stats`. */
  id: string;
  key: ItemKey;
  add: Record<string, number>;
  set: [attribute: string, value: unknown][];
  /** Trades and users are never created by bookkeeping: the update requires the item (as SQLite's UPDATE finds no row). */
  mustExist: boolean;
  /** The item does not exist: nothing to count. */
  dropped: boolean;
}

function counterChanges(changes: Bookkeeping): CounterChange[] {
  const result: CounterChange[] = [];
  const nonZero = (deltas: Record<string, number | undefined>): Record<string, number> =>
    Object.fromEntries(Object.entries(deltas).filter((entry): entry is [string, number] => entry[1] !== undefined && entry[1] !== 0));
  for (const [name, delta] of Object.entries(changes.trades ?? {})) {
    const add = nonZero({ leedCount: delta });
    if (Object.keys(add).length > 0) result.push({ id: `trade:${name}`, key: keyOf.trade(name), add, set: [], mustExist: true, dropped: false });
  }
  for (const [username, deltas] of Object.entries(changes.users ?? {})) {
    const add = nonZero(deltas);
    if (Object.keys(add).length > 0) result.push({ id: `user:${username}`, key: keyOf.user(username), add, set: [], mustExist: true, dropped: false });
  }
  const add = nonZero(changes.totals ?? {});
  const set: [string, unknown][] = [];
  if (changes.lastPosted !== undefined) set.push(['lastPosted', changes.lastPosted]);
  if (changes.lastSold !== undefined) set.push(['lastSold', changes.lastSold]);
  if (Object.keys(add).length > 0 || set.length > 0) result.push({ id: 'stats', key: keyOf.stats(), add, set, mustExist: false, dropped: false });
  return result;
}

/**
 * `ADD` for each delta (atomic, no read), on the condition that a decrement finds at least as much as
 * it takes away: a counter never goes below 0. When that fails, {@link clampToStored} shrinks the
 * decrement to what is stored and the transaction runs again.
 */
function counterUpdate(TableName: string, change: CounterChange): NonNullable<TransactItem['Update']> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const adds: string[] = [];
  const conditions: string[] = change.mustExist ? ['attribute_exists(PK)'] : [];
  for (const [i, [attribute, delta]] of Object.entries(change.add).entries()) {
    names[`#a${i}`] = attribute;
    values[`:a${i}`] = delta;
    adds.push(`#a${i} :a${i}`);
    if (delta < 0) {
      values[`:min${i}`] = -delta;
      conditions.push(`#a${i} >= :min${i}`);
    }
  }
  const sets = change.set.map(([attribute, value], i) => {
    names[`#s${i}`] = attribute;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  const clauses = [...(sets.length > 0 ? [`SET ${sets.join(', ')}`] : []), ...(adds.length > 0 ? [`ADD ${adds.join(', ')}`] : [])];
  return {
    TableName,
    Key: change.key,
    UpdateExpression: clauses.join(' '),
    ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** After a failed counter condition: drop a change to an item that does not exist, or stop each decrement at 0. */
function clampToStored(change: CounterChange, stored: Record<string, unknown> | undefined): void {
  if (stored === undefined && change.mustExist) {
    change.dropped = true;
    return;
  }
  for (const [attribute, delta] of Object.entries(change.add)) {
    const current = typeof stored?.[attribute] === 'number' ? stored[attribute] : 0;
    const clamped = Math.max(delta, -current);
    if (clamped === 0) delete change.add[attribute];
    else change.add[attribute] = clamped;
  }
}

// ── small helpers ────────────────────────────────────────────────────────────────────────────────

/** The entries whose value is not `undefined`: an absent change and `{ key: undefined }` mean the same. */
function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Code-unit order, as DynamoDB and SQLite compare ASCII keys. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byStartThenId(a: LeedItem, b: LeedItem): number {
  return a.startMs - b.startMs || compareText(a.id, b.id);
}

/**
 * Whether `error` is the SDK's `type`, also when it comes from another copy of the SDK package than
 * ours (a client built by the caller with its own `@aws-sdk/client-dynamodb`).
 */
function isVendorError<T extends Error>(error: unknown, type: abstract new (...args: never[]) => T): error is T {
  return error instanceof type || (error instanceof Error && error.name === type.name);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
