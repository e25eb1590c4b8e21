/**
 * Types for the part of `zipcodes` (a CommonJS package without types of its own) that the zip
 * geocoder uses.
 *
 * @example
 * import zipcodes from 'zipcodes';
 * zipcodes.lookup('62701'); // → { zip: '62701', latitude: 39.8, longitude: -89.6495, city: 'Springfield', state: 'IL', country: 'US' }
 */
declare module 'zipcodes' {
  interface ZipCodeEntry {
    zip: string;
    latitude: number;
    longitude: number;
    city: string;
    /** The two-letter code in the US (states, DC, territories, military `AA`/`AE`/`AP`); a name in Canada. */
    state: string;
    country: 'US' | 'Canada';
  }

  const zipcodes: {
    /** A 5-digit US zip, or the first 3 characters of a Canadian postal code, → its entry. */
    lookup(zip: string): ZipCodeEntry | undefined;
    /** `abbr`: a US state's two-letter code (and DC's) → its name in capitals ("IL" → "ILLINOIS"); no territories. */
    states: { abbr: Readonly<Record<string, string | undefined>> };
  };
  export = zipcodes;
}
