/**
 * Parity 6 — a recursive loop stops at 16 hops, counted by the runtime, whatever the payload says.
 *
 * What AWS does: Lambda tracks the chain of requests itself (the X-Ray trace header that the AWS SDK
 * adds inside a function) and, when a function is invoked about 16 times in one chain, stops the next
 * invocation; an asynchronous one goes to the on-failure destination
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html). A payload cannot make the
 * chain shorter or longer: Lambda does not read it.
 *
 * Locally the runtime sees the chain the same two ways (src/runtime/call-chain.ts): a call made through
 * the runtime from inside a handler (in-process), and an SDK call made inside a handler, whose
 * `X-Amzn-Trace-Id` header names the running invocation. An envelope's `_meta.hop` is not read.
 *
 * What the runtime cannot see (docs/lambda-parity.md): a chain that leaves it and comes back without
 * that header — through the marketplace's HTTP API, an SDK without recursion detection, a message kept
 * somewhere and sent again later by another process. Such a call starts a new chain at hop 0, whatever
 * its envelope says. (AWS sees more: it follows the header through SQS, SNS and S3.)
 */
import { InvokeCommand, RecursiveInvocationException, type LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { InvocationContext } from '../../src/framework/context.js';
import { defineController } from '../../src/framework/define.js';
import { MAX_HOPS } from '../../src/framework/invoker.js';
import { startInvokeApi } from '../helpers/invoke-api-server.js';
import { startTestServer } from '../helpers/marketplace-server.js';
import { recordSink, tempRuntime, type TempRuntime } from '../helpers/parity.js';
import { lambdaClient } from '../helpers/signed.js';

/** How each run of the loop invokes the next one; set per test. */
let next: (n: number, ctx: InvocationContext) => Promise<unknown>;
let runs: { n: number; hop: number }[];

/** A controller that re-invokes itself with a hand-written payload: `{function: 'again', n}`, no `_meta`. */
const loop = defineController(
  'loop',
  {
    again: {
      payload: z.object({ n: z.number().int() }),
      handler: async ({ n }, ctx) => {
        runs.push({ n, hop: ctx.meta.hop });
        await next(n + 1, ctx);
      },
    },
  },
  { invokes: ['loop'] },
);

let local: TempRuntime;
let sink: ReturnType<typeof recordSink>;

beforeEach(() => {
  runs = [];
  sink = recordSink('loopFailures');
  local = tempRuntime();
  local.runtime.register(sink.sink).register(loop, { onFailure: 'loopFailures' }).start();
});

afterEach(async () => {
  await local.cleanup();
});

/** Start the loop from outside (hop 0) and wait until it has stopped. */
async function runLoop(): Promise<void> {
  await local.runtime.invoke('loop', { function: 'again', n: 0 }, 'Event');
  await local.runtime.drain({ timeoutMs: 20_000 });
}

/** The loop ran hops 0–15 and the 17th invocation was stopped with a RecursiveInvocationException record. */
function expectStoppedAt16Hops(): void {
  expect(runs.map((r) => r.n)).toEqual(Array.from({ length: MAX_HOPS }, (_, i) => i));
  expect(runs.map((r) => r.hop)).toEqual(Array.from({ length: MAX_HOPS }, (_, i) => i));
  expect(sink.records).toHaveLength(1);
  expect(sink.records[0]).toMatchObject({
    requestContext: { condition: 'RecursiveInvocationException', approximateInvokeCount: 0 },
    requestPayload: { function: 'again', n: MAX_HOPS },
  });
  const stopped = local.runtime.listInvocations({ function: 'loop', outcome: 'RecursiveInvocationException' });
  expect(stopped).toHaveLength(1);
  expect(stopped[0]).toMatchObject({ hop: MAX_HOPS, attempts: 0, error: { errorType: 'RecursiveInvocationException' } });
}

describe('in-process: ctx.transport.invoke with a hand-written payload', () => {
  it('stops at 16 hops, with a RecursiveInvocationException record at the on-failure destination', async () => {
    next = (n, ctx) => ctx.transport.invoke('loop', { function: 'again', n }, 'Event');
    await runLoop();
    expectStoppedAt16Hops();
  });

  it('a forged _meta.hop of 0 on every call does not let it run longer', async () => {
    next = (n, ctx) => ctx.transport.invoke('loop', { function: 'again', n, _meta: { hop: 0 } }, 'Event');
    await runLoop();
    expectStoppedAt16Hops();
  });

  it('a _meta.hop above the runtime’s count does not stop the chain earlier: Lambda does not read the payload', async () => {
    next = (n, ctx) => ctx.transport.invoke('loop', { function: 'again', n, _meta: { hop: ctx.meta.hop + 2 } }, 'Event');
    await runLoop();
    expectStoppedAt16Hops();
  });

  it('a synchronous chain: the 17th call is refused with RecursiveInvocationException, which its caller can catch', async () => {
    const refused: unknown[] = [];
    next = (n, ctx) => ctx.transport.invoke('loop', { function: 'again', n }, 'RequestResponse').catch((error: unknown) => void refused.push(error));
    const result = await local.runtime.invoke('loop', { function: 'again', n: 0 }, 'RequestResponse');
    expect(result.functionError).toBeUndefined();
    expect(runs.map((r) => r.hop)).toEqual(Array.from({ length: MAX_HOPS }, (_, i) => i));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ name: 'RecursiveInvocationException', statusCode: 400 });
  });

  it('a call from outside with _meta.hop 16 runs, synchronous or Event, as it would on AWS', async () => {
    next = async () => {};
    const sync = await local.runtime.invoke('loop', { function: 'again', n: 0, _meta: { hop: MAX_HOPS } }, 'RequestResponse');
    expect(sync.functionError).toBeUndefined();
    await local.runtime.invoke('loop', { function: 'again', n: 0, _meta: { hop: MAX_HOPS + 5 } }, 'Event');
    await local.runtime.drain();
    expect(runs.map((r) => r.hop)).toEqual([0, 0]);
    expect(sink.records.filter((r) => r.requestContext.condition === 'RecursiveInvocationException')).toEqual([]);
  });
});

