/** `getLeed` (GET /api/leedz/{trade}/{id}) on Lambda: the table. */
import { createGetLeed } from '../../leedz/functions/get-leed.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createGetLeed(deps), { store: dynamoDbStore });
