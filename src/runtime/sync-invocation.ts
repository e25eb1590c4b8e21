/**
 * The end of a synchronous (RequestResponse) invocation: what its caller receives — the result as
 * Lambda sends it, or the function's error with `FunctionError: Unhandled`, and the log's tail when
 * asked — and the row the invocation log keeps of it (the payload without its declared secrets, the
 * HTTP status and answer: src/runtime/kept-answer.ts), from what the handler did.
 *
 * @example
 * const ended = endSyncInvocation({ target, id, payload, meta, link, startedAt, endedAt, outcome, lines });
 * log.insertMany([ended.row]);
 * return ended.result;
 */
import type { EnvelopeMeta } from '../framework/envelope.js';
import type { SerializedFunctionError } from '../framework/errors.js';
import type { InvokeOptions, InvokeResult } from '../framework/transport.js';
import { logTail, syncResponse } from './handler-run.js';
import { invocationRow, type NewInvocationRow } from './invocation-log.js';
import { keptAnswer } from './kept-answer.js';
import { CUT_MARK, redactPaths } from './redact.js';
import { REQUEST_LOG_CHARS } from './runtime-db.js';
import type { ResolvedFunction } from './registry.js';

export interface EndedSyncInvocation {
  target: ResolvedFunction;
  id: string;
  payload: unknown;
  /** The payload as it came, JSON: kept as it is when the function declares no secrets in it. */
  payloadJson?: string;
  meta: EnvelopeMeta;
  link: { parentId: string | null; traceId: string; hop: number };
  startedAt: number;
  endedAt: number;
  outcome: { result: unknown } | { error: unknown };
  /** What the handler logged (ctx.log), for `LogType: Tail`. */
  lines: readonly string[];
  logType?: InvokeOptions['logType'];
  /** The invocation this one replays (the console's Replay). */
  replayOf?: string | undefined;
}

/** The caller's result, the log's row and the runtime's log line of an ended synchronous invocation. */
export function endSyncInvocation(run: EndedSyncInvocation): { result: InvokeResult; row: NewInvocationRow; line: string } {
  const { target, id, startedAt, endedAt } = run;
  const name = target.deployable.name;
  const response = syncResponse(run.outcome);
  const failed = 'error' in response;
  const answer = failed ? undefined : keptAnswer(response.payload, target.deployable.sensitive);
  const row = invocationRow({
    id,
    function: name,
    type: 'RequestResponse',
    parent_id: run.link.parentId,
    trace_id: run.link.traceId,
    hop: run.link.hop,
    idempotency_key: run.meta.idempotencyKey ?? null,
    // Secrets the function declared (a sign-in token, say) never reach the log.
    payload: keptRequest(run.payloadJson !== undefined && target.deployable.sensitive.length === 0 ? run.payloadJson : JSON.stringify(redactPaths(run.payload, target.deployable.sensitive))),
    state: failed ? 'failed' : 'succeeded',
    outcome: failed ? 'FunctionError' : 'Success',
    attempts: 1,
    enqueued_at: startedAt,
    started_at: startedAt,
    ended_at: endedAt,
    duration_ms: endedAt - startedAt,
    error: failed ? JSON.stringify(response.error) : null,
    http_status: answer?.httpStatus ?? null,
    response: answer?.json ?? null,
    replay_of: run.replayOf ?? null,
  });
  const result: InvokeResult = { statusCode: 200, executedVersion: '$LATEST', requestId: id };
  if (failed) {
    result.functionError = 'Unhandled';
    result.payload = response.error;
  } else {
    result.payload = response.payload;
  }
  if (run.logType === 'Tail') result.logResult = logTail(id, failed ? [...run.lines, errorLogLine(id, response.error, endedAt)] : run.lines, startedAt, endedAt);
  const line = `${name} ${id} RequestResponse ${failed ? `Error ${response.error.errorType}` : answer?.httpStatus ? `Success HTTP ${answer.httpStatus}` : 'Success'} ${endedAt - startedAt} ms`;
  return { result, row, line };
}

/**
 * What the log keeps of a synchronous invocation's payload (JSON): all of it up to
 * {@link REQUEST_LOG_CHARS} characters; beyond, its beginning under {@link CUT_MARK} and its length,
 * still JSON.
 *
 * @example
 * keptRequest('{"a":1}'); // → '{"a":1}'
 * keptRequest(big); // → '{"[cut]":"{\"body\":\"aaaa…","characters":120034}'
 */
export function keptRequest(json: string): string {
  return json.length <= REQUEST_LOG_CHARS ? json : JSON.stringify({ [CUT_MARK]: json.slice(0, REQUEST_LOG_CHARS), characters: json.length });
}

/**
 * The line Lambda's Node.js runtime writes to the invocation's log for a function error: the error
 * document, its trace as `stack` ("This error document appears in the invocation log and, for
 * synchronous invocations, in the output", https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html);
 * for a timeout, Lambda's own "Task timed out" line.
 */
function errorLogLine(requestId: string, error: SerializedFunctionError, at: number): string {
  const time = new Date(at).toISOString();
  if (error.errorType === 'Sandbox.Timedout') return `${time} ${requestId} ${error.errorMessage.replace(/^RequestId: \S+ Error: /, '')}`;
  return `${time}\t${requestId}\tERROR\tInvoke Error \t${JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, stack: error.trace })}`;
}
