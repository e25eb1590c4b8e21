import { describe, expect, it } from 'vitest';
import { streetAddressSchema, zipOfAddress, zipSchema } from '../../../src/leedz/domain/address.js';

describe('zipSchema', () => {
  it('accepts five digits as text, leading zeros included', () => {
    expect(zipSchema.parse('02134')).toBe('02134');
  });

  it('refuses a number, even a well-formed one', () => {
    expect(zipSchema.safeParse(62701).success).toBe(false);
  });
});

describe('zipOfAddress', () => {
  it('takes the 5-digit zip at the end', () => {
    expect(zipOfAddress('123 Main St, Springfield, IL 62701')).toBe('62701');
    expect(zipOfAddress('123 Main St,Springfield,IL,62701 ')).toBe('62701');
  });

  it('reads the zip of a ZIP+4, and nothing of a zip with a broken suffix', () => {
    expect(zipOfAddress('123 Main St, Springfield, IL 62701-1234')).toBe('62701');
    expect(zipOfAddress('123 Main St, Springfield, IL 62701-12')).toBeUndefined();
    expect(zipOfAddress('123 Main St, Springfield, IL 62701-12345')).toBeUndefined();
  });

  it('finds none when the address does not end with one', () => {
    expect(zipOfAddress('123 Main St, Springfield, IL')).toBeUndefined();
    expect(zipOfAddress('123 Main St, Springfield, IL62701')).toBeUndefined();
  });
});

describe('streetAddressSchema', () => {
  it('accepts house numbers with letters, ranges and fractions', () => {
    for (const address of ['12B Elm St, Boston, MA 02134', '10-12 Elm St, Boston, MA 02134', '1/2 Elm St, Boston, MA 02134']) {
      expect(streetAddressSchema.safeParse(address).success, address).toBe(true);
    }
  });

  it('accepts a ZIP+4 as USPS writes it', () => {
    expect(streetAddressSchema.safeParse('123 Main St, Springfield, IL 62701-1234').success).toBe(true);
    expect(streetAddressSchema.safeParse('123 Main St, Springfield, IL 62701-').success).toBe(false);
  });

  it('accepts 200 characters and refuses 201', () => {
    const at = (length: number): string => `1 ${'x'.repeat(length - 8)} 62701`;
    expect(streetAddressSchema.safeParse(at(200)).success).toBe(true);
    expect(streetAddressSchema.safeParse(at(201)).success).toBe(false);
  });
});
