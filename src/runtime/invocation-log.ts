/**
 * The invocation log: every SQL statement of the runtime over its database (src/runtime/runtime-db.ts)
 * — the durable Event queue, which is also the log, failed attempts, dead letters, destination
 * records, counters and the workers' heartbeats — handing its rows to src/runtime/log-views.ts for
 * the JSON of `/local` (src/runtime/views.ts). The runtime decides; this module only reads and writes.
 *
 * @example
 * const log = createInvocationLog(db);
 * log.insertMany([invocationRow({ id, function: 'emailHelper', type: 'Event', payload, enqueued_at: Date.now() })]);
 * const due = log.claimLane(owner, 'emailHelper:sendEmail', Date.now(), 16);
 */
import type Database from 'better-sqlite3';
import type { DestinationCondition } from '../framework/destination-record.js';
import type { SerializedFunctionError } from '../framework/errors.js';
import { iso, toDeadLetterView, toDestinationRecordView, toView, type DeadLetterRow, type DestinationRecordRow } from './log-views.js';
import { LEASED_COLUMNS, REQUEST_LOG_CHARS, type InvocationRow, type LeasedRow } from './runtime-db.js';
import { CUT_MARK, REDACTED } from './redact.js';
import type { DeadLetterView, DestinationRecordView, InvocationDetail, InvocationFilter, InvocationView } from './views.js';

/** The fields of a new row; see {@link invocationRow} for the defaults. `lease_owner`: stored already leased to that worker. */
export type NewInvocationRow = Omit<InvocationRow, 'lease_owner' | 'lease_until' | 'throttles'> & { lease_owner?: string };

/** The metrics the log counts as it writes (CloudWatch's names, and the HTTP answers of synchronous invocations). */
export type CountedMetric = 'AsyncEventsReceived' | 'AsyncEventsDropped' | 'Invocations' | 'Errors' | 'Throttles' | 'Http4xx' | 'Http5xx';

/** The longest text a search of the log's payloads takes (`InvocationFilter.text`). */
export const MAX_TEXT_FILTER = 200;

/** The lane of a function's events: its name, or `name:route` for a controller's route. */
export function laneOf(functionName: string, route?: unknown): string {
  return typeof route === 'string' && route.length > 0 ? `${functionName}:${route}` : functionName;
}

/** The function a lane belongs to (function names have no colon). */
export function functionOfLane(lane: string): string {
  const colon = lane.indexOf(':');
  return colon === -1 ? lane : lane.slice(0, colon);
}

