/**
 * Every SQL statement of the SQLite store, prepared once per connection ({@link prepareStatements}),
 * and the queries whose speed decides whether the marketplace scales — the month search (whole
 * leedz, listings, or previews as JSON built by SQLite), the conflict check, a trade's subscribers,
 * the pending outbox — with the search's parameters. Those are exported so that a test can check
 * with EXPLAIN QUERY PLAN that each one reads an index rather than scanning a table
 * (`test/adapters/store/sqlite-store.test.ts`).
 *
 * @example
 * const sql = prepareStatements(db);
 * sql.getLeed.get({ trade: 'dj', id });
 * sql.searchLeedz(query).all(searchParameters(query)); // one trade's statement, or several trades'
 */
import type Database from 'better-sqlite3';
import type { LeedSearch, Recipient } from '../../../leedz/ports.js';
import {
  LISTING_COLUMNS,
  type LeedRow,
  type ListingRow,
  type OutboxRow,
  type ReportRow,
  type StatsRow,
  toMs,
  type TradeRow,
  type UserRow,
} from './sqlite-rows.js';

/**
 * The month search: active leedz of some trades (a JSON array) starting in [from, to] (and after the
 * leed `@after` of those starting at `@from`), not over before `@endsFrom`, optionally in a box, by
 * start and id. Served by `leedz_active_by_trade_order`, one range per trade; a search of
 * one trade (`trade = @trade`, {@link searchSqlOf}) reads the index in the answer's order, with no sort.
 */
export const SEARCH_LEEDZ_SQL = searchSql('*', 'many');

/** An epoch-milliseconds column as `Date#toISOString` spells it, in SQL. */
const isoSql = (column: string) => `strftime('%Y-%m-%dT%H:%M:%S', ${column} / 1000, 'unixepoch') || printf('.%03dZ', ${column} % 1000)`;

/**
 * The search's statements: whole leedz, listings, or the previews (listings without their point) as
 * the JSON text SQLite builds — the same keys in the same order as `JSON.stringify` of the listings;
 * for one trade (`@trade`) or several (`@trades`, a JSON array).
 */
export function searchSqlOf(kind: 'leedz' | 'listings' | 'previews-json', trades: 'one' | 'many'): string {
  if (kind !== 'previews-json') return searchSql(kind === 'leedz' ? '*' : LISTING_COLUMNS, trades);
  return `
  SELECT json_group_array(json_object(
    'id', id, 'trade', trade, 'title', title, 'creator', creator, 'zip', zip,
    'start', ${isoSql('start_ms')}, 'end', ${isoSql('end_ms')}, 'timeZone', time_zone, 'price', price,
    'status', status, 'postedAt', ${isoSql('posted_at')})) AS json
  FROM (${searchSql(LISTING_COLUMNS, trades)})`;
}

function searchSql(columns: string, trades: 'one' | 'many'): string {
  return `
  SELECT ${columns} FROM leedz
  WHERE status = 'active'
    AND ${trades === 'one' ? 'trade = @trade' : 'trade IN (SELECT value FROM json_each(@trades))'}
    AND start_ms BETWEEN @from AND @to
    AND (@after IS NULL OR start_ms > @from OR id > @after)
    AND (@endsFrom IS NULL OR end_ms >= @endsFrom)
    AND (@minLat IS NULL OR (lat BETWEEN @minLat AND @maxLat AND lon BETWEEN @minLon AND @maxLon))
  ORDER BY start_ms, id
  LIMIT @limit`;
}

/**
 * The conflict check: another booked (active or sold) leed of the trade, at the place, overlapping
 * the span — a sold leed is still a gig someone will work. Served by `leedz_booked_by_place`.
 */
export const CONFLICTING_LEED_SQL = `
  SELECT id FROM leedz
  WHERE status IN ('active', 'sold') AND trade = @trade AND place_key = @place_key
    AND start_ms < @end_ms AND end_ms > @start_ms AND id <> @id
  LIMIT 1`;

/** One page of a trade's subscribers, by username. Served by the primary key of `subscriptions`. */
export const LIST_SUBSCRIBERS_SQL = `
  SELECT u.username, u.email, u.zip, u.lat, u.lon, u.radius
  FROM subscriptions s JOIN users u ON u.username = s.username
  WHERE s.trade = @trade AND s.username > @cursor
  ORDER BY s.username
  LIMIT @limit`;

