/** `getMe` (GET /api/me) on Lambda: the table. */
import { createGetMe } from '../../leedz/functions/me.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createGetMe(deps), { store: dynamoDbStore });
