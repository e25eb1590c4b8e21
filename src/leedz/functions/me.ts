/**
 * `GET /api/me` and `PATCH /api/me`: the signed-in user's own profile, email included; edit profile
 * and subscriptions. `GET /api/session`: who is signed in, asked by every page — signed out is an
 * answer (200), not an error, so a visitor's browser logs no failed request.
 */
import { zipSchema } from '../domain/address.js';
import type { GeoPoint } from '../domain/geo.js';
import { validateProfilePatch, type SessionState } from '../domain/user.js';
import type { MarketplaceDeps } from '../deps.js';
import type { UserChanges } from '../ports.js';
import type { FieldError } from '../domain/validation.js';
import { authenticate, defineHttpFunction } from './define-http-function.js';
import { invalid, notFound, ok, PRIVATE, unauthenticated } from './http.js';

export function createGetMe(deps: MarketplaceDeps) {
  return defineHttpFunction('getMe', {
    table: ['get'],
    handler: async (request) => {
      const caller = authenticate(request);
      if (caller === undefined) return unauthenticated();
      const user = await deps.store.getUser(caller.username);
      return user === undefined ? notFound('user') : ok(user, PRIVATE);
    },
  });
}

export function createGetSession(deps: MarketplaceDeps) {
  return defineHttpFunction('getSession', {
    table: ['get'],
    handler: async (request) => {
      const caller = authenticate(request);
      const user = caller === undefined ? undefined : await deps.store.getUser(caller.username);
      const state: SessionState = user === undefined ? { signedIn: false } : { signedIn: true, user };
      // Per visitor: never from a shared cache.
      return ok(state, PRIVATE);
    },
  });
}

export function createUpdateMe(deps: MarketplaceDeps) {
  return defineHttpFunction('updateMe', {
    // updateUser: the profile (update), a trade added (condition check), removed (delete), every subscription again (put).
    table: ['get', 'query', 'put', 'update', 'delete', 'condition-check'],
    handler: async (request) => {
      const caller = authenticate(request);
      if (caller === undefined) return unauthenticated();
      const validation = validateProfilePatch(request.body);
      const problems: FieldError[] = validation.ok ? [] : [...validation.fields];
      // A well-formed zip nobody knows is named beside the other fields' refusals: one answer names
      // every field to fix, not one round each.
      const zip = validation.ok ? validation.value.zip : wellFormedZip(request.body, problems);
      let point: GeoPoint | null | undefined;
      if (zip === null) point = null;
      else if (zip !== undefined) {
        point = await deps.geocoder.zipPoint(zip);
        if (point === undefined) problems.push({ path: 'zip', message: 'is not a known US zip code' });
      }
      if (validation.ok && validation.value.subscriptions !== undefined) {
        const known = new Set((await deps.store.listTrades()).map((t) => t.name));
        const unknown = validation.value.subscriptions.filter((trade) => !known.has(trade));
        if (unknown.length > 0) problems.push({ path: 'subscriptions', message: `names trades that do not exist: ${unknown.join(', ')}` });
      }
      if (!validation.ok || problems.length > 0) return invalid(problems);
      const changes: UserChanges = { ...validation.value, ...(point === undefined ? {} : { point }) };
      return ok(await deps.store.updateUser(caller.username, changes), PRIVATE);
    },
  });
}

/** The body's zip when the refusals name no fault of its own (a five-digit string), else undefined. */
function wellFormedZip(body: unknown, refused: readonly FieldError[]): string | undefined {
  if (refused.some((field) => field.path === 'zip')) return undefined;
  const parsed = zipSchema.safeParse(typeof body === 'object' && body !== null ? (body as Record<string, unknown>).zip : undefined);
  return parsed.success ? parsed.data : undefined;
}
