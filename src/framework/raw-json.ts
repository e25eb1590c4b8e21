/**
 * JSON that is already text. A function that builds a large answer once (a month of leedz, straight
 * from the database, or from a cache) returns it as `new RawJson(text)`, and the runtime and the HTTP
 * edge send that text as it is instead of parsing and serializing it again at each hop.
 *
 * It stays correct anywhere else: `JSON.stringify` of a value holding one gives the same JSON as the
 * parsed value would (its `toJSON` parses the text), which is what Lambda's own runtime does with a
 * handler's result on AWS; {@link stringifyJson} and {@link roundTripJson} splice the text in without
 * parsing it.
 *
 * @example
 * return ok(new RawJson(`{"leedz":${listingsJson}}`));
 * stringifyJson({ status: 200, body: new RawJson('[1,2]') }); // '{"status":200,"body":[1,2]}'
 */
import { randomBytes } from 'node:crypto';

export class RawJson {
  /** The JSON text, trusted to be valid JSON (made by `JSON.stringify` or by SQLite's JSON functions). */
  readonly json: string;

  private encoded: Uint8Array<ArrayBuffer> | undefined;

  constructor(json: string) {
    this.json = json;
  }

  /** The text as UTF-8, encoded once: an answer kept and sent many times is encoded once. */
  get bytes(): Uint8Array<ArrayBuffer> {
    this.encoded ??= new TextEncoder().encode(this.json);
    return this.encoded;
  }

  /** Inside {@link stringifyJson}: a marker where the text goes. Anywhere else: the parsed value. */
  toJSON(): unknown {
    if (splicing !== undefined) {
      splicing.push(this);
      return `${MARK}${splicing.length - 1}`;
    }
    return JSON.parse(this.json);
  }
}

/** Unguessable, so no string a caller sends can pass for a marker. */
const MARK = `\u0000raw-json:${randomBytes(9).toString('base64url')}:`;
let splicing: RawJson[] | undefined;

/** JSON.stringify with each {@link RawJson}'s text put in place, unparsed. `undefined` → 'null' (Lambda's result of nothing). */
export function stringifyJson(value: unknown): string {
  const { text, raws } = withMarkers(value);
  if (raws.length === 0) return text;
  let out = text;
  raws.forEach((raw, index) => {
    out = out.replace(marker(index), () => raw.json);
  });
  return out;
}

/**
 * Lambda's JSON round trip of a handler's result (what a caller receives: `undefined` fields gone,
 * dates as strings), with each {@link RawJson} kept as it is, and the size of the JSON it stands for.
 */
export function roundTripJson(value: unknown): { value: unknown; bytes: number } {
  const { text, raws } = withMarkers(value);
  if (raws.length === 0) return { value: JSON.parse(text), bytes: Buffer.byteLength(text, 'utf8') };
  let bytes = Buffer.byteLength(text, 'utf8');
  raws.forEach((raw, index) => {
    // Its UTF-8 bytes, encoded once and kept: the edge sends those same bytes, and a kept answer is
    // measured once rather than on every request that gets it.
    bytes += raw.bytes.length - marker(index).length;
  });
  return { value: restoreRaws(JSON.parse(text), raws), bytes };
}

/**
 * Each {@link RawJson} back where its marker is, in a value just parsed: a walk of it, which costs a
 * fraction of what a reviver does (JSON.parse calls a reviver back for every value it makes).
 */
function restoreRaws(item: unknown, raws: readonly RawJson[]): unknown {
  if (typeof item === 'string') return item.startsWith(MARK) ? raws[Number(item.slice(MARK.length))] : item;
  if (item === null || typeof item !== 'object') return item;
  if (Array.isArray(item)) {
    for (let i = 0; i < item.length; i++) item[i] = restoreRaws(item[i], raws);
    return item;
  }
  const record = item as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    const restored = restoreRaws(value, raws);
    // An own key (even "__proto__", which JSON.parse makes an own property) is set as that property.
    if (restored !== value) record[key] = restored;
  }
  return item;
}

/** A marker as it appears in JSON text (quoted, its NUL escaped). */
function marker(index: number): string {
  return JSON.stringify(`${MARK}${index}`);
}

function withMarkers(value: unknown): { text: string; raws: RawJson[] } {
  const raws: RawJson[] = [];
  const outer = splicing;
  splicing = raws;
  try {
    return { text: JSON.stringify(value ?? null), raws };
  } finally {
    splicing = outer;
  }
}
