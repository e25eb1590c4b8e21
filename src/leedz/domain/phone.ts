/**
 * Phone numbers for people. Stored as 10 digits (`leed.ts` reduces what is typed to them); shown
 * as US numbers are written. No schema library here: the web bundle imports this module too.
 */

/**
 * A stored phone (10 digits) as people write it; anything else as it is.
 *
 * @example
 * formatPhone('5551234567'); // → '(555) 123-4567'
 * formatPhone('+44 20 7946 0958'); // → '+44 20 7946 0958'
 */
export function formatPhone(digits: string): string {
  const match = /^(\d{3})(\d{3})(\d{4})$/.exec(digits);
  return match === null ? digits : `(${match[1]}) ${match[2]}-${match[3]}`;
}
