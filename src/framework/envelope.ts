/**
 * The wire format of a controller invocation: the seed's flat payload, with the route name in
 * `function` beside the route's own fields, plus one reserved key `_meta` for metadata.
 *
 * @example
 * // what a Python caller could send by hand:
 * { "function": "notifyUsers", "leedId": "l_123", "trade": "dj" }
 * // what the typed invoker sends:
 * { "function": "notifyUsers", "leedId": "l_123", "trade": "dj",
 *   "_meta": { "hop": 1, "parentId": "…", "traceId": "…", "idempotencyKey": "…" } }
 */

/** Metadata carried with every invocation the framework makes. All optional: hand-written payloads have none. */
export interface EnvelopeMeta {
  /** Id of the invocation that made this one (the caller's `awsRequestId`). */
  parentId?: string;
  /** Trace shared by every invocation that one client request caused. */
  traceId?: string;
  /** Number of invocations between the first caller and this one; Lambda stops loops at 16. */
  hop?: number;
  /** Caller-chosen key that identifies the effect, for the idempotency helper and dead-letter replay. */
  idempotencyKey?: string;
  /** Epoch milliseconds when the caller sent it. */
  sentAt?: number;
}

export const META_KEY = '_meta';
export const FUNCTION_KEY = 'function';

/** An envelope as it travels: `function`, the route's fields, and `_meta`. */
export type Envelope<Route extends string = string, Payload extends object = Record<string, unknown>> = {
  function: Route;
  _meta?: EnvelopeMeta;
} & Payload;

/** Build the flat wire payload for a route. Route fields named `function` or `_meta` are rejected by the schemas' owners. */
export function toEnvelope(route: string, payload: object, meta?: EnvelopeMeta): Envelope {
  const envelope: Record<string, unknown> = { ...payload, [FUNCTION_KEY]: route };
  if (meta !== undefined) envelope[META_KEY] = meta;
  return envelope as Envelope;
}

/** Split a wire payload into its route, its fields (without the reserved keys) and its metadata. */
export function splitEnvelope(event: unknown): { route: unknown; fields: Record<string, unknown>; meta: EnvelopeMeta } {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    return { route: undefined, fields: {}, meta: {} };
  }
  const { [FUNCTION_KEY]: route, [META_KEY]: meta, ...fields } = event as Record<string, unknown>;
  return { route, fields, meta: readMeta(meta) };
}

/** Read `_meta` from any payload (envelope or not), ignoring what is malformed rather than failing on it. */
export function readMeta(raw: unknown): EnvelopeMeta {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const source = raw as Record<string, unknown>;
  const meta: EnvelopeMeta = {};
  if (typeof source.parentId === 'string') meta.parentId = source.parentId;
  if (typeof source.traceId === 'string') meta.traceId = source.traceId;
  if (typeof source.idempotencyKey === 'string') meta.idempotencyKey = source.idempotencyKey;
  if (Number.isSafeInteger(source.hop) && (source.hop as number) >= 0) meta.hop = source.hop as number;
  if (Number.isFinite(source.sentAt)) meta.sentAt = source.sentAt as number;
  return meta;
}

/** The metadata of any payload: `_meta` when the payload is an object that has it. */
export function metaOf(payload: unknown): EnvelopeMeta {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return {};
  return readMeta((payload as Record<string, unknown>)[META_KEY]);
}
