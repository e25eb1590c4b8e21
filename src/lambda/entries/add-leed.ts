/** `addLeed` (POST /api/leedz) on Lambda: the table, Amazon Location, and the controllers it hands the fan-out and the counters to (through the outbox). */
import { createAddLeed } from '../../leedz/functions/add-leed.js';
import { controllersOf } from '../controllers-of.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';
import { locationGeocoder } from '../ports/location.js';

export const handler = httpEntry((deps) => createAddLeed(deps, controllersOf(deps)), { store: dynamoDbStore, geocoder: locationGeocoder });
