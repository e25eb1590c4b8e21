/**
 * `GET /api/trades/{trade}/leedz?from=…&limit=…`: every active leed of one trade that starts from
 * `from` (default: now) on, soonest first — the web app's list view of a trade. Search
 * (`GET /api/leedz`) caps its range at 93 days for the calendar; this runs to the booking horizon
 * (two years: no leed starts later), a page at a time, and the client asks for the next page with `from` = the last leed's start.
 * Previews only: never the location.
 */
import { z } from 'zod';
import { BOOKING_HORIZON_DAYS, instantSchema } from '../domain/leed.js';
import { tradeNameSchema } from '../domain/trade.js';
import type { MarketplaceDeps } from '../deps.js';
import { defineHttpFunction } from './define-http-function.js';
import { notFound, ok, parseWith } from './http.js';
import { withoutPoint } from './search-leedz.js';

export const UPCOMING_PAGE_MAX = 1000;

export const upcomingQuerySchema = z.strictObject({
  from: instantSchema.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(UPCOMING_PAGE_MAX, `must be at most ${UPCOMING_PAGE_MAX}`).optional(),
});

export function createUpcomingLeedz(deps: MarketplaceDeps) {
  return defineHttpFunction('upcomingLeedz', {
    table: ['get', 'query'],
    handler: async (request) => {
      const params = parseWith(z.object({ trade: tradeNameSchema }), request.params, 'parameter');
      if (!params.ok) return params.result;
      const query = parseWith(upcomingQuerySchema, request.query, 'parameter');
      if (!query.ok) return query.result;
      const { trade } = params.value;
      if ((await deps.store.getTrade(trade)) === undefined) return notFound('trade');
      const { from = deps.now().toISOString(), limit = 200 } = query.value;
      // No leed starts later than the booking horizon (a day more for one posted while this runs).
      const to = new Date(deps.now().getTime() + (BOOKING_HORIZON_DAYS + 1) * 86_400_000).toISOString();
      const listings = await deps.store.searchLeedListings({ trades: [trade], from, to, limit });
      return ok({ leedz: listings.map(withoutPoint) });
    },
  });
}
