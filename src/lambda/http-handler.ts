/**
 * The Lambda entry of a request-response function behind API Gateway's HTTP API (payload format
 * 2.0): it converts the event into the functions' {@link HttpRequest}, calls the function's `handle`,
 * and converts the {@link HttpResult} into API Gateway's structured response — nothing else, as the
 * local server's routes (`src/server/api-routes.ts`) do for hono.
 *
 * Payload 2.0 specifics (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html):
 * header names arrive in lower case; the `Cookie` header is removed and its cookies are in
 * `event.cookies`; repeated query parameters are joined with commas; a response's cookies go in
 * `cookies`, not in a `set-cookie` header.
 *
 * @example
 * export const handler = createHttpHandler(marketplace.functions.find((f) => f.name === 'getTrades')!, transport);
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Deployable } from '../framework/define.js';
import { serializeError } from '../framework/errors.js';
import type { Transport } from '../framework/transport.js';
import { FORWARDED_HEADERS, MAX_BODY_BYTES, type HttpRequest, type HttpResult } from '../leedz/functions/http.js';
import { SESSION_COOKIE } from '../leedz/functions/login.js';
import { invocationContextFromLambda } from './lambda-context.js';

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** The API Gateway v2 handler of one request-response function. */
export function createHttpHandler(fn: Deployable, transport: Transport): HttpHandler {
  return async (event, context) => {
    const request = toHttpRequest(event);
    if ('status' in request) return toApiGatewayResult(request);
    let result: HttpResult;
    try {
      result = (await fn.handle(request, invocationContextFromLambda(fn, context, {}, transport))) as HttpResult;
    } catch (error) {
      // A thrown error is a fault, never an expected outcome (those are results with a status).
      console.error(JSON.stringify({ function: fn.name, requestId: context.awsRequestId, error: serializeError(error) }));
      result = { status: 500, body: { error: { code: 'INTERNAL', message: 'something went wrong on our side; it has been logged' } } };
    }
    return toApiGatewayResult(result);
  };
}

/** The functions' request from an API Gateway v2 event, or the 4xx result when the body cannot be one. */
export function toHttpRequest(event: APIGatewayProxyEventV2): HttpRequest | HttpResult {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = event.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const request: HttpRequest = {
    params: definedValues(event.pathParameters),
    query: definedValues(event.queryStringParameters),
    headers,
    url: `https://${event.requestContext.domainName}${event.rawPath}${query}`,
  };
  const token = bearerToken(event.headers.authorization) ?? cookie(event.cookies, SESSION_COOKIE);
  if (token) request.token = token;
  const method = event.requestContext.http.method;
  if (method === 'POST' || method === 'PATCH') {
    const raw = event.body === undefined ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
      return { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: `the body must be at most ${MAX_BODY_BYTES} bytes` } } };
    }
    request.rawBody = raw;
    if (raw.trim().length > 0) {
      try {
        request.body = JSON.parse(raw);
      } catch (error) {
        return {
          status: 400,
          body: { error: { code: 'VALIDATION', message: `the body is not valid JSON: ${(error as Error).message}`, fields: [{ path: '(body)', message: 'must be JSON' }] } },
        };
      }
    }
  }
  return request;
}

/** API Gateway's structured response; a `set-cookie` from the function moves to `cookies`. */
export function toApiGatewayResult(result: HttpResult): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (name.toLowerCase() === 'set-cookie') cookies.push(value);
    else headers[name.toLowerCase()] = value;
  }
  const response: APIGatewayProxyStructuredResultV2 = { statusCode: result.status, headers };
  if (cookies.length > 0) response.cookies = cookies;
  if (result.status === 204 || result.status === 303 || result.body === undefined) return response;
  headers['content-type'] = 'application/json; charset=utf-8';
  response.body = JSON.stringify(result.body);
  response.isBase64Encoded = false;
  return response;
}

function definedValues(record: Record<string, string | undefined> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(record ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function bearerToken(authorization: string | undefined): string | undefined {
  return authorization?.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : undefined;
}

/** A cookie's value from payload 2.0's `cookies` (`["name=value", …]`). */
function cookie(cookies: string[] | undefined, name: string): string | undefined {
  for (const entry of cookies ?? []) {
    const separator = entry.indexOf('=');
    if (separator > 0 && entry.slice(0, separator).trim() === name) return safeDecode(entry.slice(separator + 1).trim());
  }
  return undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
