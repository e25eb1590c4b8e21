/**
 * The invocation log: every SQL statement of the runtime over its database (src/runtime/runtime-db.ts)
 * — the durable Event queue, which is also the log, failed attempts, dead letters, destination
 * records, counters and the workers' heartbeats — and the mapping of rows to the JSON of `/local`
 * (src/runtime/views.ts). The runtime decides; this module only reads and writes.
 *
 * @example
 * const log = createInvocationLog(db);
 * log.insertMany([invocationRow({ id, function: 'emailHelper', type: 'Event', payload, enqueued_at: Date.now() })]);
 * const due = log.claim(owner, Date.now(), 16);
 */
import type Database from 'better-sqlite3';
import type { DestinationCondition } from '../framework/destination-record.js';
import type { SerializedFunctionError } from '../framework/errors.js';
import type { InvocationRow } from './runtime-db.js';
import type {
  DeadLetterView,
  DestinationRecordView,
  FunctionMetrics,
  InvocationDetail,
  InvocationFilter,
  InvocationView,
  Outcome,
} from './views.js';

/** The fields of a new row; see {@link invocationRow} for the defaults. `lease_owner`: stored already leased to that worker. */
export type NewInvocationRow = Omit<InvocationRow, 'lease_owner' | 'lease_until' | 'throttles'> & { lease_owner?: string };

/**
 * A new row of the log, with the defaults of an event that was just accepted: queued, due now, no
 * attempt yet, its own trace, hop 0. Every insert goes through this one factory.
 *
 * @example
 * invocationRow({ id, function: 'sink', type: 'Event', payload: '{}', enqueued_at: now, parent_id: caller.id });
 */
export function invocationRow(fields: Pick<InvocationRow, 'id' | 'function' | 'type' | 'payload' | 'enqueued_at'> & Partial<NewInvocationRow>): NewInvocationRow {
  return {
    parent_id: null,
    trace_id: fields.id,
    hop: 0,
    idempotency_key: null,
    state: 'queued',
    outcome: null,
    attempts: 0,
    available_at: fields.enqueued_at,
    started_at: null,
    ended_at: null,
    duration_ms: null,
    error: null,
    replay_of: null,
    duplicate_of: null,
    ...fields,
  };
}

export interface DeadLetterRow {
  id: number;
  invocation_id: string;
  function: string;
  condition: string;
  record: string;
  attempts: number;
  failed_at: number;
  replayed_as: string | null;
}

export interface WorkerRow {
  owner: string;
  pid: number;
  host: string;
  heartbeat_at: number;
}

const MAX_LIST = 10_000;
/** An invocation id in full: a UUID, 36 characters. */
const FULL_ID_LENGTH = 36;

export type InvocationLog = ReturnType<typeof createInvocationLog>;

