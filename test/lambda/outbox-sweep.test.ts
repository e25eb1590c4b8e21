/**
 * The outbox sweep against DynamoDB Local: what the stream relay failed to deliver is delivered by
 * the sweep, once; what is young is left to the relay; a broken target holds nothing else back.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keyOf } from '../../src/adapters/store/dynamodb/dynamodb-items.js';
import { createDynamoDbStore } from '../../src/adapters/store/dynamodb/dynamodb-store.js';
import type { InvokeResult, Transport } from '../../src/framework/transport.js';
import type { OutboxMessage, Store } from '../../src/leedz/ports.js';
import { dynamoDbOutboxMessage } from '../../src/lambda/dynamodb-outbox.js';
import { createOutboxStreamHandler } from '../../src/lambda/outbox-stream-handler.js';
import { OUTBOX_SWEEP, sweepOutbox } from '../../src/lambda/outbox-sweep.js';
import { anOutboxMessage, aUser } from '../helpers/builders.js';
import { type DynamoDbLocal, requireJava, startDynamoDbLocal } from '../helpers/dynamodb-local.js';

const hasJava = requireJava();
const quiet = () => {};
const MINUTE = 60_000;

let local: DynamoDbLocal;
beforeAll(async () => {
  if (hasJava) local = await startDynamoDbLocal();
}, 60_000);
afterAll(async () => {
  await local?.stop();
});

/**
 * A Lambda transport stand-in: counts the Event invocations that went through, and refuses the
 * first `failures` invocations of a target (as Lambda does with TooManyRequestsException when the
 * controller is throttled).
 */
function flakyTransport(failures: Record<string, number> = {}) {
  const delivered: { target: string; id: unknown }[] = [];
  const left = { ...failures };
  const transport: Transport = {
    async invoke(target, payload): Promise<InvokeResult> {
      if ((left[target] ?? 0) > 0) {
        left[target]! -= 1;
        throw Object.assign(new Error('Rate Exceeded.'), { name: 'TooManyRequestsException' });
      }
      delivered.push({ target, id: (payload as { _meta?: { idempotencyKey?: string } })._meta?.idempotencyKey });
      return { statusCode: 202, requestId: `r-${delivered.length}` };
    },
  };
  return { transport, delivered };
}

describe.skipIf(!hasJava)('the outbox sweep (DynamoDB Local)', () => {
  let client: DynamoDBClient;
  let tableName: string;
  let store: Store;

  beforeEach(async () => {
    tableName = await local.createTable();
    client = local.client();
    store = createDynamoDbStore({ client, tableName });
  });
  afterEach(async () => {
    await local.deleteTable(tableName);
    client.destroy();
  });

  /** Commit a change with its outbox messages, as a function does. */
  async function commit(...messages: OutboxMessage[]): Promise<void> {
    await store.createUser(aUser(), messages);
  }

  /** The stream record DynamoDB sends the relay for the insert of outbox message `id`. */
  async function streamInsertOf(id: string, sequence: string): Promise<DynamoDBStreamEvent['Records'][number]> {
    const { Item } = await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: tableName, Key: keyOf.outbox(id) }));
    return { eventName: 'INSERT', dynamodb: { SequenceNumber: sequence, NewImage: marshall(Item!) as never } };
  }

  const later = (minutes: number) => () => Date.now() + minutes * MINUTE;

  it('a message the relay failed to deliver is delivered by the sweep, once', async () => {
    const message = anOutboxMessage({ id: 'posted:l_1', payload: { function: 'leedPosted', leedId: 'l_1', trade: 'dj', _meta: { idempotencyKey: 'posted:l_1' } } });
    await commit(message);
    // The relay's invocation is throttled for longer than the stream mapping retries: it reports the
    // record failed, the mapping gives up on it, and the message is still pending in the table.
    const { transport, delivered } = flakyTransport({ bookkeeping: 1 });
    const relay = createOutboxStreamHandler({ store, transport, readMessage: dynamoDbOutboxMessage, log: quiet });
    expect(await relay({ Records: [await streamInsertOf(message.id, '100')] })).toEqual({ batchItemFailures: [{ itemIdentifier: '100' }] });
    expect((await store.pendingOutbox(10)).map((m) => m.id)).toEqual([message.id]);
    expect(delivered).toEqual([]);

    // Too young for the sweep: the relay may still be retrying it.
    expect(await sweepOutbox({ store, transport, olderThanMs: OUTBOX_SWEEP.olderThanMinutes * MINUTE, log: quiet })).toEqual({ delivered: 0, failed: 0 });
    expect(delivered).toEqual([]);

    // Once it is older than that, the sweep delivers it and marks it dispatched.
    const sweep = () => sweepOutbox({ store, transport, olderThanMs: OUTBOX_SWEEP.olderThanMinutes * MINUTE, now: later(OUTBOX_SWEEP.olderThanMinutes + 1), log: quiet });
    expect(await sweep()).toEqual({ delivered: 1, failed: 0 });
    expect(delivered).toEqual([{ target: 'bookkeeping', id: 'posted:l_1' }]);
    expect(await store.pendingOutbox(10)).toEqual([]);

    // The next run finds nothing to do: delivered once.
    expect(await sweep()).toEqual({ delivered: 0, failed: 0 });
    expect(delivered).toHaveLength(1);
  });

  it('a target that keeps failing stays pending and holds back none of the messages behind it', async () => {
    await commit(anOutboxMessage({ id: 'a', target: 'emailHelper' }));
    await commit(anOutboxMessage({ id: 'b', target: 'bookkeeping' }), anOutboxMessage({ id: 'c', target: 'bookkeeping' }));
    const { transport, delivered } = flakyTransport({ emailHelper: 99 });
    const lines: string[] = [];
    // A page of one: the broken message is the oldest, and each read must look past it.
    const result = await sweepOutbox({ store, transport, olderThanMs: MINUTE, now: later(2), batchSize: 1, log: (line) => lines.push(line) });
    expect(result).toEqual({ delivered: 2, failed: 1 });
    expect(delivered.map((d) => d.id)).toEqual(['b', 'c']);
    expect((await store.pendingOutbox(10)).map((m) => m.id)).toEqual(['a']);
    expect(lines).toEqual([expect.stringMatching(/^outbox sweep: emailHelper for a \(pending since .*\) not invoked: TooManyRequestsException: Rate Exceeded\.$/)]);
  });

  it('stops at maxMessages, and at the first message young enough to be the relay’s', async () => {
    for (const id of ['m1', 'm2', 'm3']) await commit(anOutboxMessage({ id }));
    const { transport, delivered } = flakyTransport();
    expect(await sweepOutbox({ store, transport, olderThanMs: MINUTE, now: later(2), maxMessages: 2, log: quiet })).toEqual({ delivered: 2, failed: 0 });
    expect(delivered.map((d) => d.id)).toEqual(['m1', 'm2']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await commit(anOutboxMessage({ id: 'young' }));
    // m3 is old enough at this clock; "young" was committed after it and is not.
    const cutoffBetween = Date.parse((await store.pendingOutbox(10)).find((m) => m.id === 'young')!.createdAt) - 1;
    expect(await sweepOutbox({ store, transport, olderThanMs: 0, now: () => cutoffBetween, log: quiet })).toEqual({ delivered: 1, failed: 0 });
    expect((await store.pendingOutbox(10)).map((m) => m.id)).toEqual(['young']);
  });
});
