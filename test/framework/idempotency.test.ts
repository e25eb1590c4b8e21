import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createInvocationContext, type InvocationContext } from '../../src/framework/context.js';
import { RetryAfterError } from '../../src/framework/errors.js';
import { createIdempotency } from '../../src/framework/idempotency.js';
import { SqliteIdempotencyStore } from '../../src/runtime/sqlite-idempotency-store.js';
import { tempDir } from '../helpers/temp-dir.js';

function contextWithTimeout(timeoutMs: number): InvocationContext {
  return createInvocationContext({
    functionName: 'emailHelper',
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
  let dbPath: string;
  const open: Database.Database[] = [];

  function openStore(): SqliteIdempotencyStore {
    const db = new Database(dbPath);
    open.push(db);
    return new SqliteIdempotencyStore(db);
  }

  beforeEach(() => {
    dir = tempDir('leedz-idempotency-');
    dbPath = join(dir.path, 'idempotency.db');
  });

  afterEach(() => {
    vi.useRealTimers();
    for (const db of open.splice(0)) db.close();
    dir.cleanup();
  });

  it('runs the effect once for a repeated key and returns the stored result to the repeat', async () => {
    const idempotency = createIdempotency({ persistenceStore: openStore() });
    const effect = vi.fn(async () => ({ sent: 'msg-1', at: new Date(0) }));

    const first = await idempotency.once(contextWithTimeout(60_000), 'welcome:user-1', effect);
    const second = await idempotency.once(contextWithTimeout(60_000), 'welcome:user-1', effect);

    expect(effect).toHaveBeenCalledTimes(1);
    // Both callers see the JSON round trip of the result (the Date becomes its ISO string).
    expect(first).toEqual({ sent: 'msg-1', at: '1970-01-01T00:00:00.000Z' });
    expect(second).toEqual(first);
  });

  it('runs the effect for each different key', async () => {
    const idempotency = createIdempotency({ persistenceStore: openStore() });
    const effect = vi.fn(async () => 'done');

    await idempotency.once(undefined, 'receipt:leed-1', effect);
    await idempotency.once(undefined, 'receipt:leed-2', effect);

    expect(effect).toHaveBeenCalledTimes(2);
  });

  it('keeps the same key in two scopes apart', async () => {
    const store = openStore();
    const emails = createIdempotency({ persistenceStore: store, scope: 'emailHelper' });
    const stats = createIdempotency({ persistenceStore: store, scope: 'bookkeeping' });

    expect(await emails.once(undefined, 'leed-1', async () => 'email')).toBe('email');
    expect(await stats.once(undefined, 'leed-1', async () => 'stats')).toBe('stats');
  });

  it('lets a failed effect be retried, then runs it no more once it has succeeded', async () => {
    const idempotency = createIdempotency({ persistenceStore: openStore() });
    const failure = new Error('SMTP down');
    const effect = vi.fn<() => Promise<string>>().mockRejectedValueOnce(failure).mockResolvedValue('sent');

    await expect(idempotency.once(contextWithTimeout(60_000), 'k', effect)).rejects.toBe(failure);
    expect(await idempotency.once(contextWithTimeout(60_000), 'k', effect)).toBe('sent');
    expect(await idempotency.once(contextWithTimeout(60_000), 'k', effect)).toBe('sent');

    expect(effect).toHaveBeenCalledTimes(2);
  });

  it('runs one of two concurrent calls on a key and asks the other to retry after the first one’s lease', async () => {
    const idempotency = createIdempotency({ persistenceStore: openStore() });
    const gate = deferred<string>();
    const effect = vi.fn(() => gate.promise);

    const first = idempotency.once(contextWithTimeout(30_000), 'k', effect);
    const second = idempotency.once(contextWithTimeout(30_000), 'k', effect);

    const rejection = await second.then(
      () => expect.unreachable('the second call must not succeed while the first is in progress'),
      (error: unknown) => error,
    );
    expect(rejection).toBeInstanceOf(RetryAfterError);
    expect((rejection as RetryAfterError).retryAfterMs).toBeGreaterThan(25_000);
    expect((rejection as RetryAfterError).retryAfterMs).toBeLessThanOrEqual(30_250);
    gate.resolve('sent');
    expect(await first).toBe('sent');
    expect(effect).toHaveBeenCalledTimes(1);
  });

  it('blocks a key left in progress by a crashed attempt until that attempt’s timeout has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const crashed = createIdempotency({ persistenceStore: openStore() });
    const survivor = createIdempotency({ persistenceStore: openStore() });
    // The crashed attempt took the key with 5 s left and never completes.
    void crashed.once(contextWithTimeout(5_000), 'k', () => new Promise<never>(() => {}));
    await vi.waitFor(() => expect(countRecords()).toBe(1));
    const effect = vi.fn(async () => 'sent');

    vi.advanceTimersByTime(4_000);
    const blocked = await survivor.once(contextWithTimeout(60_000), 'k', effect).catch((error: unknown) => error);
    expect(blocked).toBeInstanceOf(RetryAfterError);
    expect((blocked as RetryAfterError).retryAfterMs).toBeLessThanOrEqual(1_250);

    vi.advanceTimersByTime(1_001);
    expect(await survivor.once(contextWithTimeout(60_000), 'k', effect)).toBe('sent');
    expect(effect).toHaveBeenCalledTimes(1);
  });

  it('shares records between two connections to the same file', async () => {
    const inProcessA = createIdempotency({ persistenceStore: openStore() });
    const inProcessB = createIdempotency({ persistenceStore: openStore() });
    const gate = deferred<string>();
    const effect = vi.fn(() => gate.promise);

    const running = inProcessA.once(contextWithTimeout(60_000), 'k', effect);
    await expect(inProcessB.once(contextWithTimeout(60_000), 'k', effect)).rejects.toBeInstanceOf(RetryAfterError);
    gate.resolve('sent');
    expect(await running).toBe('sent');
    expect(await inProcessB.once(contextWithTimeout(60_000), 'k', effect)).toBe('sent');

    expect(effect).toHaveBeenCalledTimes(1);
  });

  it('runs the effect again once the completed record has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const idempotency = createIdempotency({ persistenceStore: openStore(), expiresAfterSeconds: 60 });
    const effect = vi.fn(async () => 'sent');

    await idempotency.once(undefined, 'k', effect);
    vi.advanceTimersByTime(59_000);
    await idempotency.once(undefined, 'k', effect);
    expect(effect).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(2_000);
    await idempotency.once(undefined, 'k', effect);
    expect(effect).toHaveBeenCalledTimes(2);
  });

  it('refuses a second expiry on a store that already serves another one', () => {
    const store = openStore();
    createIdempotency({ persistenceStore: store, expiresAfterSeconds: 60 });
    expect(() => createIdempotency({ persistenceStore: store, expiresAfterSeconds: 120 })).toThrow(/expiresAfterSeconds=60/);
  });

  function countRecords(): number {
    const db = new Database(dbPath, { readonly: true });
    try {
      return (db.prepare('SELECT count(*) AS n FROM idempotency_records').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
});

describe('SqliteIdempotencyStore.onceInTransaction', () => {
  it('runs an effect on the same database exactly once per key, and not at all when the effect throws', () => {
    const dir = tempDir();
    const db = new Database(join(dir.path, 'tx.db'));
    try {
      db.exec('CREATE TABLE effects (key TEXT NOT NULL)');
      const store = new SqliteIdempotencyStore(db);
      const insert = db.prepare('INSERT INTO effects (key) VALUES (?)');
      expect(store.onceInTransaction('k1', () => insert.run('k1'))).toBe(true);
      expect(store.onceInTransaction('k1', () => insert.run('k1'))).toBe(false);
      expect(() =>
        store.onceInTransaction('k2', () => {
          insert.run('k2');
          throw new Error('effect failed halfway');
        }),
      ).toThrow('effect failed halfway');
      // The failed attempt left neither its write nor its key: a retry runs it.
      expect(store.onceInTransaction('k2', () => insert.run('k2'))).toBe(true);
      expect(db.prepare('SELECT key FROM effects ORDER BY rowid').all()).toEqual([{ key: 'k1' }, { key: 'k2' }]);
    } finally {
      db.close();
      dir.cleanup();
    }
  });
});
