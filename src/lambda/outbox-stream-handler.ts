/**
 * The transactional outbox's relay on AWS: the table's DynamoDB stream (NEW_IMAGE) calls this with
 * the items that were written; each inserted outbox item is handed to its controller with an Event
 * invocation through the Lambda transport, then marked dispatched. What could not be invoked is
 * reported in `batchItemFailures`, so Lambda retries the batch from the first failed record
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html).
 *
 * A message invoked but not marked (a crash in between, a failed mark) is invoked again on the retry;
 * the controllers' idempotency absorbs it, as with the local relay (`src/leedz/outbox-relay.ts`).
 *
 * @example
 * export const handler = createOutboxStreamHandler({ store, transport, readMessage: outboxMessageFromItem });
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchItemFailure, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { errorLine } from '../framework/errors.js';
import type { Transport } from '../framework/transport.js';
import type { OutboxMessage, Store } from '../leedz/ports.js';

export interface OutboxStreamOptions {
  store: Pick<Store, 'markOutboxDispatched'>;
  transport: Transport;
  /** The outbox message an item holds, or undefined for any other item. The store owns the item's shape. */
  readMessage: (item: Record<string, unknown>) => OutboxMessage | undefined;
  /** Where failures are reported (CloudWatch through the console by default). */
  log?: (line: string) => void;
}

export type OutboxStreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

export function createOutboxStreamHandler(options: OutboxStreamOptions): OutboxStreamHandler {
  const log = options.log ?? ((line) => console.error(line));
  return async (event) => {
    const work = event.Records.flatMap((record) => {
      const message = insertedMessage(record, options.readMessage);
      return message === undefined ? [] : [{ record, message }];
    });
    const invoked = await Promise.allSettled(work.map(({ message }) => options.transport.invoke(message.target, message.payload, 'Event')));
    const failures: DynamoDBBatchItemFailure[] = [];
    const delivered: typeof work = [];
    invoked.forEach((result, i) => {
      const item = work[i]!;
      if (result.status === 'fulfilled') delivered.push(item);
      else {
        log(`outbox relay: ${item.message.target} for ${item.message.id} not invoked: ${errorLine(result.reason)}`);
        failures.push(failureOf(item.record));
      }
    });
    if (delivered.length > 0) {
      try {
        await options.store.markOutboxDispatched(delivered.map(({ message }) => message.id));
      } catch (error) {
        log(`outbox relay: could not mark ${delivered.length} messages dispatched: ${errorLine(error)}`);
        failures.push(...delivered.map(({ record }) => failureOf(record)));
      }
    }
    return { batchItemFailures: failures };
  };
}

function insertedMessage(record: DynamoDBRecord, readMessage: OutboxStreamOptions['readMessage']): OutboxMessage | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || image === undefined) return undefined;
  // aws-lambda's AttributeValue and the SDK's describe the same wire shape.
  return readMessage(unmarshall(image as Record<string, AttributeValue>));
}

function failureOf(record: DynamoDBRecord): DynamoDBBatchItemFailure {
  return { itemIdentifier: record.dynamodb?.SequenceNumber ?? '' };
}

