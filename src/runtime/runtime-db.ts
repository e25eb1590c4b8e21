/**
 * The local runtime's SQLite database: the durable Event queue, which is also the invocation log
 * (a queued event becomes a log row when it ends, so the happy path writes each event twice: once to
 * accept it, once to finish it), failed attempts, dead letters, destination records and counters.
 *
 * Durability: WAL with `synchronous=NORMAL` survives a crash of the process (every commit is in
 * the WAL file before the 202); `synchronous=FULL` also survives power loss (fsync per commit).
 * See https://www.sqlite.org/pragma.html#pragma_synchronous.
 */
import Database from 'better-sqlite3';
import type { InvocationState, InvocationType, Outcome } from './views.js';

export type Durability = 'process-crash' | 'power-loss';

export type { InvocationState, InvocationType, Outcome } from './views.js';

export interface InvocationRow {
  id: string;
  function: string;
  type: InvocationType;
  parent_id: string | null;
  trace_id: string | null;
  hop: number;
  idempotency_key: string | null;
  payload: string;
  state: InvocationState;
  outcome: Outcome | null;
  attempts: number;
  throttles: number;
  enqueued_at: number;
  available_at: number;
  started_at: number | null;
  ended_at: number | null;
  duration_ms: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  error: string | null;
  replay_of: string | null;
  /** Set on the extra copy that duplicate delivery made of an event (`LEEDZ_DUPLICATE_DELIVERY`): the original's id. */
  duplicate_of: string | null;
  /** What the queue schedules fairly: the function, or `function:route` for a controller's route. */
  lane: string;
  /** The status a synchronous invocation answered an HTTP request with (`status` or `statusCode` of its result). */
  http_status: number | null;
  /** A synchronous invocation's result as JSON, its first {@link RESPONSE_LOG_CHARS} characters ({@link SUCCESS_LOG_CHARS} of an HTTP success). */
  response: string | null;
}

/** The columns of a leased event that running it and recording its end read. */
export const LEASED_COLUMNS = ['id', 'function', 'type', 'payload', 'hop', 'trace_id', 'parent_id', 'attempts', 'throttles', 'enqueued_at', 'started_at', 'lane'] as const;

/**
 * An event leased to a worker: only {@link LEASED_COLUMNS}. A claim returns these and not the whole
 * row: each column of `RETURNING *` cost the claim time, which was a third of its time per event.
 */
export type LeasedRow = Pick<InvocationRow, (typeof LEASED_COLUMNS)[number]>;

/** How much of a synchronous invocation's answer the log keeps. */
export const RESPONSE_LOG_CHARS = 4096;
/**
 * How much of a synchronous invocation's payload the log keeps (an Event's is its queue entry, kept
 * whole). A request of the marketplace is a few KB; without a bound, anyone could fill the disk with
 * 64 KB bodies that fail validation, each kept for a week. Beyond it the log keeps the beginning,
 * marked (`keptRequest` in src/runtime/sync-invocation.ts), and the invocation cannot be replayed.
 */
export const REQUEST_LOG_CHARS = 16_384;
/**
 * How much of an HTTP answer below 400 it keeps: its beginning shows what was sent, and each kept
 * character is written on every request (a 4 KB preview of a month's search cost a tenth of serving it).
 */
export const SUCCESS_LOG_CHARS = 1024;

