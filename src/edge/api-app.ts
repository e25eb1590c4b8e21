/**
 * The marketplace's HTTP edge: one hono application for the routes of {@link ROUTES}, which the local
 * server mounts (`src/server/marketplace-wiring.ts`) and every API Lambda runs through hono's Lambda
 * adapter (`src/lambda/http-handler.ts`). It turns an HTTP request into the functions'
 * {@link HttpRequest} and their {@link HttpResult} back into a response, and it is where requests are
 * refused before any function runs:
 *
 * - a state-changing request (POST, PATCH, DELETE) from another site's page: its `Origin`, when sent,
 *   must be this server's own or one the deployment names (a form on another port of 127.0.0.1 must not
 *   post a leed as the signed-in victim);
 * - a body that is not `Content-Type: application/json` (what a cross-site form cannot send without
 *   a CORS preflight);
 * - a body over {@link MAX_BODY_BYTES}, cut off while it streams;
 * - a session token is verified here, and the function is handed the caller's identity (as API
 *   Gateway's JWT authorizer hands claims), never the token.
 *
 * @example
 * app.route('/', createApiApp({ identity, call: (route, request) => invokeFunction(route.function, request) }));
 */
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { nestsDeeperThan } from '../framework/json-depth.js';
import { RawJson, stringifyJson } from '../framework/raw-json.js';
import type { Caller, Identity } from '../leedz/ports.js';
import { FORWARDED_HEADERS, MAX_BODY_BYTES, problem, type HttpRequest, type HttpResult } from '../leedz/functions/http.js';
import { SESSION_COOKIE } from '../leedz/functions/login.js';
import { ROUTES, type RouteSpec } from '../leedz/functions/routes.js';
import { readAtMost } from '../runtime/read-body.js';

export interface ApiAppOptions {
  /** The routes to serve (default: all of {@link ROUTES}; an API Lambda serves its own). */
  routes?: readonly RouteSpec[];
  /** Verifies session tokens. */
  identity: Pick<Identity, 'verifySession'>;
  /** How a route reaches its function: an invocation through the runtime, or the function's own `handle`. */
  call(route: RouteSpec, request: HttpRequest, c: Context): Promise<HttpResult>;
  /** Origins (scheme://host[:port]) whose pages may change things besides the request's own: the public URL's. */
  allowedOrigins?: readonly string[];
  /** The client's IP address, as the server or API Gateway saw it. */
  clientIp?(c: Context): string | undefined;
  log?(line: string): void;
}

const STATE_CHANGING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
/** No body of the API nests more than a few levels; a deeper one is refused before it is parsed, let alone passed on. */
const MAX_BODY_DEPTH = 32;

export function createApiApp(options: ApiAppOptions): Hono {
  const app = new Hono();
  const log = options.log ?? (() => {});
  const allowed = new Set((options.allowedOrigins ?? []).map((origin) => origin.toLowerCase()));

  for (const route of options.routes ?? ROUTES) {
    app.on(route.method, route.path, async (c) => {
      const refused = refuse(c, allowed, route);
      if (refused !== undefined) return respond(refused);
      const request = await toHttpRequest(c, options, route);
      if ('status' in request) return respond(request);
      let result: HttpResult;
      try {
        result = await options.call(route, request, c);
      } catch (error) {
        log(`${route.function}: ${(error as Error).name}: ${(error as Error).message}`);
        result = problem('INTERNAL', 'something went wrong on our side; it has been logged');
      }
      return respond(result);
    });
  }
  return app;
}

/**
 * The API's answer for a path under `/api/` that no operation serves, in the API's own error shape:
 * 405 `METHOD_NOT_ALLOWED` with `Allow` for a path of {@link ROUTES} asked with another method, else
 * 404 `NOT_FOUND`. Mounted after every `/api/` route: locally at the end of the server's application;
 * on AWS, API Gateway sends what no route matches (`ANY /api/{proxy+}`, infra/http-api.ts) to one API
 * function, whose application ends with this too, so both sides answer alike.
 *
 * @example
 * mountApiFallback(app); // after app.route('/', createApiApp(…)) and the server's other /api/ routes
 */
export function mountApiFallback(app: Hono): void {
  const paths = ROUTES.map((route) => ({ method: route.method, pattern: pathPattern(route.path) }));
  const methodsOf = (path: string) => [...new Set(paths.filter((known) => known.pattern.test(path)).map((known) => known.method))];
  app.all('/api/*', (c) => {
    const path = c.req.path;
    const allowed = methodsOf(path);
    if (allowed.length > 0) {
      const result = problem('METHOD_NOT_ALLOWED', `${path} takes ${allowed.join(', ')}, not ${c.req.method}`);
      return respond({ ...result, headers: { allow: allowed.join(', ') } });
    }
    // The routes match paths exactly: a trailing slash is another path, and the answer says which one is meant.
    const withoutSlash = path.replace(/\/+$/, '');
    const meant = withoutSlash !== path ? methodsOf(withoutSlash) : [];
    const hint = meant.length > 0 ? `${withoutSlash} (no trailing slash) takes ${meant.join(', ')}` : "the API's operations are listed at /api/docs";
    return respond(problem('NOT_FOUND', `no operation ${c.req.method} ${path}: ${hint}`));
  });
}

/** A route's path (`/api/leedz/:trade/:id`) as a pattern matching the paths it serves. */
function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

/**
 * Why the edge refuses this request before reading it, or undefined. A route that takes a form
 * (`accepts`: one-click unsubscribe, RFC 8058) carries its own credential in its URL and acts on no
 * session, so a page of another site gains nothing by posting to it: its Origin is not checked.
 */
