/** `getCalendarFeed` (GET /api/me/calendar) on Lambda: the table. */
import { createGetCalendarFeed } from '../../leedz/functions/calendar-feed.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createGetCalendarFeed(deps), { store: dynamoDbStore });
