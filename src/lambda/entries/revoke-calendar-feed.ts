/** `revokeCalendarFeed` (DELETE /api/me/calendar) on Lambda: the table. */
import { createRevokeCalendarFeed } from '../../leedz/functions/calendar-feed.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createRevokeCalendarFeed(deps), { store: dynamoDbStore });
