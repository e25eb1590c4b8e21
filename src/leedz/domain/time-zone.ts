/**
 * Time zones for people: a leed's start and end are UTC instants, but an email must say when the gig
 * is where it happens.
 */

/**
 * The IANA zone of each state and DC. Where a state spans two zones, the zone of most of its
 * people is chosen (the geocoder's exact zone, when it has one, should win over this table):
 * AK Anchorage (not the Aleutians' Adak), FL Eastern (not the western panhandle), ID Mountain
 * (not the northern panhandle), IN Eastern (not the NW and SW corners), KS, NE, ND, SD and TX
 * Central (not their western parts or El Paso), KY Eastern (Louisville and Lexington), MI Eastern
 * (not four Upper Peninsula counties), NV and OR Pacific (not West Wendover or Malheur county),
 * TN Central (Nashville and Memphis outnumber Knoxville and Chattanooga). AZ has no DST (but the
 * Navajo Nation does); HI has none either.
 */
const STATE_TIME_ZONES = {
  AL: 'America/Chicago',
  AK: 'America/Anchorage',
  AZ: 'America/Phoenix',
  AR: 'America/Chicago',
  CA: 'America/Los_Angeles',
  CO: 'America/Denver',
  CT: 'America/New_York',
  DE: 'America/New_York',
  DC: 'America/New_York',
  FL: 'America/New_York',
  GA: 'America/New_York',
  HI: 'Pacific/Honolulu',
  ID: 'America/Boise',
  IL: 'America/Chicago',
  IN: 'America/Indiana/Indianapolis',
  IA: 'America/Chicago',
  KS: 'America/Chicago',
  KY: 'America/New_York',
  LA: 'America/Chicago',
  ME: 'America/New_York',
  MD: 'America/New_York',
  MA: 'America/New_York',
  MI: 'America/Detroit',
  MN: 'America/Chicago',
  MS: 'America/Chicago',
  MO: 'America/Chicago',
  MT: 'America/Denver',
  NE: 'America/Chicago',
  NV: 'America/Los_Angeles',
  NH: 'America/New_York',
  NJ: 'America/New_York',
  NM: 'America/Denver',
  NY: 'America/New_York',
  NC: 'America/New_York',
  ND: 'America/Chicago',
  OH: 'America/New_York',
  OK: 'America/Chicago',
  OR: 'America/Los_Angeles',
  PA: 'America/New_York',
  RI: 'America/New_York',
  SC: 'America/New_York',
  SD: 'America/Chicago',
  TN: 'America/Chicago',
  TX: 'America/Chicago',
  UT: 'America/Denver',
  VT: 'America/New_York',
  VA: 'America/New_York',
  WA: 'America/Los_Angeles',
  WV: 'America/New_York',
  WI: 'America/Chicago',
  WY: 'America/Denver',
} as const;

/** A two-letter code of one of the 50 states or DC. */
export type UsStateCode = keyof typeof STATE_TIME_ZONES;

/**
 * The IANA time zone of a US state (two-letter code, any case), or `undefined` for anything else.
 *
 * @example
 * timeZoneForState('ca'); // → 'America/Los_Angeles'
 * timeZoneForState('TX'); // → 'America/Chicago' (El Paso is Mountain: see the table's comment)
 * timeZoneForState('ZZ'); // → undefined
 */
export function timeZoneForState(stateCode: string): string | undefined {
  const code = stateCode.trim().toUpperCase();
  // hasOwn: "constructor" or "toString" must not find Object.prototype's members.
  return Object.hasOwn(STATE_TIME_ZONES, code) ? STATE_TIME_ZONES[code as UsStateCode] : undefined;
}

/**
 * The inhabited US territories, which have zips (and vendors) but are not states. Military (`AA`,
 * `AE`, `AP`) and Freely Associated State codes have no place a gig could be, and stay unknown.
 */
