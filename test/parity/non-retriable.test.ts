/**
 * Parity 2 — a non-retriable error (a `NonRetriableError`, an unknown route, an invalid payload) ends
 * the event after one attempt, with the same failure record locally and on AWS.
 *
 * What AWS does: Lambda cannot tell these errors from others, so by itself it would run the event
 * three times and deliver the record to the on-failure destination minutes later with
 * `approximateInvokeCount: 3` (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 * The record's shape — `version`, `timestamp`, `requestContext {requestId, functionArn, condition,
 * approximateInvokeCount}`, `requestPayload`, `responseContext`, `responsePayload` — is documented at
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html.
 *
 * The framework makes both sides agree: the local runtime fails the event at once, and on AWS the
 * controller's Lambda entry delivers the record (condition `RetriesExhausted`, one invocation) to the
 * on-failure destination itself and returns normally, so Lambda has nothing to retry.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineController } from '../../src/framework/define.js';
import type { DestinationRecord } from '../../src/framework/destination-record.js';
import { errorDetails, NonRetriableError } from '../../src/framework/errors.js';
import { createFailureDestination } from '../../src/lambda/aws-deps.js';
import { createControllerHandler, type FailureDestination } from '../../src/lambda/controller-handler.js';
import { lambdaContext, recordingTransport } from '../lambda/fakes.js';
import { recordSink, tempRuntime, type TempRuntime } from '../helpers/parity.js';

/** The on-failure queue the stack gives the controller on AWS. */
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:123456789012:Leedz-ordersFailures';

let runs: number;

const orders = defineController(
  'orders',
  {
    confirm: {
      payload: z.object({ orderId: z.string() }),
      handler: ({ orderId }) => {
        runs += 1;
        throw new NonRetriableError(`order ${orderId} was cancelled; nothing to confirm`, { code: 'ORDER_CANCELLED' });
      },
    },
  },
  // Two retries allowed: the point is that none is used.
  { maximumRetryAttempts: 2 },
);

/** The three kinds of non-retriable error, each as a hand-written event. */
const CASES = [
  { kind: 'a NonRetriableError thrown by the handler', event: { function: 'confirm', orderId: 'o-42' }, errorType: 'NonRetriableError', code: 'ORDER_CANCELLED', ran: 1 },
  { kind: 'an invalid payload', event: { function: 'confirm', orderId: 42 }, errorType: 'InvalidPayloadError', code: 'INVALID_PAYLOAD', ran: 0 },
  { kind: 'an unknown route', event: { function: 'refund', orderId: 'o-42' }, errorType: 'UnknownFunctionError', code: 'UNKNOWN_FUNCTION', ran: 0 },
] as const;

let local: TempRuntime;
let sink: ReturnType<typeof recordSink>;

beforeEach(() => {
  runs = 0;
  // The Lambda entry logs each record it delivers (CloudWatch's view of it); not this suite's subject.
  vi.spyOn(console, 'error').mockImplementation(() => {});
  local = tempRuntime();
  sink = recordSink('ordersFailures');
  local.runtime.register(sink.sink).register(orders, { onFailure: 'ordersFailures' }).start();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await local.cleanup();
});

/** The failure record the local runtime sends for `event`, after the event has ended. */
async function localRecord(event: object): Promise<{ record: DestinationRecord; invocationId: string }> {
  const accepted = await local.runtime.invoke('orders', event, 'Event');
  await local.runtime.drain();
  const invocationId = accepted.requestId!;
  const [sent] = local.runtime.listDestinationRecords({ invocationId });
  expect(sent).toBeDefined();
  return { record: sent!.record, invocationId };
}

/** What the Lambda entry delivers for `event`, to a destination double; with what the entry returned. */
async function lambdaRecord(event: object, requestId: string): Promise<{ records: DestinationRecord[]; returned: unknown }> {
  const records: DestinationRecord[] = [];
  const destination: FailureDestination = { arn: QUEUE_ARN, deliver: async (record) => void records.push(record) };
  const handler = createControllerHandler(orders, recordingTransport(), { onFailure: destination });
  const returned = await handler(event, lambdaContext('orders', { requestId }));
  return { records, returned };
}

/**
 * A record with what legitimately differs between two runs blanked out: the request id, the
 * timestamp, the region, account and stack prefix of the ARN, and the stack frames of the trace
 * (the runtime and the Lambda entry call the handler from different places).
 */
