/** `unsubscribe` (POST /api/unsubscribe, one-click) on Lambda: the table (the secret of the links, the subscriptions). */
import { createUnsubscribe } from '../../leedz/functions/unsubscribe.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createUnsubscribe(deps), { store: dynamoDbStore });
