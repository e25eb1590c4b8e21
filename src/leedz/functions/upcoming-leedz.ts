/**
 * `GET /api/trades/{trade}/leedz?from=…&after=…&limit=…`: every active leed of one trade that starts
 * from `from` (default: now) on and has not ended, soonest first — the web app's list view of a trade.
 * Search (`GET /api/leedz`) caps its range at 93 days for the calendar; this runs to the booking
 * horizon (two years: no leed starts later), a page at a time: the client asks for the next page with
 * `from` = the last leed's start and `after` = its id, so that leedz sharing one start are never
 * skipped, however many there are. Previews only: never the location.
 */
import { z } from 'zod';
import { BOOKING_HORIZON_DAYS, earliestStartNotEnded, instantSchema } from '../domain/leed.js';
import { tradeNameSchema } from '../domain/trade.js';
import type { MarketplaceDeps } from '../deps.js';
import { defineHttpFunction } from './define-http-function.js';
import { notFound, ok, parseWith } from './http.js';
import { withoutPoint } from './search-leedz.js';

export const UPCOMING_PAGE_MAX = 1000;

export const upcomingQuerySchema = z
  .strictObject({
    from: instantSchema.optional(),
    after: z
      .string()
      .min(1, 'must be the id of the last leed of the previous page')
      .max(100, 'must be the id of the last leed of the previous page')
      .optional()
      .describe('the id of the last leed of the previous page, whose start is `from`: the page goes on after it, so leedz that share one start are never skipped'),
    limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(UPCOMING_PAGE_MAX, `must be at most ${UPCOMING_PAGE_MAX}`).optional(),
  })
  .check((ctx) => {
    if (ctx.value.after !== undefined && ctx.value.from === undefined) {
      ctx.issues.push({ code: 'custom', path: ['after'], message: 'goes with from: the start of the leed it names', input: ctx.value.after });
    }
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
      const now = deps.now();
      const { from = now.toISOString(), after, limit = 200 } = query.value;
      // Leedz that started longer ago than the longest gig are over: the read starts after them (and
      // a cursor before that names one of them).
      const earliest = earliestStartNotEnded(now).toISOString();
      const page = Date.parse(from) < Date.parse(earliest) ? { from: earliest } : { from, ...(after === undefined ? {} : { after }) };
      // No leed starts later than the booking horizon (a day more for one posted while this runs).
      const to = new Date(now.getTime() + (BOOKING_HORIZON_DAYS + 1) * 86_400_000).toISOString();
      const listings = await deps.store.searchLeedListings({ trades: [trade], ...page, to, endsFrom: now.toISOString(), limit });
      return ok({ leedz: listings.map(withoutPoint) });
    },
  });
}
