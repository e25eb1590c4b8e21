/**
 * `emailHelper` on Lambda (Event): the table, SES, the idempotency records of every email, the
 * magic link's tokens (items of the table), and the Lambda transport for its fan-out to itself.
 */
import { createEmailHelper } from '../../leedz/controllers/email-helper.js';
import { createAwsTransport } from '../aws-deps.js';
import { controllerEntry } from '../entry.js';
import { dynamoDbIdempotency, dynamoDbLoginTokens, dynamoDbStore } from '../ports/dynamodb.js';
import { sesMailer } from '../ports/ses.js';

export const handler = controllerEntry((deps) => createEmailHelper(deps), {
  store: dynamoDbStore,
  mailer: sesMailer,
  idempotency: dynamoDbIdempotency,
  identity: dynamoDbLoginTokens,
  transport: createAwsTransport,
});
