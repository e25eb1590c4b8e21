/** `getSession` (GET /api/session) on Lambda: the table. */
import { createGetSession } from '../../leedz/functions/me.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createGetSession(deps), { store: dynamoDbStore });
