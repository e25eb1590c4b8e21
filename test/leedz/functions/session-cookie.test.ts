import { describe, expect, it } from 'vitest';
import { sessionCookie } from '../../../src/leedz/functions/login.js';

/** An unsigned JWT with these claims (the cookie reads `exp` only; the signature is the identity's business). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'ES256' })}.${part(claims)}.c2ln`;
}

const iat = Date.parse('2026-12-01T12:00:00Z') / 1000;

describe('the session cookie', () => {
  it('lasts exactly as long as the token: a day for a one-day Cognito ID token, 7 days locally', () => {
    expect(sessionCookie(jwt({ iat, exp: iat + 86_400 }), 'https://d1.cloudfront.net')).toBe(
      `leedz_session=${jwt({ iat, exp: iat + 86_400 })}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400; Secure`,
    );
    expect(sessionCookie(jwt({ iat, exp: iat + 7 * 86_400 }), 'http://127.0.0.1:3000')).toMatch(/; Max-Age=604800$/);
  });

  it('is Secure only when the site is served over https', () => {
    expect(sessionCookie(jwt({ iat, exp: iat + 60 }), 'http://127.0.0.1:3000')).not.toContain('Secure');
    expect(sessionCookie(jwt({ iat, exp: iat + 60 }), 'https://leedz.example')).toContain('; Secure');
  });

  it('expires at once for a token that never lived, and lasts the browser session when the token has no readable lifetime', () => {
    expect(sessionCookie(jwt({ iat, exp: iat - 10 }), 'http://x')).toContain('Max-Age=0');
    for (const token of [jwt({ sub: 'x' }), jwt({ iat, exp: 'soon' }), jwt({ exp: iat + 60 }), 'not-a-jwt', 'a.%%%.c']) {
      expect(sessionCookie(token, 'http://x')).not.toContain('Max-Age');
    }
  });
});
