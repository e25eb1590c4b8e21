/**
 * How much history the invocation log keeps. Only ended invocations go (queued and running ones never
 * do), with their failed attempts and destination records; an open dead letter keeps its invocation
 * until it is replayed, and a replayed dead letter goes after `maxAgeHours`. It runs by itself every
 * {@link RETENTION_INTERVAL_MS} and after every {@link RETENTION_EVERY_INSERTS} new invocations, a
 * chunk per turn of the event loop, so the log stays near its bounds and the loop is never held long.
 *
 * @example
 * const retention = createRetention({ log, db, options: { maxInvocations: 50_000 }, onLog: console.log });
 * retention.start();
 * retention.add({ name: 'leedz.db', run: async ({ now }) => ({ idempotencyKeys: deleteExpiredKeys(now) }) });
 * await retention.compact({ vacuum: true }); // `leedz compact --vacuum`
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { idAt, type InvocationLog } from './invocation-log.js';

/** Retention's defaults: a week of history, and at most this many invocations (about 50 MB). */
export const DEFAULT_RETENTION = { maxAgeHours: 168, maxInvocations: 100_000 } as const;
const RETENTION_INTERVAL_MS = 10_000;
/** The application's housekeeping runs by itself at most this often (a compaction asked for runs it always). */
const HOUSEKEEPING_INTERVAL_MS = 60_000;
const RETENTION_EVERY_INSERTS = 10_000;
/** Invocations deleted per transaction. */
const RETENTION_CHUNK = 2_000;

export interface RetentionOptions {
  /** Delete ended invocations older than this (default 168: a week). */
  maxAgeHours?: number;
  /** Keep at most this many invocations, the newest (default 100,000). */
  maxInvocations?: number;
}

/** What one compaction removed, and the database's size after it. */
export interface CompactionReport {
  invocations: number;
  deadLetters: number;
  /** The database's size after it, with its write-ahead log. */
  bytes: number;
  /** What each {@link Housekeeping} of the application removed, by its name: `{ 'leedz.db': { emails: 120 } }`. */
  housekeeping: Record<string, Record<string, number>>;
}

/**
 * The application's own history, trimmed with the invocation log's: the marketplace's expired
 * idempotency records and dispatched outbox messages, for instance. `run` deletes in chunks and
 * yields between them (`isClosed` says when to stop early) and answers how many of each it removed.
 */
export interface Housekeeping {
  /** Names it in the report (`leedz.db`). */
  name: string;
  run(options: { now: number; vacuum: boolean; isClosed: () => boolean }): Promise<Record<string, number>>;
}

export interface Retention {
  /** Run by itself from now on (no-op when retention is off). */
  start(): void;
  /** Stop running by itself; resolves once a run in progress has ended. */
  stop(): Promise<void>;
  /** Count new invocations; past {@link RETENTION_EVERY_INSERTS}, a run starts. */
  noteInserts(count: number): void;
  /** Apply retention now; with `vacuum`, give the freed pages back to the file system. */
  compact(options?: { vacuum?: boolean }): Promise<CompactionReport>;
  /** Run `housekeeping` with every compaction from now on. */
  add(housekeeping: Housekeeping): void;
}

/** Validated options, or undefined for `false` (keep everything). */
export function retentionSettings(options: RetentionOptions | false | undefined): Required<RetentionOptions> | undefined {
  if (options === false) return undefined;
  const settings = { ...DEFAULT_RETENTION, ...options };
  if (!(settings.maxAgeHours > 0)) throw new RangeError(`retention.maxAgeHours must be a positive number, got ${settings.maxAgeHours}`);
  if (!Number.isInteger(settings.maxInvocations) || settings.maxInvocations < 1) {
    throw new RangeError(`retention.maxInvocations must be a positive integer, got ${settings.maxInvocations}`);
  }
  return settings;
}

