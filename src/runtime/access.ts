/**
 * Who may use the runtime's own endpoints, as AWS decides who may call Lambda:
 *
 * - Lambda's API (Invoke, the management operations) needs an AWS Signature V4 made with the
 *   runtime's credentials (`leedz credentials`); anything else gets AWS's 403 and error name, which
 *   the SDKs and the CLI raise as typed exceptions.
 * - The runtime's JSON (`/local/*`) and the dev outbox need the same signature (the `leedz` CLI signs)
 *   or the operator's console session (`src/runtime/operator-sessions.ts`). With the session cookie, a
 *   state-changing request must also come from this server's own page (`Origin`), and the cookie is
 *   SameSite=Strict, so another site's page can neither read nor replay anything.
 *
 * The body of a signed request is read here (the signature covers it) with the Invoke API's cap,
 * and handed on, so handlers do not read it twice.
 *
 * @example
 * const access = createAccess({ credentials, operators });
 * app.use('/2015-03-31/*', access.requireSignature());
 * app.use('/local/*', access.requireSignatureOrOperator());
 */
import type { HttpBindings } from '@hono/node-server';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { InvokeError } from '../framework/transport.js';
import type { RuntimeCredentials } from './credentials.js';
import { lambdaErrorResponse } from './lambda-errors.js';
import { OPERATOR_COOKIE, type OperatorSessions } from './operator-sessions.js';
import { readAtMost } from './read-body.js';
import { createSigV4Verifier, sha256Hex, type SigV4Failure, type SigV4Request } from './sigv4.js';

/** The largest body a signed request may have: Lambda's synchronous payload limit. */
export const SIGNED_BODY_LIMIT = 6 * 1024 * 1024;

/** Lambda's Invoke (`POST /2015-03-31/functions/{name}/invocations`), which a too-large refusal names. */
const INVOKE_PATH = /\/functions\/[^/]+\/invocations$/;

/** Bodies read (and hashed) by the signature check, by request. */
const verifiedBodies = new WeakMap<Request, Uint8Array>();

/**
 * A body too large to be read, hence a signature that cannot be checked: refused whatever the route,
 * before anything else, as Lambda refuses a request over its payload limit. Lambda's words name the
 * operation ("Request must be smaller than 6291456 bytes for the InvokeFunction operation"; its own
 * "smaller than" for a limit that is the largest size taken).
 */
export function requestTooLarge(operation?: string): InvokeError {
  return new InvokeError('RequestEntityTooLargeException', `Request must be smaller than ${SIGNED_BODY_LIMIT} bytes${operation === undefined ? '' : ` for the ${operation} operation`}`);
}

/**
 * The body of a request that passed this module's checks: the bytes its signature was checked
 * against, or, for an operator's request (which no signature covers), read now; undefined past
 * {@link SIGNED_BODY_LIMIT} (only the operator's: a signed request that large is refused by the check).
 */
export async function requestBody(c: Context): Promise<Uint8Array | undefined> {
  return verifiedBodies.get(c.req.raw) ?? readAtMost(c.req.raw, SIGNED_BODY_LIMIT);
}

export type Verified = { refused: SigV4Failure } | { tooLarge: true } | { body: Uint8Array };

/**
 * Why the operator's guard turned a request away: neither a session nor a signature (401), a
 * session's change sent from another page (403), or the signature check's own refusal, as Lambda
 * words it (403, or 413 for a body too large to check).
 */
export type GuardRefusal = { status: 401 | 403; message: string } | { signature: InvokeError };

/** How the guard answers a refusal: by default the runtime's own JSON; pages with an error shape of their own (the marketplace's `/api`) give theirs. */
export type GuardRefusalAnswer = (c: Context, refusal: GuardRefusal) => Response | Promise<Response>;

export interface AccessOptions {
  credentials: RuntimeCredentials;
  operators?: OperatorSessions;
}

export interface Access {
  /** Lambda's API: a valid SigV4 signature, or AWS's 403. */
  requireSignature(): MiddlewareHandler;
  /**
   * The same check for a request served without a framework (src/runtime/invoke-listener.ts): reads the
   * body with `readBody` once the headers pass. Resolves with the refusal, `tooLarge` when the body
   * is over {@link SIGNED_BODY_LIMIT} (not read, so its signature is NOT checked: answer
   * {@link requestTooLarge}), or the body whose signature holds.
   */
  verify(request: SigV4Request, readBody: () => Promise<Uint8Array | undefined>): Promise<Verified>;
  /** The runtime's JSON and the dev pages: a signature, or an operator session (and this server's own page for changes). */
  requireSignatureOrOperator(answer?: GuardRefusalAnswer): MiddlewareHandler;
  /** Whether the request carries a live operator session (the console's pages ask). */
  isOperator(c: Context): boolean;
}

