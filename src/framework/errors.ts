/**
 * The framework's error taxonomy. Errors cross the asynchronous boundary (they are stored in the
 * invocation log, in destination records and in dead letters), so each carries a `code` from a
 * string-literal union and serialises to JSON. Retry behaviour is expressed by class:
 * a {@link NonRetriableError} goes straight to failure, a {@link RetryAfterError} asks for a delay,
 * anything else is an ordinary function error that the runtime retries with AWS's rules.
 *
 * @example
 * throw new RetryAfterError('mail server busy', 30_000);
 */

export type FrameworkErrorCode =
  | 'UNKNOWN_FUNCTION'
  | 'INVALID_ENVELOPE'
  | 'INVALID_PAYLOAD'
  | 'RETRY_AFTER'
  | 'TIMEOUT'
  | 'RECURSION_LIMIT'
  | 'FUNCTION_ERROR';

/** Base of every error the framework raises itself. */
export class FrameworkError extends Error {
  readonly code: FrameworkErrorCode;
  /** Whether the runtime may retry the invocation that raised it. */
  readonly retriable: boolean;

  constructor(code: FrameworkErrorCode, message: string, options: { retriable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retriable: this.retriable };
  }
}

/** An error that retrying cannot fix: the event goes to failure after one attempt. */
export class NonRetriableError extends FrameworkError {
  constructor(code: FrameworkErrorCode, message: string, cause?: unknown) {
    super(code, message, { retriable: false, cause });
  }
}

/** The envelope's `function` names no route of the controller (or is not a usable name at all). */
export class UnknownFunctionError extends NonRetriableError {
  readonly controller: string;
  readonly function: unknown;

  constructor(controller: string, fn: unknown, known: readonly string[]) {
    const shown = typeof fn === 'string' ? `"${fn}"` : fn === undefined ? 'missing' : `not a string (${typeof fn})`;
    super(
      typeof fn === 'string' ? 'UNKNOWN_FUNCTION' : 'INVALID_ENVELOPE',
      `${controller}: "function" is ${shown}; expected one of ${known.map((k) => `"${k}"`).join(', ')}`,
    );
    this.controller = controller;
    this.function = fn;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), controller: this.controller, function: this.function };
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
    super('INVALID_PAYLOAD', `${target}: invalid payload: ${list}`, cause);
    this.target = target;
    this.fields = fields;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), target: this.target, fields: this.fields };
  }
}

/**
 * Ask the runtime to retry after a delay instead of AWS's default backoff (a rate-limited mail
 * server, say). The attempt still counts towards `MaximumRetryAttempts`.
 */
export class RetryAfterError extends FrameworkError {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number, cause?: unknown) {
    super('RETRY_AFTER', message, { retriable: true, cause });
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
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
      'RECURSION_LIMIT',
      `${functionName}: recursive invocation stopped at hop ${hop} (limit ${limit}); see https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html`,
    );
  }
}

/** The Node.js Lambda runtime's shape for a function error (what `X-Amz-Function-Error` bodies hold). */
export interface SerializedFunctionError {
  errorType: string;
  errorMessage: string;
  trace: string[];
  /** Framework extras (code, fields, …), kept so the error survives JSON. Lambda ignores unknown keys. */
  [extra: string]: unknown;
}

/**
 * Serialise anything thrown by a handler the way the Node.js Lambda runtime does:
 * `errorType` is the error's name, `trace` the stack split into lines.
 */
export function serializeError(error: unknown): SerializedFunctionError {
  if (error instanceof Error) {
    const extras = error instanceof FrameworkError ? error.toJSON() : {};
    delete extras.message;
    delete extras.name;
    return {
      ...extras,
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? `${error.name}: ${error.message}`).split('\n'),
    };
  }
  // The Node.js runtime wraps non-Error throws the same way (errorType "string", etc.).
  const message = typeof error === 'string' ? error : safeJson(error);
  return { errorType: typeof error, errorMessage: message, trace: [] };
}

/** Whether the runtime may retry after this error. Unknown errors are ordinary function errors: retriable. */
export function isRetriable(error: unknown): boolean {
  return !(error instanceof FrameworkError) || error.retriable;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
