/** `login` (POST /api/auth/login) on Lambda: the table (rate limits), and emailHelper, which it invokes. */
import { createLogin } from '../../leedz/functions/login.js';
import { createAwsTransport } from '../aws-deps.js';
import { controllersOf } from '../controllers-of.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createLogin(deps, controllersOf(deps)), { store: dynamoDbStore, transport: createAwsTransport });
