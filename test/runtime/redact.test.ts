/**
 * `redactPaths`: a declared path holds "[redacted]" in the copy the log keeps, `*` every key at its
 * level, and the value the handler gets is never changed.
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, redactPaths } from '../../src/runtime/redact.js';

describe('redactPaths', () => {
  it('replaces a path that exists and leaves the rest, and the original, as they were', () => {
    const request = { query: { token: 'abc', page: '2' } };
    expect(redactPaths(request, ['query.token', 'body.token'])).toEqual({ query: { token: REDACTED, page: '2' } });
    expect(request.query.token).toBe('abc');
  });

  it('with `*`, replaces every field at that level, whatever its name', () => {
    const request = { body: { clientemail: 'a@example.com', title: 'Party', nested: { x: 1 } }, query: {} };
    expect(redactPaths(request, ['body.*'])).toEqual({ body: { clientemail: REDACTED, title: REDACTED, nested: REDACTED }, query: {} });
    expect(redactPaths({ rows: { a: { secret: 1, id: 'a' }, b: { id: 'b' } } }, ['rows.*.secret'])).toEqual({ rows: { a: { secret: REDACTED, id: 'a' }, b: { id: 'b' } } });
  });

  it('with `*`, replaces a list’s every item, and a body sent as text whole; an absent body stays absent', () => {
    expect(redactPaths({ body: [{ clientEmail: 'a@example.com' }, 'b'] }, ['body.*'])).toEqual({ body: [REDACTED, REDACTED] });
    expect(redactPaths({ body: 'a@example.com' }, ['body.*'])).toEqual({ body: REDACTED });
    expect(redactPaths({ body: null }, ['body.*'])).toEqual({ body: null });
    expect(redactPaths({}, ['body.*'])).toEqual({});
  });
});
