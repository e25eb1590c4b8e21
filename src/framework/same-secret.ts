/**
 * Whether a secret given by a caller (a signature, a token, a header) is the one expected, compared
 * in a time that does not depend on where they first differ, so that timing the answer tells a
 * caller nothing about how much of a guess was right.
 *
 * @example
 * if (!sameSecret(expectedSignature, given)) return refuse();
 */
import { timingSafeEqual } from 'node:crypto';

/** True when both texts are the same bytes (UTF-8). */
export function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
