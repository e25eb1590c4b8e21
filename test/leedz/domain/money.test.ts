import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCents, platformFeeCents } from '../../../src/leedz/domain/money.js';

describe('platformFeeCents', () => {
  it('is 9% of the price in whole cents', () => {
    expect(platformFeeCents(0)).toBe(0);
    expect(platformFeeCents(100)).toBe(9);
    expect(platformFeeCents(10_000)).toBe(900);
  });

  it('rounds to the nearest cent, halves up', () => {
    expect(platformFeeCents(105)).toBe(9); //  9.45 → 9
    expect(platformFeeCents(111)).toBe(10); // 9.99 → 10
    expect(platformFeeCents(150)).toBe(14); // 13.5 → 14
    expect(platformFeeCents(250)).toBe(23); // 22.5 → 23
  });

  it('is always a whole number of cents within half a cent of 9%', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), (price) => {
        const fee = platformFeeCents(price);
        expect(Number.isInteger(fee)).toBe(true);
        expect(Math.abs(fee - price * 0.09)).toBeLessThanOrEqual(0.5 + 1e-9);
      }),
    );
  });

  it('refuses a negative or fractional price', () => {
    expect(() => platformFeeCents(-1)).toThrow(RangeError);
    expect(() => platformFeeCents(1.5)).toThrow(RangeError);
  });
});

describe('formatCents', () => {
  it('formats cents as dollars with two decimals', () => {
    expect(formatCents(0)).toBe('$0.00');
    expect(formatCents(5)).toBe('$0.05');
    expect(formatCents(100)).toBe('$1.00');
    expect(formatCents(2_550)).toBe('$25.50');
    expect(formatCents(10_000)).toBe('$100.00');
  });

  it('separates thousands and shows refunds as negative', () => {
    expect(formatCents(123_456_789)).toBe('$1,234,567.89');
    expect(formatCents(-150)).toBe('-$1.50');
  });

  it('refuses a fraction of a cent', () => {
    expect(() => formatCents(0.5)).toThrow(RangeError);
  });
});
