/**
 * `paymentWebhook` (POST /api/payments/webhook) on Lambda: the table, Square, the controllers of a
 * sale (through the outbox), and emailHelper, which it invokes to tell the payer of a refund.
 */
import { createPaymentWebhook } from '../../leedz/functions/payment-webhook.js';
import { createAwsTransport } from '../aws-deps.js';
import { controllersOf } from '../controllers-of.js';
import { httpEntry } from '../entry.js';
import { dynamoDbStore } from '../ports/dynamodb.js';
import { squarePayments } from '../ports/square.js';

export const handler = httpEntry((deps) => createPaymentWebhook(deps, controllersOf(deps)), { store: dynamoDbStore, payments: squarePayments, transport: createAwsTransport });
