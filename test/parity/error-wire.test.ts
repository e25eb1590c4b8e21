/**
 * Parity 3 — a function error on the wire is exactly what the Node.js runtime on AWS sends.
 *
 * What AWS does: when a handler throws, the Node.js runtime answers the synchronous Invoke with
 * `200`, `X-Amz-Function-Error: Unhandled` and a JSON body of exactly `errorType` (the error's name),
 * `errorMessage` and `trace` (the stack, line by line); every other property of the error is dropped
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html,
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). The same object is the
 * `responsePayload` of an asynchronous invocation's failure record.
 *
 * The framework's structured details (code, fields, …) therefore travel inside `trace`, and
 * `errorDetails()` reads them back from what arrived, on either side.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFunction } from '../../src/framework/define.js';
import { errorDetails, type SerializedFunctionError } from '../../src/framework/errors.js';
import { signedFetch } from '../../src/server/signed-fetch.js';
import { startInvokeApi } from '../helpers/invoke-api-server.js';
import { recordSink, tempRuntime, type TempRuntime } from '../helpers/parity.js';
import { lambdaClient, TEST_CREDENTIALS } from '../helpers/signed.js';

const placeOrder = defineFunction('placeOrder', {
  input: z.object({ item: z.string().min(1), quantity: z.number().int().positive() }),
  handler: ({ item }) => {
    // An error with properties of its own, as libraries throw them: none of them reaches the caller on AWS.
    if (item === 'soufflé') throw Object.assign(new Error('the oven is cold'), { code: 'OVEN_COLD', retriable: false, oven: { id: 3 } });
    return { ordered: item };
  },
});

let local: TempRuntime;
let api: Awaited<ReturnType<typeof startInvokeApi>>;
let client: LambdaClient;
let sink: ReturnType<typeof recordSink>;

beforeAll(async () => {
  local = tempRuntime();
  sink = recordSink('orderFailures');
  local.runtime.register(sink.sink).register(placeOrder, { onFailure: 'orderFailures', maximumRetryAttempts: 0 }).start();
  api = await startInvokeApi(local.runtime);
  client = lambdaClient(api.url);
});

afterAll(async () => {
  client?.destroy();
  await api?.close();
  await local?.cleanup();
});

/** A signed Invoke over plain HTTP, as any client would send it; the body as it came. */
async function rawInvoke(payload: unknown): Promise<{ status: number; functionError: string | null; body: Record<string, unknown> }> {
  const response = await signedFetch(`${api.url}/2015-03-31/functions/placeOrder/invocations`, { method: 'POST', body: JSON.stringify(payload) }, TEST_CREDENTIALS);
  return { status: response.status, functionError: response.headers.get('x-amz-function-error'), body: (await response.json()) as Record<string, unknown> };
}

async function sdkInvoke(payload: unknown): Promise<{ functionError: string | undefined; body: Record<string, unknown> }> {
  const result = await client.send(new InvokeCommand({ FunctionName: 'placeOrder', Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
  return { functionError: result.FunctionError, body: JSON.parse(new TextDecoder().decode(result.Payload)) as Record<string, unknown> };
}

const INVALID = { item: 'pretzel', quantity: -1 };

describe('an InvalidPayloadError on the wire', () => {
  it('raw HTTP: 200, X-Amz-Function-Error Unhandled, and a body of exactly errorType, errorMessage and trace', async () => {
    const { status, functionError, body } = await rawInvoke(INVALID);
    expect(status).toBe(200);
    expect(functionError).toBe('Unhandled');
    expect(Object.keys(body).sort()).toEqual(['errorMessage', 'errorType', 'trace']);
    expect(body.errorType).toBe('InvalidPayloadError');
    expect(body.errorMessage).toBe('placeOrder: invalid payload: quantity: Too small: expected number to be >0');
    expect((body.trace as string[])[0]).toBe(`InvalidPayloadError: ${body.errorMessage}`);
  });

  it('errorDetails() reads the code and the fields back from the trace', async () => {
    const { body } = await rawInvoke(INVALID);
    expect(errorDetails(body as unknown as SerializedFunctionError)).toEqual({
      code: 'INVALID_PAYLOAD',
      retriable: false,
      target: 'placeOrder',
      fields: [{ path: 'quantity', message: 'Too small: expected number to be >0' }],
    });
  });

  it('the JS SDK’s Payload decodes to the same three keys and the same details', async () => {
    const raw = await rawInvoke(INVALID);
    const sdk = await sdkInvoke(INVALID);
    expect(sdk.functionError).toBe('Unhandled');
    expect(Object.keys(sdk.body).sort()).toEqual(['errorMessage', 'errorType', 'trace']);
    expect({ errorType: sdk.body.errorType, errorMessage: sdk.body.errorMessage }).toEqual({ errorType: raw.body.errorType, errorMessage: raw.body.errorMessage });
    expect(errorDetails(sdk.body as unknown as SerializedFunctionError)).toEqual(errorDetails(raw.body as unknown as SerializedFunctionError));
  });
});

describe('an error that is not the framework’s', () => {
  it('loses its own properties as on AWS: only errorType, errorMessage and trace, and no details', async () => {
    const { functionError, body } = await rawInvoke({ item: 'soufflé', quantity: 1 });
    expect(functionError).toBe('Unhandled');
    expect(Object.keys(body).sort()).toEqual(['errorMessage', 'errorType', 'trace']);
    expect(body).toMatchObject({ errorType: 'Error', errorMessage: 'the oven is cold' });
    expect(JSON.stringify(body)).not.toContain('OVEN_COLD');
    expect(errorDetails(body as unknown as SerializedFunctionError)).toBeUndefined();
  });
});

describe('an asynchronous invocation that fails', () => {
  it('its failure record’s responsePayload has the same three keys, and the details survive in its trace', async () => {
    const accepted = await local.runtime.invoke('placeOrder', INVALID, 'Event');
    await local.runtime.drain();
    const record = sink.records.find((r) => r.requestContext.requestId === accepted.requestId)!;
    expect(record.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    expect(Object.keys(record.responsePayload as object).sort()).toEqual(['errorMessage', 'errorType', 'trace']);
    expect(errorDetails(record.responsePayload as SerializedFunctionError)).toMatchObject({ code: 'INVALID_PAYLOAD', fields: [{ path: 'quantity' }] });
  });
});
