/**
 * The month calendar: active leedz of the shown trades (`GET /api/leedz`), one colour per trade, the
 * user's own leedz starred. A day lists its first few leedz and a button for the rest: the month's
 * search asks for those few of each day and the days' counts (`perDay`), and the button loads the
 * day's whole list, so that a busy month loads as fast as a quiet one. At phone width
 * the grid becomes an agenda of the days that have leedz (CSS only). A leed sits on its day and shows
 * its time where the gig happens (its `timeZone`), whatever the zone of the browser.
 *
 * When the first month with its leedz is on screen and the page can take input, the app sets the
 * performance mark `leedz:calendar-ready` (bench/web.ts measures navigation → that mark).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Trade } from '../../src/leedz/domain/trade.js';
import type { User } from '../../src/leedz/domain/user.js';
import type { LeedPreview } from '../../src/leedz/domain/visibility.js';
import { api, ApiError, messageOf } from '../shared/api.js';
import { dayKey, formatCents, formatShortTime, formatTimeInZone, pad, wallClock } from '../shared/format.js';
import { useLoad } from '../shared/hooks.js';
import { navigate, withQuery } from '../shared/router.js';
import { useSession } from './session.js';
import { dayPath, gridDays, PER_DAY, searchPath, type Filters, type Month, type MonthAnswer } from './calendar-query.js';
import { DETAIL_BESIDE } from './leed-detail.js';
import { tradeColor } from './trade-colors.js';

/** `?month=2026-12` → that month; anything else → this month. */
export function monthOf(text: string | null): Month {
  const m = /^(\d{4})-(\d{2})$/.exec(text ?? '');
  if (m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 12) return { year: Number(m[1]), month: Number(m[2]) - 1 };
  const now = new Date();
  return { year: now.getFullYear(), month: now.getMonth() };
}

function monthParam({ year, month }: Month): string {
  return `${year}-${pad(month + 1)}`;
}

