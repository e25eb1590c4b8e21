import { describe, expect, it } from 'vitest';
import { createZipGeocoder, zipGeocoderPlaceKey } from '../../../src/adapters/geocoder/zip/zip-geocoder.js';
import { describeGeocoderContract } from '../../contracts/geocoder.js';

describeGeocoderContract('zip', async () => ({ geocoder: createZipGeocoder(), teardown: async () => {} }));

describe('zip geocoder', () => {
  const geocoder = createZipGeocoder();

  it('gives the zip’s centroid as the point and the normalised street and zip as the place key', async () => {
    expect(await geocoder.geocode('123 Main Street, Springfield, IL 62701')).toEqual({
      point: { lat: 39.8, lon: -89.6495 },
      zip: '62701',
      placeKey: '123 main st 62701',
      timeZone: 'America/Chicago',
    });
  });

  it('time zones come from the zip’s state', async () => {
    expect((await geocoder.geocode('9500 Wilshire Blvd, Beverly Hills, CA 90210'))?.timeZone).toBe('America/Los_Angeles');
    expect((await geocoder.geocode('20 W 34th St, New York, NY 10001'))?.timeZone).toBe('America/New_York');
    expect((await geocoder.geocode('2 Kalakaua Ave, Honolulu, HI 96801'))?.timeZone).toBe('Pacific/Honolulu');
    expect((await geocoder.geocode('100 N Central Ave, Phoenix, AZ 85004'))?.timeZone).toBe('America/Phoenix');
  });

  it('the zip decides, not the state written in the address (a typo in the state is not a new place)', async () => {
    expect((await geocoder.geocode('123 Main St, Springfield, CA 62701'))?.timeZone).toBe('America/Chicago');
  });

  it('territories get their own zone; military mail zips (no place for a gig) are not found', async () => {
    expect((await geocoder.geocode('1 Calle Fortaleza, San Juan, PR 00901'))?.timeZone).toBe('America/Puerto_Rico');
    expect((await geocoder.geocode('1 Marine Dr, Hagatna, GU 96910'))?.timeZone).toBe('Pacific/Guam');
    expect(await geocoder.geocode('Unit 2050, APO, AE 09096')).toBeUndefined();
  });

  it('a zip whose data says 0,0 ("no centre") has no point', async () => {
    expect(await geocoder.zipPoint('34001')).toBeUndefined();
  });

  it('address variants (case, punctuation, spacing, abbreviations, with or without the town and state) give one place key', async () => {
    const variants = [
      '123 Main Street, Springfield, IL 62701',
      '123 MAIN ST., SPRINGFIELD, IL 62701',
      '123 main st springfield il 62701',
      '  123  Main   St ,Springfield,IL   62701',
      '123 Main Street, Springfield, Illinois 62701',
      '123 Main St 62701',
    ];
    const keys = new Set(await Promise.all(variants.map(async (v) => (await geocoder.geocode(v))?.placeKey)));
    expect([...keys]).toEqual(['123 main st 62701']);
  });

  it('the town and state are the zip data’s: St. Louis is Saint Louis, Washington DC’s name is spelled out', async () => {
    const stLouis = await geocoder.geocode('1 Market St, St. Louis, MO 63101');
    expect(stLouis?.placeKey).toBe('1 market st 63101');
    expect((await geocoder.geocode('1600 Pennsylvania Ave NW, Washington, District of Columbia 20001'))?.placeKey).toBe('1600 pennsylvania ave nw 20001');
    expect(zipGeocoderPlaceKey('1600 Pennsylvania Avenue Northwest, Washington, DC 20001')).toBe('1600 pennsylvania ave nw 20001');
    expect(zipGeocoderPlaceKey('1 Nowhere Rd, ZZ 00000')).toBeUndefined();
  });

  it('different houses of one zip share the point but not the place key', async () => {
    const a = await geocoder.geocode('123 Main St, Springfield, IL 62701');
    const b = await geocoder.geocode('125 Main St, Springfield, IL 62701');
    expect(b?.point).toEqual(a?.point);
    expect(b?.placeKey).not.toBe(a?.placeKey);
  });

  it('a zip glued to the street number is not read as a zip', async () => {
    expect(await geocoder.geocode('12362701')).toBeUndefined();
  });

  it('a Canadian postal code is not a US zip', async () => {
    expect(await geocoder.geocode('24 Sussex Dr, Ottawa, ON K1A 0A3')).toBeUndefined();
    expect(await geocoder.zipPoint('K1A')).toBeUndefined();
  });
});
