/** The geocoder on Lambda: the Amazon Location place index. */
import { LocationClient } from '@aws-sdk/client-location';
import { createAwsLocationGeocoder } from '../../adapters/geocoder/aws-location/aws-location-geocoder.js';
import type { Geocoder } from '../../leedz/ports.js';
import type { AwsConfig } from '../aws-config.js';

export function locationGeocoder(config: AwsConfig): Geocoder {
  return createAwsLocationGeocoder({ client: new LocationClient({ region: config.region }), placeIndexName: config.placeIndexName });
}
