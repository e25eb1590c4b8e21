import { LocationClient, SearchPlaceIndexForTextCommand, type Place as LocationPlace, type SearchPlaceIndexForTextCommandOutput } from '@aws-sdk/client-location';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAwsLocationGeocoder } from '../../../src/adapters/geocoder/aws-location/aws-location-geocoder.js';
import type { Geocoder } from '../../../src/leedz/ports.js';
import { describeGeocoderContract } from '../../contracts/geocoder.js';

const INDEX = 'leedz-places';

function newClient(): LocationClient {
  return new LocationClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
}

/** A response of `SearchPlaceIndexForText` with these places (no places: nothing found). */
function response(...places: LocationPlace[]): SearchPlaceIndexForTextCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    Summary: { Text: 'query', DataSource: 'Esri', FilterCountries: ['USA'], MaxResults: 1 },
    Results: places.map((Place, i) => ({ Place, Relevance: 1 - i / 10, PlaceId: `place-${i}` })),
  };
}

/** An address match as Esri returns it (no time zone; the state by name; the point as [lon, lat]). */
function esriAddress(fields: { label: string; lon: number; lat: number; number: string; street: string; city: string; state: string; zip: string }): LocationPlace {
  return {
    Label: fields.label,
    Geometry: { Point: [fields.lon, fields.lat] },
    AddressNumber: fields.number,
    Street: fields.street,
    Municipality: fields.city,
    Region: fields.state,
    Country: 'USA',
    PostalCode: fields.zip,
    Interpolated: false,
    Categories: ['AddressType'],
  };
}

function esriZip(zip: string, lon: number, lat: number, city: string, state: string): LocationPlace {
  return { Label: `${zip}, ${city}, ${state}, USA`, Geometry: { Point: [lon, lat] }, Municipality: city, Region: state, Country: 'USA', PostalCode: zip, Categories: ['PostalCode'] };
}

const SPRINGFIELD = esriAddress({ label: '100 S 5th St, Springfield, IL, 62701, USA', lon: -89.649828, lat: 39.800441, number: '100', street: 'S 5th St', city: 'Springfield', state: 'Illinois', zip: '62701' });

/**
 * What a place index answers for the contract's addresses: recorded shapes of Esri results, with
 * points near the real places. 9500 Wilshire Blvd is in 90212 (the contract writes 90210, as many
 * people do); "Nowhere Rd" finds only a street in another state.
 */
const FIXTURES: Record<string, SearchPlaceIndexForTextCommandOutput> = {
  '100 S 5th St, Springfield, IL 62701': response(SPRINGFIELD),
  '100 South Fifth Street, Springfield, IL 62701': response(SPRINGFIELD),
  '100 south fifth st.  springfield IL 62701': response(SPRINGFIELD),
  '9500 Wilshire Blvd, Beverly Hills, CA 90210': response(
    esriAddress({ label: '9500 Wilshire Blvd, Beverly Hills, CA, 90212, USA', lon: -118.400556, lat: 34.067161, number: '9500', street: 'Wilshire Blvd', city: 'Beverly Hills', state: 'California', zip: '90212' }),
  ),
  '20 W 34th St, New York, NY 10001': response(
    // HERE's shape: the time zone is given, and the state is its code.
    { ...esriAddress({ label: '20 W 34th St, New York, NY 10001, United States', lon: -73.98566, lat: 40.74844, number: '20', street: 'W 34th St', city: 'New York', state: 'NY', zip: '10001-3006' }), TimeZone: { Name: 'America/New_York', Offset: -14400 } },
  ),
  '1 Harvard Ave, Allston, MA 02134': response(
    esriAddress({ label: '1 Harvard Ave, Allston, MA, 02134, USA', lon: -71.13102, lat: 42.35368, number: '1', street: 'Harvard Ave', city: 'Allston', state: 'Massachusetts', zip: '02134' }),
  ),
  '1 Nowhere Rd, Atlantis, ZZ 00000': response({
    Label: 'Nowhere Rd, Athens, GA, 30606, USA',
    Geometry: { Point: [-83.4391, 33.9519] },
    Street: 'Nowhere Rd',
    Municipality: 'Athens',
    Region: 'Georgia',
    Country: 'USA',
    PostalCode: '30606',
    Categories: ['StreetType'],
  }),
  '62701': response(esriZip('62701', -89.6495, 39.8, 'Springfield', 'Illinois')),
  '90210': response(esriZip('90210', -118.4065, 34.0901, 'Beverly Hills', 'California')),
  '10001': response(esriZip('10001', -73.9967, 40.7507, 'New York', 'New York')),
  '02134': response(esriZip('02134', -71.1327, 42.3537, 'Allston', 'Massachusetts')),
  // A zip that does not exist: the index's best guess is some other postal code.
  '00000': response(esriZip('00501', -73.0456, 40.8154, 'Holtsville', 'New York')),
};

