/**
 * Secrets out of the invocation log: a function declares the dotted paths of its input that hold one
 * (`sensitive: ['query.token']`), and the log stores `"[redacted]"` there instead. A `*` stands for
 * every key at its level (`body.*`): a field the function does not know, a misspelt `tokne` or
 * `clientemail`, is a secret too, and is refused with its value still in the request.
 *
 * @example
 * redactPaths({ query: { token: 'abc', page: '2' } }, ['query.token']); // { query: { token: '[redacted]', page: '2' } }
 * redactPaths({ body: { tokne: 'abc' } }, ['body.*']); // { body: { tokne: '[redacted]' } }
 */

export const REDACTED = '[redacted]';
/** The key under which the log keeps the beginning of a payload too long to keep whole (src/runtime/sync-invocation.ts). */
export const CUT_MARK = '[cut]';

/** A copy of `value` with each path that exists replaced by {@link REDACTED}; `value` itself is unchanged. */
export function redactPaths(value: unknown, paths: readonly string[]): unknown {
  if (paths.length === 0) return value;
  let copy = value;
  for (const path of paths) copy = redactOne(copy, path.split('.'));
  return copy;
}

function redactOne(value: unknown, keys: string[]): unknown {
  const [key, ...rest] = keys;
  if (key === undefined || value === null || value === undefined) return value;
  const redact = (inner: unknown) => (rest.length === 0 ? REDACTED : redactOne(inner, rest));
  if (key === '*') {
    // Every field: of an object, of a list, or the value itself when it has none (a body sent as text).
    if (Array.isArray(value)) return value.map(redact);
    if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, redact(inner)]));
    return rest.length === 0 ? REDACTED : value;
  }
  if (typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return value;
  const record = value as Record<string, unknown>;
  return { ...record, [key]: redact(record[key]) };
}