const TERRITORY_TIME_ZONES: Readonly<Record<string, string>> = {
  PR: 'America/Puerto_Rico',
  VI: 'America/St_Thomas',
  GU: 'Pacific/Guam',
  MP: 'Pacific/Saipan',
  AS: 'Pacific/Pago_Pago',
};

/**
 * {@link timeZoneForState}, and the inhabited territories too: what a geocoder needs for any US place.
 *
 * @example
 * timeZoneForStateOrTerritory('pr'); // → 'America/Puerto_Rico'
 */
export function timeZoneForStateOrTerritory(code: string): string | undefined {
  const upper = code.trim().toUpperCase();
  return timeZoneForState(upper) ?? (Object.hasOwn(TERRITORY_TIME_ZONES, upper) ? TERRITORY_TIME_ZONES[upper] : undefined);
}

const EMAIL_DATE_TIME: Intl.DateTimeFormatOptions = {
  weekday: 'short',
  month: 'short',
  day: 'numeric',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZoneName: 'short',
};

/**
 * An instant as people read it in `timeZone`, for emails: `Thu, Dec 24, 2026, 6:00 PM PST`.
 * Throws a RangeError for an invalid instant or an unknown zone (both are bugs upstream: stored
 * leedz hold valid ones).
 *
 * @example
 * formatInZone('2026-12-25T02:00:00Z', 'America/Los_Angeles'); // → 'Thu, Dec 24, 2026, 6:00 PM PST'
 */
export function formatInZone(instant: string | Date, timeZone: string): string {
  const text = emailFormatter(timeZone).format(new Date(instant));
  // Some ICU versions put a narrow no-break space (U+202F) or a thin space before "PM"; plain-text
  // mail clients render those badly, and the result should not depend on Node's ICU.
  return text.replace(/[\u202f\u2009\u00a0]/g, ' ');
}

/**
 * One formatter per zone: building an `Intl.DateTimeFormat` costs far more than formatting with it,
 * and a fan-out formats the same leed's times once per recipient. There are a few hundred zones.
 */
const emailFormatters = new Map<string, Intl.DateTimeFormat>();

function emailFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = emailFormatters.get(timeZone);
  if (formatter === undefined) {
    // Throws RangeError for an unknown zone, before anything is cached.
    formatter = new Intl.DateTimeFormat('en-US', { ...EMAIL_DATE_TIME, timeZone });
    emailFormatters.set(timeZone, formatter);
  }
  return formatter;
}

// ── wall-clock times where the gig happens ──────────────────────────────────────────────────────

/**
 * A local date and time without an offset, as a form's `<input type="datetime-local">` gives it:
 * `2027-01-09T18:00` (seconds allowed, `2027-01-09T18:00:00`). It names an instant only together with
 * a time zone: for a leed, the zone of its place.
 */
export const WALL_TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Whether `text` is a {@link WALL_TIME_PATTERN} wall time (no `Z`, no offset).
 *
 * @example
 * isWallTime('2027-01-09T18:00');  // → true
 * isWallTime('2027-01-09T18:00Z'); // → false
 */
export function isWallTime(text: unknown): text is string {
  return typeof text === 'string' && WALL_TIME_PATTERN.test(text);
}

/** One formatter per zone for the wall-clock fields of an instant (24-hour, two digits). */
const wallFormatters = new Map<string, Intl.DateTimeFormat>();

function wallFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = wallFormatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall clock in `timeZone` at `ms`, as the epoch milliseconds of the same fields read as UTC. */
function wallFieldsAsUtc(ms: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of wallFormatter(timeZone).formatToParts(new Date(ms))) if (part.type !== 'literal') fields[part.type] = Number(part.value);
  return Date.UTC(fields.year ?? 0, (fields.month ?? 1) - 1, fields.day ?? 1, (fields.hour ?? 0) % 24, fields.minute ?? 0, fields.second ?? 0);
}

const DAY_MS = 86_400_000;

