/** `upcomingLeedz` (GET /api/trades/{trade}/leedz) on Lambda: the table. */
import { createUpcomingLeedz } from '../../leedz/functions/upcoming-leedz.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createUpcomingLeedz(deps), { store: dynamoDbStore });
