import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGigTime, formatInZone, instantOfWallTime, isWallTime, localDateOf, timeZoneForState, wallTimeOf } from '../../../src/leedz/domain/time-zone.js';

const STATES_AND_DC = [
  'AL', 'AK', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FL', 'GA', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS',
  'KY', 'LA', 'ME', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC',
  'ND', 'OH', 'OK', 'OR', 'PA', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VA', 'WA', 'WV', 'WI', 'WY',
];

describe('timeZoneForState', () => {
  it('knows a zone that Intl accepts for each of the 50 states and DC', () => {
    expect(STATES_AND_DC).toHaveLength(51);
    for (const state of STATES_AND_DC) {
      const zone = timeZoneForState(state);
      expect(zone, state).toBeDefined();
      expect(() => new Intl.DateTimeFormat('en-US', { timeZone: zone })).not.toThrow();
    }
  });

  it('maps single-zone states to their zone', () => {
    expect(timeZoneForState('CA')).toBe('America/Los_Angeles');
    expect(timeZoneForState('NY')).toBe('America/New_York');
    expect(timeZoneForState('IL')).toBe('America/Chicago');
    expect(timeZoneForState('CO')).toBe('America/Denver');
    expect(timeZoneForState('AZ')).toBe('America/Phoenix');
    expect(timeZoneForState('HI')).toBe('Pacific/Honolulu');
  });

  it('maps a state with two zones to the zone of most of its people', () => {
    expect(timeZoneForState('TX')).toBe('America/Chicago');
    expect(timeZoneForState('FL')).toBe('America/New_York');
    expect(timeZoneForState('TN')).toBe('America/Chicago');
    expect(timeZoneForState('ID')).toBe('America/Boise');
    expect(timeZoneForState('AK')).toBe('America/Anchorage');
  });

  it('ignores case and surrounding space', () => {
    expect(timeZoneForState(' wa ')).toBe('America/Los_Angeles');
  });

  it('knows nothing else, not even names on Object.prototype', () => {
    for (const code of ['ZZ', 'PR', '', 'California', 'constructor', 'toString', '__proto__']) expect(timeZoneForState(code)).toBeUndefined();
  });
});

describe('formatInZone', () => {
  it('formats an instant for an email in the given zone', () => {
    expect(formatInZone('2026-12-25T02:00:00Z', 'America/Los_Angeles')).toBe('Thu, Dec 24, 2026, 6:00 PM PST');
  });

  it('follows daylight saving time', () => {
    expect(formatInZone('2026-07-04T23:30:00Z', 'America/New_York')).toBe('Sat, Jul 4, 2026, 7:30 PM EDT');
    expect(formatInZone('2026-07-04T23:30:00Z', 'America/Phoenix')).toBe('Sat, Jul 4, 2026, 4:30 PM MST');
  });

  it('accepts a Date and an instant with an offset', () => {
    expect(formatInZone(new Date('2026-12-24T18:00:00Z'), 'America/Chicago')).toBe('Thu, Dec 24, 2026, 12:00 PM CST');
    expect(formatInZone('2026-12-24T13:00:00-05:00', 'America/Chicago')).toBe('Thu, Dec 24, 2026, 12:00 PM CST');
  });

  it('uses plain spaces only, whatever the ICU version', () => {
    expect(formatInZone('2026-12-25T02:00:00Z', 'America/Los_Angeles')).toMatch(/^[\x20-\x7e]+$/);
  });

  it('throws a RangeError for an unknown zone or an invalid instant', () => {
    expect(() => formatInZone('2026-12-25T02:00:00Z', 'Mars/Olympus_Mons')).toThrow(RangeError);
    expect(() => formatInZone('not a date', 'America/Chicago')).toThrow(RangeError);
  });
});

