/**
 * At-most-once side effects for at-least-once delivery. Lambda (and the local runtime) may deliver an
 * Event invocation more than once, so a controller keys each side effect ("one email per
 * `(leed, recipient, kind)`") and runs it through {@link Idempotency.once}: a repeated delivery gets the
 * stored result instead of doing the work again.
 *
 * A key is claimed with a *lease* that names its holder, the invocation's request id, and lasts until
 * that invocation's deadline. Request ids are what make a crash cheap: a retry of an event — after an
 * error, a timeout, or a crash of the process that ran it — keeps its request id on AWS and locally, and
 * never runs while its earlier attempt does, so a lease held by the same request id belongs to an
 * attempt that is over (AWS says retries keep the id, not what id the rare copy of its eventually
 * consistent queue carries: docs/lambda-parity.md, At-least-once), and the new attempt takes the key
 * at once instead of waiting for the dead lease (and spending an attempt on it). A lease held by *another* invocation is waited for — within
 * this invocation, through a {@link RetryAfterError} — while it may still finish.
 *
 * This replaced AWS Lambda Powertools' idempotency utility, whose records cannot say who holds a key,
 * and which claims keys one at a time (a fan-out batch claims its keys in one write instead:
 * {@link Idempotency.onceEach}). The records keep Powertools' table layout on DynamoDB (`id`,
 * `expiration` as the TTL attribute, `status`, `data`, `in_progress_expiration`), plus `holder`.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { InvocationContext } from './context.js';
import { isRetriable, RetryAfterError } from './errors.js';

/** What a claim found: the key is now ours, or it was done already, or someone else holds it. */
export type ClaimResult =
  | { state: 'claimed' }
  | { state: 'completed'; result: string | undefined }
  | { state: 'held'; holder: string; leaseUntil: number };

export interface ClaimRequest {
  /** The hashed key ({@link Idempotency} hashes scope and key). */
  id: string;
  holder: string;
  /** Epoch ms: after this, another holder may take an unfinished claim. */
  leaseUntil: number;
  /** Epoch ms: after this, the record is forgotten and the key may run again. */
  expiresAt: number;
}

/**
 * Where idempotency records live: SQLite locally, DynamoDB on AWS. Contract (one suite runs on both
 * adapters: `test/contracts/idempotency-store.ts`):
 *
 * - `claim` takes a key when it is absent, expired, or in progress with its lease in the past or held
 *   by the same holder; otherwise it reports the record as it is (completed with its result, or held).
 *   Taking is atomic: of two concurrent claims of a free key, one gets `claimed`.
 * - `claimMany` does the same for several keys in one write where the store can (one SQLite
 *   transaction; on DynamoDB, one conditional write per key), in the order given. With `options.within`
 *   it also runs that (synchronous) function in the same transaction (SQLite) or right after the
 *   claims (DynamoDB), with the claim results; with `options.completeAt` the claimed keys are completed
 *   (no result) in that same write. When `within` throws, no claim of that call is left behind.
 * - `complete` stores the result of a key this holder claimed; `release` frees it (the effect failed).
 *   Both do nothing when another holder has taken the key since.
 */
export interface IdempotencyStore {
  claim(request: ClaimRequest, now: number): Promise<ClaimResult>;
  claimMany(requests: readonly ClaimRequest[], now: number, options?: ClaimManyOptions): Promise<ClaimResult[]>;
  complete(id: string, holder: string, result: string | undefined, expiresAt: number): Promise<void>;
  release(id: string, holder: string): Promise<void>;
}

/** What else a {@link IdempotencyStore.claimMany} does in the write that claims the keys. */
export interface ClaimManyOptions {
  /**
   * Called with the claim results (in the order of the requests) inside the claims' transaction where
   * the store has one — SQLite: whatever it writes to the same database commits with the claims, in one
   * commit — and right after the claims otherwise. Synchronous, as a SQLite transaction is.
   */
  within?(results: readonly ClaimResult[]): void;
  /** Complete the keys this call claimed (no result), expiring at this epoch ms: their effect was `within`. */
  completeAt?: number;
}

/** How {@link Idempotency.onceEach} runs a batch. */
export interface OnceEachOptions<I> {
  /** Effects in flight at once (default 8). */
  concurrency?: number;
  /**
   * Record the items this call claimed, in the claims' own transaction where the store has one (see
   * {@link ClaimManyOptions.within}): one commit for a whole batch's keys and, say, its outbox rows. It
   * must be idempotent by key (after a crash, a retry records again what it had claimed) and
   * synchronous. Without an effect, recording is the whole work: the keys complete in that same write.
   */
  record?(claimed: readonly I[]): void;
}

