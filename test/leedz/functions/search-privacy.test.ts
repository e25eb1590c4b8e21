/**
 * A radius search must not locate a leed better than its public zip does. Anyone may search, with
 * any radius up to 500 miles; were the radius compared with the house's own point (Amazon Location
 * geocodes to the house), halving it around a few zips would measure the distances that put the
 * hidden address on a map. Driven in-process over SQLite with a geocoder that answers the house's
 * point, as Amazon Location does (it cannot run here); the zip centres are the embedded data's.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createZipGeocoder } from '../../../src/adapters/geocoder/zip/zip-geocoder.js';
import { createSqliteStore, type SqliteStore } from '../../../src/adapters/store/sqlite/sqlite-store.js';
import { haversineMiles, roundedPoint, type GeoPoint } from '../../../src/leedz/domain/geo.js';
import type { HttpRequest } from '../../../src/leedz/functions/http.js';
import { createMarketplace, type Marketplace } from '../../../src/leedz/marketplace.js';
import type { Geocoder } from '../../../src/leedz/ports.js';
import { aUser } from '../../helpers/builders.js';
import { callAs } from '../../helpers/call-function.js';
import { localDeps } from '../../helpers/local-deps.js';
import { tempDir } from '../../helpers/temp-dir.js';

const zips = createZipGeocoder();
const centreOf = async (zip: string): Promise<GeoPoint> => (await zips.zipPoint(zip))!;

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
let marketplace: Marketplace;
/** Where the geocoder puts every house: set by each test. */
let house: GeoPoint;
/** Whether the geocoder knows zips' centres (Amazon Location may find none for a zip). */
let knowsZips: boolean;

beforeEach(async () => {
  dir = tempDir('leedz-search-privacy-');
  store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
  knowsZips = true;
  const houseGeocoder: Geocoder = {
    geocode: async (address) => {
      const place = await zips.geocode(address);
      return place === undefined ? undefined : { ...place, point: house };
    },
    zipPoint: async (zip) => (knowsZips ? zips.zipPoint(zip) : undefined),
  };
  marketplace = createMarketplace(localDeps(store, dir.path, { geocoder: houseGeocoder }));
  await store.addTrades([{ name: 'dj' }]);
  await store.createUser(aUser({ username: 'pat' }), []);
});

afterEach(() => {
  store.close();
  dir.cleanup();
});

/** Call the function `name` as the HTTP edge would, as `username` (or no one). */
const call = (name: string, request: Partial<HttpRequest> & { as?: string }) => callAs(marketplace, name, request);

const start = new Date(Date.now() + 7 * 86_400_000);
start.setUTCHours(18, 0, 0, 0);

/** Pat posts a dj leed at `location`, its location hidden (the default). */
async function post(location: string): Promise<string> {
  const posted = await call('addLeed', {
    as: 'pat',
    body: { trade: 'dj', title: 'Wedding needs a DJ', location, start: start.toISOString(), end: new Date(start.getTime() + 3 * 3_600_000).toISOString(), price: 2500 },
  });
  expect(posted.status).toBe(201);
  return posted.body.id as string;
}

/** Whether an anonymous search within `radius` miles of `zip` finds the leed. */
async function found(id: string, zip: string, radius: number): Promise<boolean> {
  const answer = await call('searchLeedz', {
    query: { trades: 'dj', from: new Date(start.getTime() - 86_400_000).toISOString(), to: new Date(start.getTime() + 86_400_000).toISOString(), zip, radius: String(radius) },
  });
  expect(answer.status).toBe(200);
  return (answer.body.leedz as { id: string }[]).some((leed) => leed.id === id);
}

/** What a stranger measures: the radius at which the leed drops out of a search around `zip`, to a thousandth of a mile. */
async function measuredDistance(id: string, zip: string): Promise<number> {
  let [inside, outside] = [500, 0];
  while (inside - outside > 0.001) {
    const radius = (inside + outside) / 2;
    if (await found(id, zip, radius)) inside = radius;
    else outside = radius;
  }
  return inside;
}

describe('a radius search', () => {
  it('measures the distance to the leed’s zip centre, never to the house', async () => {
    const home = await centreOf('62701');
    const from = await centreOf('62702');
    // The house lies between its zip's centre and the searcher's: closer than the centre by about a mile.
    house = { lat: home.lat + (from.lat - home.lat) * 0.3, lon: home.lon + (from.lon - home.lon) * 0.3 };
    const id = await post('123 Main Street, Springfield, IL 62701');

    const measured = await measuredDistance(id, '62702');

    expect(measured).toBeCloseTo(haversineMiles(from, home), 2);
    expect(Math.abs(measured - haversineMiles(from, house))).toBeGreaterThan(0.3);
    expect((await store.getLeed('dj', id))?.point).toEqual(home);
  });

  it('keeps to the zip centre after an edit moves the leed to another zip', async () => {
    house = await centreOf('62701');
    const id = await post('123 Main Street, Springfield, IL 62701');
    house = { lat: 39.7712345, lon: -89.6812345 };

    const edited = await call('editLeed', { as: 'pat', params: { trade: 'dj', id }, body: { location: '9 Elm Avenue, Springfield, IL 62704' } });

    expect(edited.status).toBe(200);
    expect((await store.getLeed('dj', id))?.point).toEqual(await centreOf('62704'));
  });

  it('with no centre for the zip, compares a point rounded to a tenth of a degree', async () => {
    knowsZips = false;
    house = { lat: 39.8123456, lon: -89.6487654 };
    const id = await post('123 Main Street, Springfield, IL 62701');

    expect((await store.getLeed('dj', id))?.point).toEqual(roundedPoint(house, 1));
    expect(roundedPoint(house, 1)).toEqual({ lat: 39.8, lon: -89.6 });
  });
});
