/**
 * Lambda's error responses, shared by every route of its API that the runtime serves: the full
 * exception name in `x-amzn-ErrorType` (the SDKs map it to a typed exception) and a JSON body
 * `{Type, message}` (https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html). Never an HTML
 * page or a bare 500: a non-JSON body makes the JS SDK throw a `SyntaxError` instead.
 *
 * @example
 * app.onError((error) => lambdaErrorResponse(error));
 */
import { InvokeError } from '../framework/transport.js';
import { newRequestId } from './request-id.js';

/** A status, headers and a body: an answer any HTTP layer can send. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

/** Lambda's error answer for `error`; anything that is not an {@link InvokeError} is a `ServiceException`. */
export function errorAnswer(error: unknown): HttpAnswer {
  const failure =
    error instanceof InvokeError ? error : new InvokeError('ServiceException', `The local runtime failed: ${(error as Error).message}`, { cause: error });
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amzn-ErrorType': failure.name, 'x-amzn-RequestId': newRequestId() };
  if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
  const body: Record<string, string> = { Type: failure.name === 'ServiceException' ? 'Service' : 'User', message: failure.message };
  // A member of the exception's shape (TooManyRequestsException's `Reason`) is a top-level field of the body.
  if (failure.reason !== undefined) body.Reason = failure.reason;
  return { status: failure.statusCode, headers, body: JSON.stringify(body) };
}

/** {@link errorAnswer} as a web `Response` (hono routes). */
export function lambdaErrorResponse(error: unknown): Response {
  return toResponse(errorAnswer(error));
}

export function toResponse(answer: HttpAnswer): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
