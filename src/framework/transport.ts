/**
 * The Transport port: how one function invokes another. Two adapters implement it, `local` (the
 * embedded runtime, in-process) and `lambda` (`InvokeCommand` of the AWS SDK, which reaches AWS or
 * the local runtime's Invoke API); both pass one contract suite (`test/contracts/transport.ts`).
 *
 * Contract:
 * - `RequestResponse` resolves `{statusCode: 200, payload}`; a function that throws still resolves,
 *   with `functionError: 'Unhandled'` and the Node.js error shape as `payload`.
 * - `Event` resolves `{statusCode: 202}` once the event is durably queued; `DryRun` resolves `{statusCode: 204}`.
 * - What prevents the function from running rejects with an {@link InvokeError} whose `name` is the
 *   full Lambda exception name (`ResourceNotFoundException`, `RequestEntityTooLargeException`, …).
 */

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export const INVOCATION_TYPES: readonly InvocationType[] = ['RequestResponse', 'Event', 'DryRun'];

export interface InvokeOptions {
  /** Base64 JSON passed to the function as `context.clientContext` (RequestResponse only). */
  clientContext?: string;
  /** `Tail` asks for the last 4 KB of the invocation's log (RequestResponse only). */
  logType?: 'None' | 'Tail';
}

export interface InvokeResult {
  statusCode: 200 | 202 | 204;
  /** The function's result (RequestResponse), or its serialised error when `functionError` is set. */
  payload?: unknown;
  functionError?: 'Unhandled';
  executedVersion?: string;
  /** Base64 of the log tail, when asked for with `logType: 'Tail'`. */
  logResult?: string;
  /** The invocation's id, when the transport knows it (the local runtime always does). */
  requestId?: string;
}

export interface Transport {
  invoke(functionName: string, payload: unknown, type: InvocationType, options?: InvokeOptions): Promise<InvokeResult>;
}

/** The Lambda exceptions that prevent a function from running (names exactly as AWS spells them). */
export type InvokeErrorName =
  | 'ResourceNotFoundException'
  | 'InvalidRequestContentException'
  | 'InvalidParameterValueException'
  | 'RequestTooLargeException'
  | 'RequestEntityTooLargeException'
  | 'RecursiveInvocationException'
  | 'TooManyRequestsException'
  | 'AccessDeniedException'
  | 'ValidationException'
  | 'MissingAuthenticationTokenException'
  | 'IncompleteSignatureException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'UnknownOperationException'
  | 'ServiceException';

/**
 * Why Lambda throttled a call: the `Reason` member of its `TooManyRequestsException`, which the SDKs
 * expose as `error.Reason` (https://docs.aws.amazon.com/botocore/latest/reference/services/lambda/client/exceptions/TooManyRequestsException.html).
 */
export type ThrottleReason =
  | 'ConcurrentInvocationLimitExceeded'
  | 'FunctionInvocationRateLimitExceeded'
  | 'ReservedFunctionConcurrentInvocationLimitExceeded'
  | 'ReservedFunctionInvocationRateLimitExceeded'
  | 'CallerRateLimitExceeded'
  | 'ConcurrentSnapshotCreateLimitExceeded';

/** HTTP status Lambda answers with for each exception. */
export const INVOKE_ERROR_STATUS: Record<InvokeErrorName, number> = {
  ResourceNotFoundException: 404,
  InvalidRequestContentException: 400,
  InvalidParameterValueException: 400,
  // The name in Lambda's API model; the one its Invoke sends for a payload over the limit is the next.
  RequestTooLargeException: 413,
  RequestEntityTooLargeException: 413,
  RecursiveInvocationException: 400,
  TooManyRequestsException: 429,
  AccessDeniedException: 403,
  ValidationException: 400,
  // The request's signature (AWS Signature V4) is missing, malformed, unknown or wrong.
  MissingAuthenticationTokenException: 403,
  IncompleteSignatureException: 403,
  UnrecognizedClientException: 403,
  InvalidSignatureException: 403,
  UnknownOperationException: 400,
  ServiceException: 500,
};

/**
 * A payload over Lambda's limit, by either of its names: the API's model says
 * `RequestTooLargeException`, and Invoke answers `RequestEntityTooLargeException` ("N byte payload is
 * too large for the Event invocation type (limit L bytes)"), as the local runtime does.
 */
export function isPayloadTooLarge(name: string): boolean {
  return name === 'RequestEntityTooLargeException' || name === 'RequestTooLargeException';
}

/** An invocation that Lambda (or the local runtime) refused before the function ran. */
export class InvokeError extends Error {
  override readonly name: InvokeErrorName;
  readonly statusCode: number;
  /** Seconds, for `TooManyRequestsException`. */
  readonly retryAfterSeconds?: number;
  /** Why the call was throttled, for `TooManyRequestsException`. */
  readonly reason?: ThrottleReason;

  constructor(name: InvokeErrorName, message: string, options: { retryAfterSeconds?: number; reason?: ThrottleReason; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = name;
    this.statusCode = INVOKE_ERROR_STATUS[name];
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
    if (options.reason !== undefined) this.reason = options.reason;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, statusCode: this.statusCode, message: this.message, ...(this.reason === undefined ? {} : { reason: this.reason }) };
  }
}

export function isInvokeErrorName(name: string): name is InvokeErrorName {
  return Object.hasOwn(INVOKE_ERROR_STATUS, name);
}
