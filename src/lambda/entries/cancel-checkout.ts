/** `cancelCheckout` (DELETE /api/leedz/{trade}/{id}/checkout) on Lambda: the table. */
import { createCancelCheckout } from '../../leedz/functions/buy-leed.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createCancelCheckout(deps), { store: dynamoDbStore });
