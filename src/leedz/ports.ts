/**
 * The marketplace's ports: what the functions and controllers need from the outside world, and
 * nothing more. Each port's contract is written here and checked by one suite in
 * `test/contracts/`, run on every adapter (SQLite and DynamoDB for the Store, and so on).
 *
 * Instants are ISO 8601 strings in UTC (`2026-12-24T18:00:00.000Z`); money is integer cents.
 */
import { badgesFor } from './domain/badges.js';
import type { GeoPoint } from './domain/geo.js';
import type { Leed, LeedChanges } from './domain/leed.js';
import type { LeedPreview } from './domain/visibility.js';
import type { Trade } from './domain/trade.js';
import type { ProfileChanges, RadiusMiles, User } from './domain/user.js';

// ── Store ─────────────────────────────────────────────────────────────────────

/**
 * Asynchronous work committed with the change that implies it (the transactional outbox): the
 * controller to invoke with `Event` and the flat envelope to send it. A relay delivers it after the
 * commit; delivery is at-least-once, so controllers are idempotent.
 */
export interface OutboxMessage {
  /** Unique id; also the idempotency key of the work (a redelivered message does nothing twice). */
  id: string;
  /** The controller's function name. */
  target: string;
  /** The flat envelope: `{ function: route, ...fields, _meta }`. */
  payload: Record<string, unknown>;
}

export interface StoredOutboxMessage extends OutboxMessage {
  createdAt: string;
}

/**
 * The status of a leed as far as a buyer can tell. `alreadyHeld`: the buyer held it already, and
 * their hold is given back as it was (`reservedUntil` unchanged), not renewed.
 */
export type ReserveResult =
  /** `price`: the leed's price when the hold was written, which the checkout charges (it cannot change while the hold lasts). */
  | { ok: true; reservedUntil: string; alreadyHeld: boolean; price: number }
  | { ok: false; reason: 'not-found' | 'not-active' | 'reserved' | 'own-leed' };

/** A buyer's hold on a leed while they check out (another buyer cannot start a checkout meanwhile). */
export interface CheckoutHold {
  buyer: string;
  until: string;
}

export type SaleResult =
  | { ok: true; leed: Leed }
  /**
   * `duplicate-payment`: this very payment (same `paymentId`, same buyer) was already recorded (a
   * repeated webhook; nothing to do).
   * `already-sold`: sold with another payment (refund this one). `not-active`: deleted or expired.
   * `wrong-amount`: active, but the amount paid is not the leed's price as it is now (refund it).
   * `held-by-another`: active, but another buyer's checkout hold lasts at `soldAt` (a payment on a
   * checkout its buyer cancelled, or whose hold ran out, after someone else took the leed on hold;
   * refund it).
   */
  | { ok: false; reason: 'duplicate-payment' | SaleRefusal; leed?: Leed };

/** Why a payment is not a sale, and goes back to its payer (every refusal but a payment delivered again). */
export type SaleRefusal = 'not-found' | 'not-active' | 'already-sold' | 'wrong-amount' | 'held-by-another';

/** A payment refused as a sale, kept so that it stays refused (see {@link Store.refusePayment}). */
export interface PaymentRefusal {
  trade: string;
  id: string;
  paymentId: string;
  reason: SaleRefusal;
  /** When it was refused (ISO 8601). */
  at: string;
}

/** A sale to record: a paid webhook or a free claim. */
export interface Sale {
  trade: string;
  id: string;
  buyer: string;
  /** The provider's payment id ("free:<leed id>" for a free claim); a repeated one changes nothing. */
  paymentId: string;
  /** What was paid, in cents: it must be the leed's price when the sale is recorded (0 for a free claim). */
  amount: number;
  soldAt: string;
}

/** One subscriber of a trade, as the fan-out needs it. */
export interface Subscriber {
  username: string;
  email: string;
  zip: string | null;
  point: GeoPoint | null;
  radius: number;
}

/** Someone who was emailed about a leed (a new-leed alert), so that they hear of its changes too. */
export interface Recipient {
  username: string;
  email: string;
}

