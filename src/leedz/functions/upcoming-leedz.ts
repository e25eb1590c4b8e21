/**
 * `GET /api/trades/{trade}/leedz?from=…&limit=…`: every active leed of one trade that starts from
 * `from` (default: now) on, soonest first — the web app's list view of a trade. Search
 * (`GET /api/leedz`) caps its range at 93 days for the calendar; this has no upper bound, only a
 * page size, and the client asks for the next page with `from` = the last leed's start.
 * Previews only: never the location.
 */
import { z } from 'zod';
import { instantSchema } from '../domain/leed.js';
import { tradeNameSchema } from '../domain/trade.js';
import type { MarketplaceDeps } from '../deps.js';
import { defineHttpFunction } from './define-http-function.js';
import { notFound, ok, parseWith } from './http.js';
import { withoutPoint } from './search-leedz.js';

export const UPCOMING_PAGE_MAX = 1000;
// Later than any leed can start: the store's search wants an upper bound.
const END_OF_TIME = '9999-12-31T23:59:59.999Z';

export const upcomingQuerySchema = z.strictObject({
  from: instantSchema.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(UPCOMING_PAGE_MAX, `must be at most ${UPCOMING_PAGE_MAX}`).optional(),
});

export function createUpcomingLeedz(deps: MarketplaceDeps) {
  return defineHttpFunction('upcomingLeedz', {
    table: 'read',
    handler: async (request) => {
      const params = parseWith(z.object({ trade: tradeNameSchema }), request.params);
      if (!params.ok) return params.result;
      const query = parseWith(upcomingQuerySchema, request.query);
      if (!query.ok) return query.result;
      const { trade } = params.value;
      if ((await deps.store.getTrade(trade)) === undefined) return notFound('trade');
      const { from = deps.now().toISOString(), limit = 200 } = query.value;
      const listings = await deps.store.searchLeedListings({ trades: [trade], from, to: END_OF_TIME, limit });
      return ok({ leedz: listings.map(withoutPoint) });
    },
  });
}
