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
 * await retention.compact({ vacuum: true }); // `leedz compact --vacuum`
 */
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { idAt, type InvocationLog } from './invocation-log.js';

/** Retention's defaults: a week of history, and at most this many invocations (about 50 MB). */
export const DEFAULT_RETENTION = { maxAgeHours: 168, maxInvocations: 100_000 } as const;
const RETENTION_INTERVAL_MS = 10_000;
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

  async function removeOld(): Promise<Omit<CompactionReport, 'bytes'>> {
    const settings = deps.settings ?? DEFAULT_RETENTION;
    const now = Date.now();
    const byAge = idAt(now - settings.maxAgeHours * 3_600_000);
    const byCount = log.idBeyondNewest(settings.maxInvocations);
    // Whichever bound is newer: everything before it goes (ids sort by time).
    const cutoff = byCount !== undefined && byCount >= byAge ? `${byCount}\u0000` : byAge;
    let invocations = 0;
    for (;;) {
      if (deps.isClosed()) break;
      const deleted = log.deleteEndedBefore(cutoff, RETENTION_CHUNK);
      invocations += deleted;
      if (deleted < RETENTION_CHUNK) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const deadLetters = deps.isClosed() ? 0 : log.deleteReplayedDeadLetters(now - settings.maxAgeHours * 3_600_000);
    if (invocations > 0) deps.onLog(`runtime: retention removed ${invocations} ended invocations`);
    return { invocations, deadLetters };
  }

  function compact(options: { vacuum?: boolean } = {}): Promise<CompactionReport> {
    // One run at a time: a second waits for the first, then runs (it may find more to remove).
    const run = (running ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const report = await removeOld();
        if (options.vacuum && !deps.isClosed()) {
          db.exec('VACUUM');
          db.pragma('wal_checkpoint(TRUNCATE)');
        }
        return { ...report, bytes: storageBytes(db) };
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
    void compact().catch((error: unknown) => deps.onLog(`runtime: retention failed: ${(error as Error).message}`));
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
    compact,
  };
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
