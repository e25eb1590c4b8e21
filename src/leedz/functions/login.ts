/**
 * `POST /api/auth/login {email}` → 202, and a magic link (valid 15 minutes, single use) is emailed
 * asynchronously. `GET /api/auth/callback?token=…` redeems it: the user is created on first login,
 * and a session JWT is returned as JSON and as an HttpOnly cookie.
 */
import { z } from 'zod';
import { invoke, prepare } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import type { MarketplaceDeps } from '../deps.js';
import { ConflictError } from '../ports.js';
import { defineHttpFunction, outboxMessage } from './define-http-function.js';
import { accepted, ok, parseWith, problem } from './http.js';

export const SESSION_COOKIE = 'leedz_session';
const WINDOW_MS = 15 * 60_000;

export const loginBodySchema = z.strictObject({
  email: z.email({ error: 'must be a valid email address' }).max(254, 'must be at most 254 characters').transform((e) => e.toLowerCase()),
});

export function createLogin(deps: MarketplaceDeps, controllers: Controllers) {
  // Per instance (on Lambda, per container): a brake on abuse, not an accounting system.
  const recent = new Map<string, number[]>();
  return defineHttpFunction('login', {
    invokes: [controllers.emailHelper],
    handler: async (request, ctx) => {
      const body = parseWith(loginBodySchema, request.body ?? {});
      if (!body.ok) return body.result;
      const { email } = body.value;
      const now = deps.now().getTime();
      const times = (recent.get(email) ?? []).filter((t) => now - t < WINDOW_MS);
      if (times.length >= deps.settings.loginRequestsPer15Minutes) {
        return { ...problem(429, 'RATE_LIMITED', 'too many sign-in links requested for this address; try again in 15 minutes'), headers: { 'retry-after': '900' } };
      }
      times.push(now);
      recent.set(email, times);
      const token = await deps.identity.issueLoginToken(email);
      const link = `${deps.settings.publicUrl}/api/auth/callback?token=${encodeURIComponent(token)}`;
      await invoke(ctx, controllers.emailHelper).magicLink.event({ email, link });
      return accepted({ sent: true, message: `a sign-in link is on its way to ${email}` });
    },
  });
}

export function createAuthCallback(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('authCallback', {
    handler: async (request, ctx) => {
      const query = parseWith(z.object({ token: z.string({ error: 'is required' }).min(16, 'is not a sign-in token').max(200, 'is not a sign-in token') }), request.query);
      if (!query.ok) return query.result;
      const email = await deps.identity.redeemLoginToken(query.value.token);
      if (email === undefined) return problem(401, 'UNAUTHENTICATED', 'this sign-in link is unknown, already used or expired; ask for a new one');
      let user = await deps.store.getUserByEmail(email);
      if (user === undefined) user = await createUser(deps, controllers, ctx, email);
      const session = await deps.identity.issueSession({ email: user.email, username: user.username });
      const cookie = sessionCookie(session, deps.settings.publicUrl);
      if ((request.headers.accept ?? '').includes('text/html')) {
        return { status: 303, headers: { location: '/', 'set-cookie': cookie }, body: { token: session } };
      }
      return ok({ token: session, user }, { 'set-cookie': cookie });
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
