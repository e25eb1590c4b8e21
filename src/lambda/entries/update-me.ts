/** `updateMe` (PATCH /api/me) on Lambda: the table, and Amazon Location for a home zip. */
import { createUpdateMe } from '../../leedz/functions/me.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';
import { locationGeocoder } from '../ports/location.js';

export const handler = httpEntry((deps) => createUpdateMe(deps), { store: dynamoDbStore, geocoder: locationGeocoder });
