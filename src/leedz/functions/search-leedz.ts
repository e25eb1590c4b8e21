/**
 * `GET /api/leedz?trades=a,b&from=…&to=…&zip=…&radius=…`: active leedz of those trades starting in
 * [from, to], optionally within `radius` miles of `zip`. Previews only: never the location. A
 * signed-in vendor's own leedz are always in, whatever the distance: a calendar that hid the gigs
 * one posted would look as if the post had failed.
 */
import { z } from 'zod';
import { zipSchema } from '../domain/address.js';
import { haversineMiles, type GeoPoint } from '../domain/geo.js';
import { instantSchema } from '../domain/leed.js';
import { tradeNameSchema } from '../domain/trade.js';
import { previewLeed, type LeedPreview } from '../domain/visibility.js';
import type { MarketplaceDeps } from '../deps.js';
import type { LeedListing, LeedSearch } from '../ports.js';
import { authenticate, defineHttpFunction } from './define-http-function.js';
import { invalid, ok, parseWith } from './http.js';

const MAX_RANGE_DAYS = 93;
/** How many of a vendor's own leedz a search looks through to add those outside the radius. */
const OWN_LEEDZ_LIMIT = 500;
export const MAX_SEARCH_RESULTS = 5000;

export const searchQuerySchema = z
  .strictObject({
    trades: z
      .string({ error: 'is required: a comma-separated list of trades' })
      .transform((list) => [...new Set(list.split(',').map((t) => t.trim()).filter(Boolean))])
      .pipe(z.array(tradeNameSchema).min(1, 'must name at least one trade').max(30, 'must name at most 30 trades')),
    from: instantSchema,
    to: instantSchema,
    zip: zipSchema.optional(),
    radius: z.coerce.number({ error: 'must be a number of miles' }).positive('must be a number of miles above 0').max(500, 'must be at most 500 miles').optional(),
    limit: z.coerce.number().int().min(1).max(MAX_SEARCH_RESULTS).optional(),
  })
  .check((ctx) => {
    const { from, to, zip, radius } = ctx.value;
    if (Date.parse(to) < Date.parse(from)) ctx.issues.push({ code: 'custom', path: ['to'], message: 'must not be before from', input: to });
    else if (Date.parse(to) - Date.parse(from) > MAX_RANGE_DAYS * 86_400_000) {
      ctx.issues.push({ code: 'custom', path: ['to'], message: `must be at most ${MAX_RANGE_DAYS} days after from`, input: to });
    }
    if ((zip === undefined) !== (radius === undefined)) {
      ctx.issues.push({ code: 'custom', path: [zip === undefined ? 'zip' : 'radius'], message: 'zip and radius go together', input: undefined });
    }
  });

export function createSearchLeedz(deps: MarketplaceDeps) {
  return defineHttpFunction('searchLeedz', {
    table: 'read',
    handler: async (request) => {
      const parsed = parseWith(searchQuerySchema, request.query);
      if (!parsed.ok) return parsed.result;
      const { trades, from, to, zip, radius, limit = MAX_SEARCH_RESULTS } = parsed.value;
      const query: LeedSearch = { trades, from, to, limit };
      let center: GeoPoint | undefined;
      if (zip !== undefined && radius !== undefined) {
        center = await deps.geocoder.zipPoint(zip);
        if (center === undefined) return invalid([{ path: 'zip', message: 'is not a known US zip code' }]);
        query.box = boundingBox(center, radius);
      }
      const listings = await deps.store.searchLeedListings(query);
      const inRange = center === undefined ? listings : listings.filter((leed) => haversineMiles(center, leed.point) <= radius!);
      const caller = authenticate(request);
      if (center === undefined || caller === undefined) return ok({ leedz: inRange.map(withoutPoint) });
      const found = new Set(inRange.map((leed) => leed.id));
      const [fromMs, toMs] = [Date.parse(from), Date.parse(to)];
      const own = (await deps.store.listPostedLeedz(caller.username, OWN_LEEDZ_LIMIT)).filter(
        (leed) => leed.status === 'active' && trades.includes(leed.trade) && !found.has(leed.id) && Date.parse(leed.start) >= fromMs && Date.parse(leed.start) <= toMs,
      );
      const merged = [...inRange.map(withoutPoint), ...own.map(previewLeed)].sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return ok({ leedz: merged.slice(0, limit) });
    },
  });
}

/** A box that contains the circle of `radius` miles around `center` (a prefilter for an index). */
export function boundingBox(center: GeoPoint, radiusMiles: number): NonNullable<LeedSearch['box']> {
  const latDelta = radiusMiles / 69.0;
  const lonDelta = radiusMiles / Math.max(1e-6, 69.172 * Math.cos((center.lat * Math.PI) / 180));
  return { minLat: center.lat - latDelta, maxLat: center.lat + latDelta, minLon: center.lon - lonDelta, maxLon: center.lon + lonDelta };
}

/** A listing as the API shows it: never the point (it would locate the gig to a few metres). */
export function withoutPoint(listing: LeedListing): LeedPreview {
  const { point: _point, ...preview } = listing;
  return preview;
}
