/** `authCallback` (POST /api/auth/callback) on Lambda: the table, Cognito’s admin API (the session), and bookkeeping (through the outbox). */
import { createAuthCallback } from '../../leedz/functions/login.js';
import { controllersOf } from '../controllers-of.js';
import { httpEntry } from '../entry.js';
import { cognitoIdentity } from '../ports/cognito.js';
import { dynamoDbStore } from '../ports/dynamodb.js';

export const handler = httpEntry((deps) => createAuthCallback(deps, controllersOf(deps)), { store: dynamoDbStore, identity: cognitoIdentity });