/** How far the wall clock in `timeZone` is ahead of UTC at `ms`, in milliseconds. */
function offsetAt(ms: number, timeZone: string): number {
  return wallFieldsAsUtc(ms, timeZone) - ms;
}

/** A zone's offset over one UTC day, by `zone|day`: the offset, or null on a day its clocks change. */
const dayOffsets = new Map<string, number | null>();
const DAY_OFFSETS_KEPT = 10_000;

/**
 * The date the wall clock shows in `timeZone` at an instant (`YYYY-MM-DD`): a gig's own day, for
 * counting a month's leedz by day. Exact, and cheap over many instants: the zone's offset is read at
 * the start and the end of the instant's UTC day, and where the two agree it holds all day (clocks
 * change at most once a day); on a day they change, the instant is read on its own.
 *
 * @example
 * localDateOf('2027-01-10T03:00:00Z', 'America/Chicago'); // → '2027-01-09'
 */
export function localDateOf(instant: string | Date, timeZone: string): string {
  const ms = new Date(instant).getTime();
  const day = Math.floor(ms / DAY_MS);
  const key = `${timeZone}|${day}`;
  let offset = dayOffsets.get(key);
  if (offset === undefined) {
    const atStart = offsetAt(day * DAY_MS, timeZone);
    const atEnd = offsetAt((day + 1) * DAY_MS, timeZone);
    offset = atStart === atEnd ? atStart : null;
    if (dayOffsets.size >= DAY_OFFSETS_KEPT) dayOffsets.clear();
    dayOffsets.set(key, offset);
  }
  return new Date(offset === null ? wallFieldsAsUtc(ms, timeZone) : ms + offset).toISOString().slice(0, 10);
}

/**
 * An instant as the wall clock reads it in `timeZone`, to the minute: what a form shows for it.
 *
 * @example
 * wallTimeOf('2027-01-10T00:00:00Z', 'America/Chicago'); // → '2027-01-09T18:00'
 */
export function wallTimeOf(instant: string | Date, timeZone: string): string {
  const ms = new Date(instant).getTime();
  return new Date(wallFieldsAsUtc(ms, timeZone)).toISOString().slice(0, 16);
}

/**
 * The instant at which the wall clock in `timeZone` reads `wallTime`, or undefined when `wallTime` is
 * not a real date and time. Where the clock is set back (a time that happens twice), the earlier
 * instant; where it jumps forward (a time that never happens), the time as if the clock had not
 * jumped yet, which is as much later as the jump (2:30 on the spring-forward night is 3:30) — the
 * rule of RFC 5545 §3.3.5 and of JavaScript's Temporal ("compatible").
 *
 * @example
 * instantOfWallTime('2027-01-09T18:00', 'America/Chicago'); // → '2027-01-10T00:00:00.000Z'
 * instantOfWallTime('2027-02-30T18:00', 'America/Chicago'); // → undefined
 */
export function instantOfWallTime(wallTime: string, timeZone: string): string | undefined {
  return resolveWallTime(wallTime, timeZone)?.instant;
}

/**
 * {@link instantOfWallTime}, and whether `wallTime` never happens in `timeZone` (`skipped`): it falls
 * in the hour the clocks skip when they spring forward (2:30 AM on that night in Chicago), and is read
 * as that much later; a refusal that the reading causes (a gig now too short) can say why. Undefined
 * when `wallTime` is not a real date and time.
 *
 * @example
 * resolveWallTime('2027-03-14T02:30', 'America/Chicago'); // → { instant: '2027-03-14T08:30:00.000Z', skipped: true }
 */
