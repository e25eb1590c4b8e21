/** `newCalendarFeed` (POST /api/me/calendar) on Lambda: the table. */
import { createNewCalendarFeed } from '../../leedz/functions/calendar-feed.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createNewCalendarFeed(deps), { store: dynamoDbStore });
