/**
 * The idempotency records on SQLite (the local counterpart of the DynamoDB store), in their own table
 * of the database they are given, so several processes or connections on one file share them.
 *
 * A claim is one `INSERT … ON CONFLICT DO UPDATE … WHERE` (take the key if it is free) and, when that
 * changed nothing, one read of the record in the same immediate transaction; a batch of claims is one
 * transaction, one WAL commit for a whole fan-out batch — together with what the caller writes to the
 * same database in `within` (the outbox rows of the batch's emails), and the completions when that
 * was the whole effect.
 *
 * @example
 * const idempotency = createIdempotency({ store: createSqliteIdempotencyStore(db), scope: 'leedz' });
 */
import type Database from 'better-sqlite3';
import type { ClaimManyOptions, ClaimRequest, ClaimResult, IdempotencyStore } from '../../framework/idempotency.js';
import { createTickBatch } from '../../framework/tick-batch.js';

interface Row {
  id: string;
  status: 'IN_PROGRESS' | 'COMPLETED';
  holder: string;
  lease_until: number;
  result: string | null;
  expires_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL,
  holder      TEXT NOT NULL,
  lease_until INTEGER NOT NULL,
  result      TEXT,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expiry ON idempotency_keys (expires_at);
`;

/** The SQLite store, plus exactly-once for effects that write the same database. */
export interface SqliteIdempotencyStore extends IdempotencyStore {
  /**
   * Exactly once, for an effect that writes this same database: the key's record and the effect
   * commit in one transaction, so a crash leaves either both or neither (`once` cannot promise that for
   * any effect: a crash between the effect and its record repeats it). Returns whether the effect ran.
   * The key is never forgotten: these are permanent effects.
   *
   * @example
   * store.onceInTransaction(`counter:${eventId}`, () => bumpCounter.run(trade)); // false on redelivery
   */
  onceInTransaction(key: string, effect: () => void): boolean;
  /**
   * Delete up to `limit` records that expired by `now` (epoch ms): a claim takes an expired key as
   * absent, so this changes no answer. Answers how many went.
   */
  deleteExpired(now: number, limit: number): number;
}

export function createSqliteIdempotencyStore(db: Database.Database): SqliteIdempotencyStore {
  if ((db.pragma('journal_mode', { simple: true }) as string).toLowerCase() !== 'wal') db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  // The key is taken when it is absent, expired, or in progress with a lease that is over or ours.
  const take = db.prepare<Record<string, unknown>, { id: string }>(
    `INSERT INTO idempotency_keys (id, status, holder, lease_until, result, expires_at)
     VALUES (@id, 'IN_PROGRESS', @holder, @leaseUntil, NULL, @expiresAt)
     ON CONFLICT (id) DO UPDATE SET status = 'IN_PROGRESS', holder = excluded.holder, lease_until = excluded.lease_until,
       result = NULL, expires_at = excluded.expires_at
     WHERE idempotency_keys.expires_at <= @now
        OR (idempotency_keys.status = 'IN_PROGRESS' AND (idempotency_keys.lease_until <= @now OR idempotency_keys.holder = @holder))
     RETURNING id`,
  );
  const read = db.prepare<[string], Row>('SELECT * FROM idempotency_keys WHERE id = ?');
  const complete = db.prepare(
    `UPDATE idempotency_keys SET status = 'COMPLETED', result = ?, expires_at = ?, lease_until = 0 WHERE id = ? AND holder = ? AND status = 'IN_PROGRESS'`,
  );
  const release = db.prepare(`DELETE FROM idempotency_keys WHERE id = ? AND holder = ? AND status = 'IN_PROGRESS'`);
  const deleteExpired = db.prepare<[number, number]>('DELETE FROM idempotency_keys WHERE id IN (SELECT id FROM idempotency_keys WHERE expires_at <= ? LIMIT ?)');
  // Never expires: the largest integer SQLite stores.
  const claimForever = db.prepare(
    `INSERT INTO idempotency_keys (id, status, holder, lease_until, result, expires_at) VALUES (?, 'COMPLETED', 'transaction', 0, NULL, 9007199254740991)
     ON CONFLICT (id) DO NOTHING`,
  );

  const claimOne = (request: ClaimRequest, now: number): ClaimResult => {
    if (take.get({ ...request, now }) !== undefined) return { state: 'claimed' };
    const row = read.get(request.id);
    if (row === undefined) return { state: 'claimed' }; // unreachable: the insert failed because the row exists
    if (row.status === 'COMPLETED') return { state: 'completed', result: row.result ?? undefined };
    return { state: 'held', holder: row.holder, leaseUntil: row.lease_until };
  };
  // Immediate: the write lock is taken first, so the read sees the row the failed insert met.
  const claimBatch = db.transaction((requests: readonly ClaimRequest[], now: number, options: ClaimManyOptions = {}) => {
    const results = requests.map((request) => claimOne(request, now));
    options.within?.(results);
    if (options.completeAt !== undefined) {
      for (const [index, result] of results.entries()) if (result.state === 'claimed') complete.run(null, options.completeAt, requests[index]!.id, requests[index]!.holder);
    }
    return results;
  });

  interface Completion {
    id: string;
    holder: string;
    result: string | undefined;
    expiresAt: number;
    resolve(): void;
    reject(error: unknown): void;
  }
  const completeAll = db.transaction((batch: readonly Completion[]) => {
    for (const c of batch) complete.run(c.result ?? null, c.expiresAt, c.id, c.holder);
  });
  // Completions that arrive in one turn of the event loop (a fan-out's emails, as the mail server
  // accepts them) commit together, and each caller resumes once its own is committed.
  const completions = createTickBatch<Completion>((batch) => {
    try {
      completeAll.immediate(batch);
    } catch (error) {
      for (const c of batch) c.reject(error);
      return;
    }
    for (const c of batch) c.resolve();
  });

  return {
    async claim(request, now) {
      return claimBatch.immediate([request], now)[0]!;
    },
    async claimMany(requests, now, options) {
      return claimBatch.immediate(requests, now, options);
    },
    complete(id, holder, result, expiresAt) {
      return new Promise<void>((resolve, reject) => completions.add({ id, holder, result, expiresAt, resolve, reject }));
    },
    async release(id, holder) {
      release.run(id, holder);
    },
    deleteExpired(now, limit) {
      return deleteExpired.run(now, limit).changes;
    },
    onceInTransaction(key, effect) {
      if (typeof key !== 'string' || key === '') throw new TypeError('onceInTransaction: key must be a non-empty string');
      return db.transaction(() => {
        if (claimForever.run(`tx#${key}`).changes === 0) return false;
        effect();
        return true;
      }).immediate();
    },
  };
}
