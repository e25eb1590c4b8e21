import type { DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { withFunctionPrefix } from '../../src/lambda/prefixed-transport.js';
import { dynamoDbOutboxMessage } from '../../src/lambda/dynamodb-outbox.js';
import { createOutboxStreamHandler } from '../../src/lambda/outbox-stream-handler.js';
import { fixture, recordingTransport } from './fakes.js';

/** A store that records what was marked dispatched, and can refuse to. */
function markingStore(options: { fail?: boolean } = {}) {
  const marked: string[][] = [];
  return {
    marked,
    async markOutboxDispatched(ids: string[]) {
      if (options.fail) throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
      marked.push(ids);
    },
  };
}

const quiet = () => {};

describe('outbox relay on the DynamoDB stream', () => {
  it('invokes the controller of each inserted outbox item with Event, by its physical name, then marks them dispatched', async () => {
    const transport = recordingTransport();
    const store = markingStore();
    const handler = createOutboxStreamHandler({ store, transport: withFunctionPrefix(transport, 'Leedz-'), readMessage: dynamoDbOutboxMessage, log: quiet });
    const result = await handler(fixture<DynamoDBStreamEvent>('dynamodb-stream-outbox.json'));
    expect(result).toEqual({ batchItemFailures: [] });
    // The leed item and the MODIFY of an already dispatched message are not outbox inserts.
    expect(transport.calls).toEqual([
      {
        functionName: 'Leedz-emailHelper',
        type: 'Event',
        payload: { function: 'notifyUsers', leedId: 'l_abc123', trade: 'dj', _meta: expect.objectContaining({ idempotencyKey: 'notify:l_abc123', hop: 1 }) },
      },
      {
        functionName: 'Leedz-bookkeeping',
        type: 'Event',
        payload: { function: 'leedPosted', leedId: 'l_abc123', trade: 'dj', _meta: expect.objectContaining({ idempotencyKey: 'posted:l_abc123' }) },
      },
    ]);
    expect(store.marked).toEqual([['notify:l_abc123', 'posted:l_abc123']]);
  });

  it('reports a record whose controller could not be invoked in batchItemFailures, and does not mark it', async () => {
    const transport = recordingTransport();
    transport.fail('bookkeeping');
    const store = markingStore();
    const lines: string[] = [];
    const handler = createOutboxStreamHandler({ store, transport, readMessage: dynamoDbOutboxMessage, log: (line) => lines.push(line) });
    const result = await handler(fixture<DynamoDBStreamEvent>('dynamodb-stream-outbox.json'));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '111100000000000000000002' }] });
    expect(store.marked).toEqual([['notify:l_abc123']]);
    expect(lines).toEqual([expect.stringContaining('bookkeeping for posted:l_abc123 not invoked: TooManyRequestsException: Rate exceeded')]);
  });

  it('reports every invoked record when marking fails, so the retry invokes them again (the controllers are idempotent)', async () => {
    const transport = recordingTransport();
    const handler = createOutboxStreamHandler({ store: markingStore({ fail: true }), transport, readMessage: dynamoDbOutboxMessage, log: quiet });
    const result = await handler(fixture<DynamoDBStreamEvent>('dynamodb-stream-outbox.json'));
    expect(result.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['111100000000000000000001', '111100000000000000000002']);
  });

  it('does nothing for a batch with no outbox inserts', async () => {
    const transport = recordingTransport();
    const store = markingStore();
    const event = fixture<DynamoDBStreamEvent>('dynamodb-stream-outbox.json');
    event.Records = event.Records.slice(2);
    const result = await createOutboxStreamHandler({ store, transport, readMessage: dynamoDbOutboxMessage, log: quiet })(event);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(transport.calls).toEqual([]);
    expect(store.marked).toEqual([]);
  });
});
