/** `bookkeeping` on Lambda (Event): the table. */
import { createBookkeeping } from '../../leedz/controllers/bookkeeping.js';
import { controllerEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = controllerEntry((deps) => createBookkeeping(deps), { store: dynamoDbStore });
