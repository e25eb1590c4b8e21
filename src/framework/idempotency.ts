/**
 * At-most-once side effects for at-least-once delivery. Lambda (and the local runtime) may deliver an
 * Event invocation more than once, so a controller keys each side effect ("one email per
 * `(leed, recipient, kind)`") and runs it through {@link Idempotency.once}: a repeated delivery gets the
 * stored result instead of doing the work again.
 *
 * Built on AWS Lambda Powertools' idempotency utility, a deliberate exception to "framework imports only
 * Node built-ins and a schema library": its record lifecycle and persistence contract are what we want.
 *
 * How Powertools is used, and why:
 * - The caller's key (with the scope) is the payload Powertools hashes; the stored record id is
 *   `once#<sha256 of {scope, key}>`. The key prefix is fixed because Powertools keeps the prefix on the
 *   (shared, mutable) persistence layer: a per-scope prefix would let one helper's completion be written
 *   under another helper's prefix when both share a store and run concurrently.
 * - A fresh `IdempotencyConfig` per call carries that call's context, because `registerLambdaContext`
 *   mutates a config that concurrent calls would otherwise share.
 * - Powertools reads two environment variables: `AWS_LAMBDA_FUNCTION_NAME` (a default key prefix, which
 *   the fixed prefix overrides) and `POWERTOOLS_IDEMPOTENCY_DISABLED` (which would make every call run its
 *   effect, so {@link createIdempotency} refuses to start when it is set).
 */
