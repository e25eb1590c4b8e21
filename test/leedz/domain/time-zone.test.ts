import { describe, expect, it } from 'vitest';
import { formatInZone, timeZoneForState } from '../../../src/leedz/domain/time-zone.js';

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
