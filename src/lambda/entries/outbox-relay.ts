/**
 * The outbox relay on Lambda, fed by the table's DynamoDB stream (`outbox-stream-handler.ts`): the
 * table, to mark messages dispatched, and the Lambda transport, to hand them to their controllers.
 */
import { resolveAwsConfig } from '../aws-config.js';
import { createAwsTransport } from '../aws-deps.js';
import { dynamoDbOutboxMessage } from '../dynamodb-outbox.js';
import { createOutboxStreamHandler } from '../outbox-stream-handler.js';
import { dynamoDbStore } from '../ports/dynamodb.js';
import { carryingTraces } from '../xray.js';

const config = resolveAwsConfig(process.env);

export const handler = createOutboxStreamHandler({ store: dynamoDbStore(config), transport: carryingTraces(createAwsTransport(config)), readMessage: dynamoDbOutboxMessage });
