/**
 * Money is integer cents everywhere (JSON, storage, provider calls), so no sum ever meets a binary
 * fraction. These helpers are the only places that turn cents into something else.
 */

/** The platform's share of each sale, in percent of the price. */
export const PLATFORM_FEE_PERCENT = 9;

/**
 * The platform fee for a price, in integer cents: 9% rounded to the nearest cent, halves rounded up
 * (the commercial rule, and what a seller checking by hand expects). Computed in integers, so
 * `150` gives exactly 13.5 → `14`, never 13.499999….
 *
 * @example
 * platformFeeCents(10_000); // → 900
 * platformFeeCents(150);    // → 14
 * platformFeeCents(0);      // → 0 (free leedz carry no fee)
 */
export function platformFeeCents(priceCents: number): number {
  if (!Number.isSafeInteger(priceCents) || priceCents < 0) {
    throw new RangeError(`price must be a non-negative integer number of cents, got ${priceCents}`);
  }
  return Math.floor((priceCents * PLATFORM_FEE_PERCENT + 50) / 100);
}

/**
 * Cents as US dollars for people (emails, receipts): `$`, thousands separators, always two decimals.
 *
 * @example
 * formatCents(12_345); // → '$123.45'
 * formatCents(0);      // → '$0.00'
 * formatCents(-150);   // → '-$1.50' (a refund)
 */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`cents must be an integer, got ${cents}`);
  const abs = Math.abs(cents);
  const dollars = Math.floor(abs / 100).toLocaleString('en-US');
  const rest = String(abs % 100).padStart(2, '0');
  return `${cents < 0 ? '-' : ''}$${dollars}.${rest}`;
}
