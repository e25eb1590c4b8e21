/** `myLeedz` (GET /api/me/leedz) on Lambda: the table. */
import { createMyLeedz } from '../../leedz/functions/my-leedz.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createMyLeedz(deps), { store: dynamoDbStore });
