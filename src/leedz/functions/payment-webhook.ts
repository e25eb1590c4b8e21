/**
 * `POST /api/payments/webhook`: the payment provider reports a payment. The signature is verified
 * over the raw body (unsigned or wrong → 401, nothing changes; signed but not a payment for a leed →
 * 200, nothing changes); the leed is marked sold exactly
 * once, on the condition that it is still active and the amount paid is its price; a second payment
 * for a sold leed, or a payment of another amount, is refunded (answered 200 `{sold: false}` and logged).
 */
import { prepare } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import type { MarketplaceDeps } from '../deps.js';
import { IGNORED_WEBHOOK } from '../ports.js';
import { defineHttpFunction, outboxMessage } from './define-http-function.js';
import { ok, problem } from './http.js';

export function createPaymentWebhook(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('paymentWebhook', {
    table: 'read-write',
    handler: async (request, ctx) => {
      const payment = await deps.payments.verifyWebhook(request.headers, request.rawBody ?? '', request.url ?? '');
      if (payment === undefined) return problem('UNAUTHENTICATED', 'the webhook signature is missing or wrong');
      // Genuine, but not a payment for a leed: acknowledged, so that the provider stops sending it.
      if (payment === IGNORED_WEBHOOK) return ok({ received: true, ignored: true });
      const { trade, leedId: id } = payment;
      const work = { leedId: id, trade };
      const sale = await deps.store.recordSale(
        { trade, id, buyer: payment.buyer, paymentId: payment.paymentId, amount: payment.amount, soldAt: deps.now().toISOString() },
        [
          outboxMessage(prepare(ctx, controllers.emailHelper).sendReceipts(work, { idempotencyKey: `receipts:${id}` })),
          outboxMessage(prepare(ctx, controllers.bookkeeping).leedSold(work, { idempotencyKey: `sold:${id}` })),
        ],
      );
      if (sale.ok) return ok({ received: true, sold: true });
      // The same payment delivered again: already recorded, nothing more to do.
      if (sale.reason === 'duplicate-payment') return ok({ received: true, sold: true, duplicate: true });
      // Not a sale (sold already, no longer active, or not the price): the money goes back, and the
      // provider gets a 200 all the same, or it would deliver this payment again and again.
      await deps.payments.refund(payment.paymentId, payment.amount);
      const why = sale.reason === 'wrong-amount' ? `paid ${payment.amount} cents but the price is ${sale.leed?.price} cents` : sale.reason;
      ctx.log(`paymentWebhook: ${trade}/${id}: payment ${payment.paymentId} by ${payment.buyer} refunded, not a sale: ${why}`);
      return ok({ received: true, sold: false, refunded: true, reason: sale.reason });
    },
  });
}
