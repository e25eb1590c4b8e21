/**
 * One trace per post on AWS: a request's X-Ray trace becomes its envelopes' `_meta.traceId`, a direct
 * Event invocation carries the running invocation's trace (the SDK's own middleware), and the relay
 * and the sweep send each outbox message under the trace of the request that committed it.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { defineController } from '../../src/framework/define.js';
import { prepare } from '../../src/framework/invoker.js';
import { createAwsTransport } from '../../src/lambda/aws-deps.js';
import { resolveAwsConfig } from '../../src/lambda/aws-config.js';
import { invocationContextFromLambda } from '../../src/lambda/lambda-context.js';
import { carryingTraces, currentXrayTrace, withCarriedTraces, xrayTraceOf } from '../../src/lambda/xray.js';
import { z } from 'zod';
import { lambdaContext, recordingTransport } from './fakes.js';

const REQUEST_TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
const RELAY_TRACE = 'Root=1-6a0e1f22-0123456789abcdef01234567;Parent=0aa1b2c3d4e5f607;Sampled=1';
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

const config = resolveAwsConfig({
  LEEDZ_FUNCTION: 'outboxRelay',
  LEEDZ_FUNCTION_PREFIX: 'Leedz-',
  AWS_REGION: 'us-east-1',
  LEEDZ_TABLE_NAME: 't',
  LEEDZ_IDEMPOTENCY_TABLE_NAME: 'i',
  LEEDZ_MAIL_FROM: 'no-reply@leedz.io',
  LEEDZ_USER_POOL_ID: 'us-east-1_Ab12Cd34E',
  LEEDZ_USER_POOL_CLIENT_ID: 'c',
  LEEDZ_PLACE_INDEX_NAME: 'p',
  LEEDZ_SQUARE_SECRET_ARN: 's',
  LEEDZ_PUBLIC_URL: 'https://leedz.io',
  LEEDZ_ADMIN_EMAIL: 'admin@leedz.io',
});

/** A Lambda client that records the trace header of each Invoke instead of sending it. */
function recordingClient() {
  const headers: (string | undefined)[] = [];
  const client = withCarriedTraces(new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  client.middlewareStack.add(
    () => async (args) => {
      headers.push((args.request as { headers: Record<string, string> }).headers['X-Amzn-Trace-Id']);
      return { output: { StatusCode: 202, $metadata: { requestId: 'r-1' } }, response: {} };
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recordTraceHeader' },
  );
  return { client, headers };
}

describe('the X-Ray trace', () => {
  it('is read from a trace header as its root and sampling decision (the parent changes at every hop)', () => {
    expect(xrayTraceOf(REQUEST_TRACE)).toBe('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1');
    expect(xrayTraceOf('Root=1-5759e988-bd862e3fe1be46a994272793')).toBe('Root=1-5759e988-bd862e3fe1be46a994272793');
    for (const notATrace of [undefined, '', 'c6af9ac6-7b61-11e6-9a41-93e812345678', 'Root=2-abc;Sampled=1']) expect(xrayTraceOf(notATrace)).toBeUndefined();
    expect(currentXrayTrace({ _X_AMZN_TRACE_ID: REQUEST_TRACE })).toBe('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1');
    expect(currentXrayTrace({})).toBeUndefined();
  });

  it('of a request on AWS is the trace of every envelope it prepares (the outbox messages too)', () => {
    process.env._X_AMZN_TRACE_ID = REQUEST_TRACE;
    const bookkeeping = defineController('bookkeeping', { leedPosted: { payload: z.object({ leedId: z.string() }), handler: () => ({}) } });
    const addLeed = { kind: 'function', name: 'addLeed', config: {}, invokes: [], sensitive: [] } as never;
    const ctx = invocationContextFromLambda(addLeed, lambdaContext('addLeed'), {}, recordingTransport());
    expect(ctx.meta.traceId).toBe('Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1');
    expect(prepare(ctx, bookkeeping).leedPosted({ leedId: 'l_1' }).payload._meta).toMatchObject({ traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' });
    // An envelope's own trace wins: a controller continues the trace it was sent.
    const controllerCtx = invocationContextFromLambda(addLeed, lambdaContext('bookkeeping'), { traceId: 'Root=1-00000000-000000000000000000000000' }, recordingTransport());
    expect(controllerCtx.meta.traceId).toBe('Root=1-00000000-000000000000000000000000');
  });

  it('is carried by a direct Event invocation inside a Lambda: the SDK’s recursion-detection middleware sends the running invocation’s header', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'Leedz-notifyUsers';
    process.env._X_AMZN_TRACE_ID = REQUEST_TRACE;
    const { client, headers } = recordingClient();
    await createAwsTransport(config, client).invoke('emailHelper', { function: 'notifyBatch' }, 'Event');
    expect(headers).toEqual([REQUEST_TRACE]);
  });

  it('of each outbox message is the one its controller runs under, not the relay’s own', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'Leedz-outboxRelay';
    process.env._X_AMZN_TRACE_ID = RELAY_TRACE;
    const { client, headers } = recordingClient();
    const transport = carryingTraces(createAwsTransport(config, client));
    await transport.invoke('emailHelper', { function: 'notifyUsers', _meta: { traceId: xrayTraceOf(REQUEST_TRACE) } }, 'Event');
    // A message committed outside AWS (no X-Ray trace in its envelope) goes under the relay's.
    await transport.invoke('bookkeeping', { function: 'leedPosted', _meta: { traceId: 'c6af9ac6-7b61-11e6-9a41-93e812345678' } }, 'Event');
    expect(headers).toEqual(['Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1', RELAY_TRACE]);
  });
});
