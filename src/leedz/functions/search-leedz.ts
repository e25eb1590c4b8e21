/**
 * `GET /api/leedz?trades=a,b&from=…&to=…&zip=…&radius=…`: active leedz of those trades starting in
 * [from, to], optionally within `radius` miles of `zip`. Previews only: never the location. A
 * signed-in vendor's own leedz are always in, whatever the distance: a calendar that hid the gigs
 * one posted would look as if the post had failed.
 *
 * With `perDay=N` the answer is what a month calendar shows: the first N leedz of each day (the day
 * where the gig happens, in its own time zone) and, in `days`, how many leedz each day has. A busy
 * month then answers in about the same bytes as a quiet one; the calendar asks for a day's whole
 * list when it is opened.
 *
 * A leed whose end has passed is over (it reads `expired`) and is left out, the vendor's own too. A
 * trade that does not exist is a 400 naming it, as a zip the geocoder does not know is.
 *
 * The answer is built once as JSON text ({@link RawJson}: by the database when it can) and kept, per
 * query, until a write touches one of its trades (the store's `searchVersion`), so a month that many
 * vendors look at is read from the database once per change, not once per look — or until the first
 * of its leedz ends, which no write marks. The query itself is validated once per distinct query
 * string too: its parse was a tenth of answering from the cache.
 */
import { z } from 'zod';
import { RawJson } from '../../framework/raw-json.js';
import { zipSchema } from '../domain/address.js';
import { haversineMiles, type GeoPoint } from '../domain/geo.js';
import { earliestStartNotEnded, hasEnded, instantSchema } from '../domain/leed.js';
import { localDateOf } from '../domain/time-zone.js';
import { tradeNameSchema } from '../domain/trade.js';
import { previewLeed, type LeedPreview } from '../domain/visibility.js';
import type { MarketplaceDeps } from '../deps.js';
import type { LeedListing, LeedSearch } from '../ports.js';
import { authenticate, defineHttpFunction } from './define-http-function.js';
import { invalid, ok, parseWith, PRIVATE, type HttpResult } from './http.js';

const MAX_RANGE_DAYS = 93;
/** How many of a vendor's own leedz a search looks through to add those outside the radius. */
const OWN_LEEDZ_LIMIT = 500;
export const MAX_SEARCH_RESULTS = 5000;
/** The most leedz a day may list with `perDay` (a calendar cell shows a few). */
export const MAX_PER_DAY = 100;
/**
 * The most leedz a `perDay` search reads to count its days: every day of a range is counted, not
 * only those of the soonest `limit` leedz, or a busy month would show its first week only. Bounded,
 * because anyone may ask (and on AWS nothing keeps the answer): a range holding more counts the
 * soonest this many.
 */
export const PER_DAY_SCAN = 20_000;

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
    perDay: z.coerce
      .number({ error: `must be a whole number from 1 to ${MAX_PER_DAY}` })
      .int(`must be a whole number from 1 to ${MAX_PER_DAY}`)
      .min(1, `must be a whole number from 1 to ${MAX_PER_DAY}`)
      .max(MAX_PER_DAY, `must be a whole number from 1 to ${MAX_PER_DAY}`)
      .optional(),
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

/** Answers kept at most: a month of one busy trade is a few hundred KB. */
const CACHE_ENTRIES = 256;
const CACHE_BYTES = 64 * 1024 * 1024;

type SearchQuery = z.output<typeof searchQuerySchema>;

export function createSearchLeedz(deps: MarketplaceDeps) {
  const cache = createAnswerCache(CACHE_ENTRIES, CACHE_BYTES);
  // Valid queries by their parameters as sent (an invalid one is parsed each time: its 400 names the fields).
  const validQueries = new Map<string, SearchQuery>();
  // Trades once found: no operation removes one, so a search of known trades reads none.
  const knownTrades = new Set<string>();
  const unknownTradesOf = async (trades: readonly string[]): Promise<string[]> => {
    if (trades.every((trade) => knownTrades.has(trade))) return [];
    for (const trade of await deps.store.listTrades()) knownTrades.add(trade.name);
    return trades.filter((trade) => !knownTrades.has(trade));
  };
  return defineHttpFunction('searchLeedz', {
    // A signed-in vendor's radius search adds their own leedz, read item by item (get).
    table: ['get', 'query'],
    handler: async (request) => {
      const sent = JSON.stringify(request.query);
      let query = validQueries.get(sent);
      if (query === undefined) {
        const parsed = parseWith(searchQuerySchema, request.query, 'parameter');
        if (!parsed.ok) return parsed.result;
        query = parsed.value;
        if (validQueries.size >= CACHE_ENTRIES) validQueries.delete(validQueries.keys().next().value!);
        validQueries.set(sent, query);
      }
      const { trades, from, to, zip, radius, limit = MAX_SEARCH_RESULTS, perDay } = query;
      const unknown = await unknownTradesOf(trades);
      if (unknown.length > 0) {
        const named = unknown.map((trade) => JSON.stringify(trade)).join(', ');
        return invalid([{ path: 'trades', message: `${named} ${unknown.length === 1 ? 'is not a known trade' : 'are not known trades'}` }]);
      }
      const caller = authenticate(request);
      const now = deps.now();
      // The answer is the same for everyone unless a signed-in vendor's own leedz join a radius search.
      const shared = zip === undefined || caller === undefined;
      const key = JSON.stringify([[...trades].sort(), Date.parse(from), Date.parse(to), zip ?? null, radius ?? null, limit, perDay ?? null]);
      const version = shared ? await deps.store.searchVersion?.(trades) : undefined;
      if (version !== undefined) {
        const kept = cache.get(key, version, now);
        if (kept !== undefined) return ok(kept);
      }
      // Leedz that started longer ago than the longest gig are over: the read starts after them.
      const readFrom = laterOf(from, earliestStartNotEnded(now).toISOString());
      const notEnded = { trades, from: readFrom, to, endsFrom: now.toISOString(), limit: perDay === undefined ? limit : PER_DAY_SCAN };
      const found = await search(deps, notEnded, zip, radius, caller, now);
      if (!(found instanceof RawJson)) return found;
      const answer = perDay === undefined ? found : firstOfEachDay(found, perDay, limit);
      // Kept until the first leed it counts ends (perDay counts more leedz than it lists).
      if (version !== undefined) cache.set(key, version, answer, firstEndOf(found));
      return shared ? ok(answer) : ok(answer, PRIVATE);
    },
  });
}