describe('over HTTP: a raw LambdaClient inside the handler, through the runtime’s Invoke API', () => {
  let api: Awaited<ReturnType<typeof startInvokeApi>>;
  let client: LambdaClient;
  const functionNameBefore = process.env.AWS_LAMBDA_FUNCTION_NAME;

  beforeEach(async () => {
    // The SDK adds the trace header only inside a Lambda function, which it recognises by this
    // variable (the server sets it; a test has to).
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'loop';
    api = await startInvokeApi(local.runtime);
    client = lambdaClient(api.url);
  });

  afterEach(async () => {
    if (functionNameBefore === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    else process.env.AWS_LAMBDA_FUNCTION_NAME = functionNameBefore;
    client.destroy();
    await api.close();
  });

  const sdkInvoke = (payload: object) =>
    client.send(new InvokeCommand({ FunctionName: 'loop', InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(payload)) }));

  it('a synchronous chain: the SDK’s 17th call is refused with RecursiveInvocationException (400), typed', async () => {
    const refused: unknown[] = [];
    next = (n) =>
      client
        .send(new InvokeCommand({ FunctionName: 'loop', Payload: new TextEncoder().encode(JSON.stringify({ function: 'again', n })) }))
        .catch((error: unknown) => void refused.push(error));
    await local.runtime.invoke('loop', { function: 'again', n: 0 }, 'RequestResponse');
    expect(runs.map((r) => r.hop)).toEqual(Array.from({ length: MAX_HOPS }, (_, i) => i));
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(RecursiveInvocationException);
    expect(refused[0]).toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });

  it('stops at 16 hops: the SDK’s X-Amzn-Trace-Id header tells the runtime which invocation is calling', async () => {
    next = (n) => sdkInvoke({ function: 'again', n });
    await runLoop();
    expectStoppedAt16Hops();
  });

  it('a forged _meta.hop of 0 on every call does not let it run longer', async () => {
    next = (n) => sdkInvoke({ function: 'again', n, _meta: { hop: 0 } });
    await runLoop();
    expectStoppedAt16Hops();
  });
});

describe('what the runtime cannot see', () => {
  it('a chain that leaves the runtime and comes back with neither the trace header nor _meta starts again at hop 0', async () => {
    // The handler "posts to an API" instead of invoking; the API (here, the test) invokes from outside.
    const outside: number[] = [];
    next = async (n) => void outside.push(n);
    for (let n = 0; n < 3; n++) {
      await local.runtime.invoke('loop', { function: 'again', n }, 'Event');
      await local.runtime.drain();
    }
    expect(runs.map((r) => r.hop)).toEqual([0, 0, 0]);
    expect(outside).toEqual([1, 2, 3]);
  });
});

describe('the server', () => {
  it('runs every handler as a Lambda function to the AWS SDK (AWS_LAMBDA_FUNCTION_NAME), so a raw SDK call sends the trace header the chain is read from', async () => {
    const before = process.env.AWS_LAMBDA_FUNCTION_NAME;
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    const t = await startTestServer();
    try {
      expect(process.env.AWS_LAMBDA_FUNCTION_NAME).toBe('leedz-local-runtime');
    } finally {
      await t.close();
      if (before === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      else process.env.AWS_LAMBDA_FUNCTION_NAME = before;
    }
  });
});
