import { describe, expect, it } from 'vitest';
import { type TimeSpan, type ZipArea, conflictMessage, isConflict, normalizePlaceKey, overlaps, zipPlaceKey } from '../../../src/leedz/domain/conflict.js';
import type { Leed } from '../../../src/leedz/domain/leed.js';

/** A span on Dec 24, 2026 between two UTC hours. */
function span(startHour: number, endHour: number): TimeSpan {
  const at = (hour: number): string => new Date(Date.UTC(2026, 11, 24, hour)).toISOString();
  return { start: at(startHour), end: at(endHour) };
}

function booking(overrides: Partial<Pick<Leed, 'trade' | 'placeKey' | 'start' | 'end' | 'status'>> = {}) {
  return { trade: 'dj', placeKey: '123 main st springfield il 62701', ...span(18, 22), status: 'active' as const, ...overrides };
}

describe('overlaps', () => {
  it('treats back-to-back bookings as no overlap, in either order', () => {
    expect(overlaps(span(18, 20), span(20, 22))).toBe(false);
    expect(overlaps(span(20, 22), span(18, 20))).toBe(false);
  });

  it('finds partial, containing, contained and identical spans overlapping', () => {
    expect(overlaps(span(18, 20), span(19, 21))).toBe(true);
    expect(overlaps(span(19, 21), span(18, 20))).toBe(true);
    expect(overlaps(span(18, 23), span(19, 20))).toBe(true);
    expect(overlaps(span(19, 20), span(18, 23))).toBe(true);
    expect(overlaps(span(18, 20), span(18, 20))).toBe(true);
  });

  it('finds no overlap between separate spans', () => {
    expect(overlaps(span(10, 12), span(18, 20))).toBe(false);
  });

  it('compares instants, not their spelling', () => {
    expect(overlaps({ start: '2026-12-24T18:00:00Z', end: '2026-12-24T20:00:00Z' }, { start: '2026-12-24T11:59:59-08:00', end: '2026-12-24T23:00:00.000Z' })).toBe(
      true,
    );
    expect(overlaps({ start: '2026-12-24T18:00:00Z', end: '2026-12-24T20:00:00Z' }, { start: '2026-12-24T12:00:00-08:00', end: '2026-12-24T23:00:00Z' })).toBe(
      false,
    );
  });
});

describe('isConflict', () => {
  it('is a conflict for the same trade and place at an overlapping time', () => {
    expect(isConflict(booking(), booking(span(21, 23)))).toBe(true);
  });

  it('is no conflict for another trade, another place or a back-to-back time', () => {
    expect(isConflict(booking(), booking({ trade: 'magic' }))).toBe(false);
    expect(isConflict(booking(), booking({ placeKey: '125 main st springfield il 62701' }))).toBe(false);
    expect(isConflict(booking(), booking(span(22, 23)))).toBe(false);
  });

  it('still counts a sold leed as booked, but not a deleted or expired one', () => {
    expect(isConflict(booking({ status: 'sold' }), booking())).toBe(true);
    expect(isConflict(booking({ status: 'deleted' }), booking())).toBe(false);
    expect(isConflict(booking({ status: 'expired' }), booking())).toBe(false);
  });
});

describe('conflictMessage', () => {
  it('names the trade and the location', () => {
    expect(conflictMessage('face painting', '123 Main St, Springfield, IL 62701')).toBe(
      'face painting leed already exists for 123 Main St, Springfield, IL 62701 at this date and time',
    );
  });
});

describe('normalizePlaceKey', () => {
  it('gives one key for two spellings of the same address', () => {
    expect(normalizePlaceKey('123 Main Street, Springfield, IL 62701')).toBe('123 main st springfield il 62701');
    expect(normalizePlaceKey('123 main st springfield il 62701')).toBe('123 main st springfield il 62701');
  });

  it('folds case, spacing and punctuation', () => {
    expect(normalizePlaceKey('  123   MAIN St.,\tSpringfield ,IL  62701 ')).toBe(normalizePlaceKey('123 main st springfield il 62701'));
  });

  it('folds the common street suffixes', () => {
    const pairs: Array<[string, string]> = [
      ['Avenue', 'Ave'],
      ['Boulevard', 'Blvd'],
      ['Road', 'Rd'],
      ['Drive', 'Dr'],
      ['Lane', 'Ln'],
      ['Court', 'Ct'],
      ['Place', 'Pl'],
      ['Parkway', 'Pkwy'],
      ['Highway', 'Hwy'],
      ['Terrace', 'Ter'],
      ['Circle', 'Cir'],
    ];
    for (const [long, short] of pairs) {
      expect(normalizePlaceKey(`9 Oak ${long}, Austin, TX 78701`)).toBe(normalizePlaceKey(`9 oak ${short} austin tx 78701`));
    }
  });

  it('folds directionals and unit designators', () => {
    expect(normalizePlaceKey('500 North Elm Street Northwest, Suite #4, Apartment 2, Denver, CO 80202')).toBe(
      normalizePlaceKey('500 N. Elm St. N.W., Ste 4, Apt 2, Denver, CO 80202'),
    );
    expect(normalizePlaceKey('1 South West Ave 10001')).toBe('1 s w ave 10001');
  });

  it('keeps different places apart', () => {
    const key = normalizePlaceKey('123 Main Street, Springfield, IL 62701');
    expect(normalizePlaceKey('124 Main Street, Springfield, IL 62701')).not.toBe(key);
    expect(normalizePlaceKey('123 Main Avenue, Springfield, IL 62701')).not.toBe(key);
    expect(normalizePlaceKey('123 Main Street, Springfield, IL 62702')).not.toBe(key);
  });
});

