/**
 * The framework's error taxonomy. Errors cross the asynchronous boundary (they are stored in the
 * invocation log, in destination records and in dead letters), so each carries a `code` and
 * serialises to JSON. Retry behaviour is expressed by class, and is the same locally and on AWS:
 *
 * - a {@link NonRetriableError} (and its subclasses) ends the event after one attempt, with a failure
 *   record in AWS's shape (the local runtime does it; on AWS the controller's Lambda entry delivers the
 *   record to the on-failure destination itself and returns, so Lambda does not retry it);
 * - a {@link RetryAfterError} asks to run the handler again after a delay *within the same
 *   invocation*, when the delay fits in the time the invocation has left; otherwise it is an ordinary
 *   error. Lambda offers no per-event delay for asynchronous retries (it retries after about 1 and
 *   2 minutes), so the framework never asks the platform for one, here or there;
 * - anything else is an ordinary function error, retried by the platform with AWS's rules.
 *
 * On the wire an error is exactly what the Node.js runtime sends, `{errorType, errorMessage, trace}`
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html): the Node.js runtime builds it
 * from `name`, `message` and `stack`, and drops every other property. A framework error therefore
 * writes its structured details (code, fields, …) into its own stack, as the line after the first:
 * `    details: {"code":"INVALID_PAYLOAD","retriable":false,"fields":[…]}`; {@link errorDetails} reads them
 * back from a serialised error, on either side.
 *
 * @example
 * throw new NonRetriableError('order 42 was cancelled; nothing to confirm', { code: 'ORDER_CANCELLED' });
 */

/** Codes of the errors the framework raises itself; an application's {@link NonRetriableError} may use its own. */
export type FrameworkErrorCode =
  | 'UNKNOWN_FUNCTION'
  | 'INVALID_ENVELOPE'
  | 'INVALID_PAYLOAD'
  | 'NON_RETRIABLE'
  | 'RETRY_AFTER'
  | 'TIMEOUT'
  | 'RECURSION_LIMIT'
  | 'FUNCTION_ERROR';

/** The prefix of the trace line that carries a framework error's details. */
const DETAILS_PREFIX = '    details: ';

/** Base of every error the framework raises itself. */
export class FrameworkError extends Error {
  readonly code: FrameworkErrorCode | (string & {});
  /** Whether the platform may retry the invocation that raised it. */
  readonly retriable: boolean;

  constructor(code: FrameworkErrorCode | (string & {}), message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable;
    // The stack is what survives on AWS (see the module comment), so it carries the details. A
    // getter, because subclasses set their fields (and TimeoutError its name) after this constructor.
    let captured = this.stack ?? '';
    Object.defineProperty(this, 'stack', {
      configurable: true,
      enumerable: false,
      get: () => withDetailsLine(this, captured),
      set: (value: string) => {
        captured = value;
      },
    });
  }

  /** What the error carries beyond its name and message; subclasses add their fields. */
  details(): Record<string, unknown> {
    return { code: this.code, retriable: this.retriable };
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, ...this.details() };
  }
}

/**
 * An error that retrying cannot fix: the event goes to failure after one attempt, locally and on AWS.
 * Subclass it, or throw it with your own code.
 *
 * @example
 * throw new NonRetriableError(`leed ${leedId} no longer exists`, { code: 'LEED_GONE', cause: error });
 */
export class NonRetriableError extends FrameworkError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(options.code ?? 'NON_RETRIABLE', message, { retriable: false, cause: options.cause });
  }
}

/** The envelope's `function` names no route of the controller (or is not a usable name at all). */
export class UnknownFunctionError extends NonRetriableError {
  readonly controller: string;
  readonly function: unknown;

  constructor(controller: string, fn: unknown, known: readonly string[]) {
    const shown = typeof fn === 'string' ? `"${fn}"` : fn === undefined ? 'missing' : `not a string (${typeof fn})`;
    super(`${controller}: "function" is ${shown}; expected one of ${known.map((k) => `"${k}"`).join(', ')}`, {
      code: typeof fn === 'string' ? 'UNKNOWN_FUNCTION' : 'INVALID_ENVELOPE',
    });
    this.controller = controller;
    this.function = fn;
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), controller: this.controller, function: this.function };
  }
}

/** One field that failed validation: a dotted path and the rule it broke. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** A payload that does not match the route's (or function's) schema. */
export class InvalidPayloadError extends NonRetriableError {
  readonly target: string;
  readonly fields: FieldIssue[];

  constructor(target: string, fields: FieldIssue[], cause?: unknown) {
    const list = fields.map((f) => `${f.path || '(payload)'}: ${f.message}`).join('; ');
    super(`${target}: invalid payload: ${list}`, { code: 'INVALID_PAYLOAD', cause });
    this.target = target;
    this.fields = fields;
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), target: this.target, fields: this.fields };
  }
}

/**
 * Ask to run the handler again after `retryAfterMs` (a rate-limited mail server, a key another attempt
 * holds), within the same invocation: the handler waits and runs again when the delay leaves it time
 * to work; otherwise this is an ordinary error and the platform retries the event with its own delays
 * (about 1 and 2 minutes, using an attempt). The same on AWS and locally: see {@link runWithRetryAfter}.
 */
export class RetryAfterError extends FrameworkError {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number, cause?: unknown) {
    super('RETRY_AFTER', message, { retriable: true, cause });
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), retryAfterMs: this.retryAfterMs };
  }
}

