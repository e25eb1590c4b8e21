/** How the UI writes dates, times, money and phone numbers (en-US, the marketplace's audience). */
export { formatCents } from '../../src/leedz/domain/money.js';
export { formatPhone } from '../../src/leedz/domain/phone.js';

const formats = new Map<string, Intl.DateTimeFormat>();

function format(options: Intl.DateTimeFormatOptions, timeZone?: string): Intl.DateTimeFormat {
  const key = JSON.stringify(options) + (timeZone ?? '');
  let f = formats.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', timeZone === undefined ? options : { ...options, timeZone });
    formats.set(key, f);
  }
  return f;
}

/** "Thu, Dec 24, 2026" */
export function formatDate(iso: string, timeZone?: string): string {
  return format({ weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' }, timeZone).format(new Date(iso));
}

/** "6:00 PM" */
export function formatTime(iso: string, timeZone?: string): string {
  return format({ hour: 'numeric', minute: '2-digit' }, timeZone).format(new Date(iso));
}

/** "6:00 PM CST": a moment's time with its zone's short name at that moment. */
export function formatTimeInZone(iso: string, timeZone?: string): string {
  return `${formatTime(iso, timeZone)} ${zoneName(iso, timeZone)}`;
}

/** "18:00": a moment's wall-clock time in `timeZone`, which sorts as text (the calendar orders a day's leedz by it). */
export function wallClock(iso: string, timeZone?: string): string {
  return format({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, timeZone).format(new Date(iso));
}

/** "6pm", "5:30pm": the calendar's compact time. */
export function formatShortTime(iso: string, timeZone?: string): string {
  const parts = format({ hour: 'numeric', minute: '2-digit' }, timeZone).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const minute = get('minute');
  return `${get('hour')}${minute === '00' ? '' : `:${minute}`}${get('dayPeriod').toLowerCase()}`;
}

/** "6:00 PM – 9:00 PM" (and the end's date when it is another day). */
export function formatTimeRange(start: string, end: string, timeZone?: string): string {
  const sameDay = dayKey(new Date(start), timeZone) === dayKey(new Date(end), timeZone);
  return `${formatTime(start, timeZone)} – ${sameDay ? '' : `${formatDate(end, timeZone)} `}${formatTime(end, timeZone)}`;
}

/**
 * A gig's times with its zone: "6:00 PM – 10:00 PM CST", or each end with its own zone when the
 * clocks change in between ("1:30 AM CDT – 2:30 AM CST": two hours, not one), as the emails say.
 */
export function formatTimeRangeInZone(start: string, end: string, timeZone?: string): string {
  const [from, to] = [zoneName(start, timeZone), zoneName(end, timeZone)];
  if (from === to) return `${formatTimeRange(start, end, timeZone)} ${from}`;
  const [startTime, endTime] = formatTimeRange(start, end, timeZone).split(' – ');
  return `${startTime} ${from} – ${endTime} ${to}`;
}

/** "6:00 PM" today, "Dec 6, 6:00 PM" another day: a log's moment, whose rows span days. */
export function formatLogTime(iso: string, now = new Date()): string {
  if (dayKey(new Date(iso)) === dayKey(now)) return formatTime(iso);
  return format({ month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(new Date(iso));
}

/** "Dec 24, 2026, 6:00 PM" */
export function formatDateTime(iso: string, timeZone?: string): string {
  return format({ month: 'short', day: 'numeric', year: 'numeric', hour: 'numeric', minute: '2-digit' }, timeZone).format(new Date(iso));
}

/** "EST", "PDT": the zone's short name at that instant. */
export function zoneName(iso: string, timeZone?: string): string {
  const parts = format({ timeZoneName: 'short', hour: 'numeric' }, timeZone).formatToParts(new Date(iso));
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
}

/** `YYYY-MM-DD` of an instant in a zone (the browser's by default): the calendar's day key. */
export function dayKey(date: Date, timeZone?: string): string {
  if (timeZone === undefined) return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const parts = format({ year: 'numeric', month: '2-digit', day: '2-digit' }, timeZone).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/**
 * An ISO instant → the value of an `<input type="datetime-local">` as the wall clock reads it in
 * `timeZone` (a gig's zone: the form shows the time where the gig happens, whatever the browser's).
 */
export function toLocalInput(iso: string, timeZone: string): string {
  const parts = format({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, timeZone).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`;
}


/**
 * A message standing on its own as a sentence: capital first letter, a full stop at the end. The
 * API's messages start lower-case so that they read inside a sentence ("Not saved: …").
 *
 * @example
 * sentence('too many sign-in links requested; try again in 6 minutes'); // → 'Too many sign-in links requested; try again in 6 minutes.'
 */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const capital = trimmed[0]!.toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/** "1,234" */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** "3.2 ms", "1.4 s" */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function pad(n: number): string {
  return String(n).padStart(2, '0');
}