export function createAccess(options: AccessOptions): Access {
  const { credentials, operators } = options;
  const verifier = createSigV4Verifier({ lookup: (id) => (id === credentials.accessKeyId ? credentials : undefined) });

  async function verify(request: SigV4Request, readBody: () => Promise<Uint8Array | undefined>): Promise<Verified> {
    const pending = verifier.begin(request);
    if ('name' in pending) return { refused: pending };
    const bytes = await readBody();
    // Not read, so not checked: a caller must refuse it, never serve it (the key id alone is no secret).
    if (bytes === undefined) return { tooLarge: true };
    const failure = pending.verify(sha256Hex(bytes));
    return failure === undefined ? { body: bytes } : { refused: failure };
  }

  /** Lambda's refusal of the request's signature, or undefined (and its body kept for the handler) when it holds. */
  async function signatureRefusal(c: Context): Promise<InvokeError | undefined> {
    const result = await verify(sigV4Request(c), () => readAtMost(c.req.raw, SIGNED_BODY_LIMIT));
    if ('refused' in result) return new InvokeError(result.refused.name, result.refused.message);
    if ('tooLarge' in result) return requestTooLarge(INVOKE_PATH.test(c.req.path) ? 'InvokeFunction' : undefined);
    verifiedBodies.set(c.req.raw, result.body);
    return undefined;
  }

  const isOperator = (c: Context) => operators !== undefined && operators.verify(getCookie(c, OPERATOR_COOKIE));

  return {
    requireSignature: () => async (c, next) => {
      const refused = await signatureRefusal(c);
      return refused === undefined ? next() : lambdaErrorResponse(refused);
    },
    verify,
    requireSignatureOrOperator: (answer = runtimeRefusal) => async (c, next) => {
      if (isOperator(c)) {
        if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !fromOwnPage(c)) {
          return answer(c, { status: 403, message: 'the console acts only from its own page (a request from another origin was refused)' });
        }
        return next();
      }
      if (c.req.header('authorization') === undefined && !c.req.query('X-Amz-Signature')) {
        return answer(c, { status: 401, message: 'sign in to the operations console (npm run leedz -- console-url), or sign the request with the runtime’s credentials (npm run leedz -- credentials)' });
      }
      const refused = await signatureRefusal(c);
      return refused === undefined ? next() : answer(c, { signature: refused });
    },
    isOperator,
  };
}

/** The runtime's own answers: `{message}` with the status, and a signature's refusal as Lambda answers it. */
function runtimeRefusal(c: Context, refusal: GuardRefusal): Response {
  return 'signature' in refusal ? lambdaErrorResponse(refusal.signature) : c.json({ message: refusal.message }, refusal.status);
}

/** The request as it came off the wire: the raw path and query, and every header line. */
function sigV4Request(c: Context): SigV4Request {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  const target = incoming?.url ?? `${new URL(c.req.url).pathname}${new URL(c.req.url).search}`;
  const mark = target.indexOf('?');
  let headers: Record<string, string | string[] | undefined> | undefined = incoming?.headersDistinct;
  if (headers === undefined) {
    // Not behind node:http (app.request in a test): the Fetch API's headers are all there is.
    const fromFetch: Record<string, string> = {};
    c.req.raw.headers.forEach((value, name) => {
      fromFetch[name] = value;
    });
    headers = fromFetch;
  }
  return {
    method: c.req.method,
    rawPath: mark < 0 ? target : target.slice(0, mark),
    rawQuery: mark < 0 ? '' : target.slice(mark + 1),
    headers,
  };
}

/** A change made with the session cookie must come from a page of this server (its `Origin`). */
export function fromOwnPage(c: Context): boolean {
  const origin = c.req.header('origin');
  const host = c.req.header('host');
  if (origin === undefined || host === undefined) return false;
  return origin.toLowerCase() === `${new URL(c.req.url).protocol}//${host}`.toLowerCase();
}
