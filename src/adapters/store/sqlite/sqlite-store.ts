/**
 * The Store port on one SQLite file (`better-sqlite3`, WAL): the marketplace's embedded default.
 *
 * Every method is one transaction. Those that read and then write (the conflict check and insert, a
 * sale, a reservation, bookkeeping) take the write lock first (`BEGIN IMMEDIATE`), so what they read
 * cannot change before they write, even with other processes on the same file. Outbox messages are
 * written in the same transaction as the change that implies them; `onOutboxWrite` runs after the
 * commit. `better-sqlite3` is synchronous, so each method runs to completion before another starts
 * in this process; `busy_timeout` makes a second process wait for the lock instead of failing.
 *
 * Durability (https://www.sqlite.org/pragma.html#pragma_synchronous): WAL with `synchronous=NORMAL`
 * keeps every commit through a crash of the process; `synchronous=FULL` also through power loss.
 */
import Database from 'better-sqlite3';
import { conflictMessage } from '../../../leedz/domain/conflict.js';
import { hasEnded, type Leed } from '../../../leedz/domain/leed.js';
import type { User } from '../../../leedz/domain/user.js';
import {
  type Bookkeeping,
  ConflictError,
  HeldError,
  ForbiddenError,
  type LeedSearch,
  newUserRecord,
  type NewUser,
  NotFoundError,
  type OutboxMessage,
  type ReserveResult,
  type Sale,
  type SaleRefusal,
  type SaleResult,
  StateError,
  type Store,
} from '../../../leedz/ports.js';
import { migrate } from './migrations.js';
import { prepareStatements, searchParameters } from './sqlite-queries.js';
import { createSqliteMailing } from './sqlite-mailing.js';
import {
  leedFromRow,
  leedParams,
  listingFromRow,
  newUserParams,
  outboxFromRow,
  reportFromRow,
  pointOf,
  statsFromRow,
  subscriberFromRow,
  toIso,
  toMs,
  tradeFromRow,
  type UserRow,
  userFromRow,
  userProfileParams,
} from './sqlite-rows.js';

export interface SqliteStoreOptions {
  /** The database file; created and migrated when new. `:memory:` gives a throwaway store. */
  path: string;
  /** What a committed change must survive: a crash of the process (default) or a power loss. */
  durability?: 'process-crash' | 'power-loss';
  /**
   * Called synchronously after each commit that wrote outbox messages (to nudge the relay). The change
   * is committed by then, so it must not throw: the caller would take a stored change for a failed one.
   */
  onOutboxWrite?: () => void;
  /**
   * The place key the geocoder in use gives a location (`zipGeocoderPlaceKey` for the zip geocoder):
   * a migration that follows a change of the key's rule re-keys stored leedz with it. Opening a file
   * that has leedz to re-key without it fails, and leaves the file as it was.
   */
  placeKeyOf?: (location: string) => string | undefined;
}

/**
 * The Store, plus what the composition root needs: the connection (shared with the adapters that keep
 * their own tables in this file: idempotency records, the email outbox) and `close`.
 */
export interface SqliteStore extends Store {
  readonly db: Database.Database;
  /** Delete up to `limit` outbox messages dispatched before `before` (epoch ms); answers how many went. */
  deleteDispatchedOutbox(before: number, limit: number): number;
  close(): void;
}

