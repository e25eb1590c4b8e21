/**
 * Items ↔ domain objects for the DynamoDB store, in one place: the key of every kind of item, the
 * attributes it carries, and the conversions. `TABLE-DESIGN.md` beside this file has the same
 * layout as a table. Items are trusted (only the store writes them), so they are converted, not
 * validated.
 *
 * Instants are stored twice on a leed: as canonical ISO strings (what the domain reads, and sort keys,
 * which compare as strings) and as epoch milliseconds (what conditions and overlap checks compare).
 */
import type { BadgeId } from '../../../leedz/domain/badges.js';
import type { GeoPoint } from '../../../leedz/domain/geo.js';
import type { Leed, LeedStatus, Visibility } from '../../../leedz/domain/leed.js';
import type { Trade } from '../../../leedz/domain/trade.js';
import type { RadiusMiles, User } from '../../../leedz/domain/user.js';
import type { Report, SaleRefusal, Stats, StatsEvent, StoredOutboxMessage, Subscriber } from '../../../leedz/ports.js';

/** The primary key of an item. */
export interface ItemKey {
  PK: string;
  SK: string;
}

// ── instants ─────────────────────────────────────────────────────────────────────────────────────

/**
 * An ISO 8601 instant as epoch milliseconds.
 *
 * @example
 * toMs('2026-12-24T18:00:00Z'); // → 1798135200000
 */
export function toMs(instant: string): number {
  const ms = Date.parse(instant);
  // NaN would end up in a key or a condition and surface far from here.
  if (Number.isNaN(ms)) throw new TypeError(`not an ISO 8601 instant: ${JSON.stringify(instant)}`);
  return ms;
}

/**
 * The canonical UTC spelling of an instant (`…T18:00:00.000Z`). Canonical strings of years 0–9999
 * sort as the instants do, which is what makes them usable in sort keys.
 *
 * @example
 * canonicalInstant('2026-12-24T18:00:00Z'); // → '2026-12-24T18:00:00.000Z'
 */
export function canonicalInstant(instant: string): string {
  return new Date(toMs(instant)).toISOString();
}

// ── keys ─────────────────────────────────────────────────────────────────────────────────────────

/** Every trade lives in this one partition: `listTrades` is one query (about 30 items). */
export const TRADES_PARTITION = 'TRADES';

/** The partition of the stats item (one item). */
const STATS_PARTITION = 'STATS';

/** Every pending outbox message has this `pendingPK` (one index partition, read oldest first). */
export const PENDING_OUTBOX_PARTITION = 'PENDING';

/** The partition key of every secret item: the stack denies these items to the Lambdas that do not read them (`SECRET_READERS`, infra/lambda-specs.ts). */
export const SECRET_KEY_PREFIX = 'SECRET#';

