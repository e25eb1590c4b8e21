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
 * - a body over {@link MAX_BODY_BYTES}, cut off while it streams, and one that is not UTF-8, nests too
 *   deep, is not JSON or holds text that is not valid Unicode (a lone surrogate, `"\udc00"`);
 * - a query parameter or body field the route does not take (one without a `query` schema takes no
 *   parameter, one without a `body` schema no field, and none takes a parameter its schema does not
 *   name: a `?token=` never reaches the invocation log), a parameter given twice, and a number in the
 *   query that is not plain decimal (`0x10`, `1e3`);
 * - a session token is verified here, and the function is handed the caller's identity (as API
 *   Gateway's JWT authorizer hands claims), never the token.
 *
 * @example
 * app.route('/', createApiApp({ identity, call: (route, request) => invokeFunction(route.function, request) }));
 */
import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import { nestsDeeperThan } from '../framework/json-depth.js';
import { RawJson, stringifyJson } from '../framework/raw-json.js';
import type { Caller, Identity } from '../leedz/ports.js';
import type { FieldError } from '../leedz/domain/validation.js';
import { FORWARDED_HEADERS, invalid, MAX_BODY_BYTES, parseWith, problem, type HttpRequest, type HttpResult } from '../leedz/functions/http.js';
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
    const numbers = numericParameters(route.query);
    const names = route.query instanceof z.ZodObject ? new Set(Object.keys(route.query.shape as object)) : undefined;
    app.on(route.method, route.path, async (c) => {
      const refused = refuse(c, allowed, route) ?? queryRefusal(c.req.queries(), route, numbers, names);
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

/** A number as a query parameter: decimal digits, perhaps signed and with a fraction (`25`, `-5`, `2.5`). */
const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;
const NOT_PLAIN_DECIMAL = 'must be a number in plain decimal digits, like 25';

/**
 * The route's query parameters that are numbers (`limit`, `radius`), each with what is said of a
 * value that is not one: zod reads them with `Number()`, which also takes `0x10` (16), `1e3`, ` 5 `
 * and `""` (0), and the edge takes plain decimal only. The words are the parameter's own for a value
 * that is not a number (`perDay: must be a whole number from 1 to 100`), or else the edge's.
 */
function numericParameters(query: z.ZodType | undefined): ReadonlyMap<string, string> {
  const numbers = new Map<string, string>();
  if (!(query instanceof z.ZodObject)) return numbers;
  for (const [name, field] of Object.entries(query.shape as Record<string, z.ZodType>)) {
    let inner: z.ZodType = field;
    while (inner instanceof z.ZodOptional || inner instanceof z.ZodDefault || inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType;
    if (!(inner instanceof z.ZodNumber)) continue;
    // A per-parse message is used only where the schema words none.
    numbers.set(name, inner.safeParse(Number.NaN, { error: () => NOT_PLAIN_DECIMAL }).error?.issues[0]?.message ?? NOT_PLAIN_DECIMAL);
  }
  return numbers;
}

/**
 * The 400 of a query the route does not take, or undefined: any parameter of a route without a
 * `query` schema (its functions would not read it, and a caller would think `?status=sold` filtered),
 * a parameter given more than once (no operation takes repeats, and the first would silently win),
 * a number that is not plain decimal, and a parameter the schema does not name: the query is then
 * refused as its function would refuse it (naming the parameter most likely meant, and whatever else
 * is wrong), without running it, so such a parameter's value is never in the invocation log (a
 * session token sent as `?token=` was).
 */
function queryRefusal(sent: Record<string, string[]>, route: RouteSpec, numbers: ReadonlyMap<string, string>, names: ReadonlySet<string> | undefined): HttpResult | undefined {
  const fields: FieldError[] = [];
  for (const [name, values] of Object.entries(sent)) {
    if (route.query === undefined) fields.push({ path: name, message: 'is not a parameter of this request' });
    else if (values.length > 1) fields.push({ path: name, message: `is given more than once (${values.length} times): send it once` });
    else if (numbers.has(name) && !PLAIN_DECIMAL.test(values[0] ?? '')) fields.push({ path: name, message: numbers.get(name)! });
  }
  if (fields.length > 0) return invalid(fields);
  if (route.query === undefined || Object.keys(sent).every((name) => names?.has(name) === true)) return undefined;
  const refused = parseWith(route.query, Object.fromEntries(Object.entries(sent).map(([name, values]) => [name, values[0]])), 'parameter');
  return refused.ok ? undefined : refused.result;
}

/**
 * The 400 of a JSON body with fields the route does not take (it has no `body` schema: its function
 * reads no field, and `{"everywhere": true}` must not look obeyed), or undefined. Some bodies are
 * not ours to shape: a signed webhook's is the payment provider's event (its signature is checked over
 * it, raw), and a route that takes a form (`accepts`) reads whatever a mail client puts in it.
 */
function bodyRefusal(body: unknown, route: RouteSpec): HttpResult | undefined {
  if (route.body !== undefined || route.auth === 'signature' || route.accepts !== undefined) return undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const keys = Object.keys(body);
  return keys.length === 0 ? undefined : invalid(keys.map((key) => ({ path: key === '' ? '""' : key, message: 'is not a field of this request' })));
}

/** A JSON `\uD800`–`\uDFFF` escape: the only way a parsed body can hold a lone surrogate, since its bytes were checked as UTF-8. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** A surrogate without its other half (matched by UTF-16 code unit, so without the `u` flag). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/** A code unit as its JSON escape: `\udc00`. */
const escaped = (unit: string): string => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * The first string of a parsed body, key or value at any depth, that is not well-formed UTF-16 (a
 * lone surrogate, which JSON's `\u` escapes can spell but UTF-8 and every store cannot: it would be
 * stored as U+FFFD, three bytes for one character), as the 400 naming its path; or undefined.
 */
function unicodeRefusal(value: unknown, path: readonly string[] = []): HttpResult | undefined {
  if (typeof value === 'string') {
    const lone = LONE_SURROGATE.exec(value)?.[0];
    if (lone === undefined) return undefined;
    const where = path.length === 0 ? '(body)' : path.join('.');
    return invalid([{ path: where, message: `must be valid Unicode text (a lone surrogate ${escaped(lone)})` }]);
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const here = [...path, key === '' ? '""' : key.replace(LONE_SURROGATES, escaped)];
    const refused = LONE_SURROGATE.test(key) ? unicodeRefusal(key, here) : unicodeRefusal(item, here);
    if (refused !== undefined) return refused;
  }
  return undefined;
}

/**
 * A body's bytes (already cut off at {@link MAX_BODY_BYTES}) as its text and JSON, or the 400 that
 * names what is wrong: not UTF-8, nested too deep, not JSON, text that is not valid Unicode (named by
 * its path: `title: must be valid Unicode text (a lone surrogate \udc00)`). An empty body, or one
 * that is not to be read as JSON (`json: false`, a form), comes back as its text alone.
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
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    return problem('VALIDATION', `the body is not valid JSON: ${(error as Error).message}`, [{ path: '(body)', message: 'must be JSON' }]);
  }
  const notUnicode = SURROGATE_ESCAPE.test(raw) ? unicodeRefusal(body) : undefined;
  return notUnicode ?? { raw, body };
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
    const unknownFields = bodyRefusal(parsed.body, route);
    if (unknownFields !== undefined) return unknownFields;
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
