/**
 * `POST /api/payments/webhook`: the payment provider reports a payment. The signature is verified
 * over the raw body (unsigned or wrong → 401, nothing changes; signed but not a payment for a leed →
 * 200, nothing changes); the leed is marked sold exactly
 * once, on the condition that it is still active and not over, the amount paid is its price and no other buyer's
 * checkout hold lasts; a second payment for a sold leed, a payment of another amount, or one on an old
 * checkout while another buyer holds the leed, is refunded (answered 200 `{sold: false}` and logged),
 * and its payer is told why by email (`emailHelper.paymentRefunded`, once per payment). A refused
 * payment stays refused: delivered again once the leed could be bought, it is refused the same way.
 */
import { invoke, prepare } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import type { MarketplaceDeps } from '../deps.js';
import { IGNORED_WEBHOOK } from '../ports.js';
import { defineHttpFunction, outboxMessage } from './define-http-function.js';
import { ok, problem } from './http.js';

export function createPaymentWebhook(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('paymentWebhook', {
    table: ['get', 'put', 'update', 'delete'],
    invokes: [controllers.emailHelper],
    handler: async (request, ctx) => {
      const payment = await deps.payments.verifyWebhook(request.headers, request.rawBody ?? '', request.url ?? '');
      if (payment === undefined) return problem('UNAUTHENTICATED', 'the webhook signature is missing or wrong');
      // Genuine, but not a payment for a leed: acknowledged, so that the provider stops sending it.
      if (payment === IGNORED_WEBHOOK) return ok({ received: true, ignored: true });
      const { trade, leedId: id } = payment;
      const work = { leedId: id, trade };
      const soldAt = deps.now().toISOString();
      const sale = await deps.store.recordSale(
        { trade, id, buyer: payment.buyer, paymentId: payment.paymentId, amount: payment.amount, soldAt },
        [
          outboxMessage(prepare(ctx, controllers.emailHelper).sendReceipts(work, { idempotencyKey: `receipts:${id}` })),
          outboxMessage(prepare(ctx, controllers.bookkeeping).leedSold(work, { idempotencyKey: `sold:${id}` })),
        ],
      );
      if (sale.ok) return ok({ received: true, sold: true });
      // The same payment delivered again: already recorded, nothing more to do.
      if (sale.reason === 'duplicate-payment') return ok({ received: true, sold: true, duplicate: true });
      // Not a sale (sold already, no longer active, not the price, or on hold for another buyer): the
      // money goes back, and the provider gets a 200 all the same, or it would deliver it again and again.
      // The refusal is kept first: this payment delivered again (hours later too) is refused again, and
      // never sells a leed that has become free to buy since, with money already returned.
      const kept = await deps.store.refusePayment({ trade, id, paymentId: payment.paymentId, reason: sale.reason, at: soldAt });
      // A delivery of the same payment sold the leed meanwhile: it stays sold, and the money stays.
      if (kept === 'sold') return ok({ received: true, sold: true, duplicate: true });
      await deps.payments.refund(payment.paymentId, payment.amount);
      const why = sale.reason === 'wrong-amount' ? `paid ${payment.amount} cents but the price is ${sale.leed?.price} cents` : sale.reason === 'held-by-another' ? await heldBy(trade, id, soldAt) : sale.reason;
      ctx.log(`paymentWebhook: ${trade}/${id}: payment ${payment.paymentId} by ${payment.buyer} refunded, not a sale: ${why}`);
      // Only once the money is back. Should this invoke fail, the webhook fails and the provider
      // delivers it again: the refund is idempotent per payment, and so is the email's key.
      await invoke(ctx, controllers.emailHelper).paymentRefunded.event(
        { leedId: id, trade, payer: payment.buyer, paymentId: payment.paymentId, amount: payment.amount, reason: sale.reason },
        { idempotencyKey: `refund:${payment.paymentId}` },
      );
      return ok({ received: true, sold: false, refunded: true, reason: sale.reason });
    },
  });

  /** The log's reason for `held-by-another`: whose hold, until when (a payment on a checkout cancelled since, most likely). */
  async function heldBy(trade: string, id: string, at: string): Promise<string> {
    const hold = await deps.store.getCheckoutHold(trade, id, at);
    return hold === undefined ? 'held-by-another' : `held-by-another: ${hold.buyer} holds the leed until ${hold.until}`;
  }
}