/** Lambda's own error for a handler that outlives its timeout. */
export class TimeoutError extends FrameworkError {
  constructor(requestId: string, timeoutMs: number) {
    super('TIMEOUT', `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`, {
      retriable: true,
    });
    // Lambda reports timeouts with this errorType (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html)
    this.name = 'Sandbox.Timedout';
  }
}

/** An invocation chain longer than Lambda's recursive-loop limit. */
export class RecursionLimitError extends NonRetriableError {
  constructor(functionName: string, hop: number, limit: number) {
    super(
      `${functionName}: recursive invocation stopped at hop ${hop} (limit ${limit}); see https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html`,
      { code: 'RECURSION_LIMIT' },
    );
  }
}

/** The Node.js Lambda runtime's shape for a function error (what `X-Amz-Function-Error` bodies hold), and nothing more. */
export interface SerializedFunctionError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/**
 * Anything thrown, as one line of a log: its name and message (a provider's error names its status there).
 *
 * @example
 * errorLine(new TypeError('no such leed')); // → 'TypeError: no such leed'
 */
export function errorLine(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Serialise anything thrown by a handler exactly as the Node.js Lambda runtime does
 * (aws-lambda-nodejs-runtime-interface-client: `CallbackContext`'s `fail` and `Errors.toRapidResponse`):
 * `errorType` is the error's name, `errorMessage` its message, `trace` its stack split into lines —
 * for an Error, or any object with a string name, message and stack; a rejection with `null` or
 * `undefined` becomes the string "handled"; anything else gives `errorType` its `typeof`, its text,
 * and an empty trace.
 */
export function serializeError(error: unknown): SerializedFunctionError {
  // Lambda writes a timeout's document itself, with no stack: nothing of the runtime's own code.
  if (error instanceof TimeoutError) return { errorType: error.name, errorMessage: error.message, trace: [] };
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? `${error.name}: ${error.message}`).split('\n'),
    };
  }
  if (error === null || error === undefined) return { errorType: 'string', errorMessage: 'handled', trace: [] };
  if (errorLike(error)) return { errorType: error.name, errorMessage: error.message, trace: error.stack.split('\n') };
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/** An object the Node.js runtime reports as an error though it is not one: non-empty string `name`, `message` and `stack`. */
function errorLike(value: unknown): value is { name: string; message: string; stack: string } {
  if (typeof value !== 'object') return false;
  const { name, message, stack } = value as Record<string, unknown>;
  return typeof name === 'string' && name !== '' && typeof message === 'string' && message !== '' && typeof stack === 'string' && stack !== '';
}

/**
 * The structured details a framework error wrote into its trace (`code`, `retriable`, `fields`, …),
 * read from a serialised error as it arrived (from AWS or the local runtime); undefined when it
 * carries none (an error that is not the framework's).
 *
 * @example
 * const details = errorDetails(result.payload); // { code: 'INVALID_PAYLOAD', retriable: false, fields: [...] }
 */
export function errorDetails(error: SerializedFunctionError | undefined | null): Record<string, unknown> | undefined {
  for (const line of error?.trace ?? []) {
    if (!line.startsWith(DETAILS_PREFIX)) continue;
    try {
      const details = JSON.parse(line.slice(DETAILS_PREFIX.length)) as unknown;
      if (details !== null && typeof details === 'object' && !Array.isArray(details)) return details as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Whether the platform may retry after this error. Unknown errors are ordinary function errors: retriable. */
export function isRetriable(error: unknown): boolean {
  return !(error instanceof FrameworkError) || error.retriable;
}

/**
 * Run `handler`, and run it again after each {@link RetryAfterError} whose delay is at most half the
 * time the invocation has left (it keeps at least as long to work as it waited); otherwise (or once the
 * invocation is aborted) the error propagates as an ordinary, retriable function error. Both `defineFunction` and
 * `defineController` run every handler through this, so the behaviour is the framework's, on AWS and
 * locally alike.
 *
 * @example
 * return runWithRetryAfter(ctx, () => route.handler(payload, ctx));
 */
export async function runWithRetryAfter<T>(
  ctx: { getRemainingTimeInMillis(): number; signal: AbortSignal; log(...parts: unknown[]): void },
  handler: () => Promise<T> | T,
): Promise<T> {
  for (;;) {
    try {
      return await handler();
    } catch (error) {
      if (!(error instanceof RetryAfterError)) throw error;
      if (ctx.signal.aborted || error.retryAfterMs > ctx.getRemainingTimeInMillis() / 2) throw error;
      ctx.log(`${error.message}; running again in ${Math.round(error.retryAfterMs)} ms, within this invocation`);
      await abortableSleep(error.retryAfterMs, ctx.signal);
      if (ctx.signal.aborted) throw error;
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The stack with a details line after its first (header) line. */
function withDetailsLine(error: FrameworkError, captured: string): string {
  // V8's header is `name: message` as they were when the stack was captured; both may have changed since.
  const frames = captured.split('\n').filter((line) => /^\s+at /.test(line));
  let details: string;
  try {
    details = JSON.stringify(error.details());
  } catch {
    details = JSON.stringify({ code: error.code, retriable: error.retriable });
  }
  return [`${error.name}: ${error.message}`, `${DETAILS_PREFIX}${details}`, ...frames].join('\n');
}
