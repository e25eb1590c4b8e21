/**
 * `POST /api/auth/login {email}` → 202, and a magic link (valid 15 minutes, single use) is emailed
 * asynchronously. The link opens the web app's confirm page (`/signin/confirm#token=…`), whose button
 * redeems it with `POST /api/auth/callback {token}`: the user is created on first login, and a
 * session JWT is returned as JSON and as an HttpOnly cookie. Redeeming takes a POST because mail
 * scanners and link previews fetch every link of an email with GET: a GET must not spend the token.
 */
import { z } from 'zod';
import { errorLine } from '../../framework/errors.js';
import { invoke, prepare } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import type { MarketplaceDeps } from '../deps.js';
import { clientKey } from './client-address.js';
import { mailboxOf } from '../domain/user.js';
import { bodyOf } from '../domain/validation.js';
import { ConflictError } from '../ports.js';
import { defineHttpFunction, outboxMessage } from './define-http-function.js';
import { accepted, ok, parseWith, problem, rateLimited } from './http.js';

export const SESSION_COOKIE = 'leedz_session';
const WINDOW_MS = 15 * 60_000;

/** The body of `POST /api/auth/login`, read through `bodyOf` (trimmed, as every text field is). */
export const loginBodySchema = z.strictObject({
  // A missing email or one that is not text is described by describeIssue ("is required", "must be text").
  email: z
    .email({ error: (issue) => (issue.code === 'invalid_type' ? undefined : 'must be a valid email address') })
    .max(254, 'must be at most 254 characters')
    .transform((e) => e.toLowerCase()),
});

export function createLogin(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('login', {
    // The rate limit's counters; the token is made by emailHelper.
    table: ['update'],
    invokes: [controllers.emailHelper],
    handler: async (request, ctx) => {
      const body = parseWith(loginBodySchema, bodyOf(request.body));
      if (!body.ok) return body.result;
      const { email } = body.value;
      // Counted in the store, so the limit holds across restarts and, on AWS, across containers: per
      // mailbox (so `a+1@x` does not buy a fresh budget) and per client address (an IPv6 client's /64 network).
      // The client first: a client past its own limit asks at no one's expense, so that it cannot spend
      // other people's mailbox budgets (and lock them out of signing in) once it is refused itself.
      const now = deps.now().toISOString();
      const perClient = request.sourceIp === undefined ? 0 : await deps.store.countRequest(`login:client:${clientKey(request.sourceIp)}`, WINDOW_MS, now);
      if (perClient > deps.settings.loginRequestsPerClientPer15Minutes) {
        return rateLimited('too many sign-in links requested for this network address', WINDOW_MS, Date.parse(now));
      }
      const perMailbox = await deps.store.countRequest(`login:mailbox:${mailboxOf(email)}`, WINDOW_MS, now);
      if (perMailbox > deps.settings.loginRequestsPer15Minutes) {
        return rateLimited('too many sign-in links requested for this address', WINDOW_MS, Date.parse(now));
      }
      // The sign-in token is made by emailHelper when it sends the email: it never travels in an event.
      await invoke(ctx, controllers.emailHelper).magicLink.event({ email, request: ctx.awsRequestId });
      return accepted({ sent: true, message: `a sign-in link is on its way to ${email}` });
    },
  });
}

/** The body of `POST /api/auth/callback`: the token of a sign-in link. */
export const callbackBodySchema = z.strictObject({
  token: z.string().min(16, 'is not a sign-in token').max(200, 'is not a sign-in token'),
});

export function createAuthCallback(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('authCallback', {
    // The token is redeemed by a conditional delete; a first sign-in creates the user (puts).
    table: ['get', 'put', 'delete'],
    // The sign-in token is a secret until it is spent; the invocation log keeps "[redacted]", under
    // any name (a misspelt `tokne` is refused with the token still good).
    sensitive: ['query.*', 'body.*'],
    handler: async (request, ctx) => {
      const body = parseWith(callbackBodySchema, request.body ?? {});
      if (!body.ok) return body.result;
      const email = await deps.identity.redeemLoginToken(body.value.token);
      if (email === undefined) {
        return problem('LINK_USED_OR_EXPIRED', 'this sign-in link was already used or has expired (a link works once, for 15 minutes); ask for a new one');
      }
      // The link is spent now (a link works once, even when two clicks race). Should what follows fail
      // (Cognito throttled, the table unreachable), the person is told to ask for a new link, not
      // shown a fault, and retrying the spent one would only say it was used.
      try {
        let user = await deps.store.getUserByEmail(email);
        if (user === undefined) user = await createUser(deps, controllers, ctx, email);
        const session = await deps.identity.issueSession({ email: user.email, username: user.username });
        return ok({ token: session, user }, { 'set-cookie': sessionCookie(session, deps.settings.publicUrl), 'cache-control': 'no-store' });
      } catch (error) {
        ctx.log(`authCallback: signing in ${email} failed after its link was spent: ${errorLine(error)}`);
        return problem('UNAVAILABLE', 'signing in failed on our side just now; ask for a new sign-in link (this one has been used) and try again');
      }
    },
  });
}

/**
 * The session cookie: it lasts as long as the token does (its `exp` − `iat`: 7 days locally, the ID
 * token's validity on Cognito; a longer cookie would only carry an expired token), and is `Secure`
 * when the site is served over https. A token without both claims gives a browser-session cookie.
 */
export function sessionCookie(token: string, publicUrl: string): string {
  const parts = [`${SESSION_COOKIE}=${token}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  const lifetime = lifetimeOf(token);
  if (lifetime !== undefined) parts.push(`Max-Age=${lifetime}`);
  if (publicUrl.startsWith('https://')) parts.push('Secure');
  return parts.join('; ');
}

/** `exp` − `iat` in seconds of a JWT this server just issued, read without verifying. */
function lifetimeOf(jwt: string): number | undefined {
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown; iat?: unknown } | null;
    const { exp, iat } = claims ?? {};
    if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(exp - iat)) return undefined;
    return Math.max(0, Math.floor(exp - iat));
  } catch {
    return undefined;
  }
}

/** A username from the email's local part, made unique with a suffix when taken. */
async function createUser(deps: MarketplaceDeps, controllers: Controllers, ctx: Parameters<typeof prepare>[0], email: string) {
  const base = (email.split('@')[0] ?? 'vendor').toLowerCase().replace(/[^a-z0-9_-]/g, '').slice(0, 24).padEnd(3, '0');
  for (let attempt = 0; attempt < 20; attempt++) {
    const username = attempt === 0 ? base : `${base}${Math.floor(Math.random() * 10_000)}`;
    if ((await deps.store.getUser(username)) !== undefined) continue;
    try {
      const message = outboxMessage(prepare(ctx, controllers.bookkeeping).userCreated({ username }, { idempotencyKey: `user:${username}` }));
      return await deps.store.createUser({ username, email, createdAt: deps.now().toISOString() }, [message]);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // Taken by a racing sign-in with the same email: use theirs.
      const existing = await deps.store.getUserByEmail(email);
      if (existing !== undefined) return existing;
    }
  }
  throw new Error(`could not find a free username for ${email}`);
}
