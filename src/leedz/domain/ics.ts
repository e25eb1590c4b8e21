/**
 * iCalendar (RFC 5545) for a vendor's calendar feed: the gigs they bought, as events that Google
 * Calendar and Apple Calendar subscribe to. What the RFC requires and the clients check: CRLF line
 * endings (§3.1), lines folded at 75 octets without splitting a character (§3.1), TEXT values
 * escaped (§3.3.11), times in UTC (`…Z`, §3.3.5, so no VTIMEZONE is needed), and every event with a
 * UID and a DTSTAMP (§3.6.1). No schema library here: it is plain text.
 *
 * @example
 * const text = icsCalendar({ name: "The Leedz: pat's gigs", now: new Date(), events: [{ uid: 'l_1@leedz.example.com', start, end, summary: 'DJ: Wedding' }] });
 */
import { withoutControlCharacters } from './validation.js';

/** One event of the feed. */
export interface IcsEvent {
  /** Unique and stable across fetches: the same gig stays the same event in the subscriber's calendar. */
  uid: string;
  start: string;
  end: string;
  summary: string;
  location?: string | null;
  description?: string;
  url?: string;
  /** When the event last changed (an edit, the sale); LAST-MODIFIED and, with `sequence`, what clients compare. */
  updatedAt?: string;
  status?: 'CONFIRMED' | 'CANCELLED';
}

/** A whole calendar: `text/calendar`, lines ending with CRLF. */
export function icsCalendar(input: { name: string; now: Date; events: readonly IcsEvent[] }): string {
  const stamp = icsDateTime(input.now);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//The Leedz//Calendar feed//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    `X-WR-CALNAME:${escapeText(input.name)}`,
    // How often clients that honour it should fetch again (Apple, Outlook); Google decides for itself.
    'REFRESH-INTERVAL;VALUE=DURATION:PT1H',
    'X-PUBLISHED-TTL:PT1H',
  ];
  for (const event of input.events) {
    lines.push(
      'BEGIN:VEVENT',
      `UID:${escapeText(event.uid)}`,
      `DTSTAMP:${stamp}`,
      `DTSTART:${icsDateTime(event.start)}`,
      `DTEND:${icsDateTime(event.end)}`,
      `SUMMARY:${escapeText(event.summary)}`,
    );
    if (event.location) lines.push(`LOCATION:${escapeText(event.location)}`);
    if (event.description) lines.push(`DESCRIPTION:${escapeText(event.description)}`);
    if (event.url) lines.push(`URL:${event.url}`);
    if (event.updatedAt) lines.push(`LAST-MODIFIED:${icsDateTime(event.updatedAt)}`);
    lines.push(`STATUS:${event.status ?? 'CONFIRMED'}`, 'TRANSP:OPAQUE', 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

/**
 * An instant as an iCalendar UTC DATE-TIME: `20270110T000000Z`.
 *
 * @example
 * icsDateTime('2027-01-10T00:00:00.000Z'); // → '20270110T000000Z'
 */
export function icsDateTime(instant: string | Date): string {
  return new Date(instant).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * A TEXT value escaped (RFC 5545 §3.3.11): backslash, semicolon, comma, and line breaks as `\n`. The
 * control characters TEXT may not hold (all but the tab) are dropped, and so are the bidi overrides
 * that would make it read other than it is: the API refuses them, but text stored before it did must
 * not make a feed that calendars reject.
 *
 * @example
 * escapeText('Main St, Suite 2; ask for Pat'); // → 'Main St\\, Suite 2\\; ask for Pat'
 */
export function escapeText(text: string): string {
  return withoutControlCharacters(text)
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

const encoder = new TextEncoder();

/**
 * A content line folded to at most 75 octets per line (RFC 5545 §3.1): the rest continues on lines
 * that start with one space. Characters are never split (UTF-8 sequences stay whole).
 *
 * @example
 * foldLine('DESCRIPTION:' + 'x'.repeat(100)); // → 'DESCRIPTION:xxx…(63)\r\n xxx…(37)'
 */
export function foldLine(line: string): string {
  if (encoder.encode(line).length <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = encoder.encode(char).length;
    // The first line holds 75 octets; a continuation holds 74 after its leading space.
    const room = parts.length === 0 ? 75 : 74;
    if (octets + size > room) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
