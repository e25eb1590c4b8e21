/**
 * Checkouts and sales on the DynamoDB table: a buyer's hold (its own item beside the leed, TTL'd,
 * whose conditions compare `untilMs` because TTL deletes lazily), the sale (the leed, the hold, the
 * buyer's pointer, the payment and the outbox in one transaction, on the leed's revision), and a
 * refused payment kept beside the leed so that it stays refused. A payment's item is `sold` or
 * `refused`, each written on the condition that it is not the other.
 *
 * @example
 * const checkout = createDynamoDbCheckout(table);
 * await checkout.recordSale(sale, [receiptsMessage]); // { ok: true, leed } or why not
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { hasEnded } from '../../../leedz/domain/leed.js';
import type { ReserveResult, Sale, SaleResult, Store } from '../../../leedz/ports.js';
import { canonicalInstant, keyOf, type LeedItem, leedFromItem, type PaymentItem, type ReservationItem, toMs } from './dynamodb-items.js';
import { AGAIN, isVendorError, type TableAccess } from './dynamodb-table.js';

export function createDynamoDbCheckout(
  table: TableAccess,
): Pick<Store, 'reserveCheckout' | 'getCheckoutHold' | 'releaseCheckout' | 'recordSale' | 'refusePayment'> {
  const { doc, TableName, get, transact, retrying, outboxSteps, throwForCommonFailures } = table;

  return {
    async reserveCheckout(trade, id, buyer, until, now): Promise<ReserveResult> {
      const reservedUntil = canonicalInstant(until);
      const reservation: ReservationItem = {
        ...keyOf.reservation(id),
        buyer,
        reservedUntil,
        untilMs: toMs(reservedUntil),
        // TTL wants epoch seconds; the item may outlive this by days, so conditions compare untilMs.
        expiresAt: Math.ceil(toMs(reservedUntil) / 1_000),
      };
      return retrying('reserveCheckout', async (): Promise<ReserveResult | typeof AGAIN> => {
        const leed = await get<LeedItem>(keyOf.leed(id));
        if (leed === undefined || leed.trade !== trade) return { ok: false, reason: 'not-found' };
        if (leed.creator === buyer) return { ok: false, reason: 'own-leed' };
        if (leed.status !== 'active') return { ok: false, reason: 'not-active' };
        const outcome = await transact([
          {
            label: 'leed',
            item: {
              // Still as read, so that the hold is made at the price read (a price edit meanwhile: read again).
              ConditionCheck: {
                TableName,
                Key: keyOf.leed(id),
                ConditionExpression: '#status = :active AND #revision = :revision',
                ExpressionAttributeNames: { '#status': 'status', '#revision': 'revision' },
                ExpressionAttributeValues: { ':active': 'active', ':revision': leed.revision },
              },
            },
          },
          {
            label: 'reservation',
            item: {
              Put: {
                TableName,
                Item: reservation,
                // Free, or a hold that has run out by the caller's clock, whoever's it was. A hold that
                // lasts is never overwritten, not even the buyer's own: renewing it would let one buyer
                // hold the leed forever. ALL_OLD tells whose it is.
                ConditionExpression: 'attribute_not_exists(PK) OR #untilMs <= :now',
                ExpressionAttributeNames: { '#untilMs': 'untilMs' },
                ExpressionAttributeValues: { ':now': toMs(now) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          },
        ]);
        if (outcome.committed) return { ok: true, reservedUntil, alreadyHeld: false, price: leed.price };
        // Sold or deleted since the read (the next read says so), or a race: read again.
        if (outcome.failed.some((f) => f.step.label === 'leed')) return AGAIN;
        const held = outcome.failed.find((f) => f.step.label === 'reservation')?.old as ReservationItem | undefined;
        if (held === undefined) return AGAIN;
        // The buyer's own hold, given back as it is.
        return held.buyer === buyer ? { ok: true, reservedUntil: held.reservedUntil, alreadyHeld: true, price: leed.price } : { ok: false, reason: 'reserved' };
      });
    },

    async getCheckoutHold(trade, id, now) {
      const [leed, hold] = await Promise.all([get<LeedItem>(keyOf.leed(id)), get<ReservationItem>(keyOf.reservation(id))]);
      if (leed === undefined || leed.trade !== trade || leed.status !== 'active' || hold === undefined) return undefined;
      // TTL deletes lazily: an item that has run out may still be there.
      return hold.untilMs > toMs(now) ? { buyer: hold.buyer, until: hold.reservedUntil } : undefined;
    },

    async releaseCheckout(trade, id, buyer) {
      const leed = await get<LeedItem>(keyOf.leed(id));
      if (leed === undefined || leed.trade !== trade) return false;
      try {
        await doc.send(
          new DeleteCommand({
            TableName,
            Key: keyOf.reservation(id),
            // Only the buyer's own hold: another buyer's checkout is not theirs to cancel.
            ConditionExpression: '#buyer = :buyer',
            ExpressionAttributeNames: { '#buyer': 'buyer' },
            ExpressionAttributeValues: { ':buyer': buyer },
          }),
        );
        return true;
      } catch (error) {
        if (isVendorError(error, ConditionalCheckFailedException)) return false;
        throw error;
      }
    },

    async recordSale(sale: Sale, outbox): Promise<SaleResult> {
      const soldAt = canonicalInstant(sale.soldAt);
      return retrying('recordSale', async (): Promise<SaleResult | typeof AGAIN> => {
        const [current, payment] = await Promise.all([get<LeedItem>(keyOf.leed(sale.id)), get<PaymentItem>(keyOf.payment(sale.id, sale.paymentId))]);
        const refusal = saleRefusal(current, sale, payment);
        if (refusal !== undefined || current === undefined) return refusal ?? { ok: false, reason: 'not-found' };
        const outcome = await transact([
          {
            label: 'leed',
            item: {
              Update: {
                TableName,
                Key: keyOf.leed(sale.id),
                // Exactly once: only an active leed is sold; the loser of a race finds it sold (ALL_OLD says by whom).
                UpdateExpression:
                  'SET #status = :sold, #buyer = :buyer, #soldAt = :soldAt, #paymentId = :paymentId, #revision = #revision + :one REMOVE searchPK, searchSK',
                // The revision too, so that the leed returned is the one stored (an edit in between: read again).
                ConditionExpression: '#status = :active AND #revision = :revision',
                ExpressionAttributeNames: { '#status': 'status', '#buyer': 'buyer', '#soldAt': 'soldAt', '#paymentId': 'paymentId', '#revision': 'revision' },
                ExpressionAttributeValues: {
                  ':sold': 'sold',
                  ':active': 'active',
                  ':revision': current.revision,
                  ':buyer': sale.buyer,
                  ':soldAt': soldAt,
                  ':paymentId': sale.paymentId,
                  ':one': 1,
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          },
          {
            label: 'reservation',
            item: {
              Delete: {
                TableName,
                Key: keyOf.reservation(sale.id),
                // The hold lives in its own item, so its rule is this step's condition, in the sale's
                // transaction: no hold, the buyer's own, or one run out by the sale's time (TTL deletes
                // lazily, so an item that has run out may still be here). Otherwise another buyer
                // holds the leed: `held-by-another`.
                ConditionExpression: 'attribute_not_exists(PK) OR #buyer = :buyer OR #untilMs <= :soldAtMs',
                ExpressionAttributeNames: { '#buyer': 'buyer', '#untilMs': 'untilMs' },
                ExpressionAttributeValues: { ':buyer': sale.buyer, ':soldAtMs': toMs(soldAt) },
              },
            },
          },
          // The buyer's list of their leedz points at it (listBoughtLeedz).
          { label: 'leed', item: { Put: { TableName, Item: { ...keyOf.boughtBy(sale.buyer, sale.id), leedId: sale.id } } } },
          // The payment, sold: unless it was refused meanwhile (refusePayment), which then reads as refused.
          {
            label: 'payment',
            item: {
              Put: {
                TableName,
                Item: { ...keyOf.payment(sale.id, sale.paymentId), outcome: 'sold', at: soldAt } satisfies PaymentItem,
                ConditionExpression: 'attribute_not_exists(PK) OR #outcome = :sold',
                ExpressionAttributeNames: { '#outcome': 'outcome' },
                ExpressionAttributeValues: { ':sold': 'sold' },
              },
            },
          },
          ...outboxSteps(outbox),
        ]);
        if (outcome.committed) return { ok: true, leed: { ...leedFromItem(current), status: 'sold', buyer: sale.buyer, soldAt } };
        throwForCommonFailures(outcome.failed);
        const lost = outcome.failed.find((f) => f.step.label === 'leed');
        // The leed's own refusal first (sold meanwhile, or changed: read again); only then the hold.
        if (lost !== undefined) return saleRefusal(lost.old as LeedItem | undefined, sale) ?? AGAIN;
        if (outcome.failed.some((f) => f.step.label === 'reservation')) return { ok: false, reason: 'held-by-another', leed: leedFromItem(current) };
        // Refused meanwhile (the payment step): read again, which finds it so.
        return AGAIN;
      });
    },

    async refusePayment(refusal) {
      try {
        await doc.send(
          new PutCommand({
            TableName,
            Item: { ...keyOf.payment(refusal.id, refusal.paymentId), outcome: 'refused', reason: refusal.reason, at: canonicalInstant(refusal.at) } satisfies PaymentItem,
            // Not over a sale: a delivery racing this one sold the leed with this very payment.
            ConditionExpression: 'attribute_not_exists(PK) OR #outcome = :refused',
            ExpressionAttributeNames: { '#outcome': 'outcome' },
            ExpressionAttributeValues: { ':refused': 'refused' },
          }),
        );
        return 'refused';
      } catch (error) {
        if (isVendorError(error, ConditionalCheckFailedException)) return 'sold';
        throw error;
      }
    },
  };
}

/** Why `sale` cannot be recorded on the leed as read (and its payment item, when there is one), or undefined when it can. */
function saleRefusal(item: LeedItem | undefined, sale: Sale, payment?: PaymentItem): SaleResult | undefined {
  if (item === undefined || item.trade !== sale.trade) return { ok: false, reason: 'not-found' };
  const leed = leedFromItem(item);
  if (item.paymentId === sale.paymentId && item.buyer === sale.buyer) return { ok: false, reason: 'duplicate-payment', leed };
  // Refused before (and refunded): refused again, whatever the leed is now.
  if (payment?.outcome === 'refused') return { ok: false, reason: payment.reason ?? 'not-active', leed };
  if (item.status === 'sold') return { ok: false, reason: 'already-sold', leed };
  // Over when the payment arrives (a checkout page left open past the gig): no longer for sale. The
  // revision in the sale's condition keeps the end as read.
  if (item.status !== 'active' || hasEnded(leed, new Date(sale.soldAt))) return { ok: false, reason: 'not-active', leed };
  // The price as read; the sale's condition on the revision makes it the price at the write.
  if (item.price !== sale.amount) return { ok: false, reason: 'wrong-amount', leed };
  return undefined;
}
