/** `deleteLeed` (DELETE /api/leedz/{trade}/{id}) on Lambda: the table, and bookkeeping (through the outbox). */
import { createDeleteLeed } from '../../leedz/functions/delete-leed.js';
import { controllersOf } from '../controllers-of.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createDeleteLeed(deps, controllersOf(deps)), { store: dynamoDbStore });
