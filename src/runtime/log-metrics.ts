/**
 * The local equivalents of CloudWatch's Lambda metrics, read from the invocation log's database
 * (src/runtime/runtime-db.ts): counts from the running counters the log writes with the rows they
 * count (src/runtime/invocation-log.ts), queued and running from their partial indexes, percentiles
 * over each function's latest {@link PERCENTILE_SAMPLE} invocations. Nothing here reads the whole
 * history, so a server that handled a million invocations answers as fast as one that handled ten
 * thousand (bench/growth.ts).
 *
 * @example
 * readMetrics(db, ['emailHelper']); // [{ function: 'emailHelper', Invocations: 12, … }]
 * readMetrics(db, [], 60_000);      // counted from the log over the last minute
 */
import type Database from 'better-sqlite3';
import { functionOfLane, idAt, type CountedMetric } from './invocation-log.js';
import type { FunctionMetrics } from './views.js';

/** How many of a function's latest invocations its percentiles (event age, duration) are taken over. */
export const PERCENTILE_SAMPLE = 1000;

/** The longest window metrics are counted over: ten years reach back before any date a metric could have. */
export const MAX_WINDOW_SECONDS = 10 * 365 * 24 * 3600;

/**
 * The reads whose cost must not grow with the history, each on an index that holds only what it
 * counts (checked with EXPLAIN QUERY PLAN in test/runtime/scheduling-retention.test.ts).
 */
export const METRICS_SQL = {
  /** Queued events per lane, from the partial index of queued events. */
  queued: `SELECT lane, COUNT(*) AS n FROM invocations WHERE state = 'queued' GROUP BY lane`,
  // Without INDEXED BY, SQLite groups by walking the (function, enqueued_at) index: every row.
  running: `SELECT function, COUNT(*) AS n FROM invocations INDEXED BY invocations_leased WHERE state = 'running' GROUP BY function`,
  /** A function's latest invocations: the (function, enqueued_at) index, walked from its newest end. */
  sample: `SELECT type, started_at - enqueued_at AS age, duration_ms AS duration FROM invocations
     WHERE function = ? AND enqueued_at >= ? ORDER BY enqueued_at DESC LIMIT ?`,
} as const;

/**
 * Local equivalents of CloudWatch's Lambda metrics for `names` (and any function in the log). The
 * counts are running counters, written with the rows they count, since `countsSince`; with
 * `windowMs`, they are counted from the log over that window instead (a range of the primary key).
 * Percentiles are over each function's latest {@link PERCENTILE_SAMPLE} invocations (in the window).
 * Either way the cost does not grow with the log's history.
 */
export function readMetrics(db: Database.Database, names: readonly string[], windowMs?: number): FunctionMetrics[] {
  const since = windowMs === undefined ? undefined : idAt(Date.now() - windowMs);
  const counts = new Map<string, Partial<Record<string, number>>>();
  const put = (fn: string, metric: string, value: number) => counts.set(fn, { ...counts.get(fn), [metric]: value });
  for (const c of db.prepare('SELECT * FROM counters').all() as { function: string; metric: string; value: number }[]) {
    // Within a window, only what the log cannot tell stays all-time (records that could not be kept).
    if (since === undefined || c.metric === 'DeadLetterErrors' || c.metric === 'DestinationDeliveryFailures') put(c.function, c.metric, c.value);
  }
  if (since !== undefined) {
    const windowed = db
      .prepare(
        `SELECT function,
           SUM(type = 'Event' AND duplicate_of IS NULL) AS AsyncEventsReceived,
           SUM(type = 'Event' AND state = 'failed') AS AsyncEventsDropped,
           SUM(state IN ('succeeded','failed')) AS Invocations,
           SUM(state = 'failed' AND attempts > 0) AS Errors,
           SUM(throttles) AS Throttles,
           SUM(http_status BETWEEN 400 AND 499) AS Http4xx,
           SUM(http_status >= 500) AS Http5xx
         FROM invocations WHERE id >= ? GROUP BY function`,
      )
      .all(since) as ({ function: string } & Record<CountedMetric, number>)[];
    for (const { function: fn, ...values } of windowed) for (const [metric, value] of Object.entries(values)) put(fn, metric, value ?? 0);
  }
  // Queued and running from their partial indexes: the cost of the backlog, not of the history.
  const queued = new Map<string, number>();
  for (const q of db.prepare(METRICS_SQL.queued).all() as { lane: string; n: number }[]) {
    const fn = functionOfLane(q.lane);
    queued.set(fn, (queued.get(fn) ?? 0) + q.n);
  }
  const running = new Map(
    (db.prepare(METRICS_SQL.running).all() as { function: string; n: number }[]).map((r) => [r.function, r.n]),
  );
  const sample = db.prepare<[string, number, number], { type: string; age: number | null; duration: number | null }>(METRICS_SQL.sample);
  const sampleFrom = windowMs === undefined ? 0 : Date.now() - windowMs;
  const countersSince = db.prepare<[], { value: string }>(`SELECT value FROM log_meta WHERE key = 'counters_since'`).get();
  const countingSince = new Date(Number(countersSince?.value ?? Date.now())).toISOString();
  const all = new Set([...names, ...counts.keys(), ...queued.keys()]);
  return [...all].sort().map((name) => {
    const c = counts.get(name) ?? {};
    const rows = sample.all(name, sampleFrom, PERCENTILE_SAMPLE);
    const ages = rows.filter((r) => r.type === 'Event' && r.age !== null).map((r) => r.age!).sort(byNumber);
    const durations = rows.filter((r) => r.duration !== null).map((r) => r.duration!).sort(byNumber);
    return {
      function: name,
      countsSince: since === undefined ? countingSince : new Date(Date.now() - windowMs!).toISOString(),
      AsyncEventsReceived: c.AsyncEventsReceived ?? 0,
      AsyncEventAge: { p50: percentile(ages, 0.5), p99: percentile(ages, 0.99), max: ages.at(-1) ?? null },
      AsyncEventsDropped: c.AsyncEventsDropped ?? 0,
      DeadLetterErrors: c.DeadLetterErrors ?? 0,
      DestinationDeliveryFailures: c.DestinationDeliveryFailures ?? 0,
      Invocations: c.Invocations ?? 0,
      Errors: c.Errors ?? 0,
      Throttles: c.Throttles ?? 0,
      Http4xx: c.Http4xx ?? 0,
      Http5xx: c.Http5xx ?? 0,
      Duration: { p50: percentile(durations, 0.5), p99: percentile(durations, 0.99) },
      queued: queued.get(name) ?? 0,
      running: running.get(name) ?? 0,
    };
  });
}

const byNumber = (a: number, b: number) => a - b;

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
