/**
 * Running one handler as Lambda runs it: with its context (src/framework/context.ts), its timeout
 * (a timed-out invocation fails with Lambda's `Sandbox.Timedout` error and its signal is aborted), in
 * the call chain's scope (src/runtime/call-chain.ts), and — for a synchronous call — its result as the
 * caller receives it, and the log tail `X-Amz-Log-Type: Tail` returns
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 *
 * @example
 * const outcome = await runHandler({ deployable, timeoutSeconds: 3, requestId, payload, meta, … });
 * if ('error' in outcome) serializeError(outcome.error);
 */
import { createInvocationContext } from '../framework/context.js';
import { DEPLOYED_FUNCTION } from '../framework/deployment.js';
import type { Deployable } from '../framework/define.js';
import type { EnvelopeMeta } from '../framework/envelope.js';
import { TimeoutError, errorLine, serializeError, type SerializedFunctionError } from '../framework/errors.js';
import { roundTripJson, stringifyJson } from '../framework/raw-json.js';
import { InvokeError, type Transport } from '../framework/transport.js';
import type { CallChain } from './call-chain.js';
import { escapeError, type Escape } from './process-guard.js';

/** Lambda's payload limits: 6 MB for synchronous invocations, 1 MB for Event (since 2025). */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
export const EVENT_PAYLOAD_LIMIT = 1024 * 1024;
/**
 * A synchronous response's limit is a hundred bytes more than a request's: Lambda answers one past it
 * with "Response payload size (N bytes) exceeded maximum allowed payload size (6291556 bytes)."
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html says 6 MB for each).
 */
export const RESPONSE_PAYLOAD_LIMIT = SYNC_PAYLOAD_LIMIT + 100;
/** `X-Amz-Log-Type: Tail` returns the last 4 KB of the invocation's log. */
const LOG_TAIL_BYTES = 4096;
/** `X-Amz-Client-Context` is base64 JSON of at most 3,583 bytes. */
const CLIENT_CONTEXT_BYTES = 3583;

export interface HandlerRun {
  deployable: Deployable;
  timeoutSeconds: number;
  allowedTargets: ReadonlySet<string> | 'any';
  requestId: string;
  payload: unknown;
  meta: EnvelopeMeta & { hop: number; traceId: string };
  startedAt: number;
  region: string;
  accountId: string;
  transport: Transport;
  chain: CallChain;
  clientContext?: unknown;
  log?: (line: string) => void;
}

/**
 * Run a handler with its context and timeout. Never throws: resolves with the result or the error,
 * the error being also what escapes the handler other than by its promise (an exception thrown from a
 * timer, a rejection nothing handles, `process.exit`: src/runtime/process-guard.ts).
 */
export async function runHandler(run: HandlerRun): Promise<{ result: unknown } | { error: unknown }> {
  const timeoutMs = run.timeoutSeconds * 1000;
  // Made when the handler first reads ctx.signal (or when the timeout aborts it): most never do, and
  // an AbortController is one of the dearer objects Node makes.
  let controller: AbortController | undefined;
  const ctx = createInvocationContext({
    functionName: run.deployable.name,
    requestId: run.requestId,
    region: run.region,
    accountId: run.accountId,
    timeoutMs,
    startedAt: run.startedAt,
    meta: run.meta,
    transport: run.transport,
    allowedTargets: run.allowedTargets,
    clientContext: run.clientContext,
    signal: () => (controller ??= new AbortController()).signal,
    ...(run.log === undefined ? {} : { log: run.log }),
  });
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  try {
    const link = { id: run.requestId, traceId: run.meta.traceId, hop: run.meta.hop };
    // The handler against its timeout, in one promise (a race of two made three more per invocation).
    const result = await new Promise<unknown>((resolve, reject) => {
      timer = setTimeout(() => {
        (controller ??= new AbortController()).abort();
        reject(new TimeoutError(run.requestId, timeoutMs));
      }, timeoutMs);
      const onEscape = (escape: Escape) => {
        const error = escapeError(escape, run.requestId);
        // Code the handler left running after its end (a timed-out handler goes on in the
        // background): its invocation has its outcome; the error is only logged.
        if (ended) run.log?.(`after the invocation ended: ${errorLine(error)}`);
        else reject(error);
      };
      run.chain.run(link, () => run.deployable.handle(run.payload, ctx), onEscape).then(resolve, reject);
    });
    return { result };
  } catch (error) {
    return { error };
  } finally {
    ended = true;
    clearTimeout(timer);
  }
}


