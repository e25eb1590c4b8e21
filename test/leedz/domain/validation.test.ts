import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bodyOf, closestKey, describeIssue, firstPerPath } from '../../../src/leedz/domain/validation.js';

describe('bodyOf', () => {
  it('trims top-level strings and turns blank ones into null', () => {
    expect(bodyOf({ title: '  Gig ', details: '   ', price: 100, nested: { a: ' x ' } })).toEqual({
      title: 'Gig',
      details: null,
      price: 100,
      nested: { a: ' x ' },
    });
  });

  it('reads anything but a plain object as an empty body', () => {
    for (const input of [null, undefined, 1, 'x', true, [1, 2]]) expect(bodyOf(input)).toEqual({});
  });

  it('keeps a "__proto__" key as an own key instead of changing the prototype', () => {
    const body = bodyOf(JSON.parse('{"__proto__": {"polluted": true}}'));
    expect(Object.keys(body)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect((body as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('firstPerPath', () => {
  it('keeps the first message for each path, in order', () => {
    expect(
      firstPerPath([
        { path: 'end', message: 'first' },
        { path: 'title', message: 'only' },
        { path: 'end', message: 'second' },
      ]),
    ).toEqual([
      { path: 'end', message: 'first' },
      { path: 'title', message: 'only' },
    ]);
  });
});

describe('closestKey', () => {
  const search = ['trades', 'from', 'to', 'zip', 'radius', 'limit', 'perDay'];

  it('names the known key one or two edits away, or the same in another case', () => {
    expect(closestKey('trade', search)).toBe('trades');
    expect(closestKey('raduis', search)).toBe('radius');
    expect(closestKey('perday', search)).toBe('perDay');
    expect(closestKey('PERDAY', search)).toBe('perDay');
    expect(closestKey('limits', search)).toBe('limit');
  });

  it('guesses nothing for a key far from every known one, for very short keys, or when two are as close', () => {
    expect(closestKey('category', search)).toBeUndefined();
    expect(closestKey('x', search)).toBeUndefined();
    expect(closestKey('tz', search)).toBeUndefined();
    // One edit from both "to" and "tom": either guess could be wrong.
    expect(closestKey('tox', ['to', 'tom'])).toBeUndefined();
    expect(closestKey('abcd', ['abce', 'abcf'])).toBeUndefined();
  });
});

describe('describeIssue', () => {
  const messageOf = (schema: z.ZodType, value: unknown): string | undefined => schema.safeParse(value, { error: describeIssue }).error?.issues[0]?.message;

  it('words a number, text or list out of its bounds in the API’s words, never zod’s', () => {
    const limit = z.coerce.number().int().min(1).max(5000);
    expect(messageOf(limit, '0')).toBe('must be a whole number from 1 to 5,000');
    expect(messageOf(limit, '5001')).toBe('must be a whole number from 1 to 5,000');
    expect(messageOf(z.number().min(1), 0)).toBe('must be at least 1');
    expect(messageOf(z.number().max(1000), 1001)).toBe('must be at most 1,000');
    expect(messageOf(z.number().positive(), 0)).toBe('must be more than 0');
    expect(messageOf(z.string().max(64), 'x'.repeat(65))).toBe('must be at most 64 characters');
    expect(messageOf(z.string().min(1), '')).toBe('must be at least 1 character');
    expect(messageOf(z.array(z.string()).max(6), ['a', 'b', 'c', 'd', 'e', 'f', 'g'])).toBe('must list at most 6');
  });

  it('leaves a rule the schema words itself as it is, and tells missing from the wrong type', () => {
    expect(messageOf(z.number().max(500, 'must be at most 500 miles'), 501)).toBe('must be at most 500 miles');
    expect(messageOf(z.string(), undefined)).toBe('is required');
    expect(messageOf(z.string(), 5)).toBe('must be text');
  });
});
