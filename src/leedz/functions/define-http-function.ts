/**
 * `defineHttpFunction`: a request-response function whose input is an {@link HttpRequest} and whose
 * output is an {@link HttpResult}; and `authenticate`, the one place a caller's identity comes from
 * (a verified session token, never a parameter).
 *
 * @example
 * export const createGetMe = (deps: MarketplaceDeps) =>
 *   defineHttpFunction('getMe', { handler: async (request) => { const caller = authenticate(request); … } });
 */
import { randomUUID } from 'node:crypto';
import type { InvocationContext } from '../../framework/context.js';
import { defineFunction, type Deployable, type FunctionConfig } from '../../framework/define.js';
import type { PreparedInvocation } from '../../framework/invoker.js';
import { z } from 'zod';
import { streetAddressSchema } from '../domain/address.js';
import { roundedPoint } from '../domain/geo.js';
import type { Leed } from '../domain/leed.js';
import type { FieldError } from '../domain/validation.js';
import type { MarketplaceDeps } from '../deps.js';
import type { OutboxMessage, Place } from '../ports.js';
import { httpRequestSchema, notFound, parseWith, storeProblem, unauthenticated, type HttpRequest, type HttpResult } from './http.js';

export interface HttpFunctionDefinition extends FunctionConfig {
  invokes?: readonly Deployable[];
  /** Dotted paths of the request that hold secrets (`query.token`), kept out of the invocation log. */
  sensitive?: readonly string[];
  handler: (request: HttpRequest, ctx: InvocationContext) => Promise<HttpResult>;
}

export function defineHttpFunction<const Name extends string>(name: Name, definition: HttpFunctionDefinition) {
  // The request also carries its query in `url` and its body verbatim in `rawBody`: a secret in either
  // is kept out of the log there too.
  const sensitive = definition.sensitive ?? [];
  const copies = [...(sensitive.some((path) => path.startsWith('query.')) ? ['url'] : []), ...(sensitive.some((path) => path.startsWith('body.')) ? ['rawBody'] : [])];
  // A store's refusal that the handler does not answer itself (no such user, say) is still the API's
  // 404 or 409, never a function error (a 500 at the edge).
  const handler = async (request: HttpRequest, ctx: InvocationContext): Promise<HttpResult> => {
    try {
      return await definition.handler(request, ctx);
    } catch (error) {
      const refused = storeProblem(error);
      if (refused === undefined) throw error;
      return refused;
    }
  };
  return defineFunction(name, { timeoutSeconds: 10, ...definition, handler, sensitive: [...sensitive, ...copies], input: httpRequestSchema });
}

/** A signed-in caller: verified token and an existing user. */
export interface SignedIn {
  username: string;
  email: string;
}

/**
 * The signed-in caller the edge verified, or undefined (no session, or one from before the user
 * existed).
 */
export function authenticate(request: HttpRequest): SignedIn | undefined {
  const caller = request.caller;
  if (caller?.username === undefined) return undefined;
  return { username: caller.username, email: caller.email };
}

export const leedParamsSchema = z.object({ trade: z.string().min(1).max(40), id: z.string().min(1).max(64) });

/**
 * What every operation on one leed by a signed-in user starts with: the caller (401 without), the
 * path's trade and id (400 when malformed) and the leed (404 when missing or deleted).
 */
export async function signedInCallerAndLeed(
  deps: MarketplaceDeps,
  request: HttpRequest,
): Promise<{ ok: true; caller: SignedIn; leed: Leed } | { ok: false; result: HttpResult }> {
  const caller = authenticate(request);
  if (caller === undefined) return { ok: false, result: unauthenticated() };
  const params = parseWith(leedParamsSchema, request.params, 'parameter');
  if (!params.ok) return params;
  const leed = await deps.store.getLeed(params.value.trade, params.value.id);
  if (leed === undefined || leed.status === 'deleted') return { ok: false, result: notFound('leed') };
  return { ok: true, caller, leed };
}

/**
 * The place of the `location` a request body carries, geocoded before the body is validated: its time
 * zone is the one a wall-time `start` or `end` is read in. `place` is undefined when there is no
 * location, or one that is not a street address (validation says why); `problem` names a well-formed
 * address the geocoder does not know.
 */
export async function locate(deps: MarketplaceDeps, body: unknown): Promise<{ place?: Place; problem?: FieldError }> {
  const raw = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).location : undefined;
  const address = streetAddressSchema.safeParse(raw);
  if (!address.success) return {};
  const place = await leedPlace(deps, address.data);
  return place === undefined ? { problem: { path: 'location', message: 'could not be found: check the street address and the zip' } } : { place };
}

/**
 * A leed's place: the geocoder's, with the zip's centre for its point rather than the address. Anyone
 * may search by radius, and halving the radius around three zips measured the distances that put the
 * house on a map (Amazon Location's point is the house's). The zip is public, so its centre tells no
 * more; a zip the geocoder has no centre for gives the point to a tenth of a degree (a few miles).
 */
export async function leedPlace(deps: MarketplaceDeps, address: string): Promise<Place | undefined> {
  const place = await deps.geocoder.geocode(address);
  if (place === undefined) return undefined;
  return { ...place, point: (await deps.geocoder.zipPoint(place.zip)) ?? roundedPoint(place.point, 1) };
}

/** An outbox message for a prepared controller invocation; its id doubles as the work's idempotency key. */
export function outboxMessage(prepared: PreparedInvocation): OutboxMessage {
  const meta = prepared.payload._meta as { idempotencyKey?: string } | undefined;
  return { id: meta?.idempotencyKey ?? randomUUID(), target: prepared.functionName, payload: prepared.payload };
}
