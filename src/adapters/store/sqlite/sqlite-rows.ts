/**
 * Rows ↔ domain objects for the SQLite store, in one place: column names, epoch-millisecond instants
 * (ISO strings in the domain) and JSON columns are known here and nowhere else. Rows are trusted
 * (only the store writes them), so they are converted, not validated.
 */
import type { BadgeId } from '../../../leedz/domain/badges.js';
import type { GeoPoint } from '../../../leedz/domain/geo.js';
import type { Leed, LeedStatus, Visibility } from '../../../leedz/domain/leed.js';
import type { Trade } from '../../../leedz/domain/trade.js';
import type { RadiusMiles, User } from '../../../leedz/domain/user.js';
import type { LeedListing, Report, ReportStatus, Stats, StatsEvent, StoredOutboxMessage, Subscriber } from '../../../leedz/ports.js';

// ── instants ─────────────────────────────────────────────────────────────────────────────────────

/**
 * An ISO 8601 instant as epoch milliseconds, the stored form.
 *
 * @example
 * toMs('2026-12-24T18:00:00Z'); // → 1798135200000
 */
export function toMs(instant: string): number {
  const ms = Date.parse(instant);
  // NaN would be stored as NULL and surface far from here; the caller passed something that is not an instant.
  if (Number.isNaN(ms)) throw new TypeError(`not an ISO 8601 instant: ${JSON.stringify(instant)}`);
  return ms;
}

/**
 * Epoch milliseconds as the canonical UTC string the domain uses.
 *
 * @example
 * toIso(1798135200000); // → '2026-12-24T18:00:00.000Z'
 */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

function toIsoOrNull(ms: number | null): string | null {
  return ms === null ? null : toIso(ms);
}

/** A point stored as two nullable columns (a user without a home point has neither). */
export function pointOf(lat: number | null, lon: number | null): GeoPoint | null {
  return lat === null || lon === null ? null : { lat, lon };
}

// ── trades ───────────────────────────────────────────────────────────────────────────────────────

export interface TradeRow {
  name: string;
  leed_count: number;
  color: string | null;
}

export function tradeFromRow(row: TradeRow): Trade {
  const trade: Trade = { name: row.name, leedCount: row.leed_count };
  if (row.color !== null) trade.color = row.color;
  return trade;
}

// ── users ────────────────────────────────────────────────────────────────────────────────────────

export interface UserRow {
  username: string;
  email: string;
  website: string | null;
  about: string | null;
  zip: string | null;
  lat: number | null;
  lon: number | null;
  radius: number;
  posted: number;
  bought: number;
  sold: number;
  /** JSON array of badge ids. */
  badges: string;
  payments_connected: number;
  created_at: number;
}

/** A user row and its subscriptions (a table of their own, in the user's order). */
export function userFromRow(row: UserRow, subscriptions: string[]): User {
  return {
    username: row.username,
    email: row.email,
    website: row.website,
    about: row.about,
    zip: row.zip,
    radius: row.radius as RadiusMiles,
    subscriptions,
    posted: row.posted,
    bought: row.bought,
    sold: row.sold,
    badges: JSON.parse(row.badges) as BadgeId[],
    paymentsConnected: row.payments_connected === 1,
  };
}

/** A subscriber: the user's contact, home zip, home point (not part of {@link User}) and radius. */
export function subscriberFromRow(row: Pick<UserRow, 'username' | 'email' | 'zip' | 'lat' | 'lon' | 'radius'>): Subscriber {
  return { username: row.username, email: row.email, zip: row.zip, point: pointOf(row.lat, row.lon), radius: row.radius };
}

/** The columns of a user that a profile edit may set, as named parameters. */
export function userProfileParams(user: User, point: GeoPoint | null): Record<string, unknown> {
  return {
    username: user.username,
    website: user.website,
    about: user.about,
    zip: user.zip,
    lat: point?.lat ?? null,
    lon: point?.lon ?? null,
    radius: user.radius,
  };
}

/** The named parameters of a new user's row. */
export function newUserParams(user: User, createdAt: string): Record<string, unknown> {
  return {
    ...userProfileParams(user, null),
    email: user.email,
    posted: user.posted,
    bought: user.bought,
    sold: user.sold,
    badges: JSON.stringify(user.badges),
    payments_connected: user.paymentsConnected ? 1 : 0,
    created_at: toMs(createdAt),
  };
}

// ── leedz ────────────────────────────────────────────────────────────────────────────────────────

export interface LeedRow {
  id: string;
  trade: string;
  title: string;
  creator: string;
  location: string;
  zip: string;
  lat: number;
  lon: number;
  place_key: string;
  start_ms: number;
  end_ms: number;
  time_zone: string;
  client_email: string | null;
  client_phone: string | null;
  details: string | null;
  requirements: string | null;
  price: number;
  /** JSON {@link Visibility}. */
  visibility: string;
  posted_at: number;
  status: string;
  buyer: string | null;
  sold_at: number | null;
  payment_id: string | null;
  reserved_by: string | null;
  reserved_until: number | null;
}