function addMonths({ year, month }: Month, delta: number): Month {
  const d = new Date(year, month + delta, 1);
  return { year: d.getFullYear(), month: d.getMonth() };
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** How many trades a signed-out visitor sees in the calendar: the busiest ones. */
const PREVIEW_TRADES = 6;

/** The calendar's filters from the signed-in user (or none), the trades and the URL's query. */
export function filtersFor(me: User | null, trades: Trade[], query: URLSearchParams): Filters {
  const available = me !== null ? me.subscriptions : trades.filter((t) => t.leedCount > 0).slice(0, PREVIEW_TRADES).map((t) => t.name);
  const hidden = new Set((query.get('hide') ?? '').split(',').filter(Boolean));
  return {
    month: monthOf(query.get('month')),
    trades: available.filter((t) => !hidden.has(t)),
    available,
    // An explicit `zip=` (even empty) wins over the profile's home zip.
    zip: query.has('zip') ? (query.get('zip') ?? '') : (me?.zip ?? ''),
    radius: Number(query.get('radius') ?? me?.radius ?? 50),
  };
}

const NO_LEEDZ: MonthAnswer = { leedz: [] };

let readyMarked = false;

export function Calendar({ filters, selectedId, search }: { filters: Filters; selectedId: string | undefined; search: string }) {
  const { me, trades, dataVersion } = useSession();
  const days = useMemo(() => gridDays(filters.month), [filters.month.year, filters.month.month]);
  const path = searchPath(filters);
  const [result] = useLoad(async () => {
    if (path === undefined) return NO_LEEDZ;
    const answer = await api.get<MonthAnswer>(path);
    if (!readyMarked) performance.mark('leedz:leedz-loaded');
    return answer;
  }, [path, dataVersion]);

  // A refused search (a zip that does not exist) shows no leedz, not the previous search's.
  const found = result.state === 'error' ? undefined : result.value;
  const byDay = useMemo(() => leedzByDay(found?.leedz ?? [], days), [found, days]);
  // Each day's count, as the search counted it (the day lists only its first few).
  const countOf = (key: string) => found?.days?.[key] ?? byDay.get(key)?.length ?? 0;

  const [openDay, setOpenDay] = useState<{ key: string; label: string; day: Date } | undefined>(undefined);
  const rootRef = useRef<HTMLDivElement>(null);
  const ready = result.state === 'ok';
  useEffect(() => {
    if (!ready || readyMarked) return;
    readyMarked = true;
    // Preact runs effects after the next frame is painted (requestAnimationFrame, then a task): the
    // month with its leedz is on screen and the main thread is free to take input.
    performance.mark('leedz:calendar-ready');
  }, [ready]);

  // The month's leedz: the grid's days of the months before and after are shown, not counted.
  let count = 0;
  for (const day of days) if (day.getMonth() === filters.month.month) count += countOf(dayKey(day));
  const todayKey = dayKey(new Date());
  const title = `${MONTH_NAMES[filters.month.month]} ${filters.month.year}`;
  const go = (month: Month) => navigate(withQuery({ month: monthParam(month) }), { keepScroll: true });
  const zipError = result.state === 'error' && result.error instanceof ApiError ? (result.error.fieldMessage('zip') ?? result.error.fieldMessage('radius')) : undefined;

  return (
    <div class="calendar card" ref={rootRef} data-ready={ready ? 'true' : 'false'} aria-busy={result.state === 'loading'}>
      <div class="cal-head">
        <div class="cal-nav">
          <button type="button" onClick={() => go(addMonths(filters.month, -1))} aria-label="Previous month">
            <span aria-hidden="true">‹</span>
          </button>
          <h2 id="calendar-title" aria-live="polite">
            {title}
          </h2>
          <button type="button" onClick={() => go(addMonths(filters.month, 1))} aria-label="Next month">
            <span aria-hidden="true">›</span>
          </button>
          <button type="button" class="small" onClick={() => go(monthOf(null))}>
            Today
          </button>
        </div>
        <p class="cal-summary muted small" role="status">
          {result.state === 'loading'
            ? 'Loading leedz…'
            : result.state === 'error'
              ? 'No leedz shown'
              : filters.trades.length === 0 && filters.available.length > 0
                ? 'No trade ticked in Trades shown: tick one to see its leedz'
                : `${count.toLocaleString('en-US')} ${count === 1 ? 'leed' : 'leedz'}${filters.zip !== '' ? ` within ${filters.radius} miles of ${filters.zip}` : ''}`}
          <span class="legend">
            <span aria-hidden="true">★</span> your leed · times where each gig is
          </span>
        </p>
      </div>
      <p id="calendar-error" class={zipError === undefined ? 'visually-hidden' : 'field-error'} role="alert">
        {zipError === undefined ? '' : `Zip ${filters.zip} ${zipError}.`}
      </p>
      {result.state === 'error' && zipError === undefined && (
        <div class="notice error" role="alert">
          The leedz could not be loaded: {messageOf(result.error)}
        </div>
      )}
      {/* The first time, the grid waits for its leedz: one layout of the month instead of two. */}
      {result.value === undefined && result.state === 'loading' ? (
        <div class="month-placeholder" aria-hidden="true" />
      ) : (
        <>
          <div class="weekdays" aria-hidden="true">
            {WEEKDAYS.map((d) => (
              <div key={d}>{d}</div>
            ))}
          </div>
          <ol class="month-grid" aria-labelledby="calendar-title">
            {days.map((day) => {
              const key = dayKey(day);
              const leedz = byDay.get(key) ?? [];
              const total = countOf(key);
              const outside = day.getMonth() !== filters.month.month;
              // A busy day shows a few and opens the rest in a list, so no cell grows taller than its week.
              const shown = total > PER_DAY ? leedz.slice(0, PER_DAY - 1) : leedz;
              const more = total - shown.length;
              const dayLabel = `${WEEKDAYS[day.getDay()]}, ${MONTH_NAMES[day.getMonth()]} ${day.getDate()}`;
              return (
                <li key={key} class={`day${outside ? ' outside' : ''}${key === todayKey ? ' today' : ''}${total === 0 ? ' empty' : ''}`}>
                  <h3 class="day-label">
                    <time dateTime={key}>
                      <span class="day-long">
                        {WEEKDAYS[day.getDay()]}, {MONTH_NAMES[day.getMonth()]!.slice(0, 3)}{' '}
                      </span>
                      {day.getDate()}
                    </time>
                    {total > 0 && <span class="visually-hidden">, {total} {total === 1 ? 'leed' : 'leedz'}</span>}
                  </h3>
                  {shown.length > 0 && (
                    <ul class="chips">
                      {shown.map((leed) => (
                        <li key={leed.id}>
                          <Chip leed={leed} selectedId={selectedId} search={search} />
                        </li>
                      ))}
                    </ul>
                  )}
                  {more > 0 && (
                    <button type="button" class="more link small" aria-haspopup="dialog" onClick={() => setOpenDay({ key, label: dayLabel, day })}>
                      +{more} more
                      <span class="visually-hidden"> on {dayLabel}: open the list of the day’s {total} leedz</span>
                    </button>
                  )}
                </li>
              );
            })}
          </ol>
        </>
      )}
      {openDay !== undefined && (
        <DayList
          label={openDay.label}
          dayKey={openDay.key}
          path={dayPath(filters, openDay.day)}
          count={countOf(openDay.key)}
          selectedId={selectedId}
          search={search}
          onClose={() => setOpenDay(undefined)}
        />
      )}
      {ready && count === 0 && filters.trades.length > 0 && <p class="muted cal-empty">No leedz this month for these trades{filters.zip !== '' ? ' near that zip' : ''}.</p>}
    </div>
  );
}

/** One leed in the calendar: its time where the gig is, and its title; a star on one's own. */
function Chip({ leed, selectedId, search }: { leed: LeedPreview; selectedId: string | undefined; search: string }) {
  const { me, trades } = useSession();
  const own = me !== null && leed.creator === me.username;
  const time = formatTimeInZone(leed.start, leed.timeZone);
  const shortTime = formatShortTime(leed.start, leed.timeZone);
  return (
    <a
      class={`chip${own ? ' own' : ''}${leed.id === selectedId ? ' selected' : ''}`}
      href={`/leedz/${encodeURIComponent(leed.trade)}/${encodeURIComponent(leed.id)}${search}`}
      data-keep-scroll={DETAIL_BESIDE}
      style={{ '--trade': tradeColor(leed.trade, trades) }}
      aria-current={leed.id === selectedId ? 'true' : undefined}
      // The name begins with what the chip shows ("6pm Wedding…"), so that a voice command naming it finds it; the zone and the rest follow.
      aria-label={`${shortTime} ${leed.title} (${time}), ${leed.trade}, ${leed.price === 0 ? 'free' : formatCents(leed.price)}${own ? ', your leed' : ''}`}
      title={`${time} · ${leed.trade}: ${leed.title}`}
    >
      {own && <span class="own-mark">★</span>}
      <span class="chip-time">{shortTime}</span> {leed.title}
    </a>
  );
}

/** Leedz by their own day (where the gig happens), for the days of the grid. */
function leedzByDay(leedz: LeedPreview[], days: Date[]): Map<string, LeedPreview[]> {
  const onGrid = new Set(days.map((day) => dayKey(day)));
  const map = new Map<string, LeedPreview[]>();
  for (const leed of leedz) {
    const key = dayKey(new Date(leed.start), leed.timeZone);
    if (!onGrid.has(key)) continue;
    let list = map.get(key);
    if (list === undefined) map.set(key, (list = []));
    list.push(leed);
  }
  for (const list of map.values()) byWallClock(list);
  return map;
}

/**
 * A day's leedz in the order of the times they show, each where its gig is: the API orders them by
 * the instant, so a 4pm in Chicago came before a 2pm in Los Angeles (both 22:00 UTC).
 */
function byWallClock(leedz: LeedPreview[]): LeedPreview[] {
  const clock = new Map(leedz.map((leed) => [leed.id, wallClock(leed.start, leed.timeZone)]));
  return leedz.sort((a, b) => clock.get(a.id)!.localeCompare(clock.get(b.id)!));
}

interface DayListProps {
  label: string;
  dayKey: string;
  /** The search for the day's leedz. */
  path: string | undefined;
  /** The day's count from the month's search, shown while the list loads. */
  count: number;
  selectedId: string | undefined;
  search: string;
  onClose: () => void;
}

/**
 * Every leed of a busy day, loaded when it opens, in a modal list (the browser's own dialog: focus
 * stays in it, Escape closes it, focus returns to the button that opened it). Opening a leed closes it.
 */
function DayList({ label, dayKey: key, path, count, selectedId, search, onClose }: DayListProps) {
  const { dataVersion } = useSession();
  const [result] = useLoad(async () => {
    if (path === undefined) return [];
    const { leedz } = await api.get<{ leedz: LeedPreview[] }>(path);
    return byWallClock(leedz.filter((leed) => dayKey(new Date(leed.start), leed.timeZone) === key));
  }, [path, key, dataVersion]);
  const leedz = result.value ?? [];
  const dialogRef = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog !== null && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      class="day-list"
      ref={dialogRef}
      aria-labelledby="day-list-title"
      onClose={onClose}
      onClick={(event) => {
        // A click on a leed (it navigates), or on the backdrop around the box, closes the list.
        const target = event.target as Element;
        if (target === dialogRef.current || target.closest('a') !== null) dialogRef.current?.close();
      }}
    >
      <div class="day-list-head">
        <h2 id="day-list-title">
          {label}: {result.value === undefined ? count : leedz.length} leedz
        </h2>
        <button type="button" class="small" onClick={() => dialogRef.current?.close()}>
          Close
        </button>
      </div>
      {result.state === 'loading' && result.value === undefined && <p class="muted small" role="status">Loading the day’s leedz…</p>}
      {result.state === 'error' && (
        <p class="notice error" role="alert">
          The day’s leedz could not be loaded: {messageOf(result.error)}
        </p>
      )}
      <ul class="chips" aria-busy={result.state === 'loading'}>
        {leedz.map((leed) => (
          <li key={leed.id}>
            <Chip leed={leed} selectedId={selectedId} search={search} />
          </li>
        ))}
      </ul>
    </dialog>
  );
}