function comparable(record: DestinationRecord): unknown {
  const response = record.responsePayload as { errorType: string; errorMessage: string; trace: string[] };
  return {
    ...record,
    timestamp: '(time)',
    requestContext: {
      ...record.requestContext,
      requestId: '(id)',
      functionArn: record.requestContext.functionArn.replace(/^arn:aws:lambda:[^:]+:\d{12}:function:(?:Leedz-)?/, 'arn:aws:lambda:(region):(account):function:'),
    },
    responsePayload: { ...response, trace: response.trace.filter((line) => !/^\s+at /.test(line)) },
  };
}

describe.each(CASES)('$kind', ({ event, errorType, code, ran }) => {
  it('locally: one attempt, then a RetriesExhausted record with approximateInvokeCount 1 at the on-failure destination', async () => {
    const { record, invocationId } = await localRecord(event);
    expect(local.runtime.getInvocation(invocationId)).toMatchObject({ outcome: 'RetriesExhausted', attempts: 1, failedAttempts: [{ attempt: 1 }] });
    expect(runs).toBe(ran);
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: { requestId: invocationId, functionArn: 'arn:aws:lambda:local:000000000000:function:orders:$LATEST', condition: 'RetriesExhausted', approximateInvokeCount: 1 },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType },
    });
    expect(Object.keys(record.responsePayload as object).sort()).toEqual(['errorMessage', 'errorType', 'trace']);
    expect(errorDetails(record.responsePayload as never)).toMatchObject({ code, retriable: false });
    // The destination function received it.
    expect(sink.records).toEqual([record]);
  });

  it('through the Lambda entry: the same record, delivered once by the entry itself, which then returns normally', async () => {
    const { records, returned } = await lambdaRecord(event, 'aws-request-1');
    expect(returned).toBeNull();
    expect(runs).toBe(ran);
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record!.requestContext).toMatchObject({
      requestId: 'aws-request-1',
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Leedz-orders:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 1,
    });

    runs = 0;
    const { record: fromRuntime } = await localRecord(event);
    expect(comparable(record!)).toEqual(comparable(fromRuntime));
  });
});

describe('the on-failure destination on AWS (createFailureDestination)', () => {
  const sqs = mockClient(SQSClient);
  const lambda = mockClient(LambdaClient);

  beforeEach(() => {
    sqs.reset();
    lambda.reset();
  });

  it('an SQS queue ARN: one SendMessage whose body is the record, to the queue URL derived from the ARN', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const destination = createFailureDestination(QUEUE_ARN, { sqs: new SQSClient({ region: 'us-east-1' }) });
    const handler = createControllerHandler(orders, recordingTransport(), { onFailure: destination });
    const event = CASES[0].event;
    expect(await handler(event, lambdaContext('orders', { requestId: 'aws-request-2' }))).toBeNull();

    const calls = sqs.commandCalls(SendMessageCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.QueueUrl).toBe('https://sqs.us-east-1.amazonaws.com/123456789012/Leedz-ordersFailures');
    const sent = JSON.parse(input.MessageBody!) as DestinationRecord;
    expect(sent.requestContext).toMatchObject({ requestId: 'aws-request-2', condition: 'RetriesExhausted', approximateInvokeCount: 1 });

    runs = 0;
    const { record: fromRuntime } = await localRecord(event);
    expect(comparable(sent)).toEqual(comparable(fromRuntime));
  });

  it('a queue in the China partition gets its amazonaws.com.cn URL', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-2' });
    const destination = createFailureDestination('arn:aws-cn:sqs:cn-north-1:123456789012:Leedz-ordersFailures', { sqs: new SQSClient({ region: 'cn-north-1' }) });
    await createControllerHandler(orders, recordingTransport(), { onFailure: destination })(CASES[0].event, lambdaContext('orders'));
    expect(sqs.commandCalls(SendMessageCommand)[0]!.args[0].input.QueueUrl).toBe('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/Leedz-ordersFailures');
  });

  it('a function ARN: one asynchronous Invoke (Event) of that function with the record as payload', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const target = 'arn:aws:lambda:us-east-1:123456789012:function:Leedz-recordFailure';
    const destination = createFailureDestination(target, { lambda: new LambdaClient({ region: 'us-east-1' }) });
    await createControllerHandler(orders, recordingTransport(), { onFailure: destination })(CASES[0].event, lambdaContext('orders'));
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: target, InvocationType: 'Event' });
    const record = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array)) as DestinationRecord;
    expect(record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 1 });
  });

  it('when the record cannot be delivered, the entry throws the original error, so Lambda’s own retries and destination take over', async () => {
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDenied' }));
    const destination = createFailureDestination(QUEUE_ARN, { sqs: new SQSClient({ region: 'us-east-1' }) });
    const handler = createControllerHandler(orders, recordingTransport(), { onFailure: destination });
    await expect(handler(CASES[0].event, lambdaContext('orders'))).rejects.toBeInstanceOf(NonRetriableError);
  });
});
