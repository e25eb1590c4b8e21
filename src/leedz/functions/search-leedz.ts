/**
 * `GET /api/leedz?trades=a,b&from=…&to=…&zip=…&radius=…`: active leedz of those trades starting in
 * [from, to], optionally within `radius` miles of `zip`. Previews only: never the location.
 */
import { z } from 'zod';
import { zipSchema } from '../domain/address.js';
import { haversineMiles, type GeoPoint } from '../domain/geo.js';
import { instantSchema } from '../domain/leed.js';
import { tradeNameSchema } from '../domain/trade.js';
import type { LeedPreview } from '../domain/visibility.js';
import type { MarketplaceDeps } from '../deps.js';
import type { LeedListing, LeedSearch } from '../ports.js';
import { defineHttpFunction } from './define-http-function.js';
import { invalid, ok, parseWith } from './http.js';

const MAX_RANGE_DAYS = 93;
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
      return ok({ leedz: inRange.map(withoutPoint) });
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
