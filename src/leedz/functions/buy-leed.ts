/**
 * `POST /api/leedz/{trade}/{id}/checkout`: a signed-in vendor (not the creator) buys a leed.
 * A free leed is sold at once; a paid one is reserved for this buyer for 15 minutes (so a second
 * buyer cannot start a checkout meanwhile) and the provider's checkout URL is returned. Checking out
 * again during one's own hold returns that hold as it is (never extended). When the provider cannot
 * create the checkout, the hold goes at once and the answer is 503.
 * `DELETE /api/leedz/{trade}/{id}/checkout`: the buyer cancels their checkout, and the hold goes at
 * once (an abandoned one runs out by itself after the 15 minutes).
 *
 * A hold keeps a leed from every other buyer, so new holds are counted per buyer: at most
 * {@link HOLDS_PER_LEED_PER_HOUR} of one leed in an hour (cancelling and checking out again must not
 * keep it for ever), and {@link HOLDS_PER_15_MINUTES} of any leedz in 15 minutes (one account must
 * not hold the whole marketplace). At either, no new hold is made and the answer is 429; past it
 * (checkouts of several leedz at once), the hold just made goes again.
 */
import { addMinutes } from './time.js';
import { errorLine } from '../../framework/errors.js';
import { prepare } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import { platformFeeCents } from '../domain/money.js';
import { hasEnded } from '../domain/leed.js';
import { formatClockInZone } from '../domain/time-zone.js';
import { mailboxOf } from '../domain/user.js';
import type { MarketplaceDeps } from '../deps.js';
import { receiptUrl } from '../emails/templates.js';
import { defineHttpFunction, outboxMessage, signedInCallerAndLeed } from './define-http-function.js';
import { noContent, ok, problem, rateLimited } from './http.js';

/** New holds one buyer may take of one leed in an hour: a checkout, and a second try after a cancel. */
export const HOLDS_PER_LEED_PER_HOUR = 2;
/** New holds one buyer may take of any leedz in 15 minutes (a hold's length). */
export const HOLDS_PER_15_MINUTES = 10;
const HOUR_MS = 3_600_000;
const QUARTER_MS = 15 * 60_000;

