/**
 * The leed: a booking one vendor cannot take and sells to another of the same trade. This module
 * holds its shape (zod schemas, exported so that the HTTP layer can generate OpenAPI from them) and
 * the rules for a new leed and for an edit. Validators are pure: the current time is a parameter.
 */
import { z } from 'zod';
import { streetAddressSchema, zipOfAddress, zipSchema } from './address.js';
import { geoPointSchema } from './geo.js';
import { formatClockInZone, formatWallTime, isWallTime, resolveWallTime, WALL_TIME_PATTERN } from './time-zone.js';
import { tradeNameSchema } from './trade.js';
import {
  bodyOf,
  changeBodyErrors,
  CONTROL_MESSAGE,
  describeIssue,
  type FieldError,
  fieldErrorsOf,
  firstPerPath,
  hasControlCharacters,
  type ValidationResult,
  withLikelyKey,
} from './validation.js';

// ── limits ───────────────────────────────────────────────────────────────────────────────────────

/** The longest title. */
export const TITLE_MAX_LENGTH = 120;
/** The longest `details` or `requirements`. */
export const TEXT_MAX_LENGTH = 1_000;
/** The shortest gig: end − start, in milliseconds. */
export const MIN_DURATION_MS = 60 * 60 * 1000;
/** The longest gig: end − start, in milliseconds. */
export const MAX_DURATION_MS = 12 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How far ahead a gig may be booked: two years. A booking horizon every calendar has, and what keeps
 * a search that runs to "any time later" (the trade's list) a bounded number of months on DynamoDB,
 * whose search reads one partition per trade and month.
 */
export const BOOKING_HORIZON_DAYS = 730;
/** The lowest price of a paid leed, in cents (0 means free). */
export const MIN_PAID_PRICE_CENTS = 100;
/** The highest price, in cents. */
export const MAX_PRICE_CENTS = 10_000;

// ── status and visibility ────────────────────────────────────────────────────────────────────────

/**
 * A leed's lifecycle, explicit (the original inferred it from which fields were set).
 *
 * @example
 * leedStatusSchema.parse('sold'); // → 'sold'
 */
export const leedStatusSchema = z.enum(['active', 'sold', 'deleted', 'expired']);

/** `active | sold | deleted | expired`. */
export type LeedStatus = z.infer<typeof leedStatusSchema>;

/**
 * Whether the gig is over: an active leed whose end has passed reads `expired` and can no longer be
 * bought or advertised (the store keeps it `active`; nothing rewrites it when the time comes).
 *
 * @example
 * hasEnded({ end: '2026-12-25T04:00:00.000Z' }, new Date('2026-12-26T00:00:00Z')); // → true
 */
export function hasEnded(leed: { end: string }, now: Date): boolean {
  return Date.parse(leed.end) < now.getTime();
}

/**
 * The earliest start of a leed that has not ended at `now`: one that started before it, longer ago
 * than the longest gig, is over. A list that leaves ended leedz out need not read earlier.
 *
 * @example
 * earliestStartNotEnded(new Date('2026-12-26T00:00:00Z')); // → 2026-12-25T12:00:00.000Z
 */
export function earliestStartNotEnded(now: Date): Date {
  return new Date(now.getTime() - MAX_DURATION_MS);
}

/**
 * The fields a creator may hide until the leed is bought.
 *
 * @example
 * HIDEABLE_FIELDS.includes('clientPhone'); // → true
 */
export const HIDEABLE_FIELDS = ['location', 'clientEmail', 'clientPhone', 'details', 'requirements'] as const;

/** One of {@link HIDEABLE_FIELDS}. */
export type HideableField = (typeof HIDEABLE_FIELDS)[number];

/**
 * Whether one hideable field is shown to everyone or hidden until the leed is bought.
 *
 * @example
 * fieldVisibilitySchema.parse('hidden'); // → 'hidden'
 */
export const fieldVisibilitySchema = z.enum(['shown', 'hidden'], { error: 'must be "shown" or "hidden"' });

/** `shown | hidden`. */
export type FieldVisibility = z.infer<typeof fieldVisibilitySchema>;

/**
 * A stored leed's visibility: one entry per hideable field.
 *
 * @example
 * visibilitySchema.parse(DEFAULT_VISIBILITY);
 */
export const visibilitySchema = z.object({
  location: fieldVisibilitySchema,
  clientEmail: fieldVisibilitySchema,
  clientPhone: fieldVisibilitySchema,
  details: fieldVisibilitySchema,
  requirements: fieldVisibilitySchema,
});

/** A stored leed's visibility: one entry per hideable field. */
export type Visibility = z.infer<typeof visibilitySchema>;

/**
 * What a creator gets without choosing: the ways to reach the client and the place stay hidden until
 * someone pays, the description of the gig is shown so that buyers know what they buy.
 *
 * @example
 * DEFAULT_VISIBILITY.clientPhone; // → 'hidden'
 */
export const DEFAULT_VISIBILITY: Readonly<Visibility> = Object.freeze({
  location: 'hidden',
  clientEmail: 'hidden',
  clientPhone: 'hidden',
  details: 'shown',
  requirements: 'shown',
});

/**
 * Visibility as a client sends it: only the fields it wants to set; the rest keep their default (new
 * leed) or their current value (edit).
 *
 * @example
 * visibilityInputSchema.parse({ clientEmail: 'shown' });
 */
export const visibilityInputSchema = z.strictObject(visibilitySchema.shape).partial();

// ── field schemas ────────────────────────────────────────────────────────────────────────────────

const INSTANT_MESSAGE = 'must be an ISO 8601 date-time with Z or an offset, like "2026-12-24T18:00:00Z"';

/**
 * An instant in JSON: ISO 8601 with seconds and `Z` or an offset (`2026-12-24T18:00:00-08:00`), a
 * real calendar date (no February 30). A local time without an offset is refused: it would mean a
 * different instant on every server. The value is normalised to UTC (`2026-12-25T02:00:00.000Z`),
 * so stored instants compare correctly as strings too.
 *
 * @example
 * instantSchema.parse('2026-12-24T18:00:00-08:00'); // → '2026-12-25T02:00:00.000Z'
 * instantSchema.safeParse('2026-12-24T18:00:00').success; // → false
 */
export const instantSchema = z
  .iso.datetime({ offset: true, error: (issue) => (issue.input == null ? undefined : INSTANT_MESSAGE) })
  // The format check above has already refused what Date.parse would guess at; leave such input as is.
  .overwrite((text) => {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? text : new Date(ms).toISOString();
  });

const GIG_TIME_MESSAGE = 'must be a date and time, like "2026-12-24T18:00" (the time where the gig is) or "2026-12-24T18:00:00Z" (an instant)';

/**
 * The start or end of a gig as a client may send it: an instant ({@link instantSchema}), or the wall
 * clock where the gig happens, without an offset (`2026-12-24T18:00`), which the server reads in
 * the time zone of the leed's location — what a form shows, whatever the zone of the browser.
 *
 * @example
 * gigTimeSchema.safeParse('2026-12-24T18:00').success; // → true (a wall time, read in the place's zone)
 */
export const gigTimeSchema = z.union([
  instantSchema.describe('an instant with Z or an offset, like "2027-01-10T00:00:00Z"'),
  z.string().regex(WALL_TIME_PATTERN).describe('the wall clock where the gig happens, without an offset, like "2026-12-24T18:00"; read in the time zone of the location'),
]);

/** What validation applies to a start or end once a wall time is resolved to an instant. */
const resolvedGigTimeSchema = z
  .iso.datetime({ offset: true, error: (issue) => (issue.input == null ? undefined : GIG_TIME_MESSAGE) })
  .overwrite((text) => {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? text : new Date(ms).toISOString();
  });

const titleSchema = z
  .string()
  .max(TITLE_MAX_LENGTH, `must be at most ${TITLE_MAX_LENGTH} characters`)
  .refine((text) => !hasControlCharacters(text), CONTROL_MESSAGE);

const longTextSchema = z
  .string()
  .max(TEXT_MAX_LENGTH, `must be at most ${TEXT_MAX_LENGTH.toLocaleString('en-US')} characters`)
  .refine((text) => !hasControlCharacters(text, { lines: true }), CONTROL_MESSAGE);

// The address is put on one line first (its line breaks and tabs become spaces); what is left is refused.
const locationSchema = streetAddressSchema.refine((text) => !hasControlCharacters(text), CONTROL_MESSAGE);

const PRICE_MESSAGE = 'must be 0 (free) or 100 to 10,000 cents ($1 to $100)';

/**
 * A price in integer cents: 0 (free) or 100–10,000.
 *
 * @example
 * priceSchema.safeParse(99).success; // → false
 */
export const priceSchema = z
  .int({ error: (issue) => (issue.input == null ? undefined : 'must be a whole number of cents') })
  .min(0, PRICE_MESSAGE)
  .max(MAX_PRICE_CENTS, PRICE_MESSAGE)
  .refine((cents) => cents === 0 || cents >= MIN_PAID_PRICE_CENTS, PRICE_MESSAGE)
  .describe('cents: 0 (free), or 100 to 10,000 ($1 to $100); the platform keeps 9% of a sale');

/**
 * A client's email address.
 *
 * @example
 * clientEmailSchema.safeParse('pat@example.com').success; // → true
 */
export const clientEmailSchema = z.email({ error: 'must be a valid email address' }).max(254, 'must be at most 254 characters');

/**
 * A client's phone: 10 digits. Common ways of writing one are accepted and reduced to the digits:
 * `(555) 123-4567`, `555.123.4567`, `+1 555 123 4567`.
 *
 * @example
 * clientPhoneSchema.parse('(555) 123-4567'); // → '5551234567'
 */
export const clientPhoneSchema = z
  .string()
  .overwrite(phoneDigits)
  .regex(/^\d{10}$/, 'must be a 10-digit phone number, like "(555) 123-4567"')
  .describe('10 digits; common formatting such as "(555) 123-4567" or "+1 555 123 4567" is accepted and stored as digits');

// Only punctuation people write in phone numbers is dropped; a letter or an extension ("x12") makes
// the whole value fail rather than lose information silently.
function phoneDigits(text: string): string {
  if (!/^\+?[\d\s().-]+$/.test(text)) return text;
  const digits = text.replace(/\D/g, '');
  // A leading US country code: "+1 555 123 4567", "1-555-123-4567".
  return digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
}

// ── the leed ─────────────────────────────────────────────────────────────────────────────────────

/**
 * A stored leed. Empty optional fields are `null` (never `""`); instants are canonical UTC strings.
 *
 * @example
 * const leed: Leed = leedSchema.parse(row);
 */
export const leedSchema = z.object({
  id: z.string().min(1),
  trade: tradeNameSchema,
  title: titleSchema,
  /** The creator's username. */
  creator: z.string().min(1),
  location: z.string(),
  zip: zipSchema,
  /** The centre of its zip (never the address: a radius search must not locate it); used for radius searches. */
  point: geoPointSchema,
  /** What "the same place" means for conflicts (see conflict.ts). */
  placeKey: z.string(),
  start: instantSchema,
  end: instantSchema,
  /** IANA zone of the location, for showing times to people. */
  timeZone: z.string(),
  clientEmail: z.string().nullable(),
  clientPhone: z.string().nullable(),
  details: z.string().nullable(),
  requirements: z.string().nullable(),
  price: z.int().min(0),
  visibility: visibilitySchema,
  postedAt: instantSchema,
  status: leedStatusSchema,
  /** The buyer's username, once sold. */
  buyer: z.string().nullable(),
  soldAt: instantSchema.nullable(),
});

/** A stored leed. */
export type Leed = z.infer<typeof leedSchema>;

/**
 * The body of `POST /api/leedz`. Blank strings count as absent; `price` defaults to 0 (free).
 * This documents the shape; {@link validateNewLeed} applies it together with the rules between fields.
 *
 * @example
 * newLeedInputSchema.shape.title; // the title's own schema
 */
export const newLeedInputSchema = z.strictObject({
  trade: tradeNameSchema,
  title: titleSchema,
  location: locationSchema,
  start: gigTimeSchema,
  end: gigTimeSchema,
  // Nullish like every optional field: the body's blank strings arrive as null (bodyOf).
  price: priceSchema.nullish(),
  clientEmail: clientEmailSchema.nullish(),
  clientPhone: clientPhoneSchema.nullish(),
  details: longTextSchema.nullish(),
  requirements: longTextSchema.nullish(),
  visibility: visibilityInputSchema.nullish(),
});

/** The body of `POST /api/leedz`, as sent. */
export type NewLeedInput = z.input<typeof newLeedInputSchema>;

/** {@link newLeedInputSchema} as validation applies it: wall times already read in the place's zone. */
const newLeedResolvedSchema = newLeedInputSchema.extend({ start: resolvedGigTimeSchema, end: resolvedGigTimeSchema });

/**
 * A validated new leed: what the client decides. The server adds the rest of a {@link Leed}
 * (`id`, `creator`, `point`, `placeKey`, `timeZone`, `postedAt`, `status`, `buyer`, `soldAt`).
 */
export type NewLeed = Pick<Leed, 'trade' | 'title' | 'location' | 'zip' | 'start' | 'end' | 'price' | HideableField | 'visibility'>;

/** Where a new leed is, as the geocoder found it from its location. */
export type LeedPlace = Pick<Leed, 'zip' | 'point' | 'placeKey' | 'timeZone'>;

/**
 * The stored form of a new leed: what the client decided, where the geocoder put it, and what the
 * server adds (active, unsold, posted now).
 *
 * @example
 * const leed = activeLeed(validated, { id: 'l_abc', creator: 'pat', place, postedAt: new Date() });
 */
export function activeLeed(input: NewLeed, facts: { id: string; creator: string; place: LeedPlace; postedAt: Date }): Leed {
  const { place } = facts;
  return {
    ...input,
    id: facts.id,
    creator: facts.creator,
    zip: place.zip,
    point: place.point,
    placeKey: place.placeKey,
    timeZone: place.timeZone,
    postedAt: facts.postedAt.toISOString(),
    status: 'active',
    buyer: null,
    soldAt: null,
  };
}

/**
 * The body of `PATCH /api/leedz/{trade}/{id}`: any editable field; `null` (or a blank string) clears
 * an optional one: `price` to 0 (free, its value when absent), and `visibility` changes nothing (the
 * fields it does not name keep theirs). The trade is part of the leed's address and cannot change.
 *
 * @example
 * leedPatchInputSchema.parse({ price: 500 });
 */
export const leedPatchInputSchema = newLeedInputSchema.omit({ trade: true }).partial();

const leedPatchResolvedSchema = newLeedResolvedSchema.omit({ trade: true }).partial();

/** The body of `PATCH /api/leedz/{trade}/{id}`, as sent. */
export type LeedPatchInput = z.input<typeof leedPatchInputSchema>;

/**
 * The validated changes of an edit, normalised, to apply with `{...leed, ...changes}`. `zip` comes
 * with `location`; `visibility` comes, complete, whenever it differs from the current one (set by
 * the edit, or following a field that was emptied or filled). The
 * presence of `location`, `start` or `end` tells the caller to re-geocode and re-check conflicts.
 */
export type LeedChanges = Partial<Pick<Leed, 'title' | 'location' | 'zip' | 'start' | 'end' | 'price' | HideableField | 'visibility'>>;

// ── validation ───────────────────────────────────────────────────────────────────────────────────

/**
 * Validates the body of a new leed against every rule, and normalises it (UTC instants, phone digits,
 * trimmed text, `null` for empty fields, zip taken from the location, visibility completed from the
 * defaults). A `start` or `end` sent as a wall time (`2026-12-24T18:00`) is read in `timeZone`, the
 * zone of the leed's place (the caller geocodes the location first). Never throws; a refusal names
 * each bad field once.
 *
 * @example
 * const result = validateNewLeed(
 *   { trade: 'dj', title: 'Wedding', location: '123 Main St, Springfield, IL 62701',
 *     start: '2026-12-24T18:00:00Z', end: '2026-12-24T22:00:00Z', price: 2500 },
 *   new Date('2026-12-01T00:00:00Z'),
 * );
 * if (result.ok) result.value.zip; // → '62701'
 */
export function validateNewLeed(input: unknown, now: Date, timeZone?: string): ValidationResult<NewLeed> {
  const { body, unzoned, skipped } = withWallTimesResolved(bodyOf(input), timeZone);
  const parsed = newLeedResolvedSchema.safeParse(body, { error: describeIssue });
  const fields = firstPerPath([
    ...unzoned,
    ...(parsed.success ? [] : fieldErrorsOf(parsed.error, (key, parent) => unknownKeyMessage(key, parent, 'cannot be set', Object.keys(newLeedInputSchema.shape)))),
    ...explainSkipped(scheduleErrors(body.start, body.end, now, { startChanged: true, endChanged: true }), skipped),
    ...hiddenEmptyErrors(body, (field) => isEmpty(body[field])),
  ]);
  if (!parsed.success || fields.length > 0) return { ok: false, fields };

  const data = parsed.data;
  const zip = zipOfAddress(data.location);
  // The schema guarantees a zip; this keeps the types honest without an assertion.
  if (zip === undefined) return { ok: false, fields: [{ path: 'location', message: 'must end with the 5-digit zip' }] };
  const texts = {
    location: data.location,
    clientEmail: data.clientEmail ?? null,
    clientPhone: data.clientPhone ?? null,
    details: data.details ?? null,
    requirements: data.requirements ?? null,
  };
  const visibility = resolveVisibility(texts, (field) => data.visibility?.[field] ?? DEFAULT_VISIBILITY[field]);
  return {
    ok: true,
    value: { trade: data.trade, title: data.title, zip, start: data.start, end: data.end, price: data.price ?? 0, ...texts, visibility },
  };
}

/**
 * Validates an edit of `current` and returns the normalised changes. The same per-field rules as a
 * new leed; the rules between fields apply to the leed as it will be after the edit (an edit of only
 * `end` must still leave 1–12 h after the current start). A new start must be in the future. A field
 * that was empty and is now filled takes its default visibility unless the edit says otherwise, so
 * adding a phone number never publishes it by surprise. Wall times are read in `timeZone`: the zone
 * of the new location when the edit moves the leed, else the leed's own. Never throws.
 *
 * @example
 * validateLeedPatch({ end: '2026-12-24T23:00:00Z' }, leed, new Date());
 * // → { ok: true, value: { end: '2026-12-24T23:00:00.000Z' } }
 */
export function validateLeedPatch(
  input: unknown,
  current: Pick<Leed, 'start' | 'end' | HideableField | 'visibility'>,
  now: Date,
  timeZone?: string,
): ValidationResult<LeedChanges> {
  const notAnObject = changeBodyErrors(input, '{"price": 2500}');
  if (notAnObject.length > 0) return { ok: false, fields: notAnObject };
  const { body, unzoned, skipped } = withWallTimesResolved(bodyOf(input), timeZone);
  const has = (key: string): boolean => Object.hasOwn(body, key);
  const parsed = leedPatchResolvedSchema.safeParse(body, { error: describeIssue });
  const fields = firstPerPath([
    ...unzoned,
    ...(parsed.success ? [] : fieldErrorsOf(parsed.error, (key, parent) => unknownKeyMessage(key, parent, 'cannot be changed', Object.keys(leedPatchInputSchema.shape)))),
    ...explainSkipped(
      scheduleErrors(has('start') ? body.start : current.start, has('end') ? body.end : current.end, now, {
        startChanged: has('start'),
        endChanged: has('end'),
      }),
      skipped,
    ),
    ...hiddenEmptyErrors(body, (field) => (has(field) ? isEmpty(body[field]) : current[field] === null)),
  ]);
  if (!parsed.success || fields.length > 0) return { ok: false, fields };

  const data = parsed.data;
  const changes: LeedChanges = {};
  if (data.title !== undefined) changes.title = data.title;
  if (data.start !== undefined) changes.start = data.start;
  if (data.end !== undefined) changes.end = data.end;
  if (has('price')) changes.price = data.price ?? 0;
  if (data.location !== undefined) {
    const zip = zipOfAddress(data.location);
    if (zip === undefined) return { ok: false, fields: [{ path: 'location', message: 'must end with the 5-digit zip' }] };
    changes.location = data.location;
    changes.zip = zip;
  }
  for (const field of OPTIONAL_HIDEABLE_FIELDS) if (has(field)) changes[field] = data[field] ?? null;

  const visibility = resolveVisibility({ ...current, ...changes }, (field) => {
    const wasEmpty = current[field] === null;
    return data.visibility?.[field] ?? (wasEmpty ? DEFAULT_VISIBILITY[field] : current.visibility[field]);
  });
  if (HIDEABLE_FIELDS.some((field) => visibility[field] !== current.visibility[field])) changes.visibility = visibility;
  return { ok: true, value: changes };
}

// ── rules between fields ─────────────────────────────────────────────────────────────────────────

/**
 * The body with a wall-time `start` or `end` turned into the instant it names in `timeZone` (a date
 * that does not exist stays as sent, and its schema refuses it). Without a zone a wall time names no
 * instant: `unzoned` says so for each.
 */
function withWallTimesResolved(
  body: Record<string, unknown>,
  timeZone: string | undefined,
): { body: Record<string, unknown>; unzoned: FieldError[]; skipped: Partial<Record<'start' | 'end', string>> } {
  const unzoned: FieldError[] = [];
  const skipped: Partial<Record<'start' | 'end', string>> = {};
  for (const key of ['start', 'end'] as const) {
    const value = body[key];
    if (!isWallTime(value)) continue;
    if (timeZone === undefined) {
      unzoned.push({ path: key, message: 'is a time without a zone: it is read where the gig is, so the location must be a street address that can be found' });
      continue;
    }
    const resolved = resolveWallTime(value, timeZone);
    if (resolved === undefined) continue;
    body[key] = resolved.instant;
    if (resolved.skipped) {
      const { clock, date } = formatWallTime(value);
      skipped[key] = `${key} ${clock} does not happen on ${date} where the gig is (the clocks jump an hour forward that night), so it reads as ${formatClockInZone(resolved.instant, timeZone)}`;
    }
  }
  return { body, unzoned, skipped };
}

/** A schedule refusal of a time the clocks skip says so: "must be 1 to 12 hours after start" alone would puzzle whoever typed 1.5 hours. */
function explainSkipped(fields: FieldError[], skipped: Partial<Record<'start' | 'end', string>>): FieldError[] {
  const why = [skipped.start, skipped.end].filter((note) => note !== undefined);
  if (why.length === 0) return fields;
  return fields.map((field) => (field.path === 'start' || field.path === 'end' ? { ...field, message: `${field.message}; ${why.join('; ')}` } : field));
}

const OPTIONAL_HIDEABLE_FIELDS = ['clientEmail', 'clientPhone', 'details', 'requirements'] as const;

// Keys of a stored leed that a client may not write get a message that says so, rather than
// "unknown" (a client that sends `status` or `zip` knows the field exists).
const SERVER_KEYS = new Set(Object.keys(leedSchema.shape));

/** The message for a key a leed's input does not take; `known`: the keys it does (a create's or an edit's). */
function unknownKeyMessage(key: string, parent: readonly PropertyKey[], serverKeyMessage: string, known: readonly string[]): string {
  if (parent.length > 0) return withLikelyKey('is not a field that can be hidden', key, HIDEABLE_FIELDS);
  return SERVER_KEYS.has(key) ? serverKeyMessage : withLikelyKey('is not a field of a leed', key, known);
}

/**
 * Duration and "in the future", checked only when start and end are each valid (otherwise their own
 * messages already name them). The past is reported on `start`; a bad duration on `end`, the field
 * people adjust, unless an edit moved only the start (then on `start`, the field that was sent).
 */
function scheduleErrors(
  start: unknown,
  end: unknown,
  now: Date,
  changed: { startChanged: boolean; endChanged: boolean },
): FieldError[] {
  const startParsed = instantSchema.safeParse(start);
  const endParsed = instantSchema.safeParse(end);
  if (!startParsed.success || !endParsed.success) return [];
  const startMs = Date.parse(startParsed.data);
  const duration = Date.parse(endParsed.data) - startMs;
  const fields: FieldError[] = [];
  if (changed.startChanged && startMs <= now.getTime()) fields.push({ path: 'start', message: 'must be in the future' });
  else if (changed.startChanged && startMs > now.getTime() + BOOKING_HORIZON_DAYS * 86_400_000) {
    fields.push({ path: 'start', message: `must be within ${BOOKING_HORIZON_DAYS / 365} years from now` });
  }
  if ((changed.startChanged || changed.endChanged) && (duration < MIN_DURATION_MS || duration > MAX_DURATION_MS)) {
    // 11 PM to 1 AM typed on one date: the end is the next day's, which the bare rule does not say.
    const overnight = duration < 0 && duration + DAY_MS >= MIN_DURATION_MS && duration + DAY_MS <= MAX_DURATION_MS;
    fields.push(
      changed.endChanged
        ? { path: 'end', message: overnight ? 'must be 1 to 12 hours after start: an end past midnight is on the next day' : 'must be 1 to 12 hours after start' }
        : { path: 'start', message: 'must be 1 to 12 hours before end' },
    );
  }
  return fields;
}

/** An explicit request to hide a field that is (or will be) empty: there would be nothing to buy. */
function hiddenEmptyErrors(body: Record<string, unknown>, isEmptyAfter: (field: HideableField) => boolean): FieldError[] {
  const requested = visibilityInputSchema.safeParse(body.visibility);
  if (!requested.success || requested.data === undefined) return [];
  return HIDEABLE_FIELDS.filter((field) => requested.data?.[field] === 'hidden' && isEmptyAfter(field)).map((field) => ({
    path: `visibility.${field}`,
    // The path names the field; the message reads after its label ("Client email cannot be hidden…").
    message: 'cannot be hidden while it is empty: there would be nothing to buy',
  }));
}

/** A field that is empty is shown (as empty): a "Buy to show" over nothing would mislead the buyer. */
function resolveVisibility(
  texts: Pick<Leed, HideableField>,
  wanted: (field: HideableField) => FieldVisibility,
): Visibility {
  const visibility = { ...DEFAULT_VISIBILITY };
  for (const field of HIDEABLE_FIELDS) visibility[field] = texts[field] === null ? 'shown' : wanted(field);
  return visibility;
}

// bodyOf has already turned blank strings into null.
function isEmpty(value: unknown): boolean {
  return value === undefined || value === null;
}
