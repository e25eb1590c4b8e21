/**
 * The SQLite store's queries whose speed decides whether the marketplace scales — the month search
 * (whole leedz, listings, or previews as JSON built by SQLite), the conflict check, a trade's
 * subscribers, the pending outbox — with the search's parameters. Exported so that a test can check
 * with EXPLAIN QUERY PLAN that each one reads an index rather than scanning a table
 * (`test/adapters/store/sqlite-store.test.ts`); `sqlite-store.ts` prepares them.
 *
 * @example
 * const search = searchStatements<LeedRow>(db, 'leedz');
 * search(query).all(searchParameters(query)); // one trade's statement, or several trades'
 */
import type Database from 'better-sqlite3';
import type { LeedSearch } from '../../../leedz/ports.js';
import { LISTING_COLUMNS, toMs } from './sqlite-rows.js';

/**
 * The month search: active leedz of some trades (a JSON array) starting in [from, to], optionally in
 * a box, by start and id. Served by `leedz_active_by_trade_order`, one range per trade; a search of
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
    minLat: query.box?.minLat ?? null,
    maxLat: query.box?.maxLat ?? null,
    minLon: query.box?.minLon ?? null,
    maxLon: query.box?.maxLon ?? null,
    limit: query.limit,
  };
}