/** Runs keyed side effects at most once while their record lives. */
export interface Idempotency {
  /**
   * Run `effect` at most once per `(scope, key)` while its record lives (`expiresAfterSeconds`).
   *
   * - First call: claims the key, runs `effect`, stores its result, returns it.
   * - Later calls with the same key: return the stored result without running `effect`.
   * - A call while another invocation holds the key: rejects with a {@link RetryAfterError} for the time
   *   left on that lease, so the handler runs again once it is over (within this invocation when it
   *   fits, else on the platform's retry). A key held by an earlier attempt of *this* invocation (same
   *   request id) is taken over at once: that attempt is over.
   * - If `effect` throws, the key is released and the error rethrown, so a retry runs it again.
   *
   * The result is stored as JSON, and every caller (the first one too) receives its JSON round trip (a
   * `Date` comes back as a string, `undefined` fields disappear); a result that cannot be serialised
   * rejects with a `TypeError` after the effect ran, and the key is released.
   *
   * @example
   * await idempotency.once(ctx, `welcome-email:${userId}`, () => mailer.send(welcome(userId)));
   */
  once<T>(ctx: InvocationContext | undefined, key: string, effect: () => Promise<T>): Promise<T>;
  /**
   * {@link once} for many keys, claimed in one write: `effect` runs (with up to `concurrency` at a time)
   * for each item whose key was free, and nothing runs for keys done already (`options.record`, when
   * given, records the claimed items in that same write first; see {@link OnceEachOptions}).
   *
   * Failures: an item whose effect fails is released (a retry runs it again). A retriable failure stops
   * the batch from starting more effects (their claims are released too) and is thrown once those in
   * flight are done — of several, a {@link RetryAfterError} with the longest delay, so a retry does not
   * come back before the slowest cause is over. A non-retriable failure is one item's: the others still
   * run, and the first such failure is thrown at the end when nothing retriable happened. A key held by
   * another live invocation makes the call reject with a {@link RetryAfterError} once the free items are
   * done. Resolves with how many items this call ran (or recorded) and how many were done already.
   *
   * @example
   * await idempotency.onceEach(ctx, recipients, (r) => `new-leed:${leedId}:${r.username}`, (r) => mailer.send(emailFor(r)), { concurrency: 8 });
   */
  onceEach<I>(
    ctx: InvocationContext | undefined,
    items: readonly I[],
    keyOf: (item: I) => string,
    effect: ((item: I) => Promise<unknown>) | undefined,
    options?: number | OnceEachOptions<I>,
  ): Promise<{ ran: number; done: number }>;
}

export interface CreateIdempotencyOptions {
  store: IdempotencyStore;
  /** How long a completed key is remembered; 3600 (an hour) when omitted. */
  expiresAfterSeconds?: number;
  /** Namespace for keys, so two controllers may use the same key for different effects. */
  scope?: string;
  /** The clock in epoch ms (tests). */
  now?: () => number;
}

const DEFAULT_EXPIRES_AFTER_SECONDS = 3600;
/** A retry that arrives exactly at a lease's end would find it still held: come back a little after. */
const LEASE_MARGIN_MS = 250;

/**
 * Create an idempotency helper over a store.
 *
 * @example
 * const idempotency = createIdempotency({ store: createSqliteIdempotencyStore(db), scope: 'leedz' });
 * await idempotency.once(ctx, `${leedId}:${recipient}:new-leed`, () => mailer.send(message));
 */
