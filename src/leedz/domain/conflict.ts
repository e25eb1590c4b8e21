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
 * gives a precise point and nothing is known of the address's zip (see {@link zipPlaceKey}).
 *
 * @example
 * normalizePlaceKey('123 Main Street, Springfield, IL 62701'); // → '123 main st springfield il 62701'
 * normalizePlaceKey('123 main st springfield il 62701');       // → '123 main st springfield il 62701'
 */
export function normalizePlaceKey(address: string): string {
  return placeWords(address).join(' ');
}

/** What an address's zip already says: the town and the state its data names. */
export interface ZipArea {
  zip: string;
  /** The town, as the zip's data names it: "Springfield", "Saint Louis". */
  town: string;
  /** The two-letter code: "IL", "DC", "PR". */
  state: string;
  /** The state's name, where the data has one: "Illinois". */
  stateName?: string;
}

/**
 * The words the abbreviations give (street types, units, directionals). A state's code that is one
 * of them may be a word of the street: "NE" (northeast, or Nebraska), "CT" (court), "FL" (floor).
 */
const STREET_WORDS: ReadonlySet<string> = new Set(ABBREVIATIONS.values());

/** Town words spelled both ways: "St. Louis" is the data's "Saint Louis". */
const TOWN_WORDS: ReadonlyMap<string, string> = new Map([
  ['saint', 'st'],
  ['sainte', 'ste'],
  ['fort', 'ft'],
]);

/**
 * The key of an address whose zip is known: the normalised street (house number, street, unit) and
 * the zip, without the town and the state when they are the zip's own, since the zip names them
 * already. People write one address with the town, without it, with the state's code or its name;
 * all are one place, so none of them double-books it.
 *
 * The state alone (no town before it) is left out only when it cannot be a word of the street: in
 * "123 Main St NE 68102", "NE" is northeast, not Nebraska. A town the zip's data does not name
 * ("Hollywood" where the data says "Los Angeles") stays in the key, as does a state that is not the
 * zip's: a key that keeps a word too many can miss a double booking, one that drops a word of the
 * street could refuse a gig at the house next door.
 *
 * @example
 * const area = { zip: '62701', town: 'Springfield', state: 'IL', stateName: 'Illinois' };
 * zipPlaceKey('123 Main Street, Springfield, Illinois 62701', area); // → '123 main st 62701'
 * zipPlaceKey('123 main st 62701', area);                            // → '123 main st 62701'
 */
export function zipPlaceKey(address: string, area: ZipArea): string {
  const words = placeWords(address);
  // ZIP+4 ("62701-1234") is the zip and its four digits: the zip names the place.
  if (words.length > 2 && words.at(-2) === area.zip && /^\d{4}$/.test(words.at(-1)!)) words.pop();
  if (words.at(-1) === area.zip) words.pop();
  const town = placeWords(area.town).map(townWord);
  const stateCode = area.state.toLowerCase();
  const stateName = area.stateName === undefined ? [] : placeWords(area.stateName);
  /** How many of the last words (before `skip` more) are `tail`; 0 unless at least one word of the street stays. */
  const endsWith = (tail: readonly string[], skip = 0, same = (a: string, b: string) => a === b): number => {
    const from = words.length - skip - tail.length;
    return tail.length > 0 && from >= 1 && tail.every((word, i) => same(words[from + i]!, word)) ? tail.length : 0;
  };
  const sameTownWord = (word: string, townWordOfData: string) => townWord(word) === townWordOfData;

  const byName = endsWith(stateName);
  const state = byName || endsWith([stateCode]);
  const townBeforeState = state === 0 ? 0 : endsWith(town, state, sameTownWord);
  if (townBeforeState > 0) {
    words.length -= state + townBeforeState;
  } else if (state > 0 && (byName > 0 || !STREET_WORDS.has(stateCode))) {
    words.length -= state;
  } else {
    words.length -= endsWith(town, 0, sameTownWord);
  }
  return [...words, area.zip].join(' ');
}

/** An address's words, lower case, without punctuation, with the USPS abbreviations applied. */
function placeWords(address: string): string[] {
  const words = address
    .toLowerCase()
    // Dots and apostrophes join what they separate ("N.W." → "nw", "O'Hare" → "ohare");
    // any other punctuation separates words ("Suite #4" → "suite 4").
    .replace(/[.'’]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== '');
  return words.map((word) => ABBREVIATIONS.get(word) ?? word);
}

function townWord(word: string): string {
  return TOWN_WORDS.get(word) ?? word;
}
