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
import type { Leed } from '../../../leedz/domain/leed.js';
import type { User } from '../../../leedz/domain/user.js';
import {
  type Bookkeeping,
  ConflictError,
  ForbiddenError,
  type LeedSearch,
  newUserRecord,
  type NewUser,
  NotFoundError,
  type OutboxMessage,
  type Recipient,
  type ReserveResult,
  type Sale,
  type SaleResult,
  StateError,
  type Store,
} from '../../../leedz/ports.js';
import { migrate } from './migrations.js';
import { CONFLICTING_LEED_SQL, LIST_SUBSCRIBERS_SQL, PENDING_OUTBOX_SQL, searchParameters, searchStatements } from './sqlite-queries.js';
import { createSqliteMailing } from './sqlite-mailing.js';
import {
  type LeedRow,
  leedFromRow,
  leedParams,
  listingFromRow,
  type ListingRow,
  newUserParams,
  type OutboxRow,
  outboxFromRow,
  reportFromRow,
  type ReportRow,
  pointOf,
  type StatsRow,
  statsFromRow,
  subscriberFromRow,
  toIso,
  toMs,
  type TradeRow,
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
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const onOutboxWrite = options.onOutboxWrite ?? (() => {});

  const sql = {
    // trades
    listTrades: db.prepare<[], TradeRow>('SELECT * FROM trades ORDER BY leed_count DESC, name'),
    getTrade: db.prepare<[string], TradeRow>('SELECT * FROM trades WHERE name = ?'),
    addTrade: db.prepare('INSERT INTO trades (name, color) VALUES (@name, @color) ON CONFLICT (name) DO NOTHING'),
    bumpTrade: db.prepare('UPDATE trades SET leed_count = MAX(0, leed_count + @delta) WHERE name = @name'),
    // users
    getUser: db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?'),
    getUserByEmail: db.prepare<[string], UserRow>('SELECT * FROM users WHERE email = ?'),
    subscriptionsOf: db.prepare<[string], { trade: string }>('SELECT trade FROM subscriptions WHERE username = ? ORDER BY position'),
    insertUser: db.prepare(`
      INSERT INTO users (username, email, website, about, zip, lat, lon, radius, posted, bought, sold, badges, payments_connected, created_at)
      VALUES (@username, @email, @website, @about, @zip, @lat, @lon, @radius, @posted, @bought, @sold, @badges, @payments_connected, @created_at)`),
    updateProfile: db.prepare(`
      UPDATE users SET website = @website, about = @about, zip = @zip, lat = @lat, lon = @lon, radius = @radius
      WHERE username = @username`),
    clearSubscriptions: db.prepare<[string]>('DELETE FROM subscriptions WHERE username = ?'),
    addSubscription: db.prepare('INSERT INTO subscriptions (trade, username, position) VALUES (@trade, @username, @position)'),
    listSubscribers: db.prepare<[{ trade: string; cursor: string; limit: number }], UserRow>(LIST_SUBSCRIBERS_SQL),
    bumpUser: db.prepare(`
      UPDATE users SET posted = MAX(0, posted + @posted), bought = MAX(0, bought + @bought), sold = MAX(0, sold + @sold)
      WHERE username = @username`),
    setBadges: db.prepare('UPDATE users SET badges = @badges WHERE username = @username'),
    // leedz
    getLeed: db.prepare<[{ trade: string; id: string }], LeedRow>('SELECT * FROM leedz WHERE id = @id AND trade = @trade'),
    conflictingLeed: db.prepare<[Pick<LeedRow, 'id' | 'trade' | 'place_key' | 'start_ms' | 'end_ms'>], { id: string }>(CONFLICTING_LEED_SQL),
    insertLeed: db.prepare(`
      INSERT INTO leedz (id, trade, title, creator, location, zip, lat, lon, place_key, start_ms, end_ms, time_zone,
                         client_email, client_phone, details, requirements, price, visibility, posted_at, status, buyer, sold_at)
      VALUES (@id, @trade, @title, @creator, @location, @zip, @lat, @lon, @place_key, @start_ms, @end_ms, @time_zone,
              @client_email, @client_phone, @details, @requirements, @price, @visibility, @posted_at, @status, @buyer, @sold_at)`),
    // Only what an edit may change: never the trade, creator, status or sale.
    updateLeed: db.prepare(`
      UPDATE leedz SET title = @title, location = @location, zip = @zip, lat = @lat, lon = @lon, place_key = @place_key,
                       start_ms = @start_ms, end_ms = @end_ms, time_zone = @time_zone, client_email = @client_email,
                       client_phone = @client_phone, details = @details, requirements = @requirements, price = @price,
                       visibility = @visibility
      WHERE id = @id`),
    markDeleted: db.prepare<[string]>("UPDATE leedz SET status = 'deleted', reserved_by = NULL, reserved_until = NULL WHERE id = ?"),
    postedBy: db.prepare<[string, number], LeedRow>("SELECT * FROM leedz WHERE creator = ? AND status <> 'deleted' ORDER BY start_ms DESC LIMIT ?"),
    boughtBy: db.prepare<[string, number], LeedRow>('SELECT * FROM leedz WHERE buyer = ? ORDER BY start_ms DESC LIMIT ?'),
    addRecipient: db.prepare('INSERT INTO leed_recipients (leed_id, username, email) VALUES (@leedId, @username, @email) ON CONFLICT DO NOTHING'),
    listRecipients: db.prepare<[{ leedId: string; cursor: string; limit: number }], Recipient>(
      'SELECT username, email FROM leed_recipients WHERE leed_id = @leedId AND username > @cursor ORDER BY username LIMIT @limit',
    ),
    getFeed: db.prepare<[string], { token_hash: string; created_at: number }>('SELECT token_hash, created_at FROM calendar_feeds WHERE username = ?'),
    feedOwner: db.prepare<[string], { username: string }>('SELECT username FROM calendar_feeds WHERE token_hash = ?'),
    setFeed: db.prepare(`
      INSERT INTO calendar_feeds (username, token_hash, created_at) VALUES (@username, @tokenHash, @createdAt)
      ON CONFLICT (username) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`),
    dropFeed: db.prepare<[string]>('DELETE FROM calendar_feeds WHERE username = ?'),
    addReport: db.prepare(`
      INSERT INTO reports (id, leed_id, trade, reporter, reason, created_at, status)
      VALUES (@id, @leedId, @trade, @reporter, @reason, @createdAt, 'open') ON CONFLICT (id) DO NOTHING`),
    getReport: db.prepare<[string], ReportRow>('SELECT * FROM reports WHERE id = ?'),
    openReports: db.prepare<[number], ReportRow>("SELECT * FROM reports WHERE status = 'open' ORDER BY created_at DESC, id DESC LIMIT ?"),
    closedReports: db.prepare<[number], ReportRow>("SELECT * FROM reports WHERE status IN ('dismissed', 'taken-down') ORDER BY resolved_at DESC, id DESC LIMIT ?"),
    resolveReport: db.prepare("UPDATE reports SET status = @status, resolved_at = @resolvedAt WHERE id = @id AND status = 'open'"),
    searchLeedz: searchStatements<LeedRow>(db, 'leedz'),
    searchListings: searchStatements<ListingRow>(db, 'listings'),
    searchPreviewsJson: searchStatements<{ json: string }>(db, 'previews-json'),
    tradeVersion: db.prepare<[string], number>('SELECT version FROM trade_versions WHERE trade = ?').pluck(),
    reserve: db.prepare('UPDATE leedz SET reserved_by = @buyer, reserved_until = @until WHERE id = @id'),
    getHold: db.prepare<[{ trade: string; id: string }], Pick<LeedRow, 'status' | 'reserved_by' | 'reserved_until'>>(
      'SELECT status, reserved_by, reserved_until FROM leedz WHERE id = @id AND trade = @trade',
    ),
    release: db.prepare('UPDATE leedz SET reserved_by = NULL, reserved_until = NULL WHERE id = @id AND trade = @trade AND reserved_by = @buyer'),
    markSold: db.prepare(`
      UPDATE leedz SET status = 'sold', buyer = @buyer, sold_at = @sold_at, payment_id = @payment_id,
                       reserved_by = NULL, reserved_until = NULL
      WHERE id = @id AND status = 'active'`),
    // bookkeeping and stats
    claimBookkeeping: db.prepare('INSERT INTO applied_bookkeeping (key, applied_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    bumpStats: db.prepare(`
      UPDATE stats SET posted = MAX(0, posted + @posted), sold = MAX(0, sold + @sold), users = MAX(0, users + @users)
      WHERE id = 1`),
    setLastPosted: db.prepare<[string]>('UPDATE stats SET last_posted = ? WHERE id = 1'),
    setLastSold: db.prepare<[string]>('UPDATE stats SET last_sold = ? WHERE id = 1'),
    getStats: db.prepare<[], StatsRow>('SELECT * FROM stats WHERE id = 1'),
    // the outbox
    addOutbox: db.prepare('INSERT INTO outbox (id, target, payload, created_at) VALUES (@id, @target, @payload, @created_at)'),
    pendingOutbox: db.prepare<[number], OutboxRow>(PENDING_OUTBOX_SQL),
    countRequest: db.prepare<[string, number, number], { count: number }>(
      `INSERT INTO request_counts (key, window, count, expires_at) VALUES (?, ?, 1, ?)
       ON CONFLICT (key, window) DO UPDATE SET count = count + 1 RETURNING count`,
    ),
    purgeRequestCounts: db.prepare<[number]>('DELETE FROM request_counts WHERE expires_at <= ?'),
    markDispatched: db.prepare<[number, string]>('UPDATE outbox SET dispatched_at = ? WHERE id = ? AND dispatched_at IS NULL'),
    deleteDispatched: db.prepare<[number, number]>(
      'DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox WHERE dispatched_at IS NOT NULL AND dispatched_at < ? LIMIT ?)',
    ),
  };

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
        const { point, subscriptions, ...profile } = changes;
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

    async updateLeed(trade, id, creator, changes, outbox) {
      return transact(() => {
        const next: Leed = { ...changeableLeed(trade, id, creator), ...definedOnly(changes) };
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
        const heldByAnother = row.reserved_by !== null && row.reserved_by !== buyer && (row.reserved_until ?? 0) > toMs(now);
        if (heldByAnother) return { ok: false, reason: 'reserved' };
        const untilMs = toMs(until);
        sql.reserve.run({ id, buyer, until: untilMs });
        return { ok: true, reservedUntil: toIso(untilMs) };
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
        if (row.status === 'sold') return { ok: false, reason: 'already-sold', leed };
        if (row.status !== 'active') return { ok: false, reason: 'not-active', leed };
        sql.markSold.run({ id: sale.id, buyer: sale.buyer, sold_at: toMs(sale.soldAt), payment_id: sale.paymentId });
        writeOutbox(outbox);
        return { ok: true, leed: storedLeed(sale.trade, sale.id) };
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

    async countRequest(key, windowMs, now) {
      const at = toMs(now);
      const window = Math.floor(at / windowMs);
      return transact(() => {
        sql.purgeRequestCounts.run(at);
        return sql.countRequest.get(key, window, (window + 1) * windowMs)!.count;
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