export function createIdempotency(options: CreateIdempotencyOptions): Idempotency {
  const { store } = options;
  const expiresAfterMs = (options.expiresAfterSeconds ?? DEFAULT_EXPIRES_AFTER_SECONDS) * 1000;
  const scope = options.scope ?? '';
  const now = options.now ?? Date.now;
  if (!(Number.isFinite(expiresAfterMs) && expiresAfterMs > 0)) {
    throw new RangeError(`createIdempotency: expiresAfterSeconds must be a positive number, got ${options.expiresAfterSeconds}`);
  }

  const request = (ctx: InvocationContext | undefined, key: string, holder: string, at: number): ClaimRequest => {
    if (typeof key !== 'string' || key === '') throw new TypeError('idempotency.once: key must be a non-empty string');
    // The lease ends with the invocation (its timeout); without a context, when the record would expire.
    const lease = ctx === undefined ? expiresAfterMs : Math.max(1, ctx.getRemainingTimeInMillis());
    return { id: recordId(scope, key), holder, leaseUntil: at + lease, expiresAt: at + expiresAfterMs };
  };

  const heldError = (key: string, held: { leaseUntil: number }, at: number) =>
    new RetryAfterError(
      `idempotency key "${key}"${scope ? ` (scope "${scope}")` : ''} is held by another invocation`,
      Math.max(0, held.leaseUntil - at) + LEASE_MARGIN_MS,
    );

  async function run<T>(id: string, holder: string, effect: () => Promise<T>): Promise<T> {
    let result: T;
    let json: string | undefined;
    try {
      result = await effect();
      json = toJson(result);
    } catch (error) {
      await store.release(id, holder);
      throw error;
    }
    await store.complete(id, holder, json, now() + expiresAfterMs);
    return (json === undefined ? undefined : JSON.parse(json)) as T;
  }

  return {
    async once<T>(ctx: InvocationContext | undefined, key: string, effect: () => Promise<T>): Promise<T> {
      const at = now();
      const holder = ctx?.awsRequestId ?? randomUUID();
      const claim = request(ctx, key, holder, at);
      const found = await store.claim(claim, at);
      if (found.state === 'completed') return (found.result === undefined ? undefined : JSON.parse(found.result)) as T;
      if (found.state === 'held') throw heldError(key, found, at);
      return run(claim.id, holder, effect);
    },

    async onceEach(ctx, items, keyOf, effect, options = {}) {
      const { concurrency = 8, record } = typeof options === 'number' ? { concurrency: options } : options;
      if (effect === undefined && record === undefined) throw new TypeError('idempotency.onceEach: give an effect, a record, or both');
      if (items.length === 0) return { ran: 0, done: 0 };
      const at = now();
      const holder = ctx?.awsRequestId ?? randomUUID();
      const claims = items.map((item) => request(ctx, keyOf(item), holder, at));
      const mineOf = (found: readonly ClaimResult[]) => items.flatMap((item, index) => (found[index]!.state === 'claimed' ? [{ item, id: claims[index]!.id }] : []));
      const found = await store.claimMany(
        claims,
        at,
        record === undefined
          ? undefined
          : {
              within: (results) => record(mineOf(results).map(({ item }) => item)),
              ...(effect === undefined ? { completeAt: at + expiresAfterMs } : {}),
            },
      );
      const mine = mineOf(found);
      const done = found.filter((result) => result.state === 'completed').length;
      if (effect !== undefined) await runEach(mine, holder, effect, concurrency, ctx?.signal);
      const held = found.flatMap((result, index) => (result.state === 'held' ? [{ result, key: keyOf(items[index]!) }] : []));
      if (held.length > 0) {
        const latest = held.reduce((a, b) => (a.result.leaseUntil >= b.result.leaseUntil ? a : b));
        throw heldError(latest.key, latest.result, now());
      }
      return { ran: mine.length, done };
    },
  };

  /** The effects of the keys this call claimed; see {@link Idempotency.onceEach} for what a failure does. */
  async function runEach<I>(mine: readonly { item: I; id: string }[], holder: string, effect: (item: I) => Promise<unknown>, concurrency: number, signal: AbortSignal | undefined): Promise<void> {
    let next = 0;
    let retriable: unknown;
    let permanent: { error: unknown } | undefined;
    const worker = async () => {
      while (next < mine.length) {
        const { item, id } = mine[next++]!;
        if (retriable !== undefined || signal?.aborted === true) {
          // Stop early, but leave no claim behind: a retry must be able to run these.
          await store.release(id, holder);
          continue;
        }
        try {
          await run(id, holder, () => effect(item));
        } catch (error) {
          if (isRetriable(error)) retriable = laterRetry(retriable, error);
          else permanent ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, mine.length)) }, worker));
    if (retriable !== undefined) throw retriable;
    if (permanent !== undefined) throw permanent.error;
  }
}

/**
 * Of two retriable failures, the one to throw: a {@link RetryAfterError} over any other (it says when),
 * and of two of those, the longer delay.
 */
export function laterRetry(current: unknown, next: unknown): unknown {
  if (current === undefined) return next;
  if (!(next instanceof RetryAfterError)) return current;
  if (!(current instanceof RetryAfterError)) return next;
  return next.retryAfterMs > current.retryAfterMs ? next : current;
}

/** The stored id of a key: hashed, so that keys made of addresses or names are not kept in the clear. */
function recordId(scope: string, key: string): string {
  return `once#${createHash('sha256').update(`${scope}\u0000${key}`).digest('hex')}`;
}

/** The result as stored (JSON), or undefined for an effect that returned nothing storable. */
function toJson(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`idempotency.once: the effect's result is not JSON-serialisable (${String(error)})`, { cause: error });
  }
}
