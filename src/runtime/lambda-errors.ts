/**
 * Lambda's error responses, shared by every route of its API that the runtime serves: the full
 * exception name in `x-amzn-ErrorType` (the SDKs map it to a typed exception) and a JSON body
 * `{Type, message}` (https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html). Never an HTML
 * page or a bare 500: a non-JSON body makes the JS SDK throw a `SyntaxError` instead.
 *
 * @example
 * app.onError((error) => lambdaErrorResponse(error));
 */
import { randomUUID } from 'node:crypto';
import { InvokeError } from '../framework/transport.js';

export function lambdaErrorResponse(error: unknown): Response {
  const failure =
    error instanceof InvokeError ? error : new InvokeError('ServiceException', `The local runtime failed: ${(error as Error).message}`, { cause: error });
  const headers = new Headers({
    'Content-Type': 'application/json',
    'x-amzn-ErrorType': failure.name,
    'x-amzn-RequestId': randomUUID(),
  });
  if (failure.retryAfterSeconds !== undefined) headers.set('Retry-After', String(failure.retryAfterSeconds));
  const body = { Type: failure.name === 'ServiceException' ? 'Service' : 'User', message: failure.message };
  return new Response(JSON.stringify(body), { status: failure.statusCode, headers });
}
