/**
 * The Geocoder on AWS: Amazon Location Service's place index (`SearchPlaceIndexForText`, Places API
 * version 1), restricted to the USA and to the single best match. "The same place"
 * (docs/marketplace.md, Conflicts) is the geocoded address's point rounded to 5 decimals (about a
 * metre): two spellings of one address geocode to one point, whatever their abbreviations. The leed
 * keeps its zip's centre as its point, not this one (`leedPlace` in
 * src/leedz/functions/define-http-function.ts): a radius search must not locate the house.
 *
 * Amazon Location returns points as `[longitude, latitude]` (GeoJSON order), the reverse of how
 * people write them: https://docs.aws.amazon.com/location/latest/APIReference/API_PlaceGeometry.html
 */
import { SearchPlaceIndexForTextCommand, type LocationClient, type Place as LocationPlace } from '@aws-sdk/client-location';
import { zipOfAddress } from '../../../leedz/domain/address.js';
import { normalizePlaceKey } from '../../../leedz/domain/conflict.js';
import type { GeoPoint } from '../../../leedz/domain/geo.js';
import { timeZoneForStateOrTerritory } from '../../../leedz/domain/time-zone.js';
import type { Geocoder, Place } from '../../../leedz/ports.js';

/** What the Amazon Location geocoder is built with, resolved by the composition root. */
export interface AwsLocationGeocoderOptions {
  client: LocationClient;
  /** The place index (CDK: `CfnPlaceIndex`), whose data provider (Esri or HERE) decides what comes back. */
  placeIndexName: string;
}

const FIVE_DIGITS = /^\d{5}$/;
/** The US's ISO 3166 alpha-3 code, the form `FilterCountries` and `Place.Country` use. */
const USA = 'USA';

/**
 * A Geocoder on an Amazon Location place index. Both methods resolve `undefined` when nothing
 * fitting is found, and reject (with the SDK's error) when the service cannot be reached or refuses
 * the call: "not found" and "could not look" are different answers.
 *
 * `geocode` takes a US street address ending with its 5-digit zip (docs/marketplace.md, Entities)
 * and returns:
 * - `point` from the match, `[lon, lat]` turned into `{ lat, lon }`;
 * - `zip`: the address's own (docs/marketplace.md, Entities: the location ends with the leed's
 *   zip). A match whose postal code differs is kept only when it is a house (it has an
 *   `AddressNumber`): a vendor who writes a neighbouring zip (Beverly Hills is 90210 and 90212)
 *   still finds the house, but a match on only a street or a zip elsewhere is some other place, and
 *   is not found;
 * - `timeZone`: `Place.TimeZone.Name` when the provider gives one (HERE does, Esri does not), else
 *   the state's zone (`timeZoneForStateOrTerritory`, from `Place.Region`, which is the state's name);
 * - `placeKey`: `"lat,lon"` rounded to 5 decimals when the match is an address (it has an
 *   `AddressNumber`); otherwise the whole address text normalised (`normalizePlaceKey`), because a
 *   match on only the street or the zip would give every house there one key, and false conflicts.
 *
 * `zipPoint` searches the zip alone and takes the match only when its postal code is that zip; each
 * zip's answer is kept for the geocoder's life (a container's), so a zip costs one request.
 *
 * @example
 * const geocoder = createAwsLocationGeocoder({ client: new LocationClient({ region: 'us-east-1' }), placeIndexName: 'leedz-places' });
 * await geocoder.geocode('100 S 5th St, Springfield, IL 62701');
 * // → { point: { lat: 39.80044, lon: -89.64983 }, zip: '62701', placeKey: '39.80044,-89.64983', timeZone: 'America/Chicago' }
 * await geocoder.zipPoint('62701'); // → { lat: 39.8, lon: -89.65 }
 */
