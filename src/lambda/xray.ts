/**
 * One trace per post, on AWS as on the local console: a request, the controllers it hands work to
 * and their batches share one X-Ray trace.
 *
 * Every Lambda of the stack runs with active tracing, and Lambda passes each invocation its trace in
 * `_X_AMZN_TRACE_ID` (`Root=…;Parent=…;Sampled=…`). An Event invocation made with the AWS SDK from
 * inside a Lambda carries that header by itself: the SDK's recursion-detection middleware sets
 * `X-Amzn-Trace-Id` from Lambda's invoke store or that variable, unless the request already has one
 * (`@aws-sdk/core`, `middleware-recursion-detection/recursionDetectionMiddleware.js`), and Lambda
 * continues the caller's trace. So `login` → `magicLink`, `reportLeed` → `emailHelper` and
 * `notifyUsers` → each `notifyBatch` are one trace without any code.
 *
 * The transactional outbox breaks that chain: the work is committed to the table and handed on by
 * the stream relay (or the sweep), whose invocation has a trace of its own — a DynamoDB stream
 * carries none. So the request's trace rides in the envelope instead: the framework's
 * `_meta.traceId` of a request on AWS is its X-Ray trace (`Root=…;Sampled=…`, without the parent,
 * which changes at every hop), every envelope the request prepares carries it, and the relay and the
 * sweep send each message with that header, so its controller joins the request's trace.
 *
 * @example
 * xrayTraceOf('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1'); // → 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1'
 * const transport = carryingTraces(createAwsTransport(config)); // the relay's and the sweep's
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Transport } from '../framework/transport.js';

/** The variable the Node.js runtime sets to each invocation's trace header. */
const LAMBDA_TRACE_VARIABLE = '_X_AMZN_TRACE_ID';
const TRACE_HEADER = 'X-Amzn-Trace-Id';

/** An X-Ray root: `1-<8 hex digits of epoch seconds>-<24 hex digits>`. */
const ROOT = /(?:^|;)\s*Root=(1-[0-9a-f]{8}-[0-9a-f]{24})(?:;|$)/i;
const SAMPLED = /(?:^|;)\s*Sampled=([01?])(?:;|$)/i;

/** The trace of a header, as the framework's `traceId`: its root and sampling decision, or undefined when it has no root. */
export function xrayTraceOf(header: string | undefined): string | undefined {
  const root = header === undefined ? undefined : ROOT.exec(header)?.[1];
  if (root === undefined) return undefined;
  const sampled = SAMPLED.exec(header!)?.[1];
  return sampled === undefined ? `Root=${root}` : `Root=${root};Sampled=${sampled}`;
}

/** The trace of the invocation running now (what Lambda set for it), or undefined outside Lambda or without tracing. */
export function currentXrayTrace(env: Record<string, string | undefined> = process.env): string | undefined {
  return xrayTraceOf(env[LAMBDA_TRACE_VARIABLE]);
}

const carried = new AsyncLocalStorage<string>();

/**
 * Lets {@link carryingTraces} choose the trace header of an invocation: a middleware that sets
 * `X-Amzn-Trace-Id` before the SDK's own (which then leaves it as it is).
 */
export function withCarriedTraces(client: LambdaClient): LambdaClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      const trace = carried.getStore();
      const request = args.request as { headers?: Record<string, string> };
      if (trace !== undefined && request.headers !== undefined) request.headers[TRACE_HEADER] = trace;
      return next(args);
    },
    { step: 'build', name: 'leedzCarriedTrace', priority: 'high' },
  );
  return client;
}

/**
 * A transport that invokes each envelope under the X-Ray trace its `_meta.traceId` names, when it
 * names one (the envelopes of requests made on AWS do). Its client must come from {@link withCarriedTraces}.
 */
export function carryingTraces(transport: Transport): Transport {
  return {
    invoke(functionName, payload, type, options) {
      const traceId = (payload as { _meta?: { traceId?: unknown } } | null)?._meta?.traceId;
      const trace = typeof traceId === 'string' ? xrayTraceOf(traceId) : undefined;
      return trace === undefined ? transport.invoke(functionName, payload, type, options) : carried.run(trace, () => transport.invoke(functionName, payload, type, options));
    },
  };
}
