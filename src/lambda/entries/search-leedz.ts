/** `searchLeedz` (GET /api/leedz) on Lambda: the table; Amazon Location for the zip a search is near. */
import { createSearchLeedz } from '../../leedz/functions/search-leedz.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';
import { locationGeocoder } from '../ports/location.js';

export const handler = httpEntry((deps) => createSearchLeedz(deps), { store: dynamoDbStore, geocoder: locationGeocoder });