export function createBuyLeed(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('buyLeed', {
    // A paid leed is held (a condition check and a put) and the new hold counted (update); a free one
    // is sold at once (recordSale: update, delete of the hold, puts), and a hold goes again when the
    // provider fails or the buyer has taken too many (delete).
    table: ['get', 'put', 'update', 'delete', 'condition-check'],
    handler: async (request, ctx) => {
      const found = await signedInCallerAndLeed(deps, request);
      if (!found.ok) return found.result;
      const { caller, leed: leed } = found;
      const { trade, id } = leed;
      if (leed.creator === caller.username) return problem('FORBIDDEN', 'you cannot buy your own leed');
      // One mailbox, two accounts (ada+2@… signs in as a vendor of its own): still the poster's leed.
      const seller = await deps.store.getUser(leed.creator);
      if (seller !== undefined && mailboxOf(seller.email) === mailboxOf(caller.email)) {
        return problem('FORBIDDEN', 'you cannot buy your own leed: this account and the poster’s share a mailbox');
      }
      const now = deps.now();
      if (leed.status !== 'active') return problem('CONFLICT', `this leed is ${leed.status}`);
      if (hasEnded(leed, now)) return problem('CONFLICT', 'this leed has expired');

      if (leed.price === 0) {
        const work = { leedId: id, trade };
        const sale = await deps.store.recordSale({ trade, id, buyer: caller.username, paymentId: `free:${id}`, amount: 0, soldAt: now.toISOString() }, [
          outboxMessage(prepare(ctx, controllers.emailHelper).sendReceipts(work, { idempotencyKey: `receipts:${id}` })),
          outboxMessage(prepare(ctx, controllers.bookkeeping).leedSold(work, { idempotencyKey: `sold:${id}` })),
        ]);
        if (!sale.ok) {
          const why =
            sale.reason === 'already-sold'
              ? 'this leed was just sold to someone else'
              : sale.reason === 'held-by-another'
                ? 'another vendor is checking out this leed'
                : 'this leed is no longer available';
          return problem('CONFLICT', why);
        }
        return ok({ sold: true, receiptUrl: receiptUrl(deps.settings.publicUrl, { trade, id }) });
      }

      // Past a limit already, no hold is made, so none is taken back: a hold made and then released
      // again for the limit could be answered 200 meanwhile, with no hold behind it, to the same
      // buyer's checkout racing this one (which found the hold and took it for its own). Checking out
      // again during one's own hold is never refused.
      const refused = await holdLimit(deps, caller.username, trade, id, now, 0);
      if (refused !== undefined) {
        const held = await deps.store.getCheckoutHold(trade, id, now.toISOString());
        if (held?.buyer !== caller.username) return refused;
      }
      const reservedUntil = addMinutes(now, deps.settings.checkoutMinutes);
      const reservation = await deps.store.reserveCheckout(trade, id, caller.username, reservedUntil.toISOString(), now.toISOString());
      if (!reservation.ok) {
        const messages = {
          'not-found': 'leed not found',
          'not-active': 'this leed is no longer available',
          reserved: 'another vendor is checking out this leed; try again in a few minutes',
          'own-leed': 'you cannot buy your own leed',
        } as const;
        if (reservation.reason === 'reserved') {
          const hold = await deps.store.getCheckoutHold(trade, id, now.toISOString());
          if (hold !== undefined) {
            return problem('CONFLICT', `another vendor is checking out this leed until ${formatClockInZone(hold.until, leed.timeZone)}; if they do not pay, you can buy it then`);
          }
        }
        return problem(reservation.reason === 'not-found' ? 'NOT_FOUND' : reservation.reason === 'own-leed' ? 'FORBIDDEN' : 'CONFLICT', messages[reservation.reason]);
      }
      if (!reservation.alreadyHeld) {
        // Counted once the hold is made: checking out again during one's own hold takes no new one.
        // Checkouts of other leedz racing this one may still pass the limit together: the last goes again.
        const refusal = await holdLimit(deps, caller.username, trade, id, now, 1);
        if (refusal !== undefined) {
          await deps.store.releaseCheckout(trade, id, caller.username);
          return refusal;
        }
      }
      // A checkout again during the buyer's own hold gets a new checkout URL (the provider's URLs are not
      // kept) but the same hold, never a longer one; paying twice is refunded like any second payment.
      let checkoutUrl: string;
      try {
        ({ checkoutUrl } = await deps.payments.createCheckout({
          leedId: id,
          trade,
          title: leed.title,
          buyer: caller.username,
          seller: leed.creator,
          // The price the hold was made at, which cannot change while it lasts (the leed read above may be older).
          amount: reservation.price,
          fee: platformFeeCents(reservation.price),
          // Escaped: a trade's name may hold a space, which a payment provider may refuse in a URL.
          returnUrl: receiptUrl(deps.settings.publicUrl, { trade, id }),
        }));
      } catch (error) {
        // No way to pay, so no hold: other buyers must not wait 15 minutes for a provider's outage. A
        // hold this request did not make (the buyer's own, from an earlier checkout) stays as it was.
        if (!reservation.alreadyHeld) await deps.store.releaseCheckout(trade, id, caller.username);
        ctx.log(`buyLeed: ${trade}/${id}: the payment provider could not create a checkout for ${caller.username}: ${errorLine(error)}`);
        return problem('UNAVAILABLE', 'the payment provider could not start your checkout just now; try again in a minute');
      }
      return ok({ checkoutUrl, reservedUntil: reservation.reservedUntil });
    },
  });
}

/**
 * The 429 for a buyer past a hold limit, counting `taken` new holds (1: the hold just made; 0: only
 * read what the windows hold, and refuse at the limit, before a hold is made); undefined within both.
 */
async function holdLimit(deps: MarketplaceDeps, buyer: string, trade: string, id: string, now: Date, taken: 0 | 1) {
  const at = now.toISOString();
  const [ofLeed, ofAll] = await Promise.all([
    deps.store.countRequest(`holds:${buyer}:${trade}/${id}`, HOUR_MS, at, taken),
    deps.store.countRequest(`holds:${buyer}`, QUARTER_MS, at, taken),
  ]);
  // With the hold just made counted, its count may equal the limit; read before one is made, it may not.
  const allowed = taken === 1 ? 0 : 1;
  if (ofLeed + allowed > HOLDS_PER_LEED_PER_HOUR) {
    return rateLimited(`you have started ${HOLDS_PER_LEED_PER_HOUR} checkouts of this leed in this hour, so other vendors get their turn`, HOUR_MS, now.getTime());
  }
  if (ofAll + allowed > HOLDS_PER_15_MINUTES) {
    return rateLimited(`you have started ${HOLDS_PER_15_MINUTES} checkouts in 15 minutes, each keeping a leed from other vendors`, QUARTER_MS, now.getTime());
  }
  return undefined;
}

export function createCancelCheckout(deps: MarketplaceDeps) {
  return defineHttpFunction('cancelCheckout', {
    table: ['get', 'delete'],
    handler: async (request) => {
      const found = await signedInCallerAndLeed(deps, request);
      if (!found.ok) return found.result;
      // Only the caller's own hold goes; cancelling twice, or after it ran out, changes nothing.
      await deps.store.releaseCheckout(found.leed.trade, found.leed.id, found.caller.username);
      return noContent();
    },
  });
}