/** How long a writer waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * Open (creating and migrating if needed) the store at `options.path`.
 *
 * @example
 * const store = createSqliteStore({ path: join(dataDir, 'leedz.db'), onOutboxWrite: () => relay.nudge() });
 * await store.insertLeed(leed, [message]); // the leed and the message commit together
 * store.close();
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const db = new Database(options.path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    migrate(db, { placeKeyOf: options.placeKeyOf });
  } catch (error) {
    db.close();
    throw error;
  }
  const onOutboxWrite = options.onOutboxWrite ?? (() => {});

  const sql = prepareStatements(db);

  // ── transactions ───────────────────────────────────────────────────────────────────────────────

  let outboxWritten = false;

  /**
   * Run `work` in an IMMEDIATE transaction, translate constraint violations into the port's errors,
   * and nudge the relay after a commit that wrote outbox messages. (Synchronous: nothing else in this
   * process runs in between, so one flag is enough.)
   */
  function transact<T>(work: () => T): T {
    outboxWritten = false;
    let result: T;
    try {
      result = db.transaction(work).immediate();
    } catch (error) {
      throw translateConstraintError(error);
    }
    if (outboxWritten) {
      outboxWritten = false;
      onOutboxWrite();
    }
    return result;
  }

  /** Outbox messages, inside the transaction of the change they belong to. */
  function writeOutbox(messages: readonly OutboxMessage[]): void {
    const createdAt = Date.now();
    for (const message of messages) {
      sql.addOutbox.run({ id: message.id, target: message.target, payload: JSON.stringify(message.payload), created_at: createdAt });
    }
    if (messages.length > 0) outboxWritten = true;
  }

  // ── helpers that run inside a transaction ──────────────────────────────────────────────────────

  function readUser(row: UserRow | undefined): User | undefined {
    if (row === undefined) return undefined;
    return userFromRow(row, sql.subscriptionsOf.all(row.username).map((s) => s.trade));
  }

  function assertNoConflict(leed: Leed): void {
    const params = leedParams(leed);
    const clash = sql.conflictingLeed.get({ id: params.id, trade: params.trade, place_key: params.place_key, start_ms: params.start_ms, end_ms: params.end_ms });
    if (clash !== undefined) throw new ConflictError(conflictMessage(leed.trade, leed.location));
  }

  /** The leed that `creator` may change: theirs and active. */
  function changeableLeed(trade: string, id: string, creator: string): Leed {
    const row = sql.getLeed.get({ trade, id });
    if (row === undefined) throw new NotFoundError(`no ${trade} leed ${id}`);
    if (row.creator !== creator) throw new ForbiddenError('only the creator of a leed may change it');
    if (row.status !== 'active') throw new StateError(`this leed is ${row.status}`);
    return leedFromRow(row);
  }

  function storedLeed(trade: string, id: string): Leed {
    const row = sql.getLeed.get({ trade, id });
    // Only called after a write to this very row in the same transaction.
    if (row === undefined) throw new Error(`the ${trade} leed ${id} vanished inside its own transaction`);
    return leedFromRow(row);
  }

  // ── the port ───────────────────────────────────────────────────────────────────────────────────

  return {
    get db() {
      return db;
    },

    deleteDispatchedOutbox(before, limit) {
      return sql.deleteDispatched.run(before, limit).changes;
    },

    close() {
      if (!db.open) return;
      // Lets SQLite refresh the statistics its planner uses, as https://www.sqlite.org/lang_analyze.html advises on close.
      db.pragma('optimize');
      db.close();
    },

    // trades

    async listTrades() {
      return sql.listTrades.all().map(tradeFromRow);
    },

    async getTrade(name) {
      const row = sql.getTrade.get(name);
      return row === undefined ? undefined : tradeFromRow(row);
    },

    async addTrades(trades) {
      transact(() => {
        for (const trade of trades) sql.addTrade.run({ name: trade.name, color: trade.color ?? null });
      });
    },

    // users

    async getUser(username) {
      return db.transaction(() => readUser(sql.getUser.get(username)))();
    },

    async getUserByEmail(email) {
      return db.transaction(() => readUser(sql.getUserByEmail.get(email)))();
    },

    async createUser(newUser: NewUser, outbox) {
      const user = newUserRecord(newUser);
      transact(() => {
        sql.insertUser.run(newUserParams(user, newUser.createdAt));
        writeOutbox(outbox);
      });
      return user;
    },

    async updateUser(username, changes) {
      return transact(() => {
        const row = sql.getUser.get(username);
        const current = readUser(row);
        if (row === undefined || current === undefined) throw new NotFoundError(`no user ${username}`);
        const { point, subscriptions, ...profile } = typeof changes === 'function' ? changes(current) : changes;
        const next: User = { ...current, ...definedOnly(profile) };
        sql.updateProfile.run(userProfileParams(next, point === undefined ? pointOf(row.lat, row.lon) : point));
        if (subscriptions !== undefined) {
          next.subscriptions = [...new Set(subscriptions)];
          sql.clearSubscriptions.run(username);
          next.subscriptions.forEach((trade, position) => sql.addSubscription.run({ trade, username, position }));
        }
        return next;
      });
    },

    async listSubscribers(trade, cursor, limit) {
      if (limit <= 0) return [];
      // Usernames are never empty, so '' starts before the first one.
      return sql.listSubscribers.all({ trade, cursor: cursor ?? '', limit }).map(subscriberFromRow);
    },

    // leedz

    async insertLeed(leed, outbox) {
      transact(() => {
        assertNoConflict(leed);
        sql.insertLeed.run(leedParams(leed));
        writeOutbox(outbox);
      });
    },

    async getLeed(trade, id) {
      const row = sql.getLeed.get({ trade, id });
      return row === undefined ? undefined : leedFromRow(row);
    },

    async searchLeedz(query: LeedSearch) {
      if (query.trades.length === 0 || query.limit <= 0) return [];
      return sql.searchLeedz(query).all(searchParameters(query)).map(leedFromRow);
    },

    async searchLeedListings(query: LeedSearch) {
      if (query.trades.length === 0 || query.limit <= 0) return [];
      return sql.searchListings(query).all(searchParameters(query)).map(listingFromRow);
    },

    async searchPreviewsJson(query: LeedSearch) {
      if (query.trades.length === 0 || query.limit <= 0) return '[]';
      return sql.searchPreviewsJson(query).get(searchParameters(query))!.json;
    },

    async searchVersion(trades: readonly string[]) {
      // Every write to a trade's leedz bumps its row (triggers, in the write's own transaction).
      let versions = '';
      for (const trade of trades) versions += `${sql.tradeVersion.get(trade) ?? 0},`;
      return versions;
    },

    async updateLeed(trade, id, creator, changes, outbox, now) {
      return transact(() => {
        const current = changeableLeed(trade, id, creator);
        if (now !== undefined && changes.price !== undefined && changes.price !== current.price) {
          const hold = sql.getHold.get({ trade, id });
          if (hold?.reserved_until != null && hold.reserved_until > toMs(now)) throw new HeldError(toIso(hold.reserved_until));
        }
        const next: Leed = { ...current, ...definedOnly(changes) };
        assertNoConflict(next);
        sql.updateLeed.run(leedParams(next));
        writeOutbox(outbox);
        return storedLeed(trade, id);
      });
    },

    async deleteLeed(trade, id, creator, outbox) {
      return transact(() => {
        changeableLeed(trade, id, creator);
        sql.markDeleted.run(id);
        writeOutbox(outbox);
        return storedLeed(trade, id);
      });
    },

    async reserveCheckout(trade, id, buyer, until, now): Promise<ReserveResult> {
      return transact((): ReserveResult => {
        const row = sql.getLeed.get({ trade, id });
        if (row === undefined) return { ok: false, reason: 'not-found' };
        if (row.creator === buyer) return { ok: false, reason: 'own-leed' };
        if (row.status !== 'active') return { ok: false, reason: 'not-active' };
        // The hold that still lasts, if any (one that has run out holds nothing, whoever it was for).
        const heldUntil = row.reserved_by !== null && row.reserved_until !== null && row.reserved_until > toMs(now) ? row.reserved_until : undefined;
        if (heldUntil !== undefined && row.reserved_by !== buyer) return { ok: false, reason: 'reserved' };
        // The buyer's own hold is given back as it is: renewing it would let one buyer hold the leed forever.
        if (heldUntil !== undefined) return { ok: true, reservedUntil: toIso(heldUntil), alreadyHeld: true, price: row.price };
        const untilMs = toMs(until);
        sql.reserve.run({ id, buyer, until: untilMs });
        return { ok: true, reservedUntil: toIso(untilMs), alreadyHeld: false, price: row.price };
      });
    },

    async getCheckoutHold(trade, id, now) {
      const row = sql.getHold.get({ trade, id });
      if (row === undefined || row.status !== 'active' || row.reserved_by === null || row.reserved_until === null) return undefined;
      return row.reserved_until > toMs(now) ? { buyer: row.reserved_by, until: toIso(row.reserved_until) } : undefined;
    },

    async releaseCheckout(trade, id, buyer) {
      return sql.release.run({ trade, id, buyer }).changes > 0;
    },

    async takeDownLeed(trade, id, outbox) {
      return transact(() => {
        const row = sql.getLeed.get({ trade, id });
        if (row === undefined) throw new NotFoundError(`no ${trade} leed ${id}`);
        if (row.status !== 'active') throw new StateError(`this leed is ${row.status}`);
        sql.markDeleted.run(id);
        writeOutbox(outbox);
        return storedLeed(trade, id);
      });
    },

    // one user's leedz

    async listPostedLeedz(creator, limit) {
      return limit <= 0 ? [] : sql.postedBy.all(creator, limit).map(leedFromRow);
    },

    async listBoughtLeedz(buyer, limit) {
      return limit <= 0 ? [] : sql.boughtBy.all(buyer, limit).map(leedFromRow);
    },

    // who was told about a leed

    async addLeedRecipients(leedId, recipients) {
      transact(() => {
        for (const recipient of recipients) sql.addRecipient.run({ leedId, username: recipient.username, email: recipient.email });
      });
    },

    async listLeedRecipients(leedId, cursor, limit) {
      if (limit <= 0) return [];
      return sql.listRecipients.all({ leedId, cursor: cursor ?? '', limit }).map((r) => ({ username: r.username, email: r.email }));
    },

    // calendar feeds

    async setCalendarFeed(username, feed) {
      transact(() => {
        if (feed === null) sql.dropFeed.run(username);
        else sql.setFeed.run({ username, tokenHash: feed.tokenHash, createdAt: toMs(feed.createdAt) });
      });
    },

    async getCalendarFeed(username) {
      const row = sql.getFeed.get(username);
      return row === undefined ? undefined : { tokenHash: row.token_hash, createdAt: toIso(row.created_at) };
    },

    async findCalendarFeedOwner(tokenHash) {
      return sql.feedOwner.get(tokenHash)?.username;
    },

    // reports

    async addReport(report, outbox) {
      return transact(() => {
        const added = sql.addReport.run({ ...report, createdAt: toMs(report.createdAt) }).changes > 0;
        if (added) writeOutbox(outbox);
        return added;
      });
    },

    async getReport(id) {
      const row = sql.getReport.get(id);
      return row === undefined ? undefined : reportFromRow(row);
    },

    async listReports(which, limit) {
      if (limit <= 0) return [];
      return (which === 'open' ? sql.openReports : sql.closedReports).all(limit).map(reportFromRow);
    },

    async resolveReport(id, status, resolvedAt) {
      return transact(() => {
        const row = sql.getReport.get(id);
        if (row === undefined) throw new NotFoundError(`no report ${id}`);
        if (row.status !== 'open') throw new StateError(`this report is ${row.status} already`);
        sql.resolveReport.run({ id, status, resolvedAt: toMs(resolvedAt) });
        return reportFromRow(sql.getReport.get(id)!);
      });
    },

    async recordSale(sale: Sale, outbox): Promise<SaleResult> {
      return transact((): SaleResult => {
        const row = sql.getLeed.get({ trade: sale.trade, id: sale.id });
        if (row === undefined) return { ok: false, reason: 'not-found' };
        const leed = leedFromRow(row);
        if (row.payment_id === sale.paymentId && row.buyer === sale.buyer) return { ok: false, reason: 'duplicate-payment', leed };
        // Refused before (and refunded): refused again, whatever the leed is now.
        const refused = sql.refusedPayment.get({ id: sale.id, payment_id: sale.paymentId }) as SaleRefusal | undefined;
        if (refused !== undefined) return { ok: false, reason: refused, leed };
        if (row.status === 'sold') return { ok: false, reason: 'already-sold', leed };
        // Over when the payment arrives (a checkout page left open past the gig): no longer for sale.
        if (row.status !== 'active' || hasEnded(leed, new Date(sale.soldAt))) return { ok: false, reason: 'not-active', leed };
        if (row.price !== sale.amount) return { ok: false, reason: 'wrong-amount', leed };
        // Read under this transaction's write lock, so the hold cannot change before the sale is written.
        if (row.reserved_by !== null && row.reserved_by !== sale.buyer && row.reserved_until !== null && row.reserved_until > toMs(sale.soldAt)) {
          return { ok: false, reason: 'held-by-another', leed };
        }
        sql.markSold.run({ id: sale.id, buyer: sale.buyer, sold_at: toMs(sale.soldAt), payment_id: sale.paymentId });
        writeOutbox(outbox);
        return { ok: true, leed: storedLeed(sale.trade, sale.id) };
      });
    },

    async refusePayment(refusal) {
      return transact(() => {
        if (sql.soldWith.get({ id: refusal.id, payment_id: refusal.paymentId }) !== undefined) return 'sold' as const;
        sql.refusePayment.run({ id: refusal.id, payment_id: refusal.paymentId, reason: refusal.reason, refused_at: toMs(refusal.at) });
        return 'refused' as const;
      });
    },

    // bookkeeping and stats

    async applyBookkeeping(key, changes: Bookkeeping) {
      return transact(() => {
        if (sql.claimBookkeeping.run(key, Date.now()).changes === 0) return false;
        for (const [name, delta] of Object.entries(changes.trades ?? {})) sql.bumpTrade.run({ name, delta });
        for (const [username, delta] of Object.entries(changes.users ?? {})) {
          sql.bumpUser.run({ username, posted: delta.posted ?? 0, bought: delta.bought ?? 0, sold: delta.sold ?? 0 });
        }
        const totals = changes.totals ?? {};
        sql.bumpStats.run({ posted: totals.posted ?? 0, sold: totals.sold ?? 0, users: totals.users ?? 0 });
        if (changes.lastPosted !== undefined) sql.setLastPosted.run(JSON.stringify(changes.lastPosted));
        if (changes.lastSold !== undefined) sql.setLastSold.run(JSON.stringify(changes.lastSold));
        return true;
      });
    },

    async endedLeedz(through, limit, since) {
      return sql.endedUncounted.all({ since: since === undefined ? Number.MIN_SAFE_INTEGER : toMs(since), through: toMs(through), limit });
    },

    async markEndCounted(trade, id) {
      sql.markEndCounted.run({ trade, id });
    },

    async setBadges(username, badges) {
      const { changes } = sql.setBadges.run({ username, badges: JSON.stringify(badges) });
      if (changes === 0) throw new NotFoundError(`no user ${username}`);
    },

    async getStats() {
      const row = sql.getStats.get();
      // Migration 1 inserts the single row, and nothing deletes it.
      if (row === undefined) throw new Error('the stats row is missing');
      return statsFromRow(row);
    },

    // rate limits

    async countRequest(key, windowMs, now, weight = 1) {
      const at = toMs(now);
      const window = Math.floor(at / windowMs);
      return transact(() => {
        sql.purgeRequestCounts.run(at);
        return sql.countRequest.get(key, window, weight, (window + 1) * windowMs)!.count;
      });
    },

    // the outbox

    async pendingOutbox(limit) {
      if (limit <= 0) return [];
      return sql.pendingOutbox.all(limit).map(outboxFromRow);
    },

    async markOutboxDispatched(ids) {
      const now = Date.now();
      transact(() => {
        for (const id of ids) sql.markDispatched.run(now, id);
      });
    },

    ...createSqliteMailing(db),
  };
}

/** The entries whose value is not `undefined`: an absent change and `{ key: undefined }` mean the same. */
function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * SQLite's constraint violations as the port's errors. The UNIQUE/PRIMARY KEY message names the
 * column (`UNIQUE constraint failed: users.email`); a FOREIGN KEY one names nothing.
 */
function translateConstraintError(error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    if (error.message.endsWith('users.username')) return new ConflictError('this username is taken', { cause: error });
    if (error.message.endsWith('users.email')) return new ConflictError('this email address already has an account', { cause: error });
    if (error.message.endsWith('leedz.id')) return new ConflictError('a leed with this id already exists', { cause: error });
  }
  if (error.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new NotFoundError('the trade or user it refers to does not exist');
  }
  return error;
}
