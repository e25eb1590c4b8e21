/**
 * No double booking: a new leed conflicts with an existing one of the same trade, at the same place,
 * at an overlapping time. The store runs the check and the insert as one atomic step; this module
 * says what "same place" and "overlapping" mean.
 */
import type { Leed, LeedStatus } from './leed.js';

/** A span of time between two ISO 8601 instants; `end` is exclusive. */
export interface TimeSpan {
  start: string;
  end: string;
}

/**
 * Whether two spans overlap: `existing.start < candidate.end && existing.end > candidate.start`.
 * A gig that ends exactly when the other starts does not overlap it (back-to-back bookings are fine).
 *
 * @example
 * overlaps({ start: '2026-12-24T18:00:00Z', end: '2026-12-24T20:00:00Z' },
 *          { start: '2026-12-24T20:00:00Z', end: '2026-12-24T22:00:00Z' }); // → false
 */
export function overlaps(existing: TimeSpan, candidate: TimeSpan): boolean {
  // Compared as instants, not strings: "…T18:00:00Z" and "…T18:00:00.000Z" are the same moment.
  return Date.parse(existing.start) < Date.parse(candidate.end) && Date.parse(existing.end) > Date.parse(candidate.start);
}

/**
 * The statuses in which a leed still holds its time slot. A sold leed does (someone will do the gig);
 * a deleted or expired one no longer does.
 */
const BOOKED_STATUSES: ReadonlySet<LeedStatus> = new Set(['active', 'sold']);

/**
 * Whether `candidate` would double-book `existing`: same trade, same place key, overlapping time,
 * and `existing` still booked.
 *
 * @example
 * const clash = leedzAtThatPlace.some((existing) => isConflict(existing, candidate));
 */
export function isConflict(
  existing: Pick<Leed, 'trade' | 'placeKey' | 'start' | 'end' | 'status'>,
  candidate: Pick<Leed, 'trade' | 'placeKey' | 'start' | 'end'>,
): boolean {
  return (
    BOOKED_STATUSES.has(existing.status) &&
    existing.trade === candidate.trade &&
    existing.placeKey === candidate.placeKey &&
    overlaps(existing, candidate)
  );
}

/**
 * The 409 message for a conflict (worded as docs/marketplace.md, Conflicts, fixes it; clients may show
 * it as is).
 *
 * @example
 * conflictMessage('dj', '123 Main St, Springfield, IL 62701');
 * // → 'dj leed already exists for 123 Main St, Springfield, IL 62701 at this date and time'
 */
export function conflictMessage(trade: string, location: string): string {
  return `${trade} leed already exists for ${location} at this date and time`;
}

/**
 * The USPS standard abbreviations (Publication 28, appendices C1 and C2, and the directionals) of the
 * words people most often spell out. Both spellings map to the abbreviation, as do a few common
 * variants ("av", "blv", "str").
 */
const ABBREVIATIONS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    // street suffixes
    alley: 'aly', avenue: 'ave', av: 'ave', aven: 'ave', avenu: 'ave', boulevard: 'blvd', blv: 'blvd', boul: 'blvd',
    circle: 'cir', circ: 'cir', court: 'ct', cove: 'cv', crescent: 'cres', crossing: 'xing', drive: 'dr', drv: 'dr',
    expressway: 'expy', freeway: 'fwy', highway: 'hwy', hiway: 'hwy', lane: 'ln', parkway: 'pkwy', pky: 'pkwy',
    place: 'pl', plaza: 'plz', road: 'rd', square: 'sq', street: 'st', str: 'st', strt: 'st', terrace: 'ter',
    trail: 'trl', turnpike: 'tpke', center: 'ctr', centre: 'ctr', heights: 'hts', point: 'pt', ridge: 'rdg',
    mount: 'mt', mountain: 'mtn', junction: 'jct', station: 'sta', route: 'rte',
    // secondary units
    apartment: 'apt', suite: 'ste', building: 'bldg', floor: 'fl', room: 'rm', department: 'dept', unit: 'unit',
    // directionals
    north: 'n', south: 's', east: 'e', west: 'w', northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw',
  }),
);

/**
 * The key under which two spellings of one street address are the same place: case, spacing,
 * punctuation and the common USPS abbreviations are folded. Used as `placeKey` when no geocoder
 * gives a precise point.
 *
 * @example
 * normalizePlaceKey('123 Main Street, Springfield, IL 62701'); // → '123 main st springfield il 62701'
 * normalizePlaceKey('123 main st springfield il 62701');       // → '123 main st springfield il 62701'
 */
export function normalizePlaceKey(address: string): string {
  const words = address
    .toLowerCase()
    // Dots and apostrophes join what they separate ("N.W." → "nw", "O'Hare" → "ohare");
    // any other punctuation separates words ("Suite #4" → "suite 4").
    .replace(/[.'’]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
  return words.map((word) => ABBREVIATIONS.get(word) ?? word).join(' ');
}
