/**
 * `GET /api/me/leedz`: a vendor's own business on the Leedz — the leedz they posted (available, on
 * hold, sold, expired; deleted ones left out) and those they bought, latest gig first, each with
 * every field (they are a party to each), and the totals: what their sales earned after the
 * platform's fee, the fees, and what they spent.
 */
import { platformFeeCents } from '../domain/money.js';
import { formatGigTime } from '../domain/time-zone.js';
import type { MyLeed, MyLeedz } from '../domain/visibility.js';
import { hasEnded, type Leed } from '../domain/leed.js';
import type { MarketplaceDeps } from '../deps.js';
import { authenticate, defineHttpFunction } from './define-http-function.js';
import { ok, PRIVATE, unauthenticated } from './http.js';

/** The most leedz of each list one answer holds. */
export const MY_LEEDZ_LIMIT = 500;

export function createMyLeedz(deps: MarketplaceDeps) {
  return defineHttpFunction('myLeedz', {
    table: ['get', 'query'],
    handler: async (request) => {
      const caller = authenticate(request);
      if (caller === undefined) return unauthenticated();
      const now = deps.now();
      const [posted, bought] = await Promise.all([
        deps.store.listPostedLeedz(caller.username, MY_LEEDZ_LIMIT),
        deps.store.listBoughtLeedz(caller.username, MY_LEEDZ_LIMIT),
      ]);
      const view = (leed: Leed): MyLeed => ({
        ...leed,
        // An active leed whose time has passed can no longer be bought (as GET /api/leedz/{trade}/{id} says).
        status: leed.status === 'active' && hasEnded(leed, now) ? 'expired' : leed.status,
        when: formatGigTime(leed.start, leed.end, leed.timeZone),
        fee: leed.status === 'sold' ? platformFeeCents(leed.price) : 0,
      });
      const sold = posted.filter((leed) => leed.status === 'sold');
      const fees = sold.reduce((sum, leed) => sum + platformFeeCents(leed.price), 0);
      const body: MyLeedz = {
        posted: posted.map(view),
        bought: bought.map(view),
        totals: {
          posted: posted.length,
          sold: sold.length,
          bought: bought.length,
          earned: sold.reduce((sum, leed) => sum + leed.price, 0) - fees,
          fees,
          spent: bought.reduce((sum, leed) => sum + leed.price, 0),
        },
      };
      return ok(body, PRIVATE);
    },
  });
}
