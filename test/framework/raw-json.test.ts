import { describe, expect, it } from 'vitest';
import { RawJson, roundTripJson, stringifyJson } from '../../src/framework/raw-json.js';

const value = { status: 200, body: new RawJson('{"leedz":[{"title":"Café \\"night\\"","price":2500}]}'), gone: undefined, at: new Date(0), list: [new RawJson('[1,2]'), 'x'] };

describe('RawJson', () => {
  it('serializes exactly as the parsed value would, whether spliced or through JSON.stringify (Lambda’s own runtime)', () => {
    const expected = '{"status":200,"body":{"leedz":[{"title":"Café \\"night\\"","price":2500}]},"at":"1970-01-01T00:00:00.000Z","list":[[1,2],"x"]}';
    expect(stringifyJson(value)).toBe(expected);
    expect(JSON.stringify(value)).toBe(expected);
    expect(stringifyJson(undefined)).toBe('null');
  });

  it('round-trips like Lambda without parsing the text, and counts the bytes it stands for', () => {
    const { value: trip, bytes } = roundTripJson(value);
    expect(bytes).toBe(Buffer.byteLength(JSON.stringify(value), 'utf8'));
    const result = trip as { body: unknown; gone?: unknown; at: unknown; list: unknown[] };
    expect(result.body).toBeInstanceOf(RawJson);
    expect(result.body).toBe(value.body);
    expect('gone' in result).toBe(false);
    expect(result.at).toBe('1970-01-01T00:00:00.000Z');
    expect(result.list[0]).toBe(value.list[0]);
  });

  it('cannot be forged by a string that looks like its marker', () => {
    const sneaky = { a: '\u0000raw-json:guess:0', b: new RawJson('true') };
    expect(JSON.parse(stringifyJson(sneaky))).toEqual({ a: '\u0000raw-json:guess:0', b: true });
    expect((roundTripJson(sneaky).value as { a: unknown }).a).toBe('\u0000raw-json:guess:0');
  });

  it('puts each text back wherever it was, deep in arrays and objects, and keeps a "__proto__" key an own property', () => {
    const inner = new RawJson('{"n":1}');
    const nested = JSON.parse('{"__proto__":null,"deep":[{"x":[null,0]}]}') as Record<string, unknown>;
    (nested.deep as { x: unknown[] }[])[0]!.x[1] = inner;
    Object.defineProperty(nested, '__proto__', { value: new RawJson('{"polluted":true}'), enumerable: true, writable: true, configurable: true });
    const trip = roundTripJson(nested).value as Record<string, unknown>;
    expect((trip.deep as { x: unknown[] }[])[0]!.x[1]).toBe(inner);
    expect(Object.getPrototypeOf(trip)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(trip, '__proto__')?.value).toBeInstanceOf(RawJson);
  });
});
