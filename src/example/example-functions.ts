/**
 * A small example of the pattern, served by `npm start` until the marketplace exists: a
 * request-response function `placeOrder` does what the client waits for and hands the rest to the
 * `orderController` with two Event invocations. The `sendConfirmation` route fails on demand, so
 * retries, destinations and dead letters can be watched from the CLI:
 *
 * @example
 * leedz invoke placeOrder --payload '{"item":"pretzel","quantity":2,"confirmation":"fail-twice"}'
 * leedz invocations --function orderController
 * leedz dlq list
 */
import { z } from 'zod';
import { defineController, defineFunction, invoke } from '../framework/index.js';

/** Attempts seen per order, so "fail-twice" can succeed on the third attempt (in memory: a demo). */
const attemptsByOrder = new Map<string, number>();
const totals = { orders: 0, items: 0 };

export const orderController = defineController(
  'orderController',
  {
    sendConfirmation: {
      payload: z.object({
        orderId: z.string().min(1),
        item: z.string().min(1),
        mode: z.enum(['succeed', 'fail-twice', 'fail-always']),
      }),
      handler: ({ orderId, item, mode }, ctx) => {
        const attempt = (attemptsByOrder.get(orderId) ?? 0) + 1;
        attemptsByOrder.set(orderId, attempt);
        if (mode === 'fail-always' || (mode === 'fail-twice' && attempt <= 2)) {
          throw new Error(`mail server refused the confirmation for order ${orderId} (attempt ${attempt}, mode ${mode})`);
        }
        ctx.log(`confirmation for ${item} sent (order ${orderId}, attempt ${attempt})`);
        return { orderId, attempt };
      },
    },
    updateCounters: {
      payload: z.object({ quantity: z.number().int().positive() }),
      handler: ({ quantity }) => {
        totals.orders += 1;
        totals.items += quantity;
        return { ...totals };
      },
    },
  },
  { timeoutSeconds: 10, maximumRetryAttempts: 2 },
);

export const placeOrder = defineFunction('placeOrder', {
  input: z.object({
    item: z.string().min(1).max(100),
    quantity: z.number().int().min(1).max(1000),
    confirmation: z.enum(['succeed', 'fail-twice', 'fail-always']).default('succeed'),
  }),
  invokes: [orderController],
  timeoutSeconds: 6,
  handler: async ({ item, quantity, confirmation }, ctx) => {
    // The whole request id: its first characters are a timestamp, shared by orders placed together.
    const orderId = `o_${ctx.awsRequestId}`;
    // Only what the client must wait for happens here; the rest is handed off with Event.
    const orders = invoke(ctx, orderController);
    await orders.sendConfirmation.event({ orderId, item, mode: confirmation }, { idempotencyKey: `confirm:${orderId}` });
    await orders.updateCounters.event({ quantity }, { idempotencyKey: `count:${orderId}` });
    return { orderId, item, quantity };
  },
});

export const exampleFunctions = [placeOrder, orderController];