function refuse(c: Context, allowedOrigins: ReadonlySet<string>, route: RouteSpec): HttpResult | undefined {
  if (!STATE_CHANGING.has(c.req.method)) return undefined;
  const origin = c.req.header('origin');
  if (origin !== undefined && route.accepts === undefined && !isSameOrigin(origin, c) && !allowedOrigins.has(origin.toLowerCase())) {
    return problem('FORBIDDEN', `requests from ${origin} may not change anything here`);
  }
  if (c.req.method === 'POST' || c.req.method === 'PATCH') return contentTypeRefusal(c, route.accepts);
  return undefined;
}

/** 415 unless the request's body is sent as JSON (or as one of the route's forms, `accepts`); undefined when it is. */
export function contentTypeRefusal(c: Context, accepts: readonly string[] = []): HttpResult | undefined {
  const type = mediaTypeOf(c);
  const accepted: readonly string[] = ['application/json', ...accepts];
  if (type !== undefined && accepted.includes(type)) return undefined;
  const wanted = accepted.length === 1 ? 'JSON sent as Content-Type: application/json' : `sent as Content-Type: ${accepted.join(' or ')}`;
  return problem('UNSUPPORTED_MEDIA_TYPE', `the body must be ${wanted} (got ${type ?? 'none'})`);
}

/** The request's media type (`Content-Type` without its parameters), lower case. */
function mediaTypeOf(c: Context): string | undefined {
  return c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
}

/**
 * A body's bytes (already cut off at {@link MAX_BODY_BYTES}) as its text and JSON, or the 400 that
 * names what is wrong: not UTF-8, nested too deep, not JSON. An empty body, or one that is not to be
 * read as JSON (`json: false`, a form), comes back as its text alone.
 */
export function parseJsonBody(bytes: Uint8Array, options: { json: boolean } = { json: true }): { raw: string; body?: unknown } | HttpResult {
  let raw: string;
  try {
    raw = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return problem('VALIDATION', 'the body is not valid UTF-8', [{ path: '(body)', message: 'must be UTF-8 JSON' }]);
  }
  if (!options.json || raw.trim().length === 0) return { raw };
  if (nestsDeeperThan(raw, MAX_BODY_DEPTH)) {
    return problem('VALIDATION', `the body nests deeper than ${MAX_BODY_DEPTH} levels`, [{ path: '(body)', message: `must nest at most ${MAX_BODY_DEPTH} levels deep` }]);
  }
  try {
    return { raw, body: JSON.parse(raw) };
  } catch (error) {
    return problem('VALIDATION', `the body is not valid JSON: ${(error as Error).message}`, [{ path: '(body)', message: 'must be JSON' }]);
  }
}

/** The 413 of a body over {@link MAX_BODY_BYTES}. */
export function bodyTooLarge(): HttpResult {
  return problem('PAYLOAD_TOO_LARGE', `the body must be at most ${MAX_BODY_BYTES} bytes`);
}

/** `Origin` is the request's own scheme and host (the Host header, which the server checks). */
function isSameOrigin(origin: string, c: Context): boolean {
  const host = c.req.header('host');
  if (host === undefined) return false;
  const protocol = new URL(c.req.url).protocol;
  return origin.toLowerCase() === `${protocol}//${host}`.toLowerCase();
}

async function toHttpRequest(c: Context, options: ApiAppOptions, route: RouteSpec): Promise<HttpRequest | HttpResult> {
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const value = c.req.header(name);
    if (value !== undefined) headers[name] = value;
  }
  const request: HttpRequest = { params: c.req.param() as Record<string, string>, query: c.req.query(), headers, url: c.req.url };
  const ip = options.clientIp?.(c);
  if (ip !== undefined) request.sourceIp = ip;
  if (c.req.method === 'POST' || c.req.method === 'PATCH') {
    const bytes = await readAtMost(c.req.raw, MAX_BODY_BYTES);
    if (bytes === undefined) return bodyTooLarge();
    // A form (a route's `accepts`) reaches the function as its raw body only.
    const json = route.accepts === undefined || mediaTypeOf(c) === 'application/json';
    const parsed = parseJsonBody(bytes, { json });
    if ('status' in parsed) return parsed;
    request.rawBody = parsed.raw;
    if ('body' in parsed) request.body = parsed.body;
  }
  const token = bearerToken(c.req.header('authorization')) ?? getCookie(c, SESSION_COOKIE);
  if (token) {
    let caller: Caller | undefined;
    try {
      caller = await options.identity.verifySession(token);
    } catch (error) {
      // The identity provider could not be asked (its keys unreachable): not the caller's fault.
      options.log?.(`session check failed: ${(error as Error).message}`);
      return problem('UNAVAILABLE', 'signing in is unavailable for a moment; try again shortly');
    }
    if (caller !== undefined) request.caller = caller.username === undefined ? { email: caller.email } : { email: caller.email, username: caller.username };
  }
  return request;
}

function bearerToken(authorization: string | undefined): string | undefined {
  return authorization?.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() || undefined : undefined;
}

/** A function's (or the edge's) answer as the HTTP response: JSON unless it names its own content type. */
export function respond(result: HttpResult): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers ?? {})) headers.append(name, value);
  if (result.status === 204 || result.status === 303 || result.body === undefined) return new Response(null, { status: result.status, headers });
  // A function that names its own content type sends text as it is (a calendar feed); all else is JSON.
  if (typeof result.body === 'string' && headers.has('content-type')) return new Response(result.body, { status: result.status, headers });
  headers.set('content-type', 'application/json; charset=utf-8');
  // An answer built as JSON text (RawJson) is sent as it is, its bytes encoded once.
  if (result.body instanceof RawJson) return new Response(result.body.bytes, { status: result.status, headers });
  return new Response(stringifyJson(result.body), { status: result.status, headers });
}
