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