/** A user's private calendar feed: a secret URL, kept only as the SHA-256 of its token. */
export interface CalendarFeed {
  /** Hex SHA-256 of the feed's token (the token itself is shown once, to its owner, and never stored). */
  tokenHash: string;
  createdAt: string;
}

/** `open` until the operator dismisses it or takes the leed down. */
export type ReportStatus = 'open' | 'dismissed' | 'taken-down';

/** A report of a leed by a signed-in user, for the operator. */
export interface Report {
  /** `<leed id>:<reporter>`: one report per leed and reporter. */
  id: string;
  leedId: string;
  trade: string;
  reporter: string;
  reason: string;
  createdAt: string;
  status: ReportStatus;
  resolvedAt: string | null;
}

/** A report as the operator sees it (the console's Reports tab): with the leed it is about, as far as judging it needs. */
export interface ReportView extends Report {
  leed: { title: string; creator: string; status: string; when: string; zip: string; location: string; price: number; details: string | null } | null;
}

/** Counter changes applied by the bookkeeping controller, exactly once per `key`. */
export interface Bookkeeping {
  /** Trade `leedCount` deltas. */
  trades?: Record<string, number>;
  /** User counter deltas. */
  users?: Record<string, { posted?: number; bought?: number; sold?: number }>;
  /** Stats total deltas. */
  totals?: { posted?: number; sold?: number; users?: number };
  lastPosted?: StatsEvent;
  lastSold?: StatsEvent;
}

export interface StatsEvent {
  trade: string;
  price: number;
  zip: string;
  at: string;
}

export interface Stats {
  posted: number;
  sold: number;
  users: number;
  lastPosted: StatsEvent | null;
  lastSold: StatsEvent | null;
}

export interface LeedSearch {
  trades: string[];
  /** Start between `from` and `to`, inclusive. */
  from: string;
  to: string;
  /**
   * Of the leedz starting exactly at `from`, only those whose id sorts after this one: where a page
   * that ended with this leed goes on, however many leedz share its start.
   */
  after?: string;
  /** Only leedz whose end is at or after this instant: those not over then (`hasEnded`). */
  endsFrom?: string;
  /** Only leedz whose point lies in this box (a prefilter; the caller applies the exact radius). */
  box?: { minLat: number; maxLat: number; minLon: number; maxLon: number };
  limit: number;
}

/** A leed in a list: its public fields and its point (never shown; for the distance to a zip). */
export type LeedListing = LeedPreview & { point: GeoPoint };

export interface NewUser {
  username: string;
  email: string;
  createdAt: string;
}

/**
 * A new user's alert radius in miles, until they choose one (docs/marketplace.md, Entities): 50 is the
 * choice that covers a metro area, so a new subscriber in a suburb still hears of gigs in the city.
 */
export const NEW_USER_RADIUS_MILES: RadiusMiles = 50;

/**
 * The user a sign-up stores: no profile, no zip or subscriptions, {@link NEW_USER_RADIUS_MILES}, the
 * counters at 0 and the badges they earn (0 and 1). Both stores create exactly this.
 *
 * @example
 * newUserRecord({ username: 'pat', email: 'pat@example.com', createdAt }).radius; // → 50
 */