/** Pending outbox messages, oldest first (the rowid orders the messages of one millisecond). Served by `outbox_pending`. */
export const PENDING_OUTBOX_SQL = `
  SELECT id, target, payload, created_at FROM outbox
  WHERE dispatched_at IS NULL
  ORDER BY created_at, rowid
  LIMIT ?`;

/** A search's statement for one trade and for several, prepared once: pick by the query. */
export function searchStatements<Row>(db: Database.Database, kind: Parameters<typeof searchSqlOf>[0]) {
  const one = db.prepare<[Record<string, unknown>], Row>(searchSqlOf(kind, 'one'));
  const many = db.prepare<[Record<string, unknown>], Row>(searchSqlOf(kind, 'many'));
  return (query: LeedSearch) => (query.trades.length === 1 ? one : many);
}

export function searchParameters(query: LeedSearch): Record<string, unknown> {
  if (query.trades.length === 1) {
    const { trades: _trades, ...rest } = searchParametersOfMany(query);
    return { ...rest, trade: query.trades[0] };
  }
  return searchParametersOfMany(query);
}

function searchParametersOfMany(query: LeedSearch): Record<string, unknown> {
  return {
    trades: JSON.stringify(query.trades),
    from: toMs(query.from),
    to: toMs(query.to),
    after: query.after ?? null,
    endsFrom: query.endsFrom === undefined ? null : toMs(query.endsFrom),
    minLat: query.box?.minLat ?? null,
    maxLat: query.box?.maxLat ?? null,
    minLon: query.box?.minLon ?? null,
    maxLon: query.box?.maxLon ?? null,
    limit: query.limit,
  };
}

/** The store's statements, prepared on `db` (a connection migrated to the current schema). */
export function prepareStatements(db: Database.Database) {
  return {
    // trades
    listTrades: db.prepare<[], TradeRow>('SELECT * FROM trades ORDER BY leed_count DESC, name'),
    getTrade: db.prepare<[string], TradeRow>('SELECT * FROM trades WHERE name = ?'),
    addTrade: db.prepare('INSERT INTO trades (name, color) VALUES (@name, @color) ON CONFLICT (name) DO NOTHING'),
    bumpTrade: db.prepare('UPDATE trades SET leed_count = MAX(0, leed_count + @delta) WHERE name = @name'),
    // The WHERE repeats leedz_ending's condition literally, so that the index serves it.
    endedUncounted: db.prepare<{ since: number; through: number; limit: number }, { id: string; trade: string }>(
      "SELECT id, trade FROM leedz WHERE status = 'active' AND end_counted = 0 AND end_ms >= @since AND end_ms < @through ORDER BY end_ms, id LIMIT @limit",
    ),
    markEndCounted: db.prepare<{ trade: string; id: string }>("UPDATE leedz SET end_counted = 1 WHERE id = @id AND trade = @trade AND status = 'active' AND end_counted = 0"),
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
    refusedPayment: db.prepare<[{ id: string; payment_id: string }], string>('SELECT reason FROM refused_payments WHERE leed_id = @id AND payment_id = @payment_id').pluck(),
    refusePayment: db.prepare('INSERT OR IGNORE INTO refused_payments (leed_id, payment_id, reason, refused_at) VALUES (@id, @payment_id, @reason, @refused_at)'),
    soldWith: db.prepare<[{ id: string; payment_id: string }], number>('SELECT 1 FROM leedz WHERE id = @id AND payment_id = @payment_id').pluck(),
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
    countRequest: db.prepare<[string, number, number, number], { count: number }>(
      `INSERT INTO request_counts (key, window, count, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key, window) DO UPDATE SET count = count + excluded.count RETURNING count`,
    ),
    purgeRequestCounts: db.prepare<[number]>('DELETE FROM request_counts WHERE expires_at <= ?'),
    markDispatched: db.prepare<[number, string]>('UPDATE outbox SET dispatched_at = ? WHERE id = ? AND dispatched_at IS NULL'),
    deleteDispatched: db.prepare<[number, number]>(
      'DELETE FROM outbox WHERE rowid IN (SELECT rowid FROM outbox WHERE dispatched_at IS NOT NULL AND dispatched_at < ? LIMIT ?)',
    ),
  };
}

export type StoreStatements = ReturnType<typeof prepareStatements>;