const MIGRATIONS: string[] = [
  `CREATE TABLE invocations (
     id TEXT PRIMARY KEY,
     function TEXT NOT NULL,
     type TEXT NOT NULL,
     parent_id TEXT,
     trace_id TEXT,
     hop INTEGER NOT NULL DEFAULT 0,
     idempotency_key TEXT,
     payload TEXT NOT NULL,
     state TEXT NOT NULL,
     outcome TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     throttles INTEGER NOT NULL DEFAULT 0,
     enqueued_at INTEGER NOT NULL,
     available_at INTEGER NOT NULL,
     started_at INTEGER,
     ended_at INTEGER,
     duration_ms REAL,
     lease_owner TEXT,
     lease_until INTEGER,
     error TEXT,
     replay_of TEXT
   );
   CREATE INDEX invocations_ready ON invocations (available_at) WHERE state = 'queued';
   CREATE INDEX invocations_leased ON invocations (lease_owner) WHERE state = 'running';
   CREATE INDEX invocations_by_function ON invocations (function, enqueued_at);
   CREATE INDEX invocations_by_parent ON invocations (parent_id) WHERE parent_id IS NOT NULL;
   CREATE INDEX invocations_by_time ON invocations (enqueued_at);
   CREATE TABLE attempts (
     invocation_id TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     started_at INTEGER NOT NULL,
     ended_at INTEGER NOT NULL,
     error TEXT NOT NULL,
     PRIMARY KEY (invocation_id, attempt)
   );
   CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     invocation_id TEXT NOT NULL UNIQUE,
     function TEXT NOT NULL,
     condition TEXT NOT NULL,
     record TEXT NOT NULL,
     attempts INTEGER NOT NULL,
     failed_at INTEGER NOT NULL,
     replayed_as TEXT
   );
   CREATE TABLE destination_records (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     invocation_id TEXT NOT NULL,
     function TEXT NOT NULL,
     destination TEXT NOT NULL,
     condition TEXT NOT NULL,
     delivered_as TEXT,
     record TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX destination_records_by_invocation ON destination_records (invocation_id);
   CREATE TABLE counters (
     function TEXT NOT NULL,
     metric TEXT NOT NULL,
     value INTEGER NOT NULL,
     PRIMARY KEY (function, metric)
   );
   CREATE TABLE workers (
     owner TEXT PRIMARY KEY,
     pid INTEGER NOT NULL,
     host TEXT NOT NULL,
     heartbeat_at INTEGER NOT NULL
   );`,
  // Settings changed through the management API (Put/Update/DeleteFunctionEventInvokeConfig,
  // Put/DeleteFunctionConcurrency): they override what the code declares and survive a restart.
  // `event_invoke_config`: NULL = the code's; '{"deleted":true}' = none (AWS's defaults); else AWS's shape.
  // `reserved_set`: 1 when `reserved_concurrency` overrides the code's (NULL = unreserved).
  `CREATE TABLE function_settings (
     function TEXT PRIMARY KEY,
     event_invoke_config TEXT,
     event_invoke_config_at INTEGER,
     reserved_concurrency INTEGER,
     reserved_set INTEGER NOT NULL DEFAULT 0
   );
   ALTER TABLE invocations ADD COLUMN duplicate_of TEXT;`,
  // Ids are time-ordered (src/runtime/request-id.ts): the primary key gives the log its order, and an
  // index on enqueued_at was one more page to write with every event.
  `DROP INDEX invocations_by_time;`,
  // Fair scheduling (a lane per function and controller route, claimed in turn), HTTP answers in the
  // log, paused queues, and the metrics as running counters kept with the rows they count, so reading
  // them costs the same after a million invocations as after ten. The counters start from what the
  // log already holds; `log_meta.counters_since` is when counting began.
  `ALTER TABLE invocations ADD COLUMN lane TEXT NOT NULL DEFAULT '';
   ALTER TABLE invocations ADD COLUMN http_status INTEGER;
   ALTER TABLE invocations ADD COLUMN response TEXT;
   UPDATE invocations SET lane = function WHERE state IN ('queued', 'running');
   CREATE INDEX invocations_lane_ready ON invocations (lane, available_at) WHERE state = 'queued';
   DROP INDEX invocations_ready;
   CREATE TABLE lanes (lane TEXT PRIMARY KEY, function TEXT NOT NULL);
   INSERT OR IGNORE INTO lanes SELECT DISTINCT lane, function FROM invocations WHERE state = 'queued';
   ALTER TABLE function_settings ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   INSERT INTO log_meta VALUES ('counters_since', CAST(COALESCE((SELECT MIN(enqueued_at) FROM invocations), CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS TEXT));
   INSERT INTO counters (function, metric, value)
     SELECT function, metric, value FROM (
       SELECT function, 'AsyncEventsReceived' AS metric, SUM(type = 'Event') AS value FROM invocations GROUP BY function
       UNION ALL SELECT function, 'AsyncEventsDropped', SUM(type = 'Event' AND state = 'failed') FROM invocations GROUP BY function
       UNION ALL SELECT function, 'Invocations', SUM(state IN ('succeeded', 'failed')) FROM invocations GROUP BY function
       UNION ALL SELECT function, 'Errors', SUM(state = 'failed' AND attempts > 0) FROM invocations GROUP BY function
       UNION ALL SELECT function, 'Throttles', SUM(throttles) FROM invocations GROUP BY function
     ) WHERE value > 0
     ON CONFLICT (function, metric) DO UPDATE SET value = value + excluded.value;`,
  // What an invocation was replayed as, asked by its detail (the console's "Replayed as"): only
  // replays are in it, so an ordinary insert does not touch it.
  `CREATE INDEX invocations_by_replay ON invocations (replay_of) WHERE replay_of IS NOT NULL;`,
];

/** Open (and migrate) the runtime database at `path` (`:memory:` for a throwaway one). */
export function openRuntimeDb(path: string, durability: Durability = 'process-crash'): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${durability === 'power-loss' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  // The queue rewrites the same few pages in every commit; checkpointing every 4,000 pages (16 MB of
  // WAL) instead of SQLite's 1,000 copies each of them once for many commits, not once for a few.
  db.pragma('wal_autocheckpoint = 4000');
  migrate(db);
  return db;
}

function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let index = version; index < MIGRATIONS.length; index++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[index]!);
      db.pragma(`user_version = ${index + 1}`);
    })();
  }
}