export function createAwsLocationGeocoder({ client, placeIndexName }: AwsLocationGeocoderOptions): Geocoder {
  async function bestMatch(text: string): Promise<LocationPlace | undefined> {
    const { Results } = await client.send(new SearchPlaceIndexForTextCommand({ IndexName: placeIndexName, Text: text, FilterCountries: [USA], MaxResults: 1 }));
    const place = Results?.[0]?.Place;
    // FilterCountries already asks for the USA; a result elsewhere would be a provider's slip.
    return place === undefined || (place.Country !== undefined && place.Country !== USA) ? undefined : place;
  }

  // Each zip's answer, found or not, for the life of the container. A zip's centre does not move, and
  // the month search that asks for it is public: without this, every search near a zip was a paid
  // request anyone could repeat. Five digits bound it to 100,000 entries (a few MB); a failure is not kept.
  const zipPoints = new Map<string, GeoPoint | undefined>();

  return {
    async geocode(address) {
      const addressZip = zipOfAddress(address);
      if (addressZip === undefined) return undefined;
      const place = await bestMatch(address);
      const point = place === undefined ? undefined : pointOf(place);
      if (place === undefined || point === undefined) return undefined;
      const isHouse = place.AddressNumber !== undefined && place.AddressNumber !== '';
      const matchedZip = zipOf(place.PostalCode);
      if (!isHouse && matchedZip !== undefined && matchedZip !== addressZip) return undefined;
      const timeZone = place.TimeZone?.Name || timeZoneOfRegion(place.Region);
      if (timeZone === undefined) return undefined;
      const placeKey = isHouse ? `${round5(point.lat)},${round5(point.lon)}` : normalizePlaceKey(address);
      const result: Place = { point, zip: addressZip, placeKey, timeZone };
      return result;
    },

    async zipPoint(zip) {
      // Checked first: a malformed zip is not worth a paid request, and Location would fuzzy-match it.
      if (!FIVE_DIGITS.test(zip)) return undefined;
      if (zipPoints.has(zip)) return zipPoints.get(zip);
      const place = await bestMatch(zip);
      const point = place === undefined || zipOf(place.PostalCode) !== zip ? undefined : pointOf(place);
      zipPoints.set(zip, point);
      return point;
    },
  };
}

/** `[lon, lat]` → `{ lat, lon }`, or undefined when the geometry is missing or out of range. */
function pointOf(place: LocationPlace): GeoPoint | undefined {
  const [lon, lat] = place.Geometry?.Point ?? [];
  if (lat === undefined || lon === undefined || !Number.isFinite(lat) || !Number.isFinite(lon)) return undefined;
  if (Math.abs(lat) > 90 || Math.abs(lon) > 180) return undefined;
  return { lat, lon };
}

/** `62701` or `62701-1234` → `62701`; anything else → undefined. */
function zipOf(postalCode: string | undefined): string | undefined {
  return /^(\d{5})(?:-\d{4})?$/.exec(postalCode?.trim() ?? '')?.[1];
}

/** 5 decimals, without trailing zeros or a negative zero, so equal points give equal text. */
function round5(degrees: number): string {
  const rounded = Math.round(degrees * 1e5) / 1e5;
  return String(rounded === 0 ? 0 : rounded);
}

/** `Place.Region` is the state's name ("Illinois"); some providers give the code ("IL"). */
function timeZoneOfRegion(region: string | undefined): string | undefined {
  if (region === undefined) return undefined;
  const code = (own(STATE_CODES, region.trim().toLowerCase()) ?? region).trim().toUpperCase();
  return timeZoneForStateOrTerritory(code);
}

/** A table's own entry: a region named "constructor" must not find Object.prototype's. */
function own(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

const STATE_CODES: Readonly<Record<string, string>> = {
  alabama: 'AL', alaska: 'AK', arizona: 'AZ', arkansas: 'AR', california: 'CA', colorado: 'CO', connecticut: 'CT',
  delaware: 'DE', 'district of columbia': 'DC', florida: 'FL', georgia: 'GA', hawaii: 'HI', idaho: 'ID', illinois: 'IL',
  indiana: 'IN', iowa: 'IA', kansas: 'KS', kentucky: 'KY', louisiana: 'LA', maine: 'ME', maryland: 'MD',
  massachusetts: 'MA', michigan: 'MI', minnesota: 'MN', mississippi: 'MS', missouri: 'MO', montana: 'MT', nebraska: 'NE',
  nevada: 'NV', 'new hampshire': 'NH', 'new jersey': 'NJ', 'new mexico': 'NM', 'new york': 'NY', 'north carolina': 'NC',
  'north dakota': 'ND', ohio: 'OH', oklahoma: 'OK', oregon: 'OR', pennsylvania: 'PA', 'rhode island': 'RI',
  'south carolina': 'SC', 'south dakota': 'SD', tennessee: 'TN', texas: 'TX', utah: 'UT', vermont: 'VT', virginia: 'VA',
  washington: 'WA', 'west virginia': 'WV', wisconsin: 'WI', wyoming: 'WY',
  'puerto rico': 'PR', 'us virgin islands': 'VI', 'united states virgin islands': 'VI', guam: 'GU',
  'northern mariana islands': 'MP', 'american samoa': 'AS',
};
