/**
 * `POST /api/auth/logout`: sign out of this browser by expiring the session cookie. A session JWT
 * cannot be revoked before it expires; the cookie is what a browser holds, so this is enough there.
 */
import { defineHttpFunction } from './define-http-function.js';
import { SESSION_COOKIE } from './login.js';

export function createLogout() {
  return defineHttpFunction('logout', {
    handler: async () => ({
      status: 204,
      headers: { 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` },
    }),
  });
}