export const keyOf = {
  trade: (name: string): ItemKey => ({ PK: TRADES_PARTITION, SK: `TRADE#${name}` }),
  user: (username: string): ItemKey => ({ PK: `USER#${username}`, SK: 'PROFILE' }),
  /** The marker that holds an email for one user (uniqueness) and finds the user by email. */
  email: (email: string): ItemKey => ({ PK: `EMAIL#${email}`, SK: 'EMAIL' }),
  /** A trade's subscribers: the partition holds nothing else, so a page is `SK > SUB#<cursor>`. */
  subscriptionPartition: (trade: string): string => `TRADE#${trade}`,
  subscription: (trade: string, username: string): ItemKey => ({ PK: `TRADE#${trade}`, SK: `SUB#${username}` }),
  leed: (id: string): ItemKey => ({ PK: `LEED#${id}`, SK: 'LEED' }),
  reservation: (id: string): ItemKey => ({ PK: `LEED#${id}`, SK: 'RESERVATION' }),
  /** A payment for a leed, beside it: sold with it, or refused (and refunded) for good; see {@link PaymentItem}. */
  payment: (leedId: string, paymentId: string): ItemKey => ({ PK: `LEED#${leedId}`, SK: `PAYMENT#${paymentId}` }),
  /** Bookings of one trade at one place, and their lock; see {@link BookingItem}. */
  placePartition: (trade: string, placeKey: string): string => `PLACE#${trade}#${placeKey}`,
  placeLock: (trade: string, placeKey: string): ItemKey => ({ PK: `PLACE#${trade}#${placeKey}`, SK: 'LOCK' }),
  booking: (trade: string, placeKey: string, start: string, id: string): ItemKey => ({
    PK: `PLACE#${trade}#${placeKey}`,
    SK: `${BOOKING_PREFIX}${start}#${id}`,
  }),
  applied: (key: string): ItemKey => ({ PK: `APPLIED#${key}`, SK: 'APPLIED' }),
  stats: (): ItemKey => ({ PK: STATS_PARTITION, SK: STATS_PARTITION }),
  outbox: (id: string): ItemKey => ({ PK: `OUTBOX#${id}`, SK: 'OUTBOX' }),
  /** A pointer from a user to a leed they posted (listPostedLeedz), beside their profile. */
  postedBy: (username: string, leedId: string): ItemKey => ({ PK: `USER#${username}`, SK: `POSTED#${leedId}` }),
  /** A pointer from a user to a leed they bought (listBoughtLeedz). */
  boughtBy: (username: string, leedId: string): ItemKey => ({ PK: `USER#${username}`, SK: `BOUGHT#${leedId}` }),
  /** Someone emailed about a leed, beside the leed (a page of them is one query). */
  recipient: (leedId: string, username: string): ItemKey => ({ PK: `LEED#${leedId}`, SK: `RECIPIENT#${username}` }),
  /** A user's calendar feed (the hash of its token), beside their profile. */
  calendarFeed: (username: string): ItemKey => ({ PK: `USER#${username}`, SK: 'CALENDAR' }),
  /** Finds a feed's owner by the hash of its token. */
  calendarFeedMarker: (tokenHash: string): ItemKey => ({ PK: `CALENDAR#${tokenHash}`, SK: 'CALENDAR' }),
  /** Every report is in one partition (a few a day: read whole). */
  report: (id: string): ItemKey => ({ PK: REPORTS_PARTITION, SK: `REPORT#${id}` }),
  /** Requests counted under a key in one fixed window (a rate limit). */
  requestCount: (key: string, window: number): ItemKey => ({ PK: `COUNT#${key}`, SK: `WINDOW#${window}` }),
  /** An address on the suppression list (in lower case): no more bulk mail to it. */
  suppression: (email: string): ItemKey => ({ PK: `SUPPRESSED#${email}`, SK: 'SUPPRESSED' }),
  /** A secret the marketplace makes once and keeps (the one that signs unsubscribe links). */
  secret: (name: string): ItemKey => ({ PK: `${SECRET_KEY_PREFIX}${name}`, SK: 'SECRET' }),
};

/** The partition of every report. */
export const REPORTS_PARTITION = 'REPORTS';

/** Sorts after every `RECIPIENT#<username>` of a leed's partition (`$` comes right after `#`). */
export const RECIPIENTS_END = 'RECIPIENT$';

/** The sort-key prefix of booking items; bookings sort by start within a place. */
export const BOOKING_PREFIX = 'BOOKING#';

/**
 * The search index's partition for a trade and a UTC month.
 *
 * @example
 * searchPartition('dj', '2030-06'); // → 'LEEDZ#dj#2030-06'
 */
export function searchPartition(trade: string, month: string): string {
  return `LEEDZ#${trade}#${month}`;
}

/**
 * The UTC months (`yyyy-mm`) that [from, to] touches, in order: the search index partitions to read.
 *
 * @example
 * monthsBetween('2030-05-31T23:00:00.000Z', '2030-07-01T00:00:00.000Z'); // → ['2030-05', '2030-06', '2030-07']
 */
export function monthsBetween(from: string, to: string): string[] {
  const start = new Date(toMs(from));
  const end = new Date(toMs(to));
  const months: string[] = [];
  for (let y = start.getUTCFullYear(), m = start.getUTCMonth(); y < end.getUTCFullYear() || (y === end.getUTCFullYear() && m <= end.getUTCMonth()); ) {
    months.push(`${String(y).padStart(4, '0')}-${String(m + 1).padStart(2, '0')}`);
    m += 1;
    if (m === 12) {
      m = 0;
      y += 1;
    }
  }
  return months;
}

// ── trades ───────────────────────────────────────────────────────────────────────────────────────

export interface TradeItem extends ItemKey {
  name: string;
  leedCount: number;
  color?: string;
}

export function tradeItem(trade: { name: string; color?: string }): TradeItem {
  const item: TradeItem = { ...keyOf.trade(trade.name), name: trade.name, leedCount: 0 };
  if (trade.color !== undefined) item.color = trade.color;
  return item;
}

export function tradeFromItem(item: TradeItem): Trade {
  const trade: Trade = { name: item.name, leedCount: item.leedCount };
  if (item.color !== undefined) trade.color = item.color;
  return trade;
}

// ── users ────────────────────────────────────────────────────────────────────────────────────────

export interface UserItem extends ItemKey {
  username: string;
  email: string;
  website: string | null;
  about: string | null;
  zip: string | null;
  /** The home point (from the zip), not part of {@link User}: subscribers carry it. */
  point: GeoPoint | null;
  radius: number;
  /** The user's own order; the subscription items are the index by trade. */
  subscriptions: string[];
  posted: number;
  bought: number;
  sold: number;
  badges: number[];
  paymentsConnected: boolean;
  createdAt: string;
  /**
   * Bumped by every profile change: a change that read version n commits only if the item is still at
   * n, so two racing edits cannot leave subscription items that match neither.
   */
  version: number;
}