/** The smallest id made at `ms` or later: ids begin with their time (src/runtime/request-id.ts), so a time is a range of the primary key. */
export function idAt(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${hex.slice(0, 8)}-${hex.slice(8)}`;
}

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
    lane: fields.function,
    http_status: null,
    response: null,
    ...fields,
  };
}

export interface WorkerRow {
  owner: string;
  pid: number;
  host: string;
  heartbeat_at: number;
}

/**
 * Why a logged payload cannot be sent again by a replay, or undefined when it can: it lost secrets to
 * the redaction (src/runtime/redact.ts), or it was too long to keep whole (`keptRequest`).
 */
export function whyNotReplayable(payload: string): string | undefined {
  if (payload.startsWith(`{${JSON.stringify(CUT_MARK)}:`)) return `its payload was longer than the log keeps (${REQUEST_LOG_CHARS.toLocaleString('en-US')} characters)`;
  if (payload.includes(JSON.stringify(REDACTED))) return `its payload held secrets the log does not keep ("${REDACTED}")`;
  return undefined;
}

/** An invocation detail's `replayable`, and why not when it is not. */
function replayability(payload: string): Pick<InvocationDetail, 'replayable' | 'notReplayable'> {
  const why = whyNotReplayable(payload);
  return why === undefined ? { replayable: true } : { replayable: false, notReplayable: why };
}

const MAX_LIST = 10_000;
/** An invocation id in full: a UUID, 36 characters. */
const FULL_ID_LENGTH = 36;

export type InvocationLog = ReturnType<typeof createInvocationLog>;

export function createInvocationLog(db: Database.Database) {
  const insert = db.prepare(
    `INSERT INTO invocations (id, function, type, parent_id, trace_id, hop, idempotency_key, payload, state, outcome, attempts,
       enqueued_at, available_at, started_at, ended_at, duration_ms, error, replay_of, duplicate_of, lease_owner, lane, http_status, response)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const addLane = db.prepare('INSERT OR IGNORE INTO lanes (lane, function) VALUES (?, ?)');
  const allLanes = db.prepare<[], { lane: string }>('SELECT lane FROM lanes');
  /** Lanes this process knows are in `lanes` (others' come with {@link lanes}). */
  const knownLanes = new Set<string>();

  // ── counters: tallied as rows change, written once per transaction ─────
  const addToCounter = db.prepare(`INSERT INTO counters (function, metric, value) VALUES (?, ?, ?) ON CONFLICT (function, metric) DO UPDATE SET value = value + excluded.value`);
  const tallies = new Map<string, { fn: string; metric: string; n: number }>();
  const tally = (fn: string, metric: CountedMetric, n = 1) => {
    const key = `${fn}\u0000${metric}`;
    const entry = tallies.get(key);
    if (entry === undefined) tallies.set(key, { fn, metric, n });
    else entry.n += n;
  };
  const tallyNewRow = (r: NewInvocationRow) => {
    // A copy made by duplicate delivery is the same event received once.
    if (r.type === 'Event' && r.duplicate_of === null) tally(r.function, 'AsyncEventsReceived');
    if (r.state === 'succeeded' || r.state === 'failed') tally(r.function, 'Invocations');
    if (r.state === 'failed' && r.attempts > 0) tally(r.function, 'Errors');
    if (r.http_status !== null && r.http_status >= 400) tally(r.function, r.http_status >= 500 ? 'Http5xx' : 'Http4xx');
  };
  let depth = 0;
  /** Run `work` in a transaction (a savepoint when nested); the outermost one writes the tallies before it commits. */
  const inTransaction = <T>(work: () => T): T => {
    depth += 1;
    try {
      return db.transaction(() => {
        const result = work();
        if (depth === 1) {
          for (const { fn, metric, n } of tallies.values()) addToCounter.run(fn, metric, n);
          tallies.clear();
        }
        return result;
      })();
    } catch (error) {
      // Rolled back: so are the counts of what it did.
      if (depth === 1) tallies.clear();
      throw error;
    } finally {
      depth -= 1;
    }
  };

  // Positional parameters: binding by name cost a third of an insert.
  const insertOne = (r: NewInvocationRow) => {
    insert.run(
      r.id, r.function, r.type, r.parent_id, r.trace_id, r.hop, r.idempotency_key, r.payload, r.state, r.outcome, r.attempts,
      r.enqueued_at, r.available_at, r.started_at, r.ended_at, r.duration_ms, r.error, r.replay_of, r.duplicate_of, r.lease_owner ?? null,
      r.lane, r.http_status, r.response,
    );
    tallyNewRow(r);
    if (r.type === 'Event' && !knownLanes.has(r.lane)) {
      addLane.run(r.lane, r.function);
      knownLanes.add(r.lane);
    }
  };
  const insertMany = (rows: readonly NewInvocationRow[]) =>
    inTransaction(() => {
      for (const row of rows) insertOne(row);
    });
  // A lane's due events in the order they became due; the attempt counts from the moment it is leased.
  const claimLane = db.prepare(
    `UPDATE invocations SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?
     WHERE id IN (SELECT id FROM invocations WHERE state = 'queued' AND lane = ? AND available_at <= ? ORDER BY available_at LIMIT ?)
     RETURNING ${LEASED_COLUMNS.join(', ')}`,
  );
  const nextDueInLane = db.prepare<[string], { at: number | null }>(`SELECT MIN(available_at) AS at FROM invocations WHERE state = 'queued' AND lane = ?`);
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
  // The attempt a dead process was making counts (as Lambda's would): it is written down as a failed
  // one, ended when the recovery found it, so that an event's attempts and its failures agree.
  const cutShort = JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: 'The runtime process exited during this attempt; the event was delivered again', trace: [] });
  const recordCutShortOf = db.prepare(
    `INSERT OR IGNORE INTO attempts (invocation_id, attempt, started_at, ended_at, error)
     SELECT id, attempts, ?, ?, ? FROM invocations WHERE state = 'running' AND lease_owner = ?`,
  );
  const recordCutShortOfOrphans = db.prepare(
    `INSERT OR IGNORE INTO attempts (invocation_id, attempt, started_at, ended_at, error)
     SELECT id, attempts, ?, ?, ? FROM invocations WHERE state = 'running' AND lease_owner <> ? AND lease_owner NOT IN (SELECT owner FROM workers)`,
  );
  const attempt = db.prepare(`INSERT OR REPLACE INTO attempts (invocation_id, attempt, started_at, ended_at, error) VALUES (?, ?, ?, ?, ?)`);
  const countOpenDeadLetters = db.prepare<[], number>('SELECT count(*) FROM dead_letters WHERE replayed_as IS NULL').pluck();
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
  const replaysOf = db.prepare<[string], string>('SELECT id FROM invocations WHERE replay_of = ? ORDER BY id').pluck();
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
  // An id's neighbours in the whole log: they share the most of its beginning with it.
  const idBefore = db.prepare<[string], { id: string }>('SELECT id FROM invocations WHERE id < ? ORDER BY id DESC LIMIT 1');
  const idAfter = db.prepare<[string], { id: string }>('SELECT id FROM invocations WHERE id > ? ORDER BY id LIMIT 1');
  const markReplayed = db.prepare('UPDATE dead_letters SET replayed_as = ? WHERE id = ?');
  const unreplayed = db.prepare<[], { id: number }>('SELECT id FROM dead_letters WHERE replayed_as IS NULL ORDER BY id');

  // ── retention ──────────────────────────────────────────────────────────
  // Ended invocations before an id, oldest first, except those an open dead letter still needs for its replay.
  const deleteEnded = db.prepare<[string, number], { id: string }>(
    `DELETE FROM invocations WHERE id IN (
       SELECT id FROM invocations WHERE id < ? AND state IN ('succeeded', 'failed')
         AND id NOT IN (SELECT invocation_id FROM dead_letters WHERE replayed_as IS NULL)
       ORDER BY id LIMIT ?)
     RETURNING id`,
  );
  const deleteAttempts = db.prepare('DELETE FROM attempts WHERE invocation_id = ?');
  const deleteRecords = db.prepare('DELETE FROM destination_records WHERE invocation_id = ?');
  const deleteReplayedLetters = db.prepare('DELETE FROM dead_letters WHERE replayed_as IS NOT NULL AND failed_at < ?');
  const nthNewest = db.prepare<[number], { id: string }>('SELECT id FROM invocations ORDER BY id DESC LIMIT 1 OFFSET ?');

  return {
    db,

    // ── the queue ──────────────────────────────────────────────────────────

    /** Insert rows in one transaction (one WAL commit). */
    insertMany(rows: readonly NewInvocationRow[]): void {
      insertMany(rows);
    },
    /** Lease up to `limit` of `lane`'s due events to `owner`, counting their attempt. */
    claimLane(owner: string, lane: string, now: number, limit: number): LeasedRow[] {
      return claimLane.all(owner, now, lane, now, limit) as LeasedRow[];
    },
    /** Every lane this process has seen an event in, and those others had at the last {@link refreshLanes}. */
    lanes(): string[] {
      return [...knownLanes];
    },
    /** Learn the lanes other processes sharing the database have put events in (the worker does so with its heartbeat). */
    refreshLanes(): void {
      for (const { lane } of allLanes.all()) knownLanes.add(lane);
    },
    /** When the next queued event of `lanes` is due (undefined: none is queued). One probe of the lane index each. */
    nextDueAt(lanes: readonly string[]): number | undefined {
      let next: number | undefined;
      for (const lane of lanes) {
        const at = nextDueInLane.get(lane)?.at;
        if (at !== null && at !== undefined && (next === undefined || at < next)) next = at;
      }
      return next;
    },
    anyUnfinished(): boolean {
      return anyUnfinished.get()!.n !== 0;
    },
    succeed(row: LeasedRow, startedAt: number | null, endedAt: number, durationMs: number): void {
      succeed.run(startedAt, endedAt, durationMs, row.id);
      tally(row.function, 'Invocations');
    },
    /** Back to the queue after a failed attempt, due at `availableAt`, with that attempt's error. */
    retry(id: string, availableAt: number, error: string, startedAt: number | null, endedAt: number): void {
      retry.run(availableAt, error, startedAt, endedAt, id);
    },
    /** Back to the queue without spending its attempt, due at `availableAt`. */
    throttle(row: LeasedRow, availableAt: number): void {
      throttle.run(availableAt, row.id);
      tally(row.function, 'Throttles');
    },
    fail(row: LeasedRow, outcome: DestinationCondition, attempts: number, error: string, startedAt: number | null, endedAt: number): void {
      fail.run(outcome, attempts, error, startedAt, endedAt, row.id);
      tally(row.function, 'Invocations');
      tally(row.function, 'AsyncEventsDropped');
      if (attempts > 0) tally(row.function, 'Errors');
    },
    /** Give a leased event back (its attempt uncounted), after a failure to record its result. */
    release(id: string, now: number): void {
      release.run(now, id);
    },
    recordAttempt(id: string, attemptNumber: number, startedAt: number, endedAt: number, error: string): void {
      attempt.run(id, attemptNumber, startedAt, endedAt, error);
    },
    /** Keep a failed event; false when it was kept already. */
    keepDeadLetter(row: LeasedRow, condition: DestinationCondition, record: string, at: number): boolean {
      return deadLetter.run(row.id, row.function, condition, record, row.attempts, at).changes > 0;
    },
    destinationRecord(row: LeasedRow, destination: string, condition: DestinationCondition, deliveredAs: string | null, record: string, at: number): void {
      destinationRecord.run(row.id, row.function, destination, condition, deliveredAs, record, at);
    },
    bumpCounter(functionName: string, metric: 'DeadLetterErrors' | 'DestinationDeliveryFailures'): void {
      bumpCounter.run(functionName, metric);
    },
    transaction<T>(work: () => T): T {
      return inTransaction(work);
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
      recordCutShortOf.run(now, now, cutShort, owner);
      const released = releaseOwner.run(now, owner).changes;
      removeWorker.run(owner);
      return released;
    },
    removeWorker(owner: string): void {
      removeWorker.run(owner);
    },
    /** Requeue events leased by an owner that left no worker row (removed by an earlier recovery). */
    releaseOrphans(self: string, now: number): void {
      recordCutShortOfOrphans.run(now, now, cutShort, self);
      releaseOrphans.run(now, self);
    },

    // ── reading the log ────────────────────────────────────────────────────

    row(id: string): InvocationRow | undefined {
      return getInvocation.get(id);
    },
    /**
     * The log, newest first, filtered. Time bounds and the `before` cursor are ranges of the primary
     * key (ids begin with their time), so paging through a long log reads only the page.
     */
    list(filter: InvocationFilter = {}): InvocationView[] {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        where.push(sql);
        params.push(value);
      };
      const prefix = (column: string, value: string) => {
        // A prefix, as the CLI shows ids: a range on the index, not a scan.
        add(`${column} >= ?`, value);
        add(`${column} < ?`, `${value}\uffff`);
      };
      if (filter.function !== undefined) add('function = ?', filter.function);
      if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
      if (filter.state !== undefined) add('state = ?', filter.state);
      if (filter.type !== undefined) add('type = ?', filter.type);
      if (filter.id !== undefined) {
        if (filter.id.length >= FULL_ID_LENGTH) add('id = ?', filter.id);
        else prefix('id', filter.id);
      }
      if (filter.parentId !== undefined) {
        if (filter.parentId.length >= FULL_ID_LENGTH) add('parent_id = ?', filter.parentId);
        else prefix('parent_id', filter.parentId);
      }
      if (filter.traceId !== undefined) add('trace_id = ?', filter.traceId);
      if (filter.http !== undefined) {
        const [low, high] = HTTP_CLASSES[filter.http];
        add('http_status >= ?', low);
        add('http_status <= ?', high);
      }
      if (filter.from !== undefined) add('id >= ?', idAt(filter.from));
      if (filter.to !== undefined) add('id < ?', idAt(filter.to + 1));
      if (filter.before !== undefined) add('id < ?', filter.before);
      if (filter.text !== undefined) add(`payload LIKE ? ESCAPE '\\'`, `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      // Ids are time-ordered: newest first without an index of their own.
      const sql = `SELECT * FROM invocations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
      const rows = db.prepare(sql).all(...params, clampLimit(filter.limit, 100)) as InvocationRow[];
      return rows.map((row) => toView(row, filter.withPayload ?? false));
    },
    /**
     * The shortest beginning of each id (at least `min` characters) that no other id of the whole log
     * shares, so that a table's short id pasted back (`leedz invocations --id`) finds that invocation.
     */
    shortIds(ids: readonly string[], min = 8): Record<string, string> {
      const short: Record<string, string> = {};
      for (const id of ids) {
        const shared = Math.max(commonLength(id, idBefore.get(id)?.id), commonLength(id, idAfter.get(id)?.id));
        short[id] = id.slice(0, Math.max(min, shared + 1));
      }
      return short;
    },
    /** One invocation by its id, or by a prefix of it that no other id shares. */
    detail(idOrPrefix: string): InvocationDetail | undefined {
      const row = getInvocation.get(idOrPrefix) ?? uniqueByPrefix(idOrPrefix);
      if (row === undefined) return undefined;
      const id = row.id;
      return {
        ...toView(row, true),
        failedAttempts: attemptsOf.all(id).map((a) => ({ attempt: a.attempt, startedAt: iso(a.started_at)!, endedAt: iso(a.ended_at)!, error: JSON.parse(a.error) as SerializedFunctionError })),
        replayedAs: replaysOf.all(id),
        ...replayability(row.payload),
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
    /** Dead letters not replayed yet: what a list of the newest may leave out, and what `replay-all` replays. */
    openDeadLetterCount(): number {
      return countOpenDeadLetters.get()!;
    },
    deadLetter(id: number): DeadLetterView | undefined {
      const row = getDeadLetter.get(id);
      return row === undefined ? undefined : toDeadLetterView(row);
    },
    unreplayedDeadLetterIds(): number[] {
      return unreplayed.all().map((r) => r.id);
    },
    /**
     * Queue a dead letter's event again as the new invocation `newId` (same function, payload and so
     * idempotency key, marked as the replay of the original) and mark the letter, in one transaction.
     * A RangeError says why not: no such letter, replayed already, or its invocation gone from the log.
     */
    replayDeadLetter(letterId: number, newId: string, now: number): { invocationId: string; lane: string } {
      return inTransaction(() => {
        const letter = getDeadLetter.get(letterId);
        if (letter === undefined) throw new RangeError(`dead letter ${letterId}: no such dead letter`);
        if (letter.replayed_as !== null) throw new RangeError(`dead letter ${letterId}: already replayed as ${letter.replayed_as}`);
        const original = getInvocation.get(letter.invocation_id);
        if (original === undefined) throw new RangeError(`dead letter ${letterId}: its invocation ${letter.invocation_id} is no longer in the log`);
        const lane = original.lane || original.function;
        insertOne(
          invocationRow({
            id: newId,
            function: original.function,
            type: original.type,
            payload: original.payload,
            enqueued_at: now,
            parent_id: original.parent_id,
            trace_id: original.trace_id,
            hop: original.hop,
            idempotency_key: original.idempotency_key,
            replay_of: original.id,
            lane,
          }),
        );
        markReplayed.run(newId, letterId);
        return { invocationId: newId, lane };
      });
    },
    destinationRecords(options: { invocationId?: string; limit?: number } = {}): DestinationRecordView[] {
      const limit = clampLimit(options.limit, 100);
      const rows = (
        options.invocationId === undefined
          ? db.prepare('SELECT * FROM destination_records ORDER BY id DESC LIMIT ?').all(limit)
          : db.prepare('SELECT * FROM destination_records WHERE invocation_id = ? ORDER BY id DESC LIMIT ?').all(options.invocationId, limit)
      ) as DestinationRecordRow[];
      return rows.map(toDestinationRecordView);
    },

    // ── retention ──────────────────────────────────────────────────────────

    /**
     * Delete up to `limit` ended invocations older than `beforeId` (with their failed attempts and
     * destination records), oldest first; an invocation an open dead letter needs stays. Returns how many went.
     */
    deleteEndedBefore(beforeId: string, limit: number): number {
      return inTransaction(() => {
        const gone = deleteEnded.all(beforeId, limit);
        for (const { id } of gone) {
          deleteAttempts.run(id);
          deleteRecords.run(id);
        }
        return gone.length;
      });
    },
    /** The id below which the log holds more than `keep` invocations, or undefined when it holds no more. */
    idBeyondNewest(keep: number): string | undefined {
      return nthNewest.get(keep)?.id;
    },
    /** Delete dead letters replayed before `beforeMs` (open ones stay until they are replayed). */
    deleteReplayedDeadLetters(beforeMs: number): number {
      return deleteReplayedLetters.run(beforeMs).changes;
    },
  };
}

const HTTP_CLASSES = { '2xx': [200, 299], '3xx': [300, 399], '4xx': [400, 499], '5xx': [500, 599], error: [400, 599] } as const;

function clampLimit(limit: number | undefined, fallback: number): number {
  return Math.min(Math.max(limit ?? fallback, 1), MAX_LIST);
}

/** How many characters `id` and `other` begin with in common. */
function commonLength(id: string, other: string | undefined): number {
  if (other === undefined) return 0;
  let n = 0;
  while (n < id.length && id[n] === other[n]) n++;
  return n;
}