import { IdempotencyAlreadyInProgressError, IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { InvocationContext } from './context.js';
import { RetryAfterError } from './errors.js';

/** Runs keyed side effects at most once while their record lives. */
export interface Idempotency {
  /**
   * Run `effect` at most once per `(scope, key)` while its record lives (`expiresAfterSeconds`).
   *
   * - First call: records the key as in progress, runs `effect`, stores its result, returns it.
   * - Later calls with the same key: return the stored result without running `effect`.
   * - A call while another attempt holds the key: rejects with a {@link RetryAfterError} whose delay is
   *   the time left on that attempt's lease, so the runtime retries the event later.
   * - If `effect` throws, the record is deleted and the error is rethrown, so a retry runs it again.
   *
   * The lease of an attempt ends when its invocation times out (`ctx.getRemainingTimeInMillis()`), so a
   * key held by a crashed attempt unblocks once that attempt's timeout has passed. Without a context, a
   * crashed attempt holds the key until the record expires.
   *
   * The result is stored as JSON: it must be JSON-serialisable, and every caller (the first one too)
   * receives its JSON round trip (a `Date` comes back as a string, `undefined` fields disappear). A result
   * that cannot be serialised (a `BigInt`, a cycle) rejects with a `TypeError` after the effect ran, and
   * the key is released like after any failure. A failing store rejects with Powertools' own error (an
   * ordinary function error, which the runtime retries).
   *
   * @example
   * await idempotency.once(ctx, `welcome-email:${userId}`, () => mailer.send(welcome(userId)));
   */
  once<T>(ctx: InvocationContext | undefined, key: string, effect: () => Promise<T>): Promise<T>;
}

export interface CreateIdempotencyOptions {
  /** Where records live: the SQLite store locally, Powertools' `DynamoDBPersistenceLayer` on AWS. */
  persistenceStore: BasePersistenceLayer;
  /** How long a completed key is remembered; 3600 (Powertools' default) when omitted. */
  expiresAfterSeconds?: number;
  /** Namespace for keys, so two controllers may use the same key for different effects. */
  scope?: string;
}

// Constant on purpose: see the module comment on the shared, mutable key prefix.
const KEY_PREFIX = 'once';
const DEFAULT_EXPIRES_AFTER_SECONDS = 3600;
const LEASE_MARGIN_MS = 250;

/**
 * A persistence layer takes its settings from the first config it sees and ignores later ones (with a
 * one-time console warning), so a second helper asking for a different expiry on the same store would
 * silently get the first one. We remember what each store was given and refuse a mismatch instead.
 */
const expiryByStore = new WeakMap<BasePersistenceLayer, number>();

type LambdaContextOption = ConstructorParameters<typeof IdempotencyConfig>[0]['lambdaContext'];

/**
 * Create an idempotency helper over a Powertools persistence layer.
 *
 * @example
 * const idempotency = createIdempotency({ persistenceStore: new SqliteIdempotencyStore(db), scope: 'emailHelper' });
 * await idempotency.once(ctx, `${leedId}:${recipient}:new-leed`, () => mailer.send(message));
 */
export function createIdempotency(options: CreateIdempotencyOptions): Idempotency {
  const { persistenceStore } = options;
  const expiresAfterSeconds = options.expiresAfterSeconds ?? DEFAULT_EXPIRES_AFTER_SECONDS;
  const scope = options.scope ?? '';
  if (!(Number.isFinite(expiresAfterSeconds) && expiresAfterSeconds > 0)) {
    throw new RangeError(`createIdempotency: expiresAfterSeconds must be a positive number, got ${expiresAfterSeconds}`);
  }
  const makeConfig = (lambdaContext: LambdaContextOption) =>
    new IdempotencyConfig({ expiresAfterSeconds, hashFunction: 'sha256', lambdaContext });
  // With the utility disabled, makeIdempotent returns the function unchanged and every delivery would
  // repeat its side effects; fail loudly at startup instead.
  if (!makeConfig(undefined).isEnabled()) {
    throw new Error('createIdempotency: POWERTOOLS_IDEMPOTENCY_DISABLED is set; keyed side effects would run on every delivery');
  }
  const known = expiryByStore.get(persistenceStore);
  if (known !== undefined && known !== expiresAfterSeconds) {
    throw new Error(
      `createIdempotency: this persistence store already serves expiresAfterSeconds=${known}; ` +
        `use another store instance for expiresAfterSeconds=${expiresAfterSeconds}`,
    );
  }
  expiryByStore.set(persistenceStore, expiresAfterSeconds);

  return {
    async once<T>(ctx: InvocationContext | undefined, key: string, effect: () => Promise<T>): Promise<T> {
      if (typeof key !== 'string' || key === '') {
        throw new TypeError('idempotency.once: key must be a non-empty string');
      }
      const data = { scope, key };
      // Powertools only calls getRemainingTimeInMillis() on the context. It treats 0 as "no context"
      // (the key would then be held until the record expires), so a late attempt still gets 1 ms.
      const lease = {
        getRemainingTimeInMillis: () => (ctx ? Math.max(1, ctx.getRemainingTimeInMillis()) : expiresAfterSeconds * 1000),
      } as LambdaContextOption;
      const run = makeIdempotent(async (_data: typeof data) => toJsonValue(await effect()), {
        persistenceStore,
        config: makeConfig(lease),
        keyPrefix: KEY_PREFIX,
      });
      try {
        return await run(data);
      } catch (error) {
        if (!(error instanceof IdempotencyAlreadyInProgressError)) throw error;
        throw new RetryAfterError(
          `idempotency key "${key}"${scope ? ` (scope "${scope}")` : ''} is held by another attempt`,
          await remainingLeaseMs(persistenceStore, data),
          error,
        );
      }
    },
  };
}

/**
 * How long the attempt holding a key may still run. Powertools' in-progress error does not carry the
 * record, so we read it; if it is gone, that attempt has just ended and a retry may come at once.
 */
async function remainingLeaseMs(store: BasePersistenceLayer, data: { scope: string; key: string }): Promise<number> {
  try {
    const record = await store.getRecord(data);
    const leaseEnd = record.inProgressExpiryTimestamp ?? (record.expiryTimestamp ?? 0) * 1000;
    // A little past the end: the store takes a key over only once its lease is strictly in the past,
    // and a retry that arrives exactly on time would be refused again (and spend an attempt).
    return Math.max(0, leaseEnd - Date.now()) + LEASE_MARGIN_MS;
  } catch {
    return 0;
  }
}

/** The value replays will see, given to the first caller too, so every caller gets the same result. */
function toJsonValue<T>(value: T): T {
  if (value === undefined) return value;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(`idempotency.once: the effect's result is not JSON-serialisable (${String(error)})`, { cause: error });
  }
  // JSON.stringify returns undefined for a function or a symbol; store nothing, as for undefined.
  return (json === undefined ? undefined : JSON.parse(json)) as T;
}
