/** `GET /api/users/{username}`: a public profile (no email, no zip). */
import { z } from 'zod';
import { publicProfile } from '../domain/user.js';
import type { MarketplaceDeps } from '../deps.js';
import { defineHttpFunction } from './define-http-function.js';
import { notFound, ok, parseWith } from './http.js';

export function createGetUser(deps: MarketplaceDeps) {
  return defineHttpFunction('getUser', {
    table: ['get'],
    handler: async (request) => {
      const params = parseWith(z.object({ username: z.string().min(1).max(64) }), request.params, 'parameter');
      if (!params.ok) return params.result;
      const user = await deps.store.getUser(params.value.username);
      return user === undefined ? notFound('user') : ok(publicProfile(user));
    },
  });
}
