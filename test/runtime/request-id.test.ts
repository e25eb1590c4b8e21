import { describe, expect, it } from 'vitest';
import { newRequestId } from '../../src/runtime/request-id.js';

describe('request ids', () => {
  it('are UUID version 7 and sort in the order they were made, within one millisecond and beyond its 2,048th', () => {
    const ms = Date.now() + 60_000;
    const ids = Array.from({ length: 5_000 }, () => newRequestId(ms));
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // The first ids carry the millisecond they were made in.
    expect(parseInt(ids[0]!.replace('-', '').slice(0, 12), 16)).toBe(ms);
    // A clock that steps back does not make an id sort before the previous one.
    expect(newRequestId(ms - 5_000) > ids.at(-1)!).toBe(true);
  });
});
