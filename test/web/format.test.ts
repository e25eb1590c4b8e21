/** How the console writes a log's moments: the time alone today, with the day when it is another. */
import { afterEach, describe, expect, it } from 'vitest';
import { formatLogTime } from '../../web/shared/format.js';

const zone = process.env.TZ;
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe('formatLogTime', () => {
  it('is the time alone on the same day, and the month and day first on another, in the browser’s zone', () => {
    process.env.TZ = 'America/Chicago';
    const now = new Date('2026-12-07T18:00:00Z'); // noon in Chicago
    expect(formatLogTime('2026-12-07T14:40:05Z', now)).toBe('8:40 AM');
    expect(formatLogTime('2026-12-06T14:40:05Z', now)).toBe('Dec 6, 8:40 AM');
    // 03:00 UTC on the 7th is still the 6th in Chicago.
    expect(formatLogTime('2026-12-07T03:00:00Z', now)).toBe('Dec 6, 9:00 PM');
  });
});
