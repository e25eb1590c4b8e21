import { describe, expect, it } from 'vitest';
import { type TimeSpan, conflictMessage, isConflict, normalizePlaceKey, overlaps } from '../../../src/leedz/domain/conflict.js';
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