describe('zipPlaceKey', () => {
  const springfield: ZipArea = { zip: '62701', town: 'Springfield', state: 'IL', stateName: 'ILLINOIS' };

  it('leaves out the town and the state the zip names, however they are written', () => {
    for (const address of [
      '123 Main Street, Springfield, IL 62701',
      '123 Main St, Springfield, Illinois 62701',
      '123 main st springfield il 62701',
      '123 Main St, Springfield 62701',
      '123 Main St, IL 62701',
      '123 Main St 62701',
      '123 Main St, Springfield, IL 62701-1234',
    ]) {
      expect(zipPlaceKey(address, springfield), address).toBe('123 main st 62701');
    }
  });

  const newYork: ZipArea = { zip: '10001', town: 'New York', state: 'NY', stateName: 'NEW YORK' };
  const stLouis: ZipArea = { zip: '63101', town: 'Saint Louis', state: 'MO', stateName: 'MISSOURI' };
  const omaha: ZipArea = { zip: '68102', town: 'Omaha', state: 'NE', stateName: 'NEBRASKA' };
  const miami: ZipArea = { zip: '33101', town: 'Miami', state: 'FL', stateName: 'FLORIDA' };
  const losAngeles: ZipArea = { zip: '90028', town: 'Los Angeles', state: 'CA', stateName: 'CALIFORNIA' };

  it.each([
    ['towns and states of more than one word', '20 West 34th Street, New York, New York 10001', '20 w 34th st 10001', newYork],
    ['towns and states of more than one word', '20 W 34th St, New York, NY 10001', '20 w 34th st 10001', newYork],
    ['towns and states of more than one word', '20 W 34th St New York 10001', '20 w 34th st 10001', newYork],
    ['"St." for the data’s "Saint"', '1 Market St, St. Louis, MO 63101', '1 market st 63101', stLouis],
    ['"St." for the data’s "Saint"', '1 Market Street, Saint Louis, Missouri 63101', '1 market st 63101', stLouis],
    ['a state code alone that is also a street word (NE is northeast)', '123 Main St NE 68102', '123 main st ne 68102', omaha],
    ['a state code alone that is also a street word (NE is northeast)', '123 Main Street Northeast, Omaha, NE 68102', '123 main st ne 68102', omaha],
    ['a state code alone that is also a street word (NE is northeast)', '123 Main St 68102', '123 main st 68102', omaha],
    ['a state code alone that is also a street word (FL is a floor)', '1 Ocean Dr, Floor 2, Miami, FL 33101', '1 ocean dr fl 2 33101', miami],
    ['a state code alone that is also a street word (FL is a floor)', '1 Ocean Dr Fl 33101', '1 ocean dr fl 33101', miami],
    ['a town that is not the zip’s own', '1 Vine St, Hollywood, CA 90028', '1 vine st hollywood 90028', losAngeles],
    ['a state that is not the zip’s own', '123 Main St, Springfield, CA 62701', '123 main st springfield ca 62701', springfield],
    ['always the house number', '12 Springfield 62701', '12 62701', springfield],
    ['always the house number', '12 Springfield Il 62701', '12 62701', springfield],
  ])('keeps or leaves out %s: %s → %s', (_rule, address, key, area) => {
    expect(zipPlaceKey(address, area)).toBe(key);
  });

  it('keeps different places apart', () => {
    const key = zipPlaceKey('123 Main Street, Springfield, IL 62701', springfield);
    expect(zipPlaceKey('124 Main Street, Springfield, IL 62701', springfield)).not.toBe(key);
    expect(zipPlaceKey('123 Main Avenue, Springfield, IL 62701', springfield)).not.toBe(key);
    expect(zipPlaceKey('123 Main Street, Apt 2, Springfield, IL 62701', springfield)).not.toBe(key);
    expect(zipPlaceKey('123 Main Street, Springfield, IL 62702', { ...springfield, zip: '62702' })).not.toBe(key);
  });
});