export function createInvocationLog(db: Database.Database) {
  const insert = db.prepare(
    `INSERT INTO invocations (id, function, type, parent_id, trace_id, hop, idempotency_key, payload, state, outcome, attempts,
       enqueued_at, available_at, started_at, ended_at, duration_ms, error, replay_of, duplicate_of, lease_owner)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Positional parameters: binding by name cost a third of an insert.
  const insertOne = (r: NewInvocationRow) =>
    insert.run(
      r.id, r.function, r.type, r.parent_id, r.trace_id, r.hop, r.idempotency_key, r.payload, r.state, r.outcome, r.attempts,
      r.enqueued_at, r.available_at, r.started_at, r.ended_at, r.duration_ms, r.error, r.replay_of, r.duplicate_of, r.lease_owner ?? null,
    );
  const insertMany = db.transaction((rows: readonly NewInvocationRow[]) => {
    for (const row of rows) insertOne(row);
  });
  // Due events in enqueue order; the attempt counts from the moment it is leased.
  const claim = db.prepare(
    `UPDATE invocations SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?
     WHERE id IN (SELECT id FROM invocations WHERE state = 'queued' AND available_at <= ? ORDER BY available_at LIMIT ?)
     RETURNING *`,
  );
  const nextDue = db.prepare<[], { at: number | null }>(`SELECT MIN(available_at) AS at FROM invocations WHERE state = 'queued'`);
  // EXISTS on each partial index, not COUNT(*) over the table: drain() polls this.
  const anyUnfinished = db.prepare<[], { n: number }>(
    `SELECT EXISTS (SELECT 1 FROM invocations WHERE state = 'queued') OR EXISTS (SELECT 1 FROM invocations WHERE state = 'running') AS n`,
  );
  const succeed = db.prepare(
    `UPDATE invocations SET state = 'succeeded', outcome = 'Success', started_at = ?, ended_at = ?, duration_ms = ?, lease_owner = NULL WHERE id = ?`,
  );
  const retry = db.prepare(`UPDATE invocations SET state = 'queued', available_at = ?, error = ?, started_at = ?, ended_at = ?, lease_owner = NULL WHERE id = ?`);
  const throttle = db.prepare(
    `UPDATE invocations SET state = 'queued', available_at = ?, attempts = attempts - 1, throttles = throttles + 1, lease_owner = NULL WHERE id = ?`,
  );
  const fail = db.prepare(
    `UPDATE invocations SET state = 'failed', outcome = ?, attempts = ?, error = ?, started_at = COALESCE(?, started_at), ended_at = ?,
       duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE ended_at - started_at END, lease_owner = NULL WHERE id = ?`,
  );
  const release = db.prepare(`UPDATE invocations SET state = 'queued', available_at = ?, attempts = attempts - 1, lease_owner = NULL WHERE id = ? AND state = 'running'`);
  const releaseOwner = db.prepare(`UPDATE invocations SET state = 'queued', available_at = ?, lease_owner = NULL WHERE state = 'running' AND lease_owner = ?`);
  const releaseOrphans = db.prepare(
    `UPDATE invocations SET state = 'queued', available_at = ?, lease_owner = NULL
     WHERE state = 'running' AND lease_owner <> ? AND lease_owner NOT IN (SELECT owner FROM workers)`,
  );
  const attempt = db.prepare(`INSERT OR REPLACE INTO attempts (invocation_id, attempt, started_at, ended_at, error) VALUES (?, ?, ?, ?, ?)`);
  const deadLetter = db.prepare(
    `INSERT INTO dead_letters (invocation_id, function, condition, record, attempts, failed_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (invocation_id) DO NOTHING`,
  );
  const destinationRecord = db.prepare(
    `INSERT INTO destination_records (invocation_id, function, destination, condition, delivered_as, record, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const bumpCounter = db.prepare(`INSERT INTO counters (function, metric, value) VALUES (?, ?, 1) ON CONFLICT (function, metric) DO UPDATE SET value = value + 1`);
  const heartbeat = db.prepare(
    `INSERT INTO workers (owner, pid, host, heartbeat_at) VALUES (?, ?, ?, ?) ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
  );
  const workers = db.prepare<[], WorkerRow>(`SELECT * FROM workers`);
  const removeWorker = db.prepare(`DELETE FROM workers WHERE owner = ?`);
  const getInvocation = db.prepare<[string], InvocationRow>(`SELECT * FROM invocations WHERE id = ?`);
  const attemptsOf = db.prepare<[string], { attempt: number; started_at: number; ended_at: number; error: string }>(
    `SELECT * FROM attempts WHERE invocation_id = ? ORDER BY attempt`,
  );
  const getDeadLetter = db.prepare<[number], DeadLetterRow>('SELECT * FROM dead_letters WHERE id = ?');
  const byPrefix = db.prepare<[string, string], InvocationRow>('SELECT * FROM invocations WHERE id >= ? AND id < ? ORDER BY id LIMIT 2');
  const uniqueByPrefix = (prefix: string): InvocationRow | undefined => {
    if (prefix.length < 4 || prefix.length >= FULL_ID_LENGTH) return undefined;
    const rows = byPrefix.all(prefix, `${prefix}\uffff`);
    return rows.length === 1 ? rows[0] : undefined;
  };
  const markReplayed = db.prepare('UPDATE dead_letters SET replayed_as = ? WHERE id = ?');
  const unreplayed = db.prepare<[], { id: number }>('SELECT id FROM dead_letters WHERE replayed_as IS NULL ORDER BY id');

  return {
    db,

    // ── the queue ──────────────────────────────────────────────────────────

    /** Insert rows in one transaction (one WAL commit). */
    insertMany(rows: readonly NewInvocationRow[]): void {
      insertMany(rows);
    },
    /** Lease up to `limit` due events to `owner`, counting their attempt. */
    claim(owner: string, now: number, limit: number): InvocationRow[] {
      return claim.all(owner, now, now, limit) as InvocationRow[];
    },
    /** When the next queued event is due (undefined: none is queued). */
    nextDueAt(): number | undefined {
      return nextDue.get()?.at ?? undefined;
    },
    anyUnfinished(): boolean {
      return anyUnfinished.get()!.n !== 0;
    },
    succeed(id: string, startedAt: number | null, endedAt: number, durationMs: number): void {
      succeed.run(startedAt, endedAt, durationMs, id);
    },
    /** Back to the queue after a failed attempt, due at `availableAt`, with that attempt's error. */
    retry(id: string, availableAt: number, error: string, startedAt: number | null, endedAt: number): void {
      retry.run(availableAt, error, startedAt, endedAt, id);
    },
    /** Back to the queue without spending its attempt, due at `availableAt`. */
    throttle(id: string, availableAt: number): void {
      throttle.run(availableAt, id);
    },
    fail(id: string, outcome: DestinationCondition, attempts: number, error: string, startedAt: number | null, endedAt: number): void {
      fail.run(outcome, attempts, error, startedAt, endedAt, id);
    },
    /** Give a leased event back (its attempt uncounted), after a failure to record its result. */
    release(id: string, now: number): void {
      release.run(now, id);
    },
    recordAttempt(id: string, attemptNumber: number, startedAt: number, endedAt: number, error: string): void {
      attempt.run(id, attemptNumber, startedAt, endedAt, error);
    },
    /** Keep a failed event; false when it was kept already. */
    keepDeadLetter(row: InvocationRow, condition: DestinationCondition, record: string, at: number): boolean {
      return deadLetter.run(row.id, row.function, condition, record, row.attempts, at).changes > 0;
    },
    destinationRecord(row: InvocationRow, destination: string, condition: DestinationCondition, deliveredAs: string | null, record: string, at: number): void {
      destinationRecord.run(row.id, row.function, destination, condition, deliveredAs, record, at);
    },
    bumpCounter(functionName: string, metric: 'DeadLetterErrors' | 'DestinationDeliveryFailures'): void {
      bumpCounter.run(functionName, metric);
    },
    transaction<T>(work: () => T): T {
      return db.transaction(work)();
    },

    // ── workers and crash recovery ─────────────────────────────────────────

    heartbeat(owner: string, pid: number, host: string, at: number): void {
      heartbeat.run(owner, pid, host, at);
    },
    workers(): WorkerRow[] {
      return workers.all();
    },
    /** Requeue what `owner` was running and forget it; returns how many events it held. */
    releaseWorker(owner: string, now: number): number {
      const released = releaseOwner.run(now, owner).changes;
      removeWorker.run(owner);
      return released;
    },
    removeWorker(owner: string): void {
      removeWorker.run(owner);
    },
    /** Requeue events leased by an owner that left no worker row (removed by an earlier recovery). */
    releaseOrphans(self: string, now: number): void {
      releaseOrphans.run(now, self);
    },

    // ── reading the log ────────────────────────────────────────────────────

    row(id: string): InvocationRow | undefined {
      return getInvocation.get(id);
    },
    list(filter: InvocationFilter = {}): InvocationView[] {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        where.push(sql);
        params.push(value);
      };
      if (filter.function !== undefined) add('function = ?', filter.function);
      if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
      if (filter.state !== undefined) add('state = ?', filter.state);
      if (filter.type !== undefined) add('type = ?', filter.type);
      if (filter.parentId !== undefined) {
        if (filter.parentId.length >= FULL_ID_LENGTH) add('parent_id = ?', filter.parentId);
        else {
          // A prefix, as the CLI shows ids: a range on the index, not a scan.
          add('parent_id >= ?', filter.parentId);
          add('parent_id < ?', `${filter.parentId}\uffff`);
        }
      }
      if (filter.traceId !== undefined) add('trace_id = ?', filter.traceId);
      // Ids are time-ordered: newest first without an index of their own.
      const sql = `SELECT * FROM invocations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      const rows = db.prepare(sql).all(...params, clampLimit(filter.limit, 100)) as InvocationRow[];
      return rows.map((row) => toView(row, filter.withPayload ?? false));
    },
    /** One invocation by its id, or by a prefix of it that no other id shares. */
    detail(idOrPrefix: string): InvocationDetail | undefined {
      const row = getInvocation.get(idOrPrefix) ?? uniqueByPrefix(idOrPrefix);
      if (row === undefined) return undefined;
      const id = row.id;
      return {
        ...toView(row, true),
        failedAttempts: attemptsOf.all(id).map((a) => ({ attempt: a.attempt, startedAt: iso(a.started_at)!, endedAt: iso(a.ended_at)!, error: JSON.parse(a.error) as SerializedFunctionError })),
      };
    },
    deadLetters(options: { includeReplayed?: boolean; limit?: number } = {}): DeadLetterView[] {
      const rows = db
        .prepare(`SELECT * FROM dead_letters ${options.includeReplayed ? '' : 'WHERE replayed_as IS NULL'} ORDER BY id DESC LIMIT ?`)
        .all(clampLimit(options.limit, 100)) as DeadLetterRow[];
      return rows.map(toDeadLetterView);
    },
    deadLetterRow(id: number): DeadLetterRow | undefined {
      return getDeadLetter.get(id);
    },
    deadLetter(id: number): DeadLetterView | undefined {
      const row = getDeadLetter.get(id);
      return row === undefined ? undefined : toDeadLetterView(row);
    },
    unreplayedDeadLetterIds(): number[] {
      return unreplayed.all().map((r) => r.id);
    },
    /** Queue the replay of a dead letter and mark the letter, in one transaction. */
    replay(letterId: number, row: NewInvocationRow): void {
      db.transaction(() => {
        insertOne(row);
        markReplayed.run(row.id, letterId);
      })();
    },
    destinationRecords(options: { invocationId?: string; limit?: number } = {}): DestinationRecordView[] {
      const limit = clampLimit(options.limit, 100);
      const rows = (
        options.invocationId === undefined
          ? db.prepare('SELECT * FROM destination_records ORDER BY id DESC LIMIT ?').all(limit)
          : db.prepare('SELECT * FROM destination_records WHERE invocation_id = ? ORDER BY id DESC LIMIT ?').all(options.invocationId, limit)
      ) as { id: number; invocation_id: string; function: string; destination: string; condition: string; delivered_as: string | null; created_at: number; record: string }[];
      return rows.map((r) => ({
        id: r.id,
        invocationId: r.invocation_id,
        function: r.function,
        destination: r.destination,
        condition: r.condition,
        deliveredAs: r.delivered_as,
        createdAt: iso(r.created_at)!,
        record: JSON.parse(r.record),
      }));
    },

    /** Local equivalents of CloudWatch's Lambda metrics for `names` (and any function in the log), over the last `windowMs` (default: all time). */
    metrics(names: readonly string[], windowMs?: number): FunctionMetrics[] {
      const since = windowMs === undefined ? 0 : Date.now() - windowMs;
      const counts = db
        .prepare(
          `SELECT function,
             SUM(type = 'Event') AS received,
             SUM(type = 'Event' AND state = 'failed') AS dropped,
             SUM(state IN ('succeeded','failed')) AS invocations,
             SUM(state = 'failed' AND attempts > 0) AS errors,
             SUM(throttles) AS throttles,
             SUM(state = 'queued') AS queued,
             SUM(state = 'running') AS running
           FROM invocations WHERE enqueued_at >= ? GROUP BY function`,
        )
        .all(since) as { function: string; received: number; dropped: number; invocations: number; errors: number; throttles: number; queued: number; running: number }[];
      const counters = new Map<string, Record<string, number>>();
      for (const c of db.prepare('SELECT * FROM counters').all() as { function: string; metric: string; value: number }[]) {
        counters.set(c.function, { ...counters.get(c.function), [c.metric]: c.value });
      }
      const ageStmt = db.prepare(
        `SELECT started_at - enqueued_at AS v FROM invocations WHERE function = ? AND type = 'Event' AND started_at IS NOT NULL AND enqueued_at >= ? ORDER BY v`,
      );
      const durationStmt = db.prepare(`SELECT duration_ms AS v FROM invocations WHERE function = ? AND duration_ms IS NOT NULL AND enqueued_at >= ? ORDER BY v`);
      const all = new Set([...names, ...counts.map((c) => c.function)]);
      return [...all].sort().map((name) => {
        const c = counts.find((x) => x.function === name);
        const ages = (ageStmt.all(name, since) as { v: number }[]).map((r) => r.v);
        const durations = (durationStmt.all(name, since) as { v: number }[]).map((r) => r.v);
        return {
          function: name,
          AsyncEventsReceived: c?.received ?? 0,
          AsyncEventAge: { p50: percentile(ages, 0.5), p99: percentile(ages, 0.99), max: ages.at(-1) ?? null },
          AsyncEventsDropped: c?.dropped ?? 0,
          DeadLetterErrors: counters.get(name)?.DeadLetterErrors ?? 0,
          DestinationDeliveryFailures: counters.get(name)?.DestinationDeliveryFailures ?? 0,
          Invocations: c?.invocations ?? 0,
          Errors: c?.errors ?? 0,
          Throttles: c?.throttles ?? 0,
          Duration: { p50: percentile(durations, 0.5), p99: percentile(durations, 0.99) },
          queued: c?.queued ?? 0,
          running: c?.running ?? 0,
        };
      });
    },
  };
}

/** A row as `/local` shows it. */
export function toView(row: InvocationRow, withPayload: boolean): InvocationView {
  const view: InvocationView = {
    id: row.id,
    function: row.function,
    type: row.type,
    parentId: row.parent_id,
    traceId: row.trace_id,
    hop: row.hop,
    idempotencyKey: row.idempotency_key,
    state: row.state,
    outcome: row.outcome as Outcome | null,
    attempts: row.attempts,
    throttles: row.throttles,
    enqueuedAt: iso(row.enqueued_at)!,
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    durationMs: row.duration_ms,
    error: row.error === null ? null : (JSON.parse(row.error) as SerializedFunctionError),
    replayOf: row.replay_of,
    duplicateOf: row.duplicate_of,
  };
  if (withPayload) view.payload = JSON.parse(row.payload);
  return view;
}

function toDeadLetterView(r: DeadLetterRow): DeadLetterView {
  return {
    id: r.id,
    invocationId: r.invocation_id,
    function: r.function,
    condition: r.condition,
    attempts: r.attempts,
    failedAt: iso(r.failed_at)!,
    replayedAs: r.replayed_as,
    record: JSON.parse(r.record),
  };
}

function clampLimit(limit: number | undefined, fallback: number): number {
  return Math.min(Math.max(limit ?? fallback, 1), MAX_LIST);
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
