/**
 * `bookkeeping`: the controller that keeps the counters (trade `leedCount`, user `posted`/`bought`/
 * `sold`, the stats) and the badges that follow from them, invoked with `Event` after a post, a
 * sale, a delete and a sign-up, and every few minutes on a schedule (`leedzEnded`: a gig that has
 * ended is no longer among its trade's leedz; {@link LEEDZ_ENDED_SCHEDULE}).
 *
 * Counters are applied with `store.applyBookkeeping(key, changes)`, which the store applies exactly
 * once per key (`posted:<id>`, `sold:<id>`, `off:<id>`, `user:<username>`), so a redelivered
 * event changes nothing. A leed leaves its trade's count under one key, `off:<id>`, whichever way
 * it goes first (sold, deleted, taken down, its gig ended): a sale recorded a moment after the leed
 * was counted off as ended, or an ended leed taken down, does not take it off twice. Badges are then
 * recomputed from the stored counters on every delivery: the result depends only on the counters, so
 * recomputing is idempotent, and a delivery that died between the counters and the badges is
 * repaired by its retry.
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

/** `leedzEnded`: the schedule sends none; `since` looks further back than the store's default (an instant). */
export const leedzEndedPayload = z.object({ since: z.iso.datetime({ offset: true }).optional() });

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
 * - `leedSold { leedId, trade }` — key `sold:<id>`: buyer bought +1, seller sold +1, totals.sold +1, lastSold; key `off:<id>`: trade leedCount −1
 * - `leedDeleted { leedId, trade }` — key `off:<id>`: trade leedCount −1
 * - `userCreated { username }` — key `user:<username>`: totals.users +1
 * - `leedzEnded { since? }` — each active leed whose end has passed (`store.endedLeedz`): key
 *   `off:<id>`, trade leedCount −1; then the store marks it, and finds it no more. `since` reaches
 *   further back than the DynamoDB store's week (a deployment's first run, an outage).
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

  /** The leed leaves its trade's count, once whichever way it goes (see the module's comment); whether this call took it off. */
  function takeOff(trade: string, leedId: string): Promise<boolean> {
    return store.applyBookkeeping(`off:${leedId}`, { trades: { [trade]: -1 } });
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
          const sale = await apply(
            `sold:${leed.id}`,
            {
              // One entry per user even if buyer and seller were the same (the store forbids it; the counters must not care).
              users: buyer === seller ? { [buyer]: { bought: 1, sold: 1 } } : { [buyer]: { bought: 1 }, [seller]: { sold: 1 } },
              totals: { sold: 1 },
              lastSold: { trade: leed.trade, price: leed.price, zip: leed.zip, at: leed.soldAt ?? deps.now().toISOString() },
            },
            [buyer, seller],
          );
          const off = await takeOff(leed.trade, leed.id);
          return { applied: sale.applied || off };
        },
      },

      leedDeleted: {
        payload: leedEventPayload,
        handler: async ({ leedId, trade }, ctx) => {
          const leed = await store.getLeed(trade, leedId);
          if (leed?.status !== 'deleted') {
            return skip(ctx, `leedDeleted: ${trade}/${leedId} is ${leed === undefined ? 'not found' : `${leed.status}, not deleted`}`);
          }
          return { applied: await takeOff(leed.trade, leed.id) };
        },
      },

      userCreated: {
        payload: userCreatedPayload,
        handler: async ({ username }) => apply(`user:${username}`, { totals: { users: 1 } }, [username]),
      },

      leedzEnded: {
        payload: leedzEndedPayload,
        handler: async ({ since }, ctx): Promise<BookkeepingResult & { ended: number }> => {
          const through = deps.now().toISOString();
          let ended = 0;
          // Batch after batch while there are more, leaving the rest to the next run when time is short.
          for (;;) {
            const batch = await store.endedLeedz(through, ENDED_BATCH, since);
            for (const leed of batch) {
              if (await takeOff(leed.trade, leed.id)) ended += 1;
              // Marked once counted: a crash between the two finds it again, and `off:` counts it once.
              await store.markEndCounted(leed.trade, leed.id);
            }
            if (batch.length < ENDED_BATCH || ctx.getRemainingTimeInMillis() < 10_000) break;
          }
          // Asked to reach back (`since`, a catch-up run by hand), it says so even of none: the sign to stop.
          if (ended > 0 || since !== undefined) ctx.log(`bookkeeping: ${ended} leedz whose gig ended taken off their trades' counts`);
          return { applied: ended > 0, ended };
        },
      },
    },
    // `query`: the ended leedz, found by the search index on DynamoDB.
    { timeoutSeconds: 30, maximumRetryAttempts: 2, table: ['get', 'query', 'put', 'update'] },
  );
}