export function userItem(user: User, createdAt: string): UserItem {
  return {
    ...keyOf.user(user.username),
    username: user.username,
    email: user.email,
    website: user.website,
    about: user.about,
    zip: user.zip,
    point: null,
    radius: user.radius,
    subscriptions: user.subscriptions,
    posted: user.posted,
    bought: user.bought,
    sold: user.sold,
    badges: user.badges,
    paymentsConnected: user.paymentsConnected,
    createdAt: canonicalInstant(createdAt),
    version: 0,
  };
}

export function userFromItem(item: UserItem): User {
  return {
    username: item.username,
    email: item.email,
    website: item.website,
    about: item.about,
    zip: item.zip,
    radius: item.radius as RadiusMiles,
    subscriptions: item.subscriptions,
    posted: item.posted,
    bought: item.bought,
    sold: item.sold,
    badges: item.badges as BadgeId[],
    paymentsConnected: item.paymentsConnected,
  };
}

export interface EmailItem extends ItemKey {
  username: string;
}

/**
 * A subscription: the user's contact, home and radius copied under the trade, so that the fan-out
 * reads one partition and never the users. `updateUser` rewrites the copies with the profile.
 */
export interface SubscriptionItem extends ItemKey, Subscriber {
  trade: string;
}

export function subscriptionItem(trade: string, user: Pick<UserItem, 'username' | 'email' | 'zip' | 'point' | 'radius'>): SubscriptionItem {
  return { ...keyOf.subscription(trade, user.username), trade, username: user.username, email: user.email, zip: user.zip, point: user.point, radius: user.radius };
}

export function subscriberFromItem(item: SubscriptionItem): Subscriber {
  return { username: item.username, email: item.email, zip: item.zip, point: item.point, radius: item.radius };
}

// ── leedz ────────────────────────────────────────────────────────────────────────────────────────

export interface LeedItem extends ItemKey {
  id: string;
  trade: string;
  title: string;
  creator: string;
  location: string;
  zip: string;
  point: GeoPoint;
  placeKey: string;
  start: string;
  end: string;
  startMs: number;
  endMs: number;
  timeZone: string;
  clientEmail: string | null;
  clientPhone: string | null;
  details: string | null;
  requirements: string | null;
  price: number;
  visibility: Visibility;
  postedAt: string;
  status: LeedStatus;
  buyer: string | null;
  soldAt: string | null;
  /** The payment that bought it (a repeated webhook carries the same one). */
  paymentId?: string;
  /**
   * Bumped by every write to the leed: an edit or a delete commits only if nothing else wrote the leed
   * since it read it, so its booking item is never moved twice from the same old place.
   */
  revision: number;
  /** Present only while active: the search index is sparse. */
  searchPK?: string;
  searchSK?: string;
}

/** Whether a leed in this status holds its time slot (a sold gig is still worked, by its buyer). */
export function isBooked(status: LeedStatus): boolean {
  return status === 'active' || status === 'sold';
}

/** The leed's item; `revision` counts the writes. Instants are stored canonical. */
export function leedItem(leed: Leed, revision: number): LeedItem {
  const start = canonicalInstant(leed.start);
  const item: LeedItem = {
    ...keyOf.leed(leed.id),
    id: leed.id,
    trade: leed.trade,
    title: leed.title,
    creator: leed.creator,
    location: leed.location,
    zip: leed.zip,
    point: { lat: leed.point.lat, lon: leed.point.lon },
    placeKey: leed.placeKey,
    start,
    end: canonicalInstant(leed.end),
    startMs: toMs(leed.start),
    endMs: toMs(leed.end),
    timeZone: leed.timeZone,
    clientEmail: leed.clientEmail,
    clientPhone: leed.clientPhone,
    details: leed.details,
    requirements: leed.requirements,
    price: leed.price,
    visibility: { ...leed.visibility },
    postedAt: canonicalInstant(leed.postedAt),
    status: leed.status,
    buyer: leed.buyer,
    soldAt: leed.soldAt === null ? null : canonicalInstant(leed.soldAt),
    revision,
  };
  if (leed.status === 'active') Object.assign(item, searchKeys(leed.trade, start, leed.id));
  return item;
}

/**
 * An active leed's keys in the search index: its trade and UTC month, then `<start>#<id>`, so that a
 * month reads in start order and two leedz of one instant keep a stable order.
 */
export function searchKeys(trade: string, start: string, id: string): { searchPK: string; searchSK: string } {
  return { searchPK: searchPartition(trade, start.slice(0, 7)), searchSK: `${start}#${id}` };
}

