/** `editLeed` (PATCH /api/leedz/{trade}/{id}) on Lambda: the table, Amazon Location, and the controllers it hands work to (through the outbox). */
import { createEditLeed } from '../../leedz/functions/edit-leed.js';
import { controllersOf } from '../controllers-of.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';
import { locationGeocoder } from '../ports/location.js';

export const handler = httpEntry((deps) => createEditLeed(deps, controllersOf(deps)), { store: dynamoDbStore, geocoder: locationGeocoder });