export function newUserRecord(newUser: NewUser): User {
  const counters = { posted: 0, bought: 0, sold: 0 };
  return {
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
}

/**
 * Everything the marketplace stores. Every method is atomic; the ones that take `outbox` commit
 * the change and its outbox messages together or not at all.
 *
 * Errors: {@link ConflictError} for a double booking, {@link NotFoundError}, {@link ForbiddenError}
 * and {@link StateError} for rule violations the store checks atomically. Anything else is a fault.
 */
/** A profile change as the store writes it: the validated fields, and the point the geocoder found for the zip. */
export type UserChanges = ProfileChanges & { point?: GeoPoint | null };

export interface Store {
  // trades
  listTrades(): Promise<Trade[]>;
  getTrade(name: string): Promise<Trade | undefined>;
  /** Add trades that do not exist yet (seed, admin). */
  addTrades(trades: { name: string; color?: string }[]): Promise<void>;

  // users
  getUser(username: string): Promise<User | undefined>;
  getUserByEmail(email: string): Promise<User | undefined>;
  /**
   * Create a user; the username or email already taken → {@link ConflictError}. Awards badges 0 and 1;
   * no zip, point or subscriptions, radius {@link NEW_USER_RADIUS_MILES}, counters at 0.
   */
  createUser(user: NewUser, outbox: OutboxMessage[]): Promise<User>;
  /**
   * Apply a validated profile change (subscriptions replace the old list, in the given order); the
   * point comes from the geocoder (`null` clears it, absent keeps it). No such user → {@link NotFoundError}.
   * A function is given the user as it is when the change is written, and again on every retry: a
   * change relative to the profile (an unsubscribe drops one trade) never writes back a list read
   * before a change that committed meanwhile.
   */
  updateUser(username: string, changes: UserChanges | ((current: User) => UserChanges)): Promise<User>;
  /** Subscribers of a trade, ordered by username, after `cursor` (a username), at most `limit`. */
  listSubscribers(trade: string, cursor: string | null, limit: number): Promise<Subscriber[]>;

  // leedz
  /**
   * Insert a leed unless a booked (active or sold) leed of the same trade and `placeKey` overlaps it in time
   * (`existing.start < new.end && existing.end > new.start`) → {@link ConflictError}.
   * The check and the insert are one atomic step.
   */
  insertLeed(leed: Leed, outbox: OutboxMessage[]): Promise<void>;
  getLeed(trade: string, id: string): Promise<Leed | undefined>;
  /** Active leedz of the given trades starting in [from, to], ordered by start, then id. */
  searchLeedz(query: LeedSearch): Promise<Leed[]>;
  /**
   * The same leedz as {@link searchLeedz}, in the same order, as their public fields and point: what
   * a search shows (and filters by distance), and cheaper to read than whole leedz.
   */
  searchLeedListings(query: LeedSearch): Promise<LeedListing[]>;
  /**
   * Optional: {@link searchLeedListings} without its point, as JSON text the database builds — what a
   * search without a zip answers, never turned into objects. A store without it is read as listings.
   */
  searchPreviewsJson?(query: LeedSearch): Promise<string>;
  /**
   * Optional: a value that changes whenever a leed of one of `trades` is written (in the write's own
   * transaction), so a search may keep its answer until then. A store without it is not cached.
   */
  searchVersion?(trades: readonly string[]): Promise<string>;
  /**
   * Change an active leed of `creator`; no such leed → {@link NotFoundError}, not theirs →
   * {@link ForbiddenError}, not active → {@link StateError}; a conflict with another leed after the
   * change → {@link ConflictError}. With `now`, a new price while a buyer's checkout hold lasts at
   * `now` → {@link HeldError}, decided with the write (a hold made meanwhile is seen). Resolves with
   * the leed as stored after the change.
   */
  updateLeed(trade: string, id: string, creator: string, changes: LeedChanges & Partial<Pick<Leed, 'point' | 'placeKey' | 'timeZone'>>, outbox: OutboxMessage[], now?: string): Promise<Leed>;
  /** Mark an active, unsold leed of `creator` deleted (same errors as updateLeed). */
  deleteLeed(trade: string, id: string, creator: string, outbox: OutboxMessage[]): Promise<Leed>;
  /**
   * Reserve an active leed for `buyer` until `until`: refused while another buyer's reservation
   * lasts (`now < reservedUntil`); the creator → `own-leed`. While the buyer's own reservation lasts,
   * it is given back as it is (`alreadyHeld`), never extended: checking out again and again must not
   * keep a leed from everyone else. Once it has run out, the buyer may reserve again like anyone.
   */
  reserveCheckout(trade: string, id: string, buyer: string, until: string, now: string): Promise<ReserveResult>;
  /**
   * The hold on an active leed that still lasts at `now` (`now < until`), or undefined: none, run
   * out, or the leed is not active (sold, deleted) or unknown.
   */
  getCheckoutHold(trade: string, id: string, now: string): Promise<CheckoutHold | undefined>;
  /**
   * Release `buyer`'s hold on a leed at once (a cancelled checkout), so that another buyer may start
   * one. Resolves true when `buyer` held it (even if it had run out); another buyer's hold, or none,
   * is left alone (false). Idempotent.
   */
  releaseCheckout(trade: string, id: string, buyer: string): Promise<boolean>;
  /**
   * Mark sold exactly once, on the condition that the leed is still active and has not ended at
   * `sale.soldAt` (else `not-active`), `sale.amount` is its
   * price, and no other buyer's hold lasts at `sale.soldAt` (`until > soldAt`, the hold's buyer not
   * `sale.buyer`), all checked in the same atomic step as the write: a price changed since checkout
   * never sells at the old one (`wrong-amount`), and a payment on a checkout its buyer cancelled never
   * takes the leed from the buyer who holds it now (`held-by-another`). The holder's own payment, or
   * one when no hold lasts, sells; the sale ends the hold.
   */
  recordSale(sale: Sale, outbox: OutboxMessage[]): Promise<SaleResult>;
  /**
   * Keep a payment's refusal before its money goes back: the same payment delivered again (providers
   * deliver webhooks at least once, hours later too) is then refused by {@link recordSale} for the
   * same reason, whatever the leed has become since (a hold ended, the price changed back), and
   * never sells a leed whose money was returned. `sold` when this very payment sold the leed
   * meanwhile (a delivery racing this one): nothing is kept, and the payment must not be refunded.
   * The two are exclusive: a payment is sold or refused, never both.
   */
  refusePayment(refusal: PaymentRefusal): Promise<'refused' | 'sold'>;
  /**
   * The operator takes an active leed down (whoever posted it): it is deleted as its creator would
   * delete it, with the outbox. No such leed → {@link NotFoundError}, not active → {@link StateError}.
   */
  takeDownLeed(trade: string, id: string, outbox: OutboxMessage[]): Promise<Leed>;

  // one user's leedz
  /** The leedz `creator` posted, deleted ones left out, latest start first, at most `limit`. */
  listPostedLeedz(creator: string, limit: number): Promise<Leed[]>;
  /** The leedz `buyer` bought, latest start first, at most `limit`. */
  listBoughtLeedz(buyer: string, limit: number): Promise<Leed[]>;

  // who was told about a leed
  /** Remember that these people were emailed about a leed. Idempotent: a repeated recipient is one. */
  addLeedRecipients(leedId: string, recipients: readonly Recipient[]): Promise<void>;
  /** The people emailed about a leed, ordered by username, after `cursor` (a username), at most `limit`. */
  listLeedRecipients(leedId: string, cursor: string | null, limit: number): Promise<Recipient[]>;

  // calendar feeds
  /** Give `username` a feed (replacing the one they had, whose URL stops working) or none (`null`: revoked). */
  setCalendarFeed(username: string, feed: CalendarFeed | null): Promise<void>;
  getCalendarFeed(username: string): Promise<CalendarFeed | undefined>;
  /** Whose feed has this token hash, or undefined (never issued, or replaced or revoked since). */
  findCalendarFeedOwner(tokenHash: string): Promise<string | undefined>;

  // reports
  /**
   * Keep a report, open, with its outbox, unless one with its id (the same reporter, the same leed)
   * exists: then nothing is written and it resolves false.
   */
  addReport(report: Omit<Report, 'status' | 'resolvedAt'>, outbox: OutboxMessage[]): Promise<boolean>;
  getReport(id: string): Promise<Report | undefined>;
  /** Open reports, or resolved ones (`closed`), newest first, at most `limit`. */
  listReports(which: 'open' | 'closed', limit: number): Promise<Report[]>;
  /**
   * Close an open report. No such report → {@link NotFoundError}; already resolved →
   * {@link StateError}. Resolves with the report as stored.
   */
  resolveReport(id: string, status: Exclude<ReportStatus, 'open'>, resolvedAt: string): Promise<Report>;

  // bookkeeping and stats
  /**
   * Apply counter changes exactly once per `key` (a redelivered event changes nothing), all in one
   * step. Returns whether it applied. A counter never goes below 0.
   */
  applyBookkeeping(key: string, changes: Bookkeeping): Promise<boolean>;
  /**
   * Active leedz whose gig ended before `through` (`hasEnded`) and that {@link markEndCounted} has not
   * marked, at most `limit`. `since`: only those that ended at or after it. Without it the SQLite
   * store finds every one; the DynamoDB store, which finds them by start in its search index, looks
   * back a week (TABLE-DESIGN.md).
   */
  endedLeedz(through: string, limit: number, since?: string): Promise<{ trade: string; id: string }[]>;
  /** Mark an ended leed as off its trade's count: {@link endedLeedz} finds it no more. A leed no longer active is left as it is. */
  markEndCounted(trade: string, id: string): Promise<void>;
  /** Set a user's badges (computed by the domain from their counters). No such user → {@link NotFoundError}. */
  setBadges(username: string, badges: number[]): Promise<void>;
  getStats(): Promise<Stats>;

  // rate limits
  /**
   * Count one request under `key` in the fixed window of `windowMs` that holds `now` (or `weight` of
   * them: a request that costs more), and return how many that window holds, this one included. Atomic
   * (concurrent requests each get their own count), and kept like the rest of the store: a restart
   * does not reset it.
   */
  countRequest(key: string, windowMs: number, now: string, weight?: number): Promise<number>;

  // the outbox
  /** Messages not yet handed to the relay, oldest first. */
  pendingOutbox(limit: number): Promise<StoredOutboxMessage[]>;
  /** The relay invoked these; they are done. */
  markOutboxDispatched(ids: string[]): Promise<void>;

  // bulk mail: who must not get it, and the secret of its unsubscribe links
  /**
   * Put addresses on the suppression list: bulk mail (new-leed alerts, leed news) never goes to them
   * again. Addresses are compared without regard to case; one listed already keeps its first entry.
   * Idempotent (a redelivered bounce changes nothing).
   */
  suppressEmails(entries: readonly Suppression[]): Promise<void>;
  /** Which of `emails` (each as given) are on the suppression list. */
  suppressedAmong(emails: readonly string[]): Promise<Set<string>>;
  /** An address's entry on the suppression list, or undefined. */
  getSuppression(email: string): Promise<Suppression | undefined>;
  /** Which of `usernames` subscribe to `trade` now (those who unsubscribed since hear no more of its leedz). */
  subscribedAmong(trade: string, usernames: readonly string[]): Promise<Set<string>>;
  /**
   * The secret that signs one-click unsubscribe links: 32 random bytes (base64url), made on the first
   * call and the same for every call after it, whichever caller was first.
   */
  unsubscribeSecret(): Promise<string>;
}

/** Why an address gets no more bulk mail: its mail server refused it for good, or its owner marked our mail as spam. */
export type SuppressionReason = 'bounce' | 'complaint';

/** An address on the suppression list. */
export interface Suppression {
  email: string;
  reason: SuppressionReason;
  at: string;
  /** What the mail provider said (a bounce's diagnostic, a complaint's feedback type), for the operator. */
  detail?: string;
}

// ── Mailer ────────────────────────────────────────────────────────────────────

export interface Email {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** What kind of email, for the outbox listing ("new-leed", "receipt", "magic-link", …). */
  kind: string;
  /** `(leed, recipient, kind)` and the like: the same key is sent at most once by idempotent callers. */
  key: string;
  /**
   * Header fields of this email beyond the ones every email has (name → value, printable ASCII, no
   * line breaks): a bulk email's one-click unsubscribe (RFC 8058), `List-Unsubscribe` and
   * `List-Unsubscribe-Post`. A mailer refuses a header it cannot send as given, naming it.
   */
  headers?: Readonly<Record<string, string>>;
}

/**
 * The `code` of the `NonRetriableError` a Mailer rejects with when the recipient's mail server refused
 * the address for good while it was being sent (a hard bounce at send time, such as SMTP's 550 to
 * `RCPT TO`): bulk mail stops going there. Refusals reported later (SES's bounce events) reach the
 * store's suppression list another way.
 */
export const RECIPIENT_REFUSED = 'RECIPIENT_REFUSED';

/**
 * Sends email. Emails that share their content (a batch of alerts) are best built from one rendered
 * content object, so that a mailer can encode it once and change only the recipient.
 */
export interface Mailer {
  /** Send (or store) one email; resolves with the provider's message id. */
  send(email: Email): Promise<{ messageId: string }>;
  /**
   * Optional, for a mailer that first keeps every email in a local database (the outbox): store these
   * emails, synchronously — in the caller's transaction when it has one open on the same database, so
   * a batch's idempotency claims and its emails are one commit — and idempotently by `key` (an email
   * whose key is stored already is left as it is). `send(email)` is then `record([email])` and
   * `deliver(email)`.
   */
  record?(emails: readonly Email[]): void;
  /** With `record`: hand one recorded email on (by SMTP); absent when recording is all there is. */
  deliver?(email: Email): Promise<{ messageId: string }>;
}

// ── Geocoder ──────────────────────────────────────────────────────────────────

export interface Place {
  point: GeoPoint;
  zip: string;
  /** What "the same place" means for conflicts (docs/marketplace.md, Conflicts). */
  placeKey: string;
  timeZone: string;
}

export interface Geocoder {
  /** A US street address ending with its zip → a place, or undefined when it cannot be found. */
  geocode(address: string): Promise<Place | undefined>;
  /** The centre of a 5-digit zip (a user's home), or undefined. */
  zipPoint(zip: string): Promise<GeoPoint | undefined>;
}

// ── Identity ──────────────────────────────────────────────────────────────────

/** Who is calling, from a verified token. */
export interface Caller {
  email: string;
  /** Undefined until the user exists (first login creates it). */
  username?: string;
}

export interface Identity {
  /** A single-use magic-link token for `email`, valid 15 minutes. */
  issueLoginToken(email: string): Promise<string>;
  /** Redeem a magic-link token once → the email it was issued for, or undefined (unknown, used, expired). */
  redeemLoginToken(token: string): Promise<string | undefined>;
  /** A session token (JWT) for a signed-in user. */
  issueSession(caller: Caller): Promise<string>;
  /** Verify a session token → the caller, or undefined when it is missing, forged or expired. */
  verifySession(token: string | undefined): Promise<Caller | undefined>;
}

// ── Payments ──────────────────────────────────────────────────────────────────

export interface CheckoutRequest {
  leedId: string;
  trade: string;
  title: string;
  buyer: string;
  seller: string;
  amount: number;
  /** Platform fee in cents (9%). */
  fee: number;
  /** Where the provider sends the buyer after paying. */
  returnUrl: string;
}

/** A payment the provider reports through its webhook, after the signature is verified. */
export interface PaymentEvent {
  paymentId: string;
  leedId: string;
  trade: string;
  buyer: string;
  amount: number;
}

/** What {@link Payments.verifyWebhook} answers for a genuine webhook that reports nothing to act on. */
export const IGNORED_WEBHOOK = 'ignored';

export interface Payments {
  /** Start a checkout; resolves with the URL the buyer pays at. */
  createCheckout(request: CheckoutRequest): Promise<{ checkoutUrl: string }>;
  /**
   * Verify a webhook's signature over the raw body and parse it. Unsigned or wrongly signed →
   * undefined (the caller answers 401 and changes nothing). Signed but nothing to act on (another
   * event type, a payment not completed, a payment that is not for a leed) → {@link IGNORED_WEBHOOK}:
   * the caller acknowledges it with a 2xx, or the provider would deliver it again and again.
   */
  verifyWebhook(headers: Record<string, string | undefined>, rawBody: string, url: string): Promise<PaymentEvent | typeof IGNORED_WEBHOOK | undefined>;
  /** Refund a payment (a second payment for a leed already sold, or one of the wrong amount). */
  refund(paymentId: string, amount: number): Promise<void>;
}

// ── errors the ports raise (src/leedz/port-errors.ts) ──────────────────────────────

export { ConflictError, ForbiddenError, HeldError, MarketplaceError, NotFoundError, StateError, type MarketplaceErrorCode } from './port-errors.js';
