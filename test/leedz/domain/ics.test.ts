import { describe, expect, it } from 'vitest';
import { escapeText, foldLine, icsCalendar, icsDateTime } from '../../../src/leedz/domain/ics.js';

const octets = (text: string) => new TextEncoder().encode(text).length;

/** RFC 5545 §3.1: unfold (CRLF followed by one space or tab). */
function unfold(text: string): string[] {
  return text.replace(/\r\n[ \t]/g, '').split('\r\n');
}

describe('iCalendar', () => {
  const calendar = icsCalendar({
    name: "The Leedz: pat's gigs",
    now: new Date('2026-12-02T10:00:00.000Z'),
    events: [
      {
        uid: 'l_1@leedz.example.com',
        start: '2027-01-10T00:00:00.000Z',
        end: '2027-01-10T05:00:00.000Z',
        summary: 'dj: Wedding; reception, with a long title that goes on and on — “café” music 🎶 for everyone',
        location: '123 Main St, Springfield, IL 62701',
        description: 'When: Sat, Jan 9, 2027, 6:00 PM – 11:00 PM CST\nClient phone: (555) 123-4567\nBring a backslash \\ too',
        url: 'https://leedz.example.com/leedz/dj/l_1',
        updatedAt: '2026-12-01T09:30:00.000Z',
      },
    ],
  });

  it('ends every line with CRLF, and folds every line to at most 75 octets without splitting a character', () => {
    expect(calendar.endsWith('\r\n')).toBe(true);
    expect(calendar.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of calendar.split('\r\n')) expect(octets(line), line).toBeLessThanOrEqual(75);
    expect(calendar).not.toContain('\uFFFD');
    // Unfolded, the long summary is whole again.
    expect(unfold(calendar)).toContain('SUMMARY:dj: Wedding\\; reception\\, with a long title that goes on and on — “café” music 🎶 for everyone');
  });

  it('has one event with UID, DTSTAMP, UTC start and end, and escaped text', () => {
    const lines = unfold(calendar);
    expect(lines.slice(0, 4)).toEqual(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//The Leedz//Calendar feed//EN', 'CALSCALE:GREGORIAN']);
    expect(lines.at(-2)).toBe('END:VCALENDAR');
    const event = lines.slice(lines.indexOf('BEGIN:VEVENT'), lines.indexOf('END:VEVENT') + 1);
    expect(event).toEqual(
      expect.arrayContaining([
        'UID:l_1@leedz.example.com',
        'DTSTAMP:20261202T100000Z',
        'DTSTART:20270110T000000Z',
        'DTEND:20270110T050000Z',
        'LOCATION:123 Main St\\, Springfield\\, IL 62701',
        'DESCRIPTION:When: Sat\\, Jan 9\\, 2027\\, 6:00 PM – 11:00 PM CST\\nClient phone: (555) 123-4567\\nBring a backslash \\\\ too',
        'URL:https://leedz.example.com/leedz/dj/l_1',
        'LAST-MODIFIED:20261201T093000Z',
        'STATUS:CONFIRMED',
      ]),
    );
    expect(lines.filter((line) => line === 'BEGIN:VEVENT')).toHaveLength(1);
  });

  it('writes instants as UTC DATE-TIMEs, escapes TEXT and leaves short lines alone', () => {
    expect(icsDateTime('2027-07-04T18:30:05.123Z')).toBe('20270704T183005Z');
    expect(escapeText('a;b,c\\d\r\ne\nf')).toBe('a\\;b\\,c\\\\d\\ne\\nf');
    expect(foldLine('SUMMARY:short')).toBe('SUMMARY:short');
    const folded = foldLine(`DESCRIPTION:${'é'.repeat(60)}`);
    expect(folded.split('\r\n').map(octets).every((n) => n <= 75)).toBe(true);
    expect(folded.split('\r\n').slice(1).every((line) => line.startsWith(' '))).toBe(true);
  });

  it('drops control characters from TEXT (RFC 5545 §3.3.11), keeping tabs and line breaks as the RFC writes them', () => {
    expect(escapeText('DJ\u0000\u0007\u001b[31m\u007f set\u202e\u2066 list\tone\r\ntwo')).toBe('DJ[31m set list\tone\\ntwo');
    // Text stored before the API refused control characters still makes a feed a calendar accepts.
    const feed = icsCalendar({
      name: 'x\u0000',
      now: new Date('2026-12-02T10:00:00Z'),
      events: [{ uid: 'l_2@leedz.example.com', start: '2027-01-10T00:00:00.000Z', end: '2027-01-10T01:00:00.000Z', summary: 'dj: Bell\u0007', location: '1 Main\u0000 St, Springfield, IL 62701', description: 'Notes\u001b\u202e' }],
    });
    expect(feed.replace(/\r\n/g, '')).not.toMatch(/[\u0000-\u0008\u000a-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
    expect(unfold(feed)).toEqual(expect.arrayContaining(['X-WR-CALNAME:x', 'SUMMARY:dj: Bell', 'LOCATION:1 Main St\\, Springfield\\, IL 62701', 'DESCRIPTION:Notes']));
  });

  it('is a valid empty calendar with no events', () => {
    const empty = icsCalendar({ name: 'x', now: new Date('2026-12-02T10:00:00Z'), events: [] });
    expect(empty).toBe(
      ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//The Leedz//Calendar feed//EN', 'CALSCALE:GREGORIAN', 'METHOD:PUBLISH', 'X-WR-CALNAME:x', 'REFRESH-INTERVAL;VALUE=DURATION:PT1H', 'X-PUBLISHED-TTL:PT1H', 'END:VCALENDAR', ''].join('\r\n'),
    );
  });
});