export function createRetention(deps: {
  log: InvocationLog;
  db: Database.Database;
  /** undefined: retention is off (compact still applies the defaults when asked). */
  settings: Required<RetentionOptions> | undefined;
  onLog: (line: string) => void;
  isClosed: () => boolean;
}): Retention {
  const { log, db } = deps;
  let running: Promise<CompactionReport> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let inserts = 0;
  const housekeepings: Housekeeping[] = [];
  let housekeptAt = 0;

  /** Each housekeeping in turn; one that fails is logged and the others still run. */
  async function houseKeep(vacuum: boolean): Promise<CompactionReport['housekeeping']> {
    const now = Date.now();
    housekeptAt = now;
    const report: CompactionReport['housekeeping'] = {};
    for (const housekeeping of housekeepings) {
      if (deps.isClosed()) break;
      try {
        const removed = await housekeeping.run({ now, vacuum, isClosed: deps.isClosed });
        report[housekeeping.name] = removed;
        if (Object.values(removed).some((count) => count > 0)) deps.onLog(`runtime: retention removed ${describeRemoved(removed)} from ${housekeeping.name}`);
      } catch (error) {
        deps.onLog(`runtime: housekeeping of ${housekeeping.name} failed: ${(error as Error).message}`);
      }
    }
    return report;
  }

  async function removeOld(): Promise<Pick<CompactionReport, 'invocations' | 'deadLetters'>> {
    const settings = deps.settings ?? DEFAULT_RETENTION;
    const now = Date.now();
    const byAge = idAt(now - settings.maxAgeHours * 3_600_000);
    const byCount = log.idBeyondNewest(settings.maxInvocations);
    // Whichever bound is newer: everything before it goes (ids sort by time).
    const cutoff = byCount !== undefined && byCount >= byAge ? `${byCount}\u0000` : byAge;
    const invocations = await deleteInChunks(deps.isClosed, RETENTION_CHUNK, () => log.deleteEndedBefore(cutoff, RETENTION_CHUNK));
    const deadLetters = deps.isClosed() ? 0 : log.deleteReplayedDeadLetters(now - settings.maxAgeHours * 3_600_000);
    if (invocations > 0) deps.onLog(`runtime: retention removed ${invocations} ended invocations`);
    return { invocations, deadLetters };
  }

  function compact(options: { vacuum?: boolean } = {}, asked = true): Promise<CompactionReport> {
    // One run at a time: a second waits for the first, then runs (it may find more to remove).
    const run = (running ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const report = await removeOld();
        const vacuum = options.vacuum === true;
        const housekeeping = asked || Date.now() - housekeptAt >= HOUSEKEEPING_INTERVAL_MS ? await houseKeep(vacuum) : {};
        if (vacuum && !deps.isClosed()) {
          db.exec('VACUUM');
          db.pragma('wal_checkpoint(TRUNCATE)');
        }
        return { ...report, bytes: storageBytes(db), housekeeping };
      });
    const tracked: Promise<CompactionReport> = run.finally(() => {
      if (running === tracked) running = undefined;
    });
    tracked.catch(() => {});
    running = tracked;
    return run;
  }

  function runNow(): void {
    if (deps.settings === undefined || running !== undefined || deps.isClosed()) return;
    inserts = 0;
    void compact({}, false).catch((error: unknown) => deps.onLog(`runtime: retention failed: ${(error as Error).message}`));
  }

  return {
    start() {
      if (deps.settings === undefined || timer !== undefined) return;
      timer = setInterval(runNow, RETENTION_INTERVAL_MS);
      timer.unref();
      runNow();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => {});
    },
    noteInserts(count) {
      inserts += count;
      if (inserts >= RETENTION_EVERY_INSERTS) runNow();
    },
    compact: (options) => compact(options),
    add(housekeeping) {
      housekeepings.push(housekeeping);
    },
  };
}

/**
 * What a housekeeping removed, in words: `{ outboxMessages: 3, emails: 0 }` reads "3 outbox messages, 0 emails".
 *
 * @example
 * describeRemoved({ idempotencyKeys: 2 }); // → '2 idempotency keys'
 */
export function describeRemoved(removed: Record<string, number>): string {
  return Object.entries(removed)
    .map(([what, count]) => `${count} ${what.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`)}`)
    .join(', ');
}

/**
 * Call `deleteChunk` (which deletes at most `chunk` rows in one transaction) until it deletes fewer, or
 * `stopped`, with the event loop free between calls; answers how many went in all.
 */
export async function deleteInChunks(stopped: () => boolean, chunk: number, deleteChunk: () => number): Promise<number> {
  let total = 0;
  while (!stopped()) {
    const deleted = deleteChunk();
    total += deleted;
    if (deleted < chunk) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return total;
}

/** A database's size in bytes, with its write-ahead log. */
export function storageBytes(db: Database.Database): number {
  if (db.memory) return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
  return fileBytes(db.name) + fileBytes(`${db.name}-wal`);
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
