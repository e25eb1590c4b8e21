import { describe, expect, it } from 'vitest';
import { bodyOf, firstPerPath } from '../../../src/leedz/domain/validation.js';

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
