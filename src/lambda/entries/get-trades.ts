/** `getTrades` (GET /api/trades) on Lambda: the table. */
import { createGetTrades } from '../../leedz/functions/get-trades.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createGetTrades(deps), { store: dynamoDbStore });