/** The columns of a {@link LeedListing}: a search reads these only. */
export const LISTING_COLUMNS = 'id, trade, title, creator, zip, lat, lon, start_ms, end_ms, time_zone, price, status, posted_at';

export type ListingRow = Pick<LeedRow, 'id' | 'trade' | 'title' | 'creator' | 'zip' | 'lat' | 'lon' | 'start_ms' | 'end_ms' | 'time_zone' | 'price' | 'status' | 'posted_at'>;

export function listingFromRow(row: ListingRow): LeedListing {
  return {
    id: row.id,
    trade: row.trade,
    title: row.title,
    creator: row.creator,
    zip: row.zip,
    start: toIso(row.start_ms),
    end: toIso(row.end_ms),
    timeZone: row.time_zone,
    price: row.price,
    status: row.status as LeedStatus,
    postedAt: toIso(row.posted_at),
    point: { lat: row.lat, lon: row.lon },
  };
}

export function leedFromRow(row: LeedRow): Leed {
  return {
    id: row.id,
    trade: row.trade,
    title: row.title,
    creator: row.creator,
    location: row.location,
    zip: row.zip,
    point: { lat: row.lat, lon: row.lon },
    placeKey: row.place_key,
    start: toIso(row.start_ms),
    end: toIso(row.end_ms),
    timeZone: row.time_zone,
    clientEmail: row.client_email,
    clientPhone: row.client_phone,
    details: row.details,
    requirements: row.requirements,
    price: row.price,
    visibility: JSON.parse(row.visibility) as Visibility,
    postedAt: toIso(row.posted_at),
    // The column's CHECK admits only the four statuses.
    status: row.status as LeedStatus,
    buyer: row.buyer,
    soldAt: toIsoOrNull(row.sold_at),
  };
}

/**
 * A leed's own columns as named parameters (the checkout and payment columns are the store's and
 * are set by their own statements).
 */
export function leedParams(leed: Leed): Omit<LeedRow, 'payment_id' | 'reserved_by' | 'reserved_until'> {
  return {
    id: leed.id,
    trade: leed.trade,
    title: leed.title,
    creator: leed.creator,
    location: leed.location,
    zip: leed.zip,
    lat: leed.point.lat,
    lon: leed.point.lon,
    place_key: leed.placeKey,
    start_ms: toMs(leed.start),
    end_ms: toMs(leed.end),
    time_zone: leed.timeZone,
    client_email: leed.clientEmail,
    client_phone: leed.clientPhone,
    details: leed.details,
    requirements: leed.requirements,
    price: leed.price,
    visibility: JSON.stringify(leed.visibility),
    posted_at: toMs(leed.postedAt),
    status: leed.status,
    buyer: leed.buyer,
    sold_at: leed.soldAt === null ? null : toMs(leed.soldAt),
  };
}

// ── stats ────────────────────────────────────────────────────────────────────────────────────────

export interface StatsRow {
  posted: number;
  sold: number;
  users: number;
  /** JSON {@link StatsEvent} or NULL. */
  last_posted: string | null;
  last_sold: string | null;
}

export function statsFromRow(row: StatsRow): Stats {
  return {
    posted: row.posted,
    sold: row.sold,
    users: row.users,
    lastPosted: row.last_posted === null ? null : (JSON.parse(row.last_posted) as StatsEvent),
    lastSold: row.last_sold === null ? null : (JSON.parse(row.last_sold) as StatsEvent),
  };
}

// ── reports ──────────────────────────────────────────────────────────────────────────────────────

export interface ReportRow {
  id: string;
  leed_id: string;
  trade: string;
  reporter: string;
  reason: string;
  created_at: number;
  status: string;
  resolved_at: number | null;
}

export function reportFromRow(row: ReportRow): Report {
  return {
    id: row.id,
    leedId: row.leed_id,
    trade: row.trade,
    reporter: row.reporter,
    reason: row.reason,
    createdAt: toIso(row.created_at),
    // The column's CHECK admits only the three statuses.
    status: row.status as ReportStatus,
    resolvedAt: toIsoOrNull(row.resolved_at),
  };
}

// ── outbox ───────────────────────────────────────────────────────────────────────────────────────

export interface OutboxRow {
  id: string;
  target: string;
  /** JSON envelope. */
  payload: string;
  created_at: number;
}

export function outboxFromRow(row: OutboxRow): StoredOutboxMessage {
  return {
    id: row.id,
    target: row.target,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    createdAt: toIso(row.created_at),
  };
}
