import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createSqliteIdempotencyStore } from '../../../src/adapters/idempotency/sqlite-idempotency-store.js';
import type { ClaimRequest } from '../../../src/framework/idempotency.js';
import { describeIdempotencyStoreContract } from '../../contracts/idempotency-store.js';
import { tempDir } from '../../helpers/temp-dir.js';

describeIdempotencyStoreContract('SQLite', async () => {
  const dir = tempDir('leedz-idempotency-');
  const db = new Database(join(dir.path, 'idempotency.db'));
  return {
    store: createSqliteIdempotencyStore(db),
    close: async () => {
      db.close();
      dir.cleanup();
    },
  };
});

describe('the SQLite idempotency store', () => {
  it('shares records between two connections to one file: a claim on one is held on the other', async () => {
    const dir = tempDir('leedz-idempotency-');
    const a = new Database(join(dir.path, 'shared.db'));
    const b = new Database(join(dir.path, 'shared.db'));
    try {
      const request = { id: 'k', holder: 'request-1', leaseUntil: Date.now() + 30_000, expiresAt: Date.now() + 60_000 };
      expect(await createSqliteIdempotencyStore(a).claim(request, Date.now())).toEqual({ state: 'claimed' });
      expect(await createSqliteIdempotencyStore(b).claim({ ...request, holder: 'request-2' }, Date.now())).toMatchObject({ state: 'held', holder: 'request-1' });
    } finally {
      a.close();
      b.close();
      dir.cleanup();
    }
  });

  it('onceInTransaction runs an effect on the same database exactly once per key, and not at all when the effect throws', () => {
    const dir = tempDir();
    const db = new Database(join(dir.path, 'tx.db'));
    try {
      db.exec('CREATE TABLE effects (key TEXT NOT NULL)');
      const store = createSqliteIdempotencyStore(db);
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

const T0 = 1_800_000_000_000;
const claim = (id: string, holder: string): ClaimRequest => ({ id, holder, leaseUntil: T0 + 30_000, expiresAt: T0 + 3_600_000 });

describe('claimMany on SQLite', () => {
  it("`within` writes in the claims' transaction: what it wrote is gone when it throws", async () => {
    const dir = tempDir('leedz-idempotency-');
    const db = new Database(join(dir.path, 'idempotency.db'));
    try {
      const store = createSqliteIdempotencyStore(db);
      db.exec('CREATE TABLE rows (key TEXT PRIMARY KEY)');
      await expect(
        store.claimMany([claim('a', 'request-1')], T0, {
          within: () => {
            db.prepare("INSERT INTO rows VALUES ('a')").run();
            throw new Error('after the insert');
          },
        }),
      ).rejects.toThrow('after the insert');
      expect(db.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 0 });
      await store.claimMany([claim('a', 'request-1')], T0, { within: () => void db.prepare("INSERT INTO rows VALUES ('a')").run() });
      expect(db.prepare('SELECT count(*) AS n FROM rows').get()).toEqual({ n: 1 });
    } finally {
      db.close();
      dir.cleanup();
    }
  });
});