describeGeocoderContract('Amazon Location (aws-sdk-client-mock, recorded Esri shapes)', async () => {
  const client = newClient();
  mockClient(client)
    .on(SearchPlaceIndexForTextCommand)
    .callsFake((input: { Text?: string }) => FIXTURES[input.Text ?? ''] ?? response());
  return { geocoder: createAwsLocationGeocoder({ client, placeIndexName: INDEX }), teardown: async () => client.destroy() };
});

describe('Amazon Location geocoder', () => {
  let client: LocationClient;
  let mock: AwsClientStub<LocationClient>;
  let geocoder: Geocoder;

  beforeEach(() => {
    client = newClient();
    mock = mockClient(client);
    geocoder = createAwsLocationGeocoder({ client, placeIndexName: INDEX });
  });

  function answer(...places: LocationPlace[]) {
    mock.on(SearchPlaceIndexForTextCommand).resolves(response(...places));
  }

  it('asks the place index for the single best match in the USA', async () => {
    answer(SPRINGFIELD);
    await geocoder.geocode('100 S 5th St, Springfield, IL 62701');
    await geocoder.zipPoint('62701');
    expect(mock.commandCalls(SearchPlaceIndexForTextCommand).map((call) => call.args[0].input)).toEqual([
      { IndexName: INDEX, Text: '100 S 5th St, Springfield, IL 62701', FilterCountries: ['USA'], MaxResults: 1 },
      { IndexName: INDEX, Text: '62701', FilterCountries: ['USA'], MaxResults: 1 },
    ]);
  });

  it('turns Location’s [lon, lat] into { lat, lon }, keys the place by the point to 5 decimals, and takes the zone from the state', async () => {
    answer(SPRINGFIELD);
    expect(await geocoder.geocode('100 S 5th St, Springfield, IL 62701')).toEqual({
      point: { lat: 39.800441, lon: -89.649828 },
      zip: '62701',
      placeKey: '39.80044,-89.64983',
      timeZone: 'America/Chicago',
    });
  });

  it('the provider’s time zone wins over the state’s (El Paso is Mountain, most of Texas Central)', async () => {
    answer({ ...esriAddress({ label: '1 Civic Center Plaza, El Paso, TX', lon: -106.4892, lat: 31.7587, number: '1', street: 'Civic Center Plz', city: 'El Paso', state: 'Texas', zip: '79901' }), TimeZone: { Name: 'America/Denver', Offset: -21600 } });
    expect((await geocoder.geocode('1 Civic Center Plaza, El Paso, TX 79901'))?.timeZone).toBe('America/Denver');
    answer(esriAddress({ label: '1 Civic Center Plaza, El Paso, TX', lon: -106.4892, lat: 31.7587, number: '1', street: 'Civic Center Plz', city: 'El Paso', state: 'Texas', zip: '79901' }));
    expect((await geocoder.geocode('1 Civic Center Plaza, El Paso, TX 79901'))?.timeZone).toBe('America/Chicago');
  });

  it('states by name or by code, DC and the territories get their zones; an unknown region is not found', async () => {
    const at = (Region: string | undefined) => answer({ ...SPRINGFIELD, Region });
    for (const [region, zone] of [
      ['District of Columbia', 'America/New_York'],
      ['hawaii', 'Pacific/Honolulu'],
      ['AZ', 'America/Phoenix'],
      ['Puerto Rico', 'America/Puerto_Rico'],
      ['GU', 'Pacific/Guam'],
    ] as const) {
      at(region);
      expect((await geocoder.geocode('100 S 5th St, Springfield, IL 62701'))?.timeZone).toBe(zone);
    }
    for (const region of ['Atlantis', 'constructor', '__proto__', '', undefined]) {
      at(region);
      expect(await geocoder.geocode('100 S 5th St, Springfield, IL 62701')).toBeUndefined();
    }
  });

  it('two points equal to 5 decimals are one place; a metre apart they are two', async () => {
    answer({ ...SPRINGFIELD, Geometry: { Point: [-89.649828, 39.800441] } });
    const a = await geocoder.geocode('100 S 5th St, Springfield, IL 62701');
    answer({ ...SPRINGFIELD, Geometry: { Point: [-89.6498304, 39.8004412] } });
    const b = await geocoder.geocode('100 South 5th Street, Springfield, IL 62701');
    answer({ ...SPRINGFIELD, Geometry: { Point: [-89.64984, 39.80045] } });
    const c = await geocoder.geocode('102 S 5th St, Springfield, IL 62701');
    expect(b?.placeKey).toBe(a?.placeKey);
    expect(c?.placeKey).not.toBe(a?.placeKey);
    answer({ ...SPRINGFIELD, Geometry: { Point: [-0.000001, 0.000001] } });
    expect((await geocoder.geocode('100 S 5th St, Springfield, IL 62701'))?.placeKey).toBe('0,0');
  });

  it('a match on only the street or the zip is keyed by the normalised address, so two houses of one street stay apart', async () => {
    const street: LocationPlace = { ...SPRINGFIELD, AddressNumber: undefined, Categories: ['StreetType'] };
    answer(street);
    const one = await geocoder.geocode('100 S 5th St, Springfield, IL 62701');
    const other = await geocoder.geocode('300 S 5th St, Springfield, IL 62701');
    expect(one?.placeKey).toBe('100 s 5th st springfield il 62701');
    expect(other?.placeKey).toBe('300 s 5th st springfield il 62701');
    expect(one?.point).toEqual(other?.point);
  });

  it('the zip is the address’s own; a house in a neighbouring zip is kept, a street or zip elsewhere is not found', async () => {
    answer({ ...SPRINGFIELD, PostalCode: '62702' });
    expect((await geocoder.geocode('100 S 5th St, Springfield, IL 62701'))?.zip).toBe('62701');
    answer({ ...SPRINGFIELD, AddressNumber: undefined, PostalCode: '62702' });
    expect(await geocoder.geocode('100 S 5th St, Springfield, IL 62701')).toBeUndefined();
  });

  it('missing fields mean not found, never a made-up value', async () => {
    const cases: LocationPlace[] = [
      { ...SPRINGFIELD, Geometry: undefined },
      { ...SPRINGFIELD, Geometry: { Point: [] } },
      { ...SPRINGFIELD, Geometry: { Point: [-89.6] } },
      { ...SPRINGFIELD, Geometry: { Point: [Number.NaN, 39.8] } },
      { ...SPRINGFIELD, Geometry: { Point: [39.8, -189.6] } },
      { ...SPRINGFIELD, Region: undefined, TimeZone: undefined },
      { ...SPRINGFIELD, Country: 'CAN' },
    ];
    for (const place of cases) {
      answer(place);
      expect(await geocoder.geocode('100 S 5th St, Springfield, IL 62701')).toBeUndefined();
    }
    answer();
    expect(await geocoder.geocode('100 S 5th St, Springfield, IL 62701')).toBeUndefined();
    mock.on(SearchPlaceIndexForTextCommand).resolves({ $metadata: {} } as SearchPlaceIndexForTextCommandOutput);
    expect(await geocoder.geocode('100 S 5th St, Springfield, IL 62701')).toBeUndefined();
    expect(await geocoder.zipPoint('62701')).toBeUndefined();
  });

  it('a missing postal code falls back to the address’s zip; a time zone without a name falls back to the state', async () => {
    answer({ ...SPRINGFIELD, PostalCode: undefined, TimeZone: { Name: '', Offset: 0 } });
    expect(await geocoder.geocode('100 S 5th St, Springfield, IL 62701')).toMatchObject({ zip: '62701', timeZone: 'America/Chicago' });
  });

  it('an address without a trailing zip, or a malformed zip, costs no request', async () => {
    answer(SPRINGFIELD);
    expect(await geocoder.geocode('100 S 5th St, Springfield, IL')).toBeUndefined();
    for (const zip of ['6270', 'abcde', ' 62701', '62701-1234', 'constructor']) expect(await geocoder.zipPoint(zip)).toBeUndefined();
    expect(mock.commandCalls(SearchPlaceIndexForTextCommand)).toEqual([]);
  });

  it('zipPoint takes the match only when its postal code is that zip (ZIP+4 counts)', async () => {
    // A fresh geocoder for each answer: each keeps what it found.
    const fresh = () => createAwsLocationGeocoder({ client, placeIndexName: INDEX });
    answer(esriZip('62701-1234', -89.6495, 39.8, 'Springfield', 'Illinois'));
    expect(await fresh().zipPoint('62701')).toEqual({ lat: 39.8, lon: -89.6495 });
    answer(esriZip('62702', -89.64, 39.82, 'Springfield', 'Illinois'));
    expect(await fresh().zipPoint('62701')).toBeUndefined();
    answer({ ...esriZip('62701', -89.64, 39.82, 'Springfield', 'Illinois'), PostalCode: undefined });
    expect(await fresh().zipPoint('62701')).toBeUndefined();
  });

  it('zipPoint asks once per zip, found or not: the public search cannot make a paid request of every call; a failure is asked again', async () => {
    mock.on(SearchPlaceIndexForTextCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(geocoder.zipPoint('62701')).rejects.toThrow('Rate exceeded');
    answer(esriZip('62701', -89.6495, 39.8, 'Springfield', 'Illinois'));
    for (let i = 0; i < 3; i++) expect(await geocoder.zipPoint('62701')).toEqual({ lat: 39.8, lon: -89.6495 });
    answer();
    for (let i = 0; i < 3; i++) expect(await geocoder.zipPoint('99999')).toBeUndefined();
    expect(mock.commandCalls(SearchPlaceIndexForTextCommand).map((call) => call.args[0].input.Text)).toEqual(['62701', '62701', '99999']);
  });

  it('a service failure rejects, so "not found" and "could not look" stay different answers', async () => {
    mock.on(SearchPlaceIndexForTextCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(geocoder.geocode('100 S 5th St, Springfield, IL 62701')).rejects.toThrow('Rate exceeded');
    await expect(geocoder.zipPoint('62701')).rejects.toThrow('Rate exceeded');
  });
});
