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
}

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