describe('wall times where the gig happens', () => {
  it('reads a wall time in a zone, and gives it back from the instant', () => {
    expect(instantOfWallTime('2027-01-09T18:00', 'America/Chicago')).toBe('2027-01-10T00:00:00.000Z');
    expect(instantOfWallTime('2027-07-09T18:00', 'America/Chicago')).toBe('2027-07-09T23:00:00.000Z');
    expect(instantOfWallTime('2027-01-09T18:00:30', 'Pacific/Honolulu')).toBe('2027-01-10T04:00:30.000Z');
    expect(wallTimeOf('2027-01-10T00:00:00Z', 'America/Chicago')).toBe('2027-01-09T18:00');
    for (const zone of ['America/New_York', 'America/Phoenix', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC']) {
      expect(wallTimeOf(instantOfWallTime('2027-05-01T09:15', zone)!, zone)).toBe('2027-05-01T09:15');
    }
  });

  it('takes the earlier of a time that happens twice, and moves a time that never happens forward by the jump', () => {
    // 1:30 happens twice on 7 Nov 2027 in Chicago: CDT first (UTC−5).
    expect(instantOfWallTime('2027-11-07T01:30', 'America/Chicago')).toBe('2027-11-07T06:30:00.000Z');
    // 2:30 does not happen on 14 Mar 2027 in Chicago: it reads as 3:30 CDT.
    expect(instantOfWallTime('2027-03-14T02:30', 'America/Chicago')).toBe('2027-03-14T08:30:00.000Z');
    expect(wallTimeOf('2027-03-14T08:30:00Z', 'America/Chicago')).toBe('2027-03-14T03:30');
  });

  it('refuses what is not a real wall time', () => {
    for (const bad of ['2027-02-29T18:00', '2027-01-09T24:00', '2027-01-09T18:60', '2027-01-09', '2027-01-09T18:00Z']) {
      expect(instantOfWallTime(bad, 'America/Chicago'), bad).toBeUndefined();
    }
    expect(isWallTime('2027-01-09T18:00')).toBe(true);
    expect(isWallTime('2027-01-09T18:00:00-06:00')).toBe(false);
  });

  it('says when a gig is where it happens: one zone name, or both when the clock changes during the gig', () => {
    expect(formatGigTime('2027-01-10T00:00:00Z', '2027-01-10T05:00:00Z', 'America/Chicago')).toBe('Sat, Jan 9, 2027, 6:00 PM – 11:00 PM CST');
    expect(formatGigTime('2027-01-10T02:00:00Z', '2027-01-10T08:00:00Z', 'America/Chicago')).toBe('Sat, Jan 9, 2027, 8:00 PM – Sun, Jan 10, 2027, 2:00 AM CST');
    expect(formatGigTime('2027-11-07T05:00:00Z', '2027-11-07T09:00:00Z', 'America/Chicago')).toBe('Sun, Nov 7, 2027, 12:00 AM CDT – 3:00 AM CST');
    expect(formatGigTime('2027-01-10T00:00:00Z', '2027-01-10T05:00:00Z', 'America/Los_Angeles')).toBe('Sat, Jan 9, 2027, 4:00 PM – 9:00 PM PST');
  });
});

describe('localDateOf: the date where the gig is', () => {
  // Zones with daylight saving, none, half and quarter hours, a 30-minute shift (Lord Howe), clocks
  // that change at midnight (Havana, Beirut, Santiago: the date itself moves), and the date line.
  const ZONES = ['America/Chicago', 'America/New_York', 'America/Phoenix', 'Pacific/Honolulu', 'America/St_Johns', 'Asia/Kolkata', 'Asia/Kathmandu', 'Pacific/Chatham', 'Australia/Lord_Howe', 'Europe/London', 'America/Havana', 'Asia/Beirut', 'America/Santiago', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'];
  /** The date as Intl prints it (en-CA writes YYYY-MM-DD): a reading independent of the one under test. */
  const reference = (ms: number, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));

  it('is the date of the wall clock there, across midnight', () => {
    expect(localDateOf('2027-01-10T03:00:00Z', 'America/Chicago')).toBe('2027-01-09');
    expect(localDateOf('2027-01-10T06:00:00Z', 'America/Chicago')).toBe('2027-01-10');
    expect(localDateOf('2027-01-09T11:00:00Z', 'Pacific/Kiritimati')).toBe('2027-01-10');
  });

  it('agrees with Intl at every quarter hour around the days the clocks change', () => {
    const switches = ['2027-03-14', '2027-11-07', '2027-03-28', '2027-10-31', '2027-04-04', '2027-10-03', '2027-09-26', '2027-09-05'];
    for (const timeZone of ZONES) {
      for (const date of switches) {
        for (let ms = Date.parse(`${date}T00:00:00Z`) - 86_400_000; ms < Date.parse(`${date}T00:00:00Z`) + 2 * 86_400_000; ms += 15 * 60_000) {
          expect(localDateOf(new Date(ms), timeZone), `${timeZone} ${new Date(ms).toISOString()}`).toBe(reference(ms, timeZone));
        }
      }
    }
  });

  it('agrees with Intl at any instant of the coming years', () => {
    const from = Date.parse('2026-01-01T00:00:00Z');
    const to = Date.parse('2030-01-01T00:00:00Z');
    fc.assert(
      fc.property(fc.integer({ min: from, max: to }), fc.constantFrom(...ZONES), (ms, timeZone) => localDateOf(new Date(ms).toISOString(), timeZone) === reference(ms, timeZone)),
      { numRuns: 5000 },
    );
  });
});
