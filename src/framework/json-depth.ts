/**
 * Whether a JSON text nests (arrays in objects in arrays …) deeper than `limit`, counted on the text
 * without parsing it. `JSON.parse` takes any depth, but `JSON.stringify` of what it made overflows
 * the stack past a few thousand levels: a value that is parsed to be shown or sent on again is
 * checked first.
 *
 * @example
 * nestsDeeperThan('{"a":[[1]]}', 2); // → true (three levels)
 * nestsDeeperThan('{"a":"[[[["}', 2); // → false (brackets in a string do not count)
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Each level takes an opening and a closing character.
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === BACKSLASH) i++;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) {
      inString = true;
    } else if (char === OPEN_ARRAY || char === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (char === CLOSE_ARRAY || char === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * The same question of a parsed value, without recursion (which a deep enough value would overflow).
 *
 * @example
 * valueNestsDeeperThan({ a: [[1]] }, 2); // → true
 */
export function valueNestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: next, depth } = stack.pop()!;
    if (next === null || typeof next !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(next) ? next : Object.values(next)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
