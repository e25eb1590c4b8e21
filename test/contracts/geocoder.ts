/**
 * The Geocoder contract (`Geocoder` in `src/leedz/ports.ts`), run on every adapter: the offline
 * zip geocoder (and Amazon Location when it exists). Points are checked to within a few miles of
 * the place, since a zip centroid and a street address differ by that much.
 *
 * @example
 * describeGeocoderContract('zip', async () => ({ geocoder: createZipGeocoder(), teardown: async () => {} }));
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haversineMiles, type GeoPoint } from '../../src/leedz/domain/geo.js';
import type { Geocoder } from '../../src/leedz/ports.js';

export interface GeocoderFixture {
  geocoder: Geocoder;
  teardown(): Promise<void>;
}

/** Real places: the zip's rough centre and the zone people there live in. */
const PLACES = [
  { address: '100 S 5th St, Springfield, IL 62701', zip: '62701', near: { lat: 39.8, lon: -89.65 }, timeZone: 'America/Chicago' },
  { address: '9500 Wilshire Blvd, Beverly Hills, CA 90210', zip: '90210', near: { lat: 34.09, lon: -118.41 }, timeZone: 'America/Los_Angeles' },
  { address: '20 W 34th St, New York, NY 10001', zip: '10001', near: { lat: 40.75, lon: -73.99 }, timeZone: 'America/New_York' },
  // A leading zero: a zip kept as a number would lose it.
  { address: '1 Harvard Ave, Allston, MA 02134', zip: '02134', near: { lat: 42.35, lon: -71.13 }, timeZone: 'America/New_York' },
] as const;

const WITHIN_MILES = 10;

export function describeGeocoderContract(name: string, setup: () => Promise<GeocoderFixture>): void {
  describe(`Geocoder contract: ${name}`, () => {
    let fixture: GeocoderFixture;

    beforeEach(async () => {
      fixture = await setup();
    });

    afterEach(async () => {
      await fixture.teardown();
    });

    for (const place of PLACES) {
      it(`geocodes "${place.address}" to its zip, a point nearby and ${place.timeZone}`, async () => {
        const found = await fixture.geocoder.geocode(place.address);
        expect(found).toMatchObject({ zip: place.zip, timeZone: place.timeZone, placeKey: expect.any(String) });
        expect(haversineMiles(found?.point as GeoPoint, place.near)).toBeLessThan(WITHIN_MILES);
      });
    }

    it('an address whose zip does not exist is not found', async () => {
      expect(await fixture.geocoder.geocode('1 Nowhere Rd, Atlantis, ZZ 00000')).toBeUndefined();
    });

    it('an address without a trailing zip is not found', async () => {
      expect(await fixture.geocoder.geocode('100 S 5th St, Springfield, IL')).toBeUndefined();
      expect(await fixture.geocoder.geocode('')).toBeUndefined();
    });

    it('two spellings of one address are the same place', async () => {
      const a = await fixture.geocoder.geocode('100 South Fifth Street, Springfield, IL 62701');
      const b = await fixture.geocoder.geocode('100 south fifth st.  springfield IL 62701');
      expect(a?.placeKey).toBeDefined();
      expect(b?.placeKey).toBe(a?.placeKey);
    });

    it('zipPoint gives a zip’s centre, and nothing for an unknown or malformed zip', async () => {
      for (const place of PLACES) {
        const point = await fixture.geocoder.zipPoint(place.zip);
        expect(haversineMiles(point as GeoPoint, place.near)).toBeLessThan(WITHIN_MILES);
      }
      for (const bad of ['00000', '6270', '627011', 'abcde', ' 62701', 'K1A 0B1', 'constructor']) {
        expect(await fixture.geocoder.zipPoint(bad)).toBeUndefined();
      }
    });
  });
}
