/** `calendarFeed` (GET /api/calendar/{file}) on Lambda: the table. */
import { createCalendarFeed } from '../../leedz/functions/calendar-feed.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createCalendarFeed(deps), { store: dynamoDbStore });