/**
 * A result JSON cannot write (a cycle, a BigInt) is the function's error: Lambda's Node.js runtime
 * writes every result as JSON before it sends it on, and fails the invocation when it cannot.
 */
export function unserializableResult(cause: unknown): Error {
  return new Error('Unable to stringify response body', { cause });
}

/**
 * An Event invocation's outcome as Lambda's runtime hands it on: the result's JSON round trip (what
 * an on-success destination receives; `undefined` is `null`), or the error of a result JSON cannot
 * write, which is retried and ends as any function error does.
 */
export function asyncOutcome(outcome: { result: unknown } | { error: unknown }): { result: unknown } | { error: unknown } {
  if ('error' in outcome) return outcome;
  if (outcome.result === undefined || outcome.result === null) return { result: null };
  try {
    return { result: JSON.parse(stringifyJson(outcome.result)) as unknown };
  } catch (cause) {
    return { error: unserializableResult(cause) };
  }
}

/**
 * What a synchronous caller receives: the result as JSON, or the function's error in the Node.js
 * runtime's shape — a result over 6 MB is Lambda's `Function.ResponseSizeTooLarge` error, one JSON
 * cannot write is {@link unserializableResult}.
 */
export function syncResponse(outcome: { result: unknown } | { error: unknown }): { payload: unknown } | { error: SerializedFunctionError } {
  if ('error' in outcome) return { error: serializeError(outcome.error) };
  // One serialization, and answers built as JSON text (RawJson) pass through unparsed.
  let json: ReturnType<typeof roundTripJson>;
  try {
    json = roundTripJson(outcome.result);
  } catch (cause) {
    return { error: serializeError(unserializableResult(cause)) };
  }
  const { value, bytes } = json;
  if (bytes > RESPONSE_PAYLOAD_LIMIT) {
    return {
      error: {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size (${bytes} bytes) exceeded maximum allowed payload size (${RESPONSE_PAYLOAD_LIMIT} bytes).`,
        trace: [],
      },
    };
  }
  // The caller sees exactly what Lambda would send: the result as JSON.
  return { payload: value };
}

/** The base64 log tail of a synchronous invocation, as Lambda frames it (START, the lines, END, REPORT). */
export function logTail(requestId: string, lines: readonly string[], startedAt: number, endedAt: number): string {
  const duration = (endedAt - startedAt).toFixed(2);
  const text = [
    `START RequestId: ${requestId} Version: $LATEST`,
    ...lines,
    `END RequestId: ${requestId}`,
    `REPORT RequestId: ${requestId}\tDuration: ${duration} ms\tBilled Duration: ${Math.ceil(endedAt - startedAt)} ms\tMemory Size: ${DEPLOYED_FUNCTION.memorySizeMb} MB`,
    '',
  ].join('\n');
  const buffer = Buffer.from(text, 'utf8');
  return (buffer.length <= LOG_TAIL_BYTES ? buffer : buffer.subarray(buffer.length - LOG_TAIL_BYTES)).toString('base64');
}

/** `X-Amz-Client-Context`: base64 JSON of at most 3,583 bytes, or Lambda's error. */
export function decodeClientContext(encoded: string): unknown {
  if (Buffer.byteLength(encoded) > CLIENT_CONTEXT_BYTES) {
    throw new InvokeError('InvalidRequestContentException', `Client context must be ${CLIENT_CONTEXT_BYTES} bytes or less (base64 encoded)`);
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  // An object, as the message says: `[1]` or `"x"` is JSON, but no client context.
  if (decoded === null || typeof decoded !== 'object' || Array.isArray(decoded)) {
    throw new InvokeError('InvalidRequestContentException', 'Client context must be a valid Base64-encoded JSON object');
  }
  return decoded;
}
