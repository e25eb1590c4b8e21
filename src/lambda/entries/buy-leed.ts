/** `buyLeed` (POST /api/leedz/{trade}/{id}/checkout) on Lambda: the table, Square, and the controllers of a free sale (through the outbox). */
import { createBuyLeed } from '../../leedz/functions/buy-leed.js';
import { controllersOf } from '../controllers-of.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';
import { squarePayments } from '../ports/square.js';

export const handler = httpEntry((deps) => createBuyLeed(deps, controllersOf(deps)), { store: dynamoDbStore, payments: squarePayments });
