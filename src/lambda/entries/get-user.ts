/** `getUser` (GET /api/users/{username}) on Lambda: the table. */
import { createGetUser } from '../../leedz/functions/get-user.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createGetUser(deps), { store: dynamoDbStore });