export function resolveWallTime(wallTime: string, timeZone: string): { instant: string; skipped: boolean } | undefined {
  const match = WALL_TIME_PATTERN.exec(wallTime);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(asUtc);
  // Date.UTC rolls February 30 over into March: a date that does not exist is refused, not moved.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  // The zone's offsets a day either side: a wall time has at most these two readings.
  const offsetBefore = offsetAt(asUtc - DAY_MS, timeZone);
  const offsetAfter = offsetAt(asUtc + DAY_MS, timeZone);
  const candidates = [...new Set([asUtc - offsetBefore, asUtc - offsetAfter])].sort((a, b) => a - b);
  const exact = candidates.find((ms) => wallFieldsAsUtc(ms, timeZone) === asUtc);
  return { instant: new Date(exact ?? asUtc - offsetBefore).toISOString(), skipped: exact === undefined };
}

const GIG_DATE: Intl.DateTimeFormatOptions = { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' };
const GIG_TIME: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: '2-digit' };
const GIG_ZONE: Intl.DateTimeFormatOptions = { hour: 'numeric', timeZoneName: 'short' };
const gigFormatters = new Map<string, Intl.DateTimeFormat>();

function gigFormat(kind: 'date' | 'time' | 'zone', timeZone: string, instant: string | Date): string {
  const key = `${kind} ${timeZone}`;
  let formatter = gigFormatters.get(key);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', { ...(kind === 'date' ? GIG_DATE : kind === 'time' ? GIG_TIME : GIG_ZONE), timeZone });
    gigFormatters.set(key, formatter);
  }
  if (kind === 'zone') return formatter.formatToParts(new Date(instant)).find((part) => part.type === 'timeZoneName')?.value ?? timeZone;
  return formatter.format(new Date(instant)).replace(/[\u202f\u2009\u00a0]/g, ' ');
}

/**
 * A wall time as people read it, without a zone (it may name no instant at all: a skipped hour):
 * its clock and its date, worded as {@link formatGigTime} words them.
 *
 * @example
 * formatWallTime('2027-03-14T02:30'); // → { clock: '2:30 AM', date: 'Sun, Mar 14, 2027' }
 */
export function formatWallTime(wallTime: string): { clock: string; date: string } {
  // The wall fields read as UTC and formatted in UTC come back as they were written.
  const asUtc = `${wallTime}Z`;
  return { clock: gigFormat('time', 'UTC', asUtc), date: gigFormat('date', 'UTC', asUtc) };
}

/**
 * The time of day in `timeZone`, with the zone's short name: `6:00 PM CST`.
 *
 * @example
 * formatClockInZone('2027-01-10T00:00:00Z', 'America/Chicago'); // → '6:00 PM CST'
 */
export function formatClockInZone(instant: string | Date, timeZone: string): string {
  return `${gigFormat('time', timeZone, instant)} ${gigFormat('zone', timeZone, instant)}`;
}

/**
 * When a gig happens, as people read it where it happens: date, start and end, and the zone's short
 * name (both when a clock change falls inside the gig); the end's date too when it is another day.
 *
 * @example
 * formatGigTime('2027-01-10T00:00:00Z', '2027-01-10T05:00:00Z', 'America/Chicago'); // → 'Sat, Jan 9, 2027, 6:00 PM – 11:00 PM CST'
 * formatGigTime('2027-01-10T02:00:00Z', '2027-01-10T08:00:00Z', 'America/Chicago'); // → 'Sat, Jan 9, 2027, 8:00 PM – Sun, Jan 10, 2027, 2:00 AM CST'
 */
export function formatGigTime(start: string | Date, end: string | Date, timeZone: string): string {
  const startDate = gigFormat('date', timeZone, start);
  const endDate = gigFormat('date', timeZone, end);
  const startZone = gigFormat('zone', timeZone, start);
  const endZone = gigFormat('zone', timeZone, end);
  const from = `${startDate}, ${gigFormat('time', timeZone, start)}${startZone === endZone ? '' : ` ${startZone}`}`;
  const to = `${endDate === startDate ? '' : `${endDate}, `}${gigFormat('time', timeZone, end)} ${endZone}`;
  return `${from} – ${to}`;
}
