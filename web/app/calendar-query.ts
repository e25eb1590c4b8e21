/**
 * What the month calendar asks of the API, without the page around it: the days of a month's grid,
 * and the searches for the grid (a few leedz and a count per day: `perDay`) and for one day's whole
 * list. Dates are the browser's; each gig sits on its own day where it happens. `bench/search.ts`
 * measures the same request the calendar sends.
 *
 * @example
 * searchPath({ month: { year: 2027, month: 1 }, trades: ['dj'], available: ['dj'], zip: '', radius: 50 });
 * // → '/api/leedz?trades=dj&from=…&to=…&limit=5000&perDay=3'
 */
import type { LeedPreview } from '../../src/leedz/domain/visibility.js';

export interface Month {
  year: number;
  /** 0–11 */
  month: number;
}

/** The days the grid shows: Sunday on or before the 1st to Saturday on or after the last day. */
export function gridDays({ year, month }: Month): Date[] {
  const first = new Date(year, month, 1);
  const start = new Date(year, month, 1 - first.getDay());
  const last = new Date(year, month + 1, 0);
  const end = new Date(year, month, last.getDate() + (6 - last.getDay()));
  const days: Date[] = [];
  for (let d = start; d <= end; d = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1)) days.push(d);
  return days;
}

/** Leedz listed in a day before "+N more". */
export const PER_DAY = 3;

/** What the calendar shows: set by the marketplace's filters (and the URL). */
export interface Filters {
  month: Month;
  /** Trades the calendar shows (subscriptions, less the ones unticked). */
  trades: string[];
  /** Trades the calendar could show (the ones the filter lists). */
  available: string[];
  zip: string;
  radius: number;
}

/** `GET /api/leedz?…` for the month grid and the filters (a few leedz and a count per day), or undefined when no trade is shown. */
export function searchPath(filters: Filters): string | undefined {
  const days = gridDays(filters.month);
  return rangePath(filters, days[0]!, days.at(-1)!, { perDay: String(PER_DAY) });
}

/** `GET /api/leedz?…` for every leed of one day of the grid. */
export function dayPath(filters: Filters, day: Date): string | undefined {
  return rangePath(filters, day, day, {});
}

/** The search of the filters' trades (and zip) for the leedz whose own day is from `first` to `last` (the browser's days). */
function rangePath(filters: Filters, first: Date, last: Date, extra: Record<string, string>): string | undefined {
  if (filters.trades.length === 0) return undefined;
  // A day in a gig's zone may start up to 14 hours from the browser's: a day more on each side
  // finds every leed whose local day is in the range.
  const from = new Date(first.getFullYear(), first.getMonth(), first.getDate() - 1);
  const to = new Date(last.getFullYear(), last.getMonth(), last.getDate() + 1, 23, 59, 59, 999);
  const query = new URLSearchParams({ trades: filters.trades.join(','), from: from.toISOString(), to: to.toISOString(), limit: '5000', ...extra });
  if (filters.zip !== '') {
    query.set('zip', filters.zip);
    query.set('radius', String(filters.radius));
  }
  return `/api/leedz?${query}`;
}

/** The month's search with `perDay`: the first few leedz of each day, and each day's count. */
export interface MonthAnswer {
  leedz: LeedPreview[];
  days?: Record<string, number>;
}
