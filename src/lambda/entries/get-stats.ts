/** `getStats` (GET /api/stats) on Lambda: the table. */
import { createGetStats } from '../../leedz/functions/get-stats.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createGetStats(deps), { store: dynamoDbStore });
