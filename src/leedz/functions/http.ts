/**
 * The shape every request-response function of the marketplace takes and returns: an HTTP request
 * reduced to what the functions need, and an HTTP result. The HTTP edge (`src/edge/api-app.ts`, on the
 * local server and behind API Gateway alike) converts to and from these.
 *
 * Expected outcomes — bad input, not signed in, someone else's leed, a conflict — are results with
 * a status, never thrown: a thrown error is a fault and becomes a 500.
 *
 * @example
 * return problem('CONFLICT', 'dj leed already exists for 1 Main St 62701 at this date and time');
 */
import { z } from 'zod';
import { describeIssue, fieldErrorsOf, withLikelyKey, type FieldError } from '../domain/validation.js';
import { MarketplaceError, type MarketplaceErrorCode } from '../ports.js';

export const httpRequestSchema = z.object({
  /**
   * Who is calling, from a session token the HTTP edge verified (as API Gateway's JWT authorizer hands
   * a function the token's claims): absent when the request carried no valid session. Functions never
   * see the token itself, so it is never in an invocation's payload or log.
   */
  caller: z.object({ email: z.string(), username: z.string().optional() }).optional(),
  /** The client's IP address as the edge saw it (for rate limits). */
  sourceIp: z.string().optional(),
  params: z.record(z.string(), z.string()).default({}),
  query: z.record(z.string(), z.string()).default({}),
  body: z.unknown().optional(),
  /** Only what a function needs: the webhook's signature headers, and `accept`. */
  headers: z.record(z.string(), z.string()).default({}),
  /** The exact body as received, for signature checks. */
  rawBody: z.string().optional(),
  /** The request's URL (the webhook signature may cover it). */
  url: z.string().optional(),
});

export type HttpRequest = z.output<typeof httpRequestSchema>;

/** Larger bodies get 413 before anything is parsed (a leed is a few KB). Both HTTP edges apply it. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Headers a function may see; everything else (cookies, auth) stays at the HTTP edge. Lower case. */
export const FORWARDED_HEADERS: readonly string[] = ['accept', 'x-leedz-signature', 'x-square-hmacsha256-signature'];

export interface HttpResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Every error code of the API and the HTTP status it is answered with: the one place a status comes
 * from, so a code always means the same status (as tRPC's error codes do).
 */
export const ERROR_STATUS = {
  VALIDATION: 400,
  UNAUTHENTICATED: 401,
  /** A sign-in link that was already used, or is older than 15 minutes. */
  LINK_USED_OR_EXPIRED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  /** A path of the API asked with a method it does not take (the answer's `Allow` lists those it does). */
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A `Host` that names neither an IP address, `localhost` nor the public URL's host (the local server only: src/server/browser-guards.ts). */
  MISDIRECTED: 421,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The API's code for each of the store's errors (src/leedz/ports.ts, MarketplaceError): a state that forbids the change is a conflict. */
const STORE_ERROR_CODE = { CONFLICT: 'CONFLICT', NOT_FOUND: 'NOT_FOUND', FORBIDDEN: 'FORBIDDEN', STATE: 'CONFLICT' } as const satisfies Record<MarketplaceErrorCode, ErrorCode>;

/** The JSON error body of docs/marketplace.md (Errors): `{error: {code, message, fields?}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; fields?: FieldError[] };
}

/**
 * The headers of an answer for its caller alone (their email, a client's contact shown to the leed's
 * creator or buyer, what is theirs): no cache keeps it, and neither does the invocation log, which
 * keeps no answer marked `no-store` (src/runtime/kept-answer.ts).
 */
export const PRIVATE: Readonly<Record<string, string>> = { 'cache-control': 'private, no-store' };

export function ok(body: unknown, headers?: Readonly<Record<string, string>>): HttpResult {
  // A copy: what the edge adds to an answer's headers never reaches a shared constant such as PRIVATE.
  return headers === undefined ? { status: 200, body } : { status: 200, body, headers: { ...headers } };
}

export function created(body: unknown): HttpResult {
  return { status: 201, body };
}

export function accepted(body: unknown = { accepted: true }): HttpResult {
  return { status: 202, body };
}

export function noContent(): HttpResult {
  return { status: 204 };
}

/** The error `code` with its status ({@link ERROR_STATUS}) and the body `{error: {code, message, fields?}}`. */
export function problem(code: ErrorCode, message: string, fields?: FieldError[]): HttpResult {
  const body: ErrorBody = { error: { code, message } };
  if (fields !== undefined && fields.length > 0) body.error.fields = fields;
  return { status: ERROR_STATUS[code], body };
}

/**
 * 429 for a limit the store counts in fixed windows of `windowMs` (`countRequest`): `Retry-After`
 * is when the window that holds `now` ends, and the message says it in minutes after `why`.
 *
 * @example
 * rateLimited('too many sign-in links requested for this address', 15 * 60_000, Date.now());
 */
export function rateLimited(why: string, windowMs: number, now: number): HttpResult {
  const retryAfter = Math.ceil((windowMs - (now % windowMs)) / 1000);
  const minutes = Math.ceil(retryAfter / 60);
  return {
    ...problem('RATE_LIMITED', `${why}; try again in ${minutes === 1 ? '1 minute' : `${minutes} minutes`}`),
    headers: { 'retry-after': String(retryAfter) },
  };
}

/** A store's refusal (conflict, not found, not yours, not in that state) as the API answers it, or undefined for any other error. */
export function storeProblem(error: unknown): HttpResult | undefined {
  return error instanceof MarketplaceError ? problem(STORE_ERROR_CODE[error.code], error.message) : undefined;
}

/** 400 naming every bad field. */
export function invalid(fields: FieldError[]): HttpResult {
  const names = fields.map((f) => f.path || '(body)').join(', ');
  return problem('VALIDATION', `invalid ${names}`, fields);
}

export function unauthenticated(): HttpResult {
  return problem('UNAUTHENTICATED', 'sign in first: this needs a valid session token (Authorization: Bearer …)');
}

export function notFound(what: string): HttpResult {
  return problem('NOT_FOUND', `${what} not found`);
}

/**
 * Validate a request's `query`, `params` or small body with a schema, turning zod issues into named
 * fields. A key the schema does not take is named itself, with the key it most likely meant
 * (`trade: is not a parameter of this request; did you mean "trades"?`), not as an error of the whole.
 *
 * @example
 * const query = parseWith(searchQuerySchema, request.query, 'parameter');
 * if (!query.ok) return query.result;
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, kind: 'parameter' | 'field' = 'field'): { ok: true; value: z.output<S> } | { ok: false; result: HttpResult } {
  const parsed = schema.safeParse(value, { error: describeIssue });
  if (parsed.success) return { ok: true, value: parsed.data };
  const known = schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
  const fields = fieldErrorsOf(parsed.error, (key, parent) => withLikelyKey(`is not a ${kind} of this request`, key, parent.length === 0 ? known : []));
  return { ok: false, result: invalid(fields) };
}
