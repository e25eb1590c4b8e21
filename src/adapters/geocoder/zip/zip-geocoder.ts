/**
 * The embedded Geocoder: offline US ZIP centroids from the `zipcodes` package, no account and no
 * network. A leed's point is its zip's centre (good enough for "within 20 miles"), and "the same
 * place" is the normalised street and the zip (docs/marketplace.md, Conflicts), since a centroid
 * cannot tell two houses of one zip apart.
 */
import zipcodes from 'zipcodes';
import { zipOfAddress } from '../../../leedz/domain/address.js';
import { type ZipArea, zipPlaceKey } from '../../../leedz/domain/conflict.js';
import type { GeoPoint } from '../../../leedz/domain/geo.js';
import { timeZoneForStateOrTerritory } from '../../../leedz/domain/time-zone.js';
import type { Geocoder } from '../../../leedz/ports.js';

const FIVE_DIGITS = /^\d{5}$/;

/**
 * A Geocoder on offline US ZIP centroids. `geocode` reads the 5-digit zip at the end of the
 * address; an address without one, or with a zip the data does not know, gives `undefined`.
 *
 * @example
 * const geocoder = createZipGeocoder();
 * await geocoder.geocode('123 Main Street, Springfield, IL 62701');
 * // → { point: { lat: 39.8, lon: -89.6495 }, zip: '62701', placeKey: '123 main st 62701', timeZone: 'America/Chicago' }
 * await geocoder.zipPoint('90210'); // → { lat: 34.0901, lon: -118.4065 }
 */
export function createZipGeocoder(): Geocoder {
  return {
    async geocode(address) {
      const entry = usZipOfAddress(address);
      if (entry === undefined) return undefined;
      const timeZone = timeZoneForStateOrTerritory(entry.area.state);
      if (timeZone === undefined) return undefined;
      return { point: entry.point, zip: entry.area.zip, placeKey: zipPlaceKey(address, entry.area), timeZone };
    },

    async zipPoint(zip) {
      return usZip(zip)?.point;
    },
  };
}

/**
 * The place key the zip geocoder gives an address, or undefined when the address does not end with
 * a zip it knows: what the SQLite store re-keys stored leedz with when the rule changes (`placeKeyOf`).
 *
 * @example
 * zipGeocoderPlaceKey('123 Main Street, Springfield, IL 62701'); // → '123 main st 62701'
 */
export function zipGeocoderPlaceKey(address: string): string | undefined {
  const entry = usZipOfAddress(address);
  return entry === undefined ? undefined : zipPlaceKey(address, entry.area);
}

/** The entry of the zip an address ends with, or undefined. */
function usZipOfAddress(address: string): { point: GeoPoint; area: ZipArea } | undefined {
  const zip = zipOfAddress(address);
  return zip === undefined ? undefined : usZip(zip);
}

/** The entry of a 5-digit US zip with a usable centre, or undefined. */
function usZip(zip: string): { point: GeoPoint; area: ZipArea } | undefined {
  // Checked first: `lookup` reads any string starting with a letter as a Canadian prefix, and
  // indexes a plain object, where "constructor" would find Object.prototype's.
  if (!FIVE_DIGITS.test(zip)) return undefined;
  const entry = zipcodes.lookup(zip);
  if (entry === undefined || entry.country !== 'US') return undefined;
  const { latitude: lat, longitude: lon } = entry;
  // Military zips (APO/FPO) carry 0,0 for "no centre": a point off the coast of Africa.
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || (lat === 0 && lon === 0)) return undefined;
  return { point: { lat, lon }, area: { zip, town: entry.city, state: entry.state, stateName: zipcodes.states.abbr[entry.state] } };
}
