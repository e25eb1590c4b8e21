/**
 * `bookkeeping`: the controller that keeps the counters (trade `leedCount`, user `posted`/`bought`/
 * `sold`, the stats) and the badges that follow from them, invoked with `Event` after a post, a
 * sale, a delete and a sign-up, and every few minutes on a schedule (`leedzEnded`: a gig that has
 * ended is no longer among its trade's leedz; {@link LEEDZ_ENDED_SCHEDULE}).
 *
 * Counters are applied with `store.applyBookkeeping(key, changes)`, which the store applies exactly
 * once per key (`posted:<id>`, `sold:<id>`, `deleted:<id>`, `user:<username>`), so a redelivered
 * event changes nothing. Badges are then recomputed from the stored counters on every delivery: the
 * result depends only on the counters, so recomputing is idempotent, and a delivery that died
 * between the counters and the badges is repaired by its retry.
 *
 * @example
 * const bookkeeping = createBookkeeping(deps);
 * await invoke(ctx, bookkeeping).leedPosted.event({ leedId, trade }, { idempotencyKey: `posted:${leedId}` });
 */
import { z } from 'zod';
import type { InvocationContext } from '../../framework/context.js';
import { defineController } from '../../framework/define.js';
import { badgesFor } from '../domain/badges.js';
import { tradeNameSchema } from '../domain/trade.js';
import type { MarketplaceDeps } from '../deps.js';
import type { Bookkeeping } from '../ports.js';

/** `leedPosted`, `leedSold`, `leedDeleted`: which leed changed. */
export const leedEventPayload = z.object({ leedId: z.string().min(1), trade: tradeNameSchema });

/** `userCreated`: who signed up. */
export const userCreatedPayload = z.object({ username: z.string().min(1) });

/** What each route returns: whether this delivery changed the counters (false for a repeat or a no-op). */
export interface BookkeepingResult {
  applied: boolean;
}

/**
 * How often `leedzEnded` runs: an EventBridge rule on AWS (infra/leedz-stack.ts), a timer of the
 * local server (src/server/serve.ts), each invoking the route with `Event` and this payload.
 */
export const LEEDZ_ENDED_SCHEDULE = { everyMinutes: 5, payload: { function: 'leedzEnded' } } as const;

/** How many ended leedz one store call takes off their counts. */
const ENDED_BATCH = 100;

/**
 * Build the `bookkeeping` controller over the store.
 *
 * Routes and payloads (the flat envelope: `{ function: <route>, ...payload }`):
 * - `leedPosted { leedId, trade }` — key `posted:<id>`: trade leedCount +1, creator posted +1, totals.posted +1, lastPosted
 * - `leedSold { leedId, trade }` — key `sold:<id>`: trade leedCount −1, buyer bought +1, seller sold +1, totals.sold +1, lastSold
 * - `leedDeleted { leedId, trade }` — key `deleted:<id>`: trade leedCount −1
 * - `userCreated { username }` — key `user:<username>`: totals.users +1
 * - `leedzEnded {}` — every active leed whose end has passed, once (the store marks it): its trade's
 *   leedCount −1. Sold and deleted leedz came off when they were.
 *
 * @example
 * await createBookkeeping(deps).dispatch({ function: 'userCreated', username: 'pat' }, ctx);
 */
export function createBookkeeping(deps: MarketplaceDeps) {
  const { store } = deps;

  /** Badges from the counters as stored now; users that do not exist are skipped. */
  async function refreshBadges(usernames: readonly string[]): Promise<void> {
    for (const username of new Set(usernames)) {
      const user = await store.getUser(username);
      if (user === undefined) continue;
      await store.setBadges(username, badgesFor(user, { paymentsConnected: user.paymentsConnected }));
    }
  }

  async function apply(key: string, changes: Bookkeeping, affectedUsers: readonly string[]): Promise<BookkeepingResult> {
    const applied = await store.applyBookkeeping(key, changes);
    await refreshBadges(affectedUsers);
    return { applied };
  }

  function skip(ctx: InvocationContext, message: string): BookkeepingResult {
    // Not an error to retry: the leed that the event names is not in the state the event implies,
    // which no retry changes (the event was written by hand, or for another store).
    ctx.log(`bookkeeping: ${message}; counters unchanged`);
    return { applied: false };
  }

  return defineController(
    'bookkeeping',
    {
      leedPosted: {
        payload: leedEventPayload,
        handler: async ({ leedId, trade }, ctx) => {
          const leed = await store.getLeed(trade, leedId);
          // Counted even if deleted or sold since: leedDeleted and leedSold take it off again.
          if (leed === undefined) return skip(ctx, `leedPosted: ${trade}/${leedId} not found`);
          return apply(
            `posted:${leed.id}`,
            {
              trades: { [leed.trade]: 1 },
              users: { [leed.creator]: { posted: 1 } },
              totals: { posted: 1 },
              lastPosted: { trade: leed.trade, price: leed.price, zip: leed.zip, at: leed.postedAt },
            },
            [leed.creator],
          );
        },
      },

      leedSold: {
        payload: leedEventPayload,
        handler: async ({ leedId, trade }, ctx) => {
          const leed = await store.getLeed(trade, leedId);
          if (leed?.status !== 'sold' || leed.buyer === null) {
            return skip(ctx, `leedSold: ${trade}/${leedId} is ${leed === undefined ? 'not found' : `${leed.status}, not sold`}`);
          }
          const { buyer, creator: seller } = leed;
          return apply(
            `sold:${leed.id}`,
            {
              trades: { [leed.trade]: -1 },
              // One entry per user even if buyer and seller were the same (the store forbids it; the counters must not care).
              users: buyer === seller ? { [buyer]: { bought: 1, sold: 1 } } : { [buyer]: { bought: 1 }, [seller]: { sold: 1 } },
              totals: { sold: 1 },
              lastSold: { trade: leed.trade, price: leed.price, zip: leed.zip, at: leed.soldAt ?? deps.now().toISOString() },
            },
            [buyer, seller],
          );
        },
      },

      leedDeleted: {
        payload: leedEventPayload,
        handler: async ({ leedId, trade }, ctx) => {
          const leed = await store.getLeed(trade, leedId);
          if (leed?.status !== 'deleted') {
            return skip(ctx, `leedDeleted: ${trade}/${leedId} is ${leed === undefined ? 'not found' : `${leed.status}, not deleted`}`);
          }
          return apply(`deleted:${leed.id}`, { trades: { [leed.trade]: -1 } }, []);
        },
      },

      userCreated: {
        payload: userCreatedPayload,
        handler: async ({ username }) => apply(`user:${username}`, { totals: { users: 1 } }, [username]),
      },

      leedzEnded: {
        payload: z.object({}),
        handler: async (_, ctx): Promise<BookkeepingResult & { ended: number }> => {
          const through = deps.now().toISOString();
          let ended = 0;
          // Batch after batch while there are more, leaving the rest to the next run when time is short.
          for (;;) {
            const batch = await store.countEndedLeedz(through, ENDED_BATCH);
            ended += batch.length;
            if (batch.length < ENDED_BATCH || ctx.getRemainingTimeInMillis() < 10_000) break;
          }
          if (ended > 0) ctx.log(`bookkeeping: ${ended} leedz whose gig ended taken off their trades' counts`);
          return { applied: ended > 0, ended };
        },
      },
    },
    // `query`: the ended leedz, found by the search index on DynamoDB.
    { timeoutSeconds: 30, maximumRetryAttempts: 2, table: ['get', 'query', 'put', 'update'] },
  );
}