/** The later of two instants. */
function laterOf(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

/** The search itself: the answer as JSON text, or a 400 for a zip the geocoder does not know. */
async function search(
  deps: MarketplaceDeps,
  query: LeedSearch,
  zip: string | undefined,
  radius: number | undefined,
  caller: ReturnType<typeof authenticate>,
  now: Date,
): Promise<RawJson | HttpResult> {
  const { trades, from, to, limit } = query;
  if (zip === undefined || radius === undefined) {
    if (deps.store.searchPreviewsJson !== undefined) return new RawJson(`{"leedz":${await deps.store.searchPreviewsJson(query)}}`);
    return new RawJson(JSON.stringify({ leedz: (await deps.store.searchLeedListings(query)).map(withoutPoint) }));
  }
  const center = await deps.geocoder.zipPoint(zip);
  if (center === undefined) return invalid([{ path: 'zip', message: 'is not a known US zip code' }]);
  const listings = await deps.store.searchLeedListings({ ...query, box: boundingBox(center, radius) });
  const inRange = listings.filter((leed) => haversineMiles(center, leed.point) <= radius);
  if (caller === undefined) return new RawJson(JSON.stringify({ leedz: inRange.map(withoutPoint) }));
  const found = new Set(inRange.map((leed) => leed.id));
  const [fromMs, toMs] = [Date.parse(from), Date.parse(to)];
  const own = (await deps.store.listPostedLeedz(caller.username, OWN_LEEDZ_LIMIT)).filter(
    (leed) => leed.status === 'active' && !hasEnded(leed, now) && trades.includes(leed.trade) && !found.has(leed.id) && Date.parse(leed.start) >= fromMs && Date.parse(leed.start) <= toMs,
  );
  const merged = [...inRange.map(withoutPoint), ...own.map(previewLeed)].sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return new RawJson(JSON.stringify({ leedz: merged.slice(0, limit) }));
}

/**
 * A search's answer as a calendar shows it: the first `perDay` leedz of each day where the gig is
 * (the answer is soonest first, so the first of each day are its earliest), at most `limit` in all,
 * and every day's count.
 */
function firstOfEachDay(answer: RawJson, perDay: number, limit: number): RawJson {
  const { leedz } = JSON.parse(answer.json) as { leedz: LeedPreview[] };
  const days: Record<string, number> = {};
  const kept: LeedPreview[] = [];
  for (const leed of leedz) {
    const day = localDateOf(leed.start, leed.timeZone);
    const count = (days[day] ?? 0) + 1;
    days[day] = count;
    if (count <= perDay && kept.length < limit) kept.push(leed);
  }
  return new RawJson(JSON.stringify({ leedz: kept, days }));
}

/** A leed's end in an answer's JSON: a quote inside a JSON string is escaped, so only the key itself matches. */
const END_FIELD = /"end":"([^"]+)"/g;

/**
 * When the first of an answer's leedz ends (epoch ms; never, for none): until then none of them is
 * over. Read once per answer built, not per answer served, and from the text: the calendar's month
 * reads up to 20,000 leedz, and parsing them cost 50 ms, a fifth of building the answer.
 */
function firstEndOf(answer: RawJson): number {
  let first = Number.POSITIVE_INFINITY;
  for (const [, end] of answer.json.matchAll(END_FIELD)) first = Math.min(first, Date.parse(end!));
  return first;
}

/**
 * Answers by query, each valid while the store's version of its trades is the one it was read at and
 * none of its leedz has ended (a leed ending is no write: nothing bumps the version); the least
 * recently used go first past `maxEntries` or `maxBytes`.
 */
function createAnswerCache(maxEntries: number, maxBytes: number) {
  const entries = new Map<string, { version: string; answer: RawJson; firstEnd: number }>();
  let bytes = 0;
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (entry === undefined) return;
    bytes -= entry.answer.json.length;
    entries.delete(key);
  };
  return {
    get(key: string, version: string, now: Date): RawJson | undefined {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      // A leed has ended once its end is before now (hasEnded).
      if (entry.version !== version || entry.firstEnd < now.getTime()) {
        drop(key);
        return undefined;
      }
      // Most recently used last.
      entries.delete(key);
      entries.set(key, entry);
      return entry.answer;
    },
    set(key: string, version: string, answer: RawJson, firstEnd: number): void {
      drop(key);
      if (answer.json.length > maxBytes) return;
      entries.set(key, { version, answer, firstEnd });
      bytes += answer.json.length;
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && bytes <= maxBytes) break;
        drop(oldest);
      }
    },
  };
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
