/**
 * Secrets out of the invocation log: a function declares the dotted paths of its input that hold one
 * (`sensitive: ['query.token']`), and the log stores `"[redacted]"` there instead.
 *
 * @example
 * redactPaths({ query: { token: 'abc', page: '2' } }, ['query.token']); // { query: { token: '[redacted]', page: '2' } }
 */

export const REDACTED = '[redacted]';

/** A copy of `value` with each path that exists replaced by {@link REDACTED}; `value` itself is unchanged. */
export function redactPaths(value: unknown, paths: readonly string[]): unknown {
  if (paths.length === 0) return value;
  let copy = value;
  for (const path of paths) copy = redactOne(copy, path.split('.'));
  return copy;
}

function redactOne(value: unknown, keys: string[]): unknown {
  const [key, ...rest] = keys;
  if (key === undefined || value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key)) return value;
  const record = value as Record<string, unknown>;
  return { ...record, [key]: rest.length === 0 ? REDACTED : redactOne(record[key], rest) };
}
