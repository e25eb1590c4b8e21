/**
 * Per-function counters and percentiles (`/local/metrics`, the local equivalents of CloudWatch's
 * Lambda metrics) and the queue over time: how many events waited and how old they were, rebuilt
 * from the invocation log's enqueue and start times so the charts have history when the page opens.
 */
import { useMemo, useState } from 'preact/hooks';
import { api, messageOf } from '../shared/api.js';
import { formatCount, formatDateTime, formatDuration } from '../shared/format.js';
import { usePoll } from '../shared/hooks.js';
import { LineChart } from './chart.js';
import type { StorageView } from '../../src/runtime/views.js';
import type { DeadLetter, FunctionInfo, FunctionMetrics, Invocation } from './types.js';

export function FunctionsTable() {
  const { value: metrics, error } = usePoll(() => api.get<FunctionMetrics[]>('/local/metrics'), 2000);
  // As often as the counts: a queue paused or resumed elsewhere (`leedz pause`, another tab) shows at once.
  const { value: functions, refresh: refreshFunctions } = usePoll(() => api.get<FunctionInfo[]>('/local/functions'), 2000);
  const [holdError, setHoldError] = useState<string | undefined>(undefined);
  const hold = async (name: string, action: 'pause' | 'resume') => {
    try {
      setHoldError(undefined);
      await api.post(`/local/functions/${encodeURIComponent(name)}/${action}`);
      refreshFunctions();
    } catch (failure) {
      setHoldError(`${name}: ${messageOf(failure)}`);
    }
  };
  // The rows of the Dead letters tab, counted per function: the same thing, by the same name.
  const { value: letters } = usePoll(() => api.get<DeadLetter[]>('/local/dead-letters?includeReplayed=true&limit=10000'), 5000);
  const kinds = new Map((functions ?? []).map((f) => [f.name, f]));
  const deadLetters = new Map<string, { all: number; open: number }>();
  for (const letter of letters ?? []) {
    const count = deadLetters.get(letter.function) ?? { all: 0, open: 0 };
    count.all += 1;
    if (letter.replayedAs === null) count.open += 1;
    deadLetters.set(letter.function, count);
  }
  return (
    <section aria-labelledby="functions-title">
      <h1 id="functions-title">Functions</h1>
      <p class="muted small">
        Counts since {metrics?.[0] === undefined ? 'this data folder’s first invocation' : formatDateTime(metrics[0].countsSince)} (this data folder’s first invocation: they are kept across restarts and
        retention). Errors are failed invocations, and beside them the HTTP answers of 4xx and 5xx; durations and event age (the wait from enqueue to the start of an attempt) are over each
        function’s latest 1,000 invocations. Dead letters are those of the <a href="#dead-letters">Dead letters</a> tab (replayed ones included). Pause holds a controller’s queue: its events wait
        until Resume.
      </p>
      {holdError !== undefined && (
        <p class="notice error" role="alert">
          {holdError}
        </p>
      )}
      {error !== undefined && (
        <p class="notice error" role="alert">
          {messageOf(error)}
        </p>
      )}
      <div class="table-wrap">
        <table class="metrics stacked">
          <caption class="visually-hidden">Counts, errors and percentiles per function</caption>
          <thead>
            <tr>
              <th scope="col">Function</th>
              <th scope="col" class="num">
                Invocations
              </th>
              <th scope="col" class="num">
                Errors <span class="unit">4xx · 5xx</span>
              </th>
              <th scope="col" class="num">
                Throttles
              </th>
              <th scope="col" class="num">
                Duration <span class="unit">p50 · p99</span>
              </th>
              <th scope="col" class="num">
                Events received
              </th>
              <th scope="col" class="num">
                Event age <span class="unit">p50 · p99</span>
              </th>
              <th scope="col" class="num">
                Dropped
              </th>
              <th scope="col" class="num">
                Dead letters
              </th>
              <th scope="col" class="num">
                Queued · running
              </th>
            </tr>
          </thead>
          <tbody>
            {(metrics ?? []).map((m) => {
              const info = kinds.get(m.function);
              const dead = deadLetters.get(m.function);
              return (
                <tr key={m.function} data-function={m.function}>
                  <th scope="row">
                    <span class="function-name">{m.function}</span>
                    <span class="muted small function-kind">
                      {info?.kind ?? '—'}
                      {info?.kind === 'controller' && ` · ${info.config.maximumRetryAttempts} retries`}
                      {info?.config.paused && <strong class="warn-text"> · paused</strong>}
                    </span>
                    {/* Only events wait in a queue: a controller's, which its callers invoke with Event. */}
                    {info !== undefined && (info.kind === 'controller' || info.config.paused) && (
                      <button
                        type="button"
                        class="small hold"
                        aria-label={`${info.config.paused ? 'Resume' : 'Pause'} ${m.function}’s queue`}
                        onClick={() => hold(m.function, info.config.paused ? 'resume' : 'pause')}
                      >
                        {info.config.paused ? 'Resume' : 'Pause'}
                      </button>
                    )}
                  </th>
                  <td class="num" data-label="invocations">{formatCount(m.Invocations)}</td>
                  <td class="num" data-label="errors" data-http-4xx={m.Http4xx} data-http-5xx={m.Http5xx}>
                    {m.Errors > 0 ? <strong class="error-text">{formatCount(m.Errors)}</strong> : 0}
                    {m.Http4xx + m.Http5xx > 0 && (
                      <span class="muted small http-counts">
                        {formatCount(m.Http4xx)} · {m.Http5xx > 0 ? <strong class="error-text">{formatCount(m.Http5xx)}</strong> : 0}
                      </span>
                    )}
                  </td>
                  <td class="num" data-label="throttles">{formatCount(m.Throttles)}</td>
                  <td class="num nowrap" data-label="duration p50 · p99">
                    {formatDuration(m.Duration.p50)} · {formatDuration(m.Duration.p99)}
                  </td>
                  <td class="num" data-label="events">{formatCount(m.AsyncEventsReceived)}</td>
                  <td class="num nowrap" data-label="event age p50 · p99">
                    {formatDuration(m.AsyncEventAge.p50)} · {formatDuration(m.AsyncEventAge.p99)}
                  </td>
                  <td class="num" data-label="dropped">{m.AsyncEventsDropped > 0 ? <strong class="error-text">{formatCount(m.AsyncEventsDropped)}</strong> : 0}</td>
                  <td class="num" data-label="dead letters" data-dead-letters={dead?.all ?? 0}>
                    {dead === undefined ? 0 : <a href="#dead-letters">{formatCount(dead.all)}</a>}
                    {dead !== undefined && dead.open < dead.all && <span class="muted small"> ({formatCount(dead.open)} open)</span>}
                    {/* Lambda's DeadLetterErrors: records that could not be kept at all. */}
                    {m.DeadLetterErrors > 0 && <strong class="error-text small"> · {formatCount(m.DeadLetterErrors)} lost</strong>}
                  </td>
                  <td class="num nowrap" data-label="queued · running">
                    {formatCount(m.queued)} · {formatCount(m.running)}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function formatBytes(bytes: number): string {
  return bytes < 1_048_576 ? `${formatCount(Math.round(bytes / 1024))} KB` : `${(bytes / 1_048_576).toFixed(1)} MB`;
}

const WINDOWS = [
  { ms: 60_000, label: '1 min' },
  { ms: 5 * 60_000, label: '5 min' },
  { ms: 15 * 60_000, label: '15 min' },
  { ms: 60 * 60_000, label: '1 hour' },
];
const BUCKETS = 60;
const EVENTS = 2000;

interface Span {
  enq: number;
  start: number | undefined;
  end: number | undefined;
  queued: boolean;
}

/** Whether an event was waiting in the queue at `t` (before its first start, or between attempts while it is waiting now). */
function waitingAt(e: Span, t: number): boolean {
  if (e.enq > t) return false;
  if (e.start === undefined) return e.end === undefined || e.end > t;
  if (t < e.start) return true;
  // A retry that is due later: waiting since its last attempt ended.
  return e.queued && e.end !== undefined && t >= e.end;
}

export function QueueCharts() {
  const [windowMs, setWindowMs] = useState(5 * 60_000);
  const { value: events, error } = usePoll(() => api.get<Invocation[]>(`/local/invocations?type=Event&limit=${EVENTS}`), 2000);
  const { value: metrics } = usePoll(() => api.get<FunctionMetrics[]>('/local/metrics'), 2000);
  const { value: storage } = usePoll(() => api.get<StorageView[]>('/local/storage'), 10_000);
  const label = WINDOWS.find((w) => w.ms === windowMs)?.label ?? '';

  const series = useMemo(() => {
    const now = Date.now();
    const from = now - windowMs;
    const step = windowMs / BUCKETS;
    const spans: Span[] = (events ?? []).map((i) => ({
      enq: Date.parse(i.enqueuedAt),
      start: i.startedAt === null ? undefined : Date.parse(i.startedAt),
      end: i.endedAt === null ? undefined : Date.parse(i.endedAt),
      queued: i.state === 'queued',
    }));
    const depth: number[] = [];
    const oldest: (number | null)[] = [];
    const ageAtStart: (number | null)[] = [];
    for (let b = 0; b < BUCKETS; b++) {
      const t = from + (b + 1) * step;
      let waiting = 0;
      let oldestWait: number | null = null;
      let maxAge: number | null = null;
      for (const e of spans) {
        if (waitingAt(e, t)) {
          waiting += 1;
          oldestWait = Math.max(oldestWait ?? 0, t - e.enq);
        }
        if (e.start !== undefined && e.start > t - step && e.start <= t) maxAge = Math.max(maxAge ?? 0, e.start - e.enq);
      }
      depth.push(waiting);
      oldest.push(oldestWait ?? 0);
      ageAtStart.push(maxAge);
    }
    return { depth, oldest, ageAtStart };
  }, [events, windowMs]);

  const queuedNow = (metrics ?? []).reduce((sum, m) => sum + m.queued, 0);
  const runningNow = (metrics ?? []).reduce((sum, m) => sum + m.running, 0);

  return (
    <section aria-labelledby="queue-title">
      <div class="section-head">
        <h1 id="queue-title">Queue</h1>
        <div class="toolbar" role="group" aria-label="Time window">
          {WINDOWS.map((w) => (
            <button key={w.ms} type="button" class="small" aria-pressed={w.ms === windowMs} onClick={() => setWindowMs(w.ms)}>
              {w.label}
            </button>
          ))}
        </div>
      </div>
      <dl class="kpis">
        <div class="card">
          <dt>Events waiting now</dt>
          <dd>{formatCount(queuedNow)}</dd>
        </div>
        <div class="card">
          <dt>Running now</dt>
          <dd>{formatCount(runningNow)}</dd>
        </div>
        <div class="card">
          <dt>Events in the window</dt>
          <dd>{formatCount((events ?? []).filter((e) => Date.parse(e.enqueuedAt) >= Date.now() - windowMs).length)}</dd>
        </div>
      </dl>
      {error !== undefined && (
        <p class="notice error" role="alert">
          {messageOf(error)}
        </p>
      )}
      <div class="charts">
        <LineChart title="Queue depth (events waiting)" windowLabel={label} integer series={[{ label: 'waiting', color: '#1d4ed8', values: series.depth }]} format={(v) => formatCount(v)} />
        <LineChart
          title="Event age"
          windowLabel={label}
          series={[
            { label: 'oldest waiting', color: '#b45309', values: series.oldest },
            { label: 'age at start (max)', color: '#7e22ce', values: series.ageAtStart },
          ]}
          format={(v) => formatDuration(v)}
        />
      </div>
      <p class="muted small">Rebuilt from the last {formatCount(EVENTS)} Event invocations in the log, sampled {BUCKETS} times over the window.</p>
      <h2 id="storage-title">Storage</h2>
      <table class="storage" aria-labelledby="storage-title">
        <thead>
          <tr>
            <th scope="col">Database</th>
            <th scope="col" class="num">
              Size
            </th>
            <th scope="col">Holds</th>
          </tr>
        </thead>
        <tbody>
          {(storage ?? []).map((db) => (
            <tr key={db.name} data-database={db.name}>
              <th scope="row">{db.name}</th>
              <td class="num">{formatBytes(db.bytes)}</td>
              <td>{db.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">
        With their write-ahead logs. The invocation log keeps a week and at most 100,000 invocations by default (LEEDZ_RETENTION_HOURS, LEEDZ_RETENTION_INVOCATIONS); <code>npm run leedz -- compact --vacuum</code>{' '}
        applies it now and gives the space back.
      </p>
    </section>
  );
}
