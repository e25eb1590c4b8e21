/**
 * Mounts the marketplace's HTTP contract ({@link ROUTES}) on hono. Each route only converts the
 * request into the functions' HttpRequest, invokes the function through the runtime
 * (RequestResponse, so every call is in the invocation log) and converts the result back.
 */
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import { FORWARDED_HEADERS, MAX_BODY_BYTES, type HttpRequest, type HttpResult } from '../leedz/functions/http.js';
import { SESSION_COOKIE } from '../leedz/functions/login.js';
import { ROUTES } from '../leedz/functions/routes.js';
import type { Transport } from '../framework/transport.js';

export function mountApiRoutes(app: Hono, transport: Transport, log: (line: string) => void = () => {}): void {
  for (const route of ROUTES) {
    app.on(route.method, route.path, async (c) => {
      const request = await toHttpRequest(c);
      if ('status' in request) return send(c, request);
      let result: HttpResult;
      try {
        const invocation = await transport.invoke(route.function, request, 'RequestResponse');
        if (invocation.functionError !== undefined) {
          const error = invocation.payload as { errorType?: string; errorMessage?: string };
          log(`${route.function} failed: ${error.errorType}: ${error.errorMessage}`);
          result = { status: 500, body: { error: { code: 'INTERNAL', message: 'something went wrong on our side; it has been logged' } } };
        } else {
          result = invocation.payload as HttpResult;
        }
      } catch (error) {
        const name = (error as Error).name;
        const status = name === 'TooManyRequestsException' ? 429 : 503;
        log(`${route.function} could not be invoked: ${name}: ${(error as Error).message}`);
        result = { status, body: { error: { code: status === 429 ? 'RATE_LIMITED' : 'INTERNAL', message: 'the service is busy; try again shortly' } } };
      }
      return send(c, result);
    });
  }
}

async function toHttpRequest(c: Context): Promise<HttpRequest | HttpResult> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = c.req.header(name);
    if (value !== undefined) headers[name] = value;
  }
  const authorization = c.req.header('authorization');
  const token = authorization?.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : getCookie(c, SESSION_COOKIE);
  const request: HttpRequest = { params: c.req.param() as Record<string, string>, query: c.req.query(), headers, url: c.req.url };
  if (token) request.token = token;
  if (c.req.method === 'POST' || c.req.method === 'PATCH') {
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > MAX_BODY_BYTES) return tooLarge();
    const raw = await c.req.text();
    if (Buffer.byteLength(raw) > MAX_BODY_BYTES) return tooLarge();
    request.rawBody = raw;
    if (raw.trim().length > 0) {
      try {
        request.body = JSON.parse(raw);
      } catch (error) {
        return { status: 400, body: { error: { code: 'VALIDATION', message: `the body is not valid JSON: ${(error as Error).message}`, fields: [{ path: '(body)', message: 'must be JSON' }] } } };
      }
    }
  }
  return request;
}

function tooLarge(): HttpResult {
  return { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: `the body must be at most ${MAX_BODY_BYTES} bytes` } } };
}

function send(c: Context, result: HttpResult): Response {
  const headers = new Headers(result.headers ?? {});
  if (result.status === 204 || result.status === 303 || result.body === undefined) return new Response(null, { status: result.status, headers });
  headers.set('content-type', 'application/json; charset=utf-8');
  return new Response(JSON.stringify(result.body), { status: result.status, headers });
}
