import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSqliteIdempotencyStore } from '../../src/adapters/idempotency/sqlite-idempotency-store.js';
import { createInvocationContext, type InvocationContext } from '../../src/framework/context.js';
import { NonRetriableError, RetryAfterError } from '../../src/framework/errors.js';
import { createIdempotency, type IdempotencyStore } from '../../src/framework/idempotency.js';
import { tempDir } from '../helpers/temp-dir.js';

/** An invocation's context: its request id holds the keys it claims, its timeout ends their lease. */
function invocation(requestId: string, timeoutMs = 60_000): InvocationContext {
  return createInvocationContext({
    functionName: 'emailHelper',
    requestId,
    timeoutMs,
    meta: {},
    transport: { invoke: async () => ({ statusCode: 202 }) },
  });
}

/** A promise the test settles by hand, to hold an effect "in progress". */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('idempotency.once over the SQLite store', () => {
  let dir: ReturnType<typeof tempDir>;
  const open: Database.Database[] = [];

  function openStore(): IdempotencyStore {
    const db = new Database(join(dir.path, 'idempotency.db'));
    open.push(db);
    return createSqliteIdempotencyStore(db);
  }

  beforeEach(() => {
    dir = tempDir('leedz-idempotency-');
  });

  afterEach(() => {
    vi.useRealTimers();
    for (const db of open.splice(0)) db.close();
    dir.cleanup();
  });

  it('runs the effect once for a repeated key and returns the stored result to the repeat', async () => {
    const idempotency = createIdempotency({ store: openStore() });
    const effect = vi.fn(async () => ({ sent: 'msg-1', at: new Date(0) }));

    const first = await idempotency.once(invocation('r-1'), 'welcome:user-1', effect);
    const second = await idempotency.once(invocation('r-2'), 'welcome:user-1', effect);

    expect(effect).toHaveBeenCalledTimes(1);
    // Both callers see the JSON round trip of the result (the Date becomes its ISO string).
    expect(first).toEqual({ sent: 'msg-1', at: '1970-01-01T00:00:00.000Z' });
    expect(second).toEqual(first);
  });

  it('runs the effect for each different key, and keeps the same key in two scopes apart', async () => {
    const store = openStore();
    const emails = createIdempotency({ store, scope: 'emailHelper' });
    const stats = createIdempotency({ store, scope: 'bookkeeping' });
    const effect = vi.fn(async () => 'done');

    await emails.once(undefined, 'receipt:leed-1', effect);
    await emails.once(undefined, 'receipt:leed-2', effect);
    expect(effect).toHaveBeenCalledTimes(2);
    expect(await emails.once(undefined, 'leed-1', async () => 'email')).toBe('email');
    expect(await stats.once(undefined, 'leed-1', async () => 'stats')).toBe('stats');
  });

  it('lets a failed effect be retried, then runs it no more once it has succeeded', async () => {
    const idempotency = createIdempotency({ store: openStore() });
    const failure = new Error('SMTP down');
    const effect = vi.fn<() => Promise<string>>().mockRejectedValueOnce(failure).mockResolvedValue('sent');

    await expect(idempotency.once(invocation('r-1'), 'k', effect)).rejects.toBe(failure);
    expect(await idempotency.once(invocation('r-1'), 'k', effect)).toBe('sent');
    expect(await idempotency.once(invocation('r-2'), 'k', effect)).toBe('sent');
    expect(effect).toHaveBeenCalledTimes(2);
  });

  it('runs one of two concurrent invocations on a key and asks the other to come back after the first one’s lease', async () => {
    const idempotency = createIdempotency({ store: openStore() });
    const gate = deferred<string>();
    const effect = vi.fn(() => gate.promise);

    const first = idempotency.once(invocation('r-1', 30_000), 'k', effect);
    const rejection = await idempotency.once(invocation('r-2', 30_000), 'k', effect).catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(RetryAfterError);
    expect((rejection as RetryAfterError).retryAfterMs).toBeGreaterThan(25_000);
    expect((rejection as RetryAfterError).retryAfterMs).toBeLessThanOrEqual(30_250);
    gate.resolve('sent');
    expect(await first).toBe('sent');
    expect(effect).toHaveBeenCalledTimes(1);
  });

  it('a retry of the same invocation takes over the key its crashed attempt left in progress, at once', async () => {
    // The crashed attempt took the key with 30 s left and never completes (its process died).
    const crashed = createIdempotency({ store: openStore() });
    void crashed.once(invocation('r-1', 30_000), 'k', () => new Promise<never>(() => {}));
    await vi.waitFor(() => expect(count(dir.path)).toBe(1));
    // The redelivery has the same request id (Lambda keeps it across retries; so does the local runtime).
    const retry = createIdempotency({ store: openStore() });
    const effect = vi.fn(async () => 'sent');
    expect(await retry.once(invocation('r-1', 30_000), 'k', effect)).toBe('sent');
    expect(effect).toHaveBeenCalledTimes(1);
  });

  it('another invocation waits for a key left in progress by a crashed attempt until that attempt’s timeout has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const crashed = createIdempotency({ store: openStore() });
    const survivor = createIdempotency({ store: openStore() });
    void crashed.once(invocation('r-1', 5_000), 'k', () => new Promise<never>(() => {}));
    await vi.waitFor(() => expect(count(dir.path)).toBe(1));
    const effect = vi.fn(async () => 'sent');

    vi.advanceTimersByTime(4_000);
    const blocked = await survivor.once(invocation('r-2'), 'k', effect).catch((error: unknown) => error);
    expect(blocked).toBeInstanceOf(RetryAfterError);
    expect((blocked as RetryAfterError).retryAfterMs).toBeLessThanOrEqual(1_250);

    vi.advanceTimersByTime(1_001);
    expect(await survivor.once(invocation('r-2'), 'k', effect)).toBe('sent');
    expect(effect).toHaveBeenCalledTimes(1);
  });

  it('runs the effect again once the completed record has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const idempotency = createIdempotency({ store: openStore(), expiresAfterSeconds: 60 });
    const effect = vi.fn(async () => 'sent');

    await idempotency.once(undefined, 'k', effect);
    vi.advanceTimersByTime(59_000);
    await idempotency.once(undefined, 'k', effect);
    expect(effect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(2_000);
    await idempotency.once(undefined, 'k', effect);
    expect(effect).toHaveBeenCalledTimes(2);
  });

  it('a result that is not JSON releases the key, so a retry can run the effect', async () => {
    const idempotency = createIdempotency({ store: openStore() });
    await expect(idempotency.once(invocation('r-1'), 'k', async () => 10n)).rejects.toThrow(TypeError);
    expect(await idempotency.once(invocation('r-2'), 'k', async () => 'ok')).toBe('ok');
  });

  it('onceEach claims a batch in one go: it runs the free keys, skips the done ones, and asks to come back for the held ones', async () => {
    const idempotency = createIdempotency({ store: openStore() });
    const done = vi.fn(async () => 'sent');
    await idempotency.once(invocation('r-0'), 'mail:b', done);
    const gate = deferred<string>();
    const holding = idempotency.once(invocation('r-0'), 'mail:c', () => gate.promise);

    const sent: string[] = [];
    const result = await idempotency
      .onceEach(invocation('r-1'), ['a', 'b', 'c', 'd'], (to) => `mail:${to}`, async (to) => sent.push(to))
      .catch((error: unknown) => error);
    expect(sent.sort()).toEqual(['a', 'd']);
    expect(result).toBeInstanceOf(RetryAfterError);
    expect((result as Error).message).toContain('"mail:c"');

    gate.resolve('sent');
    await holding;
    await idempotency.onceEach(invocation('r-1'), ['a', 'b', 'c', 'd'], (to) => `mail:${to}`, async (to) => sent.push(to));
    expect(sent.sort()).toEqual(['a', 'd']);
  });

  it('onceEach stops at the first failure and leaves every unfinished key free for the retry', async () => {
    const idempotency = createIdempotency({ store: openStore() });
    const sent: string[] = [];
    const failing = async (to: string) => {
      if (to === 'b') throw new Error('SMTP down');
      sent.push(to);
    };
    await expect(idempotency.onceEach(invocation('r-1'), ['a', 'b', 'c', 'd'], (to) => `mail:${to}`, failing, 1)).rejects.toThrow('SMTP down');
    expect(sent).toEqual(['a']);
    await idempotency.onceEach(invocation('r-1'), ['a', 'b', 'c', 'd'], (to) => `mail:${to}`, async (to) => sent.push(to), 1);
    expect(sent).toEqual(['a', 'b', 'c', 'd']);
  });

  it('onceEach: a failure for good is one item’s — the others run, and it is thrown at the end; a retriable one wins over it', async () => {
    const idempotency = createIdempotency({ store: openStore() });
    const sent: string[] = [];
    const refusing = async (to: string) => {
      if (to === 'a') throw new NonRetriableError('refused for good', { code: 'RECIPIENT_REFUSED' });
      sent.push(to);
    };
    await expect(idempotency.onceEach(invocation('r-1'), ['a', 'b', 'c'], (to) => `mail:${to}`, refusing, 1)).rejects.toBeInstanceOf(NonRetriableError);
    expect(sent).toEqual(['b', 'c']);

    const throttling = async (to: string) => {
      if (to === 'x') throw new NonRetriableError('refused for good');
      if (to === 'y') throw new RetryAfterError('throttled', 1_000);
    };
    await expect(idempotency.onceEach(invocation('r-2'), ['x', 'y'], (to) => `mail:${to}`, throttling, 1)).rejects.toBeInstanceOf(RetryAfterError);
  });

  it('onceEach with `record` and no effect: the claimed items are recorded and their keys done in one write, exactly once', async () => {
    const db = new Database(join(dir.path, 'idempotency.db'));
    open.push(db);
    db.exec('CREATE TABLE outbox (key TEXT PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO outbox VALUES (?) ON CONFLICT DO NOTHING');
    const idempotency = createIdempotency({ store: createSqliteIdempotencyStore(db) });
    const recorded: string[][] = [];
    const record = (items: readonly string[]) => {
      recorded.push([...items]);
      for (const item of items) insert.run(item);
    };

    expect(await idempotency.onceEach(invocation('r-1'), ['a', 'b'], (to) => `mail:${to}`, undefined, { record })).toEqual({ ran: 2, done: 0 });
    expect(await idempotency.onceEach(invocation('r-2'), ['a', 'b', 'c'], (to) => `mail:${to}`, undefined, { record })).toEqual({ ran: 1, done: 2 });

    expect(recorded).toEqual([['a', 'b'], ['c']]);
    expect(db.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE status = 'COMPLETED'").get()).toEqual({ n: 3 });
    await expect(idempotency.onceEach(invocation('r-3'), ['d'], (to) => to, undefined)).rejects.toThrow(/give an effect, a record, or both/);
  });
});

function count(dirPath: string): number {
  const db = new Database(join(dirPath, 'idempotency.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM idempotency_keys').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
