/**
 * The IdempotencyStore contract (src/framework/idempotency.ts), run on every adapter: SQLite here
 * (test/adapters/idempotency/sqlite-idempotency-store.test.ts) and DynamoDB Local
 * (test/adapters/idempotency/dynamodb-idempotency-store.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ClaimRequest, ClaimResult, IdempotencyStore } from '../../src/framework/idempotency.js';

export function describeIdempotencyStoreContract(name: string, open: () => Promise<{ store: IdempotencyStore; close(): Promise<void> }>): void {
  const T0 = 1_800_000_000_000;
  const claim = (id: string, holder: string, overrides: Partial<ClaimRequest> = {}): ClaimRequest => ({
    id,
    holder,
    leaseUntil: T0 + 30_000,
    expiresAt: T0 + 3_600_000,
    ...overrides,
  });

  async function withStore(test: (store: IdempotencyStore) => Promise<void>): Promise<void> {
    const { store, close } = await open();
    try {
      await test(store);
    } finally {
      await close();
    }
  }

  describe(`IdempotencyStore contract: ${name}`, () => {
    it('a free key is claimed; a second holder finds it held, with the first holder and its lease', () =>
      withStore(async (store) => {
        expect(await store.claim(claim('k', 'request-1'), T0)).toEqual({ state: 'claimed' });
        expect(await store.claim(claim('k', 'request-2'), T0 + 1_000)).toEqual({ state: 'held', holder: 'request-1', leaseUntil: T0 + 30_000 });
      }));

    it('the same holder takes its own claim back at once (an earlier attempt of the same invocation is over)', () =>
      withStore(async (store) => {
        await store.claim(claim('k', 'request-1'), T0);
        expect(await store.claim(claim('k', 'request-1', { leaseUntil: T0 + 60_000 }), T0 + 1_000)).toEqual({ state: 'claimed' });
        expect(await store.claim(claim('k', 'request-2'), T0 + 2_000)).toMatchObject({ state: 'held', leaseUntil: T0 + 60_000 });
      }));

    it('another holder takes a claim whose lease is over', () =>
      withStore(async (store) => {
        await store.claim(claim('k', 'request-1'), T0);
        expect(await store.claim(claim('k', 'request-2', { leaseUntil: T0 + 90_000 }), T0 + 30_001)).toEqual({ state: 'claimed' });
      }));

    it('a completed key gives its result to every later claim, until it expires', () =>
      withStore(async (store) => {
        await store.claim(claim('k', 'request-1'), T0);
        await store.complete('k', 'request-1', '{"messageId":"m-1"}', T0 + 3_600_000);
        expect(await store.claim(claim('k', 'request-2'), T0 + 10_000)).toEqual({ state: 'completed', result: '{"messageId":"m-1"}' });
        // Even its own holder gets the result: a completed effect never runs again while it lives.
        expect(await store.claim(claim('k', 'request-1'), T0 + 10_000)).toEqual({ state: 'completed', result: '{"messageId":"m-1"}' });
        expect(await store.claim(claim('k', 'request-3', { expiresAt: T0 + 7_200_000 }), T0 + 3_600_001)).toEqual({ state: 'claimed' });
      }));

    it('a completion without a result is remembered as completed, with no result', () =>
      withStore(async (store) => {
        await store.claim(claim('k', 'request-1'), T0);
        await store.complete('k', 'request-1', undefined, T0 + 3_600_000);
        expect(await store.claim(claim('k', 'request-2'), T0 + 1)).toEqual({ state: 'completed', result: undefined });
      }));

    it('a released key is free again; a release or completion by a holder that lost the key changes nothing', () =>
      withStore(async (store) => {
        await store.claim(claim('k', 'request-1'), T0);
        await store.release('k', 'request-1');
        expect(await store.claim(claim('k', 'request-2'), T0 + 1)).toEqual({ state: 'claimed' });
        await store.release('k', 'request-1');
        await store.complete('k', 'request-1', '"stale"', T0 + 3_600_000);
        expect(await store.claim(claim('k', 'request-3'), T0 + 2)).toEqual({ state: 'held', holder: 'request-2', leaseUntil: T0 + 30_000 });
      }));

    it('claimMany claims free keys and reports the others, in order', () =>
      withStore(async (store) => {
        await store.claim(claim('done', 'request-0'), T0);
        await store.complete('done', 'request-0', '1', T0 + 3_600_000);
        await store.claim(claim('busy', 'request-0'), T0);
        const results = await store.claimMany([claim('a', 'request-1'), claim('done', 'request-1'), claim('busy', 'request-1'), claim('b', 'request-1')], T0 + 5);
        expect(results).toEqual([
          { state: 'claimed' },
          { state: 'completed', result: '1' },
          { state: 'held', holder: 'request-0', leaseUntil: T0 + 30_000 },
          { state: 'claimed' },
        ]);
      }));

    it('of many concurrent claims of one free key, exactly one wins', () =>
      withStore(async (store) => {
        const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.claim(claim('race', `request-${i}`), T0)));
        expect(results.filter((r) => r.state === 'claimed')).toHaveLength(1);
      }));
  });

  // `claimMany`'s options (`within`, `completeAt`): what a batch writes with its claims, and the keys
  // completed in the same write when that was the whole effect.
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