export function leedFromItem(item: LeedItem): Leed {
  return {
    id: item.id,
    trade: item.trade,
    title: item.title,
    creator: item.creator,
    location: item.location,
    zip: item.zip,
    point: { lat: item.point.lat, lon: item.point.lon },
    placeKey: item.placeKey,
    start: item.start,
    end: item.end,
    timeZone: item.timeZone,
    clientEmail: item.clientEmail,
    clientPhone: item.clientPhone,
    details: item.details,
    requirements: item.requirements,
    price: item.price,
    visibility: item.visibility,
    postedAt: item.postedAt,
    status: item.status,
    buyer: item.buyer,
    soldAt: item.soldAt,
  };
}

/**
 * One booked time slot at a place: `PK=PLACE#<trade>#<placeKey>`, `SK=BOOKING#<start>#<id>`, for each
 * active or sold leed. The conflict check reads the bookings of one place in a window of starts;
 * the place's lock item (`SK=LOCK`, a version) serialises the writers (see `TABLE-DESIGN.md`).
 * `trade` and `placeKey` are repeated because a trade name may contain `#`: two (trade, place) pairs
 * could share a partition, and then only these attributes tell their bookings apart.
 */
export interface BookingItem extends ItemKey {
  leedId: string;
  trade: string;
  placeKey: string;
  start: string;
  end: string;
  startMs: number;
  endMs: number;
}

export function bookingItem(leed: Pick<LeedItem, 'id' | 'trade' | 'placeKey' | 'start' | 'end' | 'startMs' | 'endMs'>): BookingItem {
  return {
    ...keyOf.booking(leed.trade, leed.placeKey, leed.start, leed.id),
    leedId: leed.id,
    trade: leed.trade,
    placeKey: leed.placeKey,
    start: leed.start,
    end: leed.end,
    startMs: leed.startMs,
    endMs: leed.endMs,
  };
}

/**
 * The lock of one (trade, place): `version` counts the bookings written there, `maxSpanMs` is the
 * longest booking ever written there, which bounds how far back the conflict check must look.
 */
export interface PlaceLockItem extends ItemKey {
  version: number;
  maxSpanMs: number;
}

/**
 * A checkout reservation, beside its leed. `expiresAt` (epoch seconds) lets TTL delete it eventually;
 * until then, conditions compare `untilMs` with the caller's clock, because TTL deletion is lazy.
 */
export interface ReservationItem extends ItemKey {
  buyer: string;
  reservedUntil: string;
  untilMs: number;
  expiresAt: number;
}

/**
 * A payment for a leed, beside it: `sold` (written with the sale) or `refused` (before its refund,
 * with the reason). The two writes are conditional on each other's absence, so one payment is never
 * both: a refused payment delivered again stays refused, and one that sold is never refunded.
 */
export interface PaymentItem extends ItemKey {
  outcome: 'sold' | 'refused';
  reason?: SaleRefusal;
  at: string;
}

// ── stats ────────────────────────────────────────────────────────────────────────────────────────

export interface StatsItem extends ItemKey {
  posted?: number;
  sold?: number;
  users?: number;
  lastPosted?: StatsEvent;
  lastSold?: StatsEvent;
}

export function statsFromItem(item: StatsItem | undefined): Stats {
  return {
    posted: item?.posted ?? 0,
    sold: item?.sold ?? 0,
    users: item?.users ?? 0,
    lastPosted: item?.lastPosted ?? null,
    lastSold: item?.lastSold ?? null,
  };
}

// ── calendar feeds and reports ───────────────────────────────────────────────────────────────────

export interface CalendarFeedItem extends ItemKey {
  tokenHash: string;
  createdAt: string;
}

export interface ReportItem extends ItemKey, Report {}

export function reportFromItem(item: ReportItem): Report {
  return {
    id: item.id,
    leedId: item.leedId,
    trade: item.trade,
    reporter: item.reporter,
    reason: item.reason,
    createdAt: item.createdAt,
    status: item.status,
    resolvedAt: item.resolvedAt,
  };
}

// ── outbox ───────────────────────────────────────────────────────────────────────────────────────

export interface OutboxItem extends ItemKey {
  id: string;
  target: string;
  /** The envelope as JSON text: it comes back exactly as written, whatever it holds. */
  payload: string;
  createdAt: string;
  /** Present only while pending: the pending-outbox index is sparse. */
  pendingPK?: string;
  pendingSK?: string;
  dispatchedAt?: string;
  expiresAt?: number;
}

export function outboxFromItem(item: Pick<OutboxItem, 'id' | 'target' | 'payload' | 'createdAt'>): StoredOutboxMessage {
  return { id: item.id, target: item.target, payload: JSON.parse(item.payload) as Record<string, unknown>, createdAt: item.createdAt };
}
