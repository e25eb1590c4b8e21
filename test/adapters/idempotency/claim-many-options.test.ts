/**
 * `claimMany`'s options (`within`, `completeAt`), on both adapters: what a batch writes with its
 * claims, and the keys completed in the same write when that was the whole effect.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbIdempotencyStore } from '../../../src/adapters/idempotency/dynamodb-idempotency-store.js';
import { createSqliteIdempotencyStore } from '../../../src/adapters/idempotency/sqlite-idempotency-store.js';
import type { ClaimRequest, ClaimResult, IdempotencyStore } from '../../../src/framework/idempotency.js';
import { type DynamoDbLocal, requireJava, startDynamoDbLocal } from '../../helpers/dynamodb-local.js';
import { tempDir } from '../../helpers/temp-dir.js';

const T0 = 1_800_000_000_000;
const claim = (id: string, holder: string): ClaimRequest => ({ id, holder, leaseUntil: T0 + 30_000, expiresAt: T0 + 3_600_000 });

function describeClaimManyOptions(name: string, open: () => Promise<{ store: IdempotencyStore; close(): Promise<void> }>): void {
  describe(`claimMany with options: ${name}`, () => {
    it('runs `within` with the results in order, and completes only the keys this call claimed', async () => {
      const { store, close } = await open();
      try {
        await store.claim(claim('busy', 'request-0'), T0);
        const seen: ClaimResult[][] = [];
        const results = await store.claimMany([claim('a', 'request-1'), claim('busy', 'request-1'), claim('b', 'request-1')], T0 + 1, {
          within: (found) => seen.push([...found]),
          completeAt: T0 + 3_600_000,
        });
        expect(seen).toEqual([results]);
        expect(results.map((r) => r.state)).toEqual(['claimed', 'held', 'claimed']);
        // Completed: another holder finds them done; the held key is still its holder's.
        expect(await store.claim(claim('a', 'request-2'), T0 + 2)).toEqual({ state: 'completed', result: undefined });
        expect(await store.claim(claim('b', 'request-2'), T0 + 2)).toEqual({ state: 'completed', result: undefined });
        expect(await store.claim(claim('busy', 'request-2'), T0 + 2)).toMatchObject({ state: 'held', holder: 'request-0' });
      } finally {
        await close();
      }
    });

    it('leaves no claim behind when `within` throws', async () => {
      const { store, close } = await open();
      try {
        await expect(
          store.claimMany([claim('a', 'request-1'), claim('b', 'request-1')], T0, {
            within: () => {
              throw new Error('recording failed');
            },
            completeAt: T0 + 3_600_000,
          }),
        ).rejects.toThrow('recording failed');
        expect(await store.claim(claim('a', 'request-2'), T0 + 1)).toEqual({ state: 'claimed' });
        expect(await store.claim(claim('b', 'request-2'), T0 + 1)).toEqual({ state: 'claimed' });
      } finally {
        await close();
      }
    });
  });
}

describeClaimManyOptions('SQLite', async () => {
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

// Throws, naming the apt package, when Java is missing (unless LEEDZ_SKIP_JAVA=1: then skip).
const hasJava = requireJava();
let local: DynamoDbLocal;
beforeAll(async () => {
  if (hasJava) local = await startDynamoDbLocal();
});
afterAll(async () => {
  await local?.stop();
});

if (hasJava) {
  describeClaimManyOptions('DynamoDB', async () => {
    const tableName = await local.createIdempotencyTable();
    const client = local.client();
    return { store: createDynamoDbIdempotencyStore({ client, tableName }), close: async () => client.destroy() };
  });
}
