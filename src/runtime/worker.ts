/**
 * The runtime's worker: the loop that takes due Event invocations from the log and runs them, as
 * Lambda's asynchronous invocation service does for a function. It owns the pool (how many events
 * run, per lane), the timers (poll, wake-up for the next delayed retry, heartbeat) and the batch of
 * ended attempts that one transaction records. What it decides before each attempt is
 * src/runtime/async-rules.ts; how a lane gets its share of free slots is src/runtime/fair-claim.ts;
 * how an ended attempt is recorded is src/runtime/completions.ts; how a handler runs is the
 * runtime's `execute`.
 *
 * @example
 * const worker = createWorker({ log, registry, recorder, owner, poolSize: 64, pollIntervalMs: 250, timeScale: 1, execute, running, onLog, isClosed });
 * worker.start();
 * worker.schedule(['emailHelper:sendEmail']); // an event of that lane may be due
 * await worker.stop();
 */
import { hostname } from 'node:os';
import { metaOf } from '../framework/envelope.js';
import { beforeAttempt } from './async-rules.js';
import { asyncOutcome } from './handler-run.js';
import type { Completion, CompletionRecorder } from './completions.js';
import { recoverDeadWorkers } from './crash-recovery.js';
import { claimFairly } from './fair-claim.js';
import { functionOfLane, type InvocationLog } from './invocation-log.js';
import type { Registry, ResolvedFunction } from './registry.js';
import type { LeasedRow } from './runtime-db.js';
import { createTickBatch } from '../framework/tick-batch.js';

/** How often a worker says it is alive (src/runtime/crash-recovery.ts). */
const HEARTBEAT_MS = 1000;
/** How long an event whose end could not be recorded waits before it is delivered again. */
const REDELIVER_DELAY_MS = 1000;

/** One attempt for the runtime's `execute`: the event's id, payload, chain and start. */
export interface Attempt {
  requestId: string;
  payload: unknown;
  meta: ReturnType<typeof metaOf> & { hop: number; traceId: string };
  startedAt: number;
}

export interface WorkerOptions {
  log: InvocationLog;
  registry: Registry;
  recorder: CompletionRecorder;
  /** This process's name in the log's leases and heartbeats. */
  owner: string;
  /** Events that run at once: the runtime's account concurrency. */
  poolSize: number;
  pollIntervalMs: number;
  timeScale: number;
  /** Run a handler, counted against its function's concurrency. */
  execute(target: ResolvedFunction, attempt: Attempt): Promise<{ result: unknown } | { error: unknown }>;
  /** How many invocations of a function run now, synchronous ones included. */
  running(name: string): number;
  onLog(line: string): void;
  /** The database is closed: nothing more can be recorded. */
  isClosed(): boolean;
}

export interface Worker {
  /** Heartbeat, recover events leased by dead processes, then deliver due events; false when it was running already. */
  start(): boolean;
  /** Stop taking events, wait for the running ones and record how they ended; false when it was not running. */
  stop(): Promise<boolean>;
  /** Look for due events in the next turn, in `lanes` (default: every lane). */
  schedule(lanes?: Iterable<string> | 'all'): void;
  /** Apply the asynchronous rules to an event leased to this worker, and run it if they allow. */
  deliver(row: LeasedRow, now: number): void;
  /** Free slots of the pool (none while stopped). */
  room(): number;
  /** Whether a function's queue is held (src/runtime/registry.ts). */
  isPaused(name: string): boolean;
  /** No event runs and no ended attempt waits to be recorded. */
  idle(): boolean;
}

export function createWorker(options: WorkerOptions): Worker {
  const { log, registry, recorder, owner, poolSize, pollIntervalMs, timeScale, onLog } = options;
  const runningByLane = new Map<string, number>();
  const inflight = new Set<Promise<void>>();
  const completions = createTickBatch<Completion>(flushCompletions);
  /**
   * Lanes that may hold due events. A lane leaves when a claim finds fewer than it asked for; it
   * comes back with whatever can make one of its events due (an insert, a retry, a setting, the poll).
   */
  const dueLanes = new Set<string>(log.lanes());
  let runningEvents = 0;
  /** Rotates which lane is asked first among those equally busy. */
  let turn = 0;
  let started = false;
  let pumpScheduled = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let wakeTimer: NodeJS.Timeout | undefined;

  const isPaused = (name: string) => registry.describe(name)?.config.paused === true;
  const recover = () => recoverDeadWorkers(log, owner, Date.now(), onLog);

  /**
   * What the log could not do in a timer's turn (a full disk, a file gone read-only): said once, and
   * once more when it works again, instead of an exception that would end the process. The timers
   * try again at their next turn; nothing leased is lost meanwhile.
   */
  const troubles = new Map<string, string>();
  const guarded = (what: string, work: () => void): void => {
    try {
      work();
      if (troubles.delete(what) && troubles.size === 0) onLog('runtime: the database works again; the worker goes on');
    } catch (error) {
      const message = `runtime: could not ${what}: ${(error as Error).message}; trying again`;
      if (troubles.get(what) !== message) onLog(message);
      troubles.set(what, message);
    }
  };

  function schedule(lanes: Iterable<string> | 'all' = 'all'): void {
    for (const lane of lanes === 'all' ? log.lanes() : lanes) dueLanes.add(lane);
    if (!started || pumpScheduled) return;
    pumpScheduled = true;
    setImmediate(() => {
      pumpScheduled = false;
      pump();
    });
  }

  /** Fill the pool's free slots from the lanes with due events, fairly. */
  function pump(): void {
    if (!started) return;
    const free = poolSize - runningEvents;
    if (free <= 0 || dueLanes.size === 0) return;
    const now = Date.now();
    // Paused lanes stay out until resumed (which marks every lane due again).
    for (const lane of dueLanes) if (isPaused(functionOfLane(lane))) dueLanes.delete(lane);
    const { claimed, exhausted } = claimFairly({
      lanes: [...dueLanes],
      running: (lane) => runningByLane.get(lane) ?? 0,
      free,
      turn: turn++,
      // A claim the log refuses takes nothing, and its lane waits for the poll; those claimed before it still run.
      claim: (lane, count) => {
        let rows: LeasedRow[] = [];
        guarded('take due events', () => {
          rows = log.claimLane(owner, lane, now, count);
        });
        return rows;
      },
    });
    // A lane that gave fewer than asked holds nothing more that is due: not asked again until something changes.
    for (const lane of exhausted) dueLanes.delete(lane);
    for (const row of claimed) deliver(row, now);
    if (dueLanes.size === 0) armWakeTimer(now);
  }

  /** When nothing is due, sleep until the next delayed retry rather than waiting for the poll. */
  function armWakeTimer(now: number): void {
    let next: number | undefined;
    guarded('look for the next due event', () => {
      next = log.nextDueAt(log.lanes().filter((lane) => !isPaused(functionOfLane(lane))));
    });
    if (next === undefined) return;
    clearTimeout(wakeTimer);
    const delay = Math.max(1, next - now);
    if (delay >= pollIntervalMs) return;
    wakeTimer = setTimeout(() => schedule(), delay);
    wakeTimer.unref();
  }

  function deliver(row: LeasedRow, now: number): void {
    const target = registry.describe(row.function);
    const next = beforeAttempt({
      event: { function: row.function, hop: row.hop, attempts: row.attempts, throttles: row.throttles, enqueuedAt: row.enqueued_at },
      config: target?.config,
      running: options.running(row.function),
      now,
      timeScale,
      arn: registry.arnOf(row.function),
    });
    if (next.kind === 'end') completions.add({ kind: 'final', row, condition: next.condition, error: next.error, ran: false });
    else if (next.kind === 'throttle') completions.add({ kind: 'throttled', row, delayMs: next.delayMs });
    else run(target!, row);
  }

  function run(target: ResolvedFunction, row: LeasedRow): void {
    runningEvents++;
    const lane = row.lane;
    runningByLane.set(lane, (runningByLane.get(lane) ?? 0) + 1);
    const startedAt = Date.now();
    const task = (async () => {
      let outcome: { result: unknown } | { error: unknown };
      try {
        const payload = JSON.parse(row.payload) as unknown;
        // The runtime's own record of the chain, not the envelope's claims.
        const meta = { ...metaOf(payload), hop: row.hop, traceId: row.trace_id ?? row.id, ...(row.parent_id === null ? {} : { parentId: row.parent_id }) };
        outcome = asyncOutcome(await options.execute(target, { requestId: row.id, payload, meta, startedAt }));
      } catch (error) {
        // A row the runtime cannot read (written by hand, or by an older release) fails like a handler would, not the process.
        outcome = { error };
      }
      const endedAt = Date.now();
      row.started_at = startedAt;
      completions.add('error' in outcome ? { kind: 'error', row, endedAt, error: outcome.error } : { kind: 'success', row, endedAt, result: outcome.result });
    })().finally(() => {
      runningEvents--;
      runningByLane.set(lane, runningByLane.get(lane)! - 1);
      inflight.delete(task);
    });
    inflight.add(task);
  }

  /** Record every ended attempt of this turn in one transaction, then look for more work. */
  function flushCompletions(batch: Completion[]): void {
    if (options.isClosed()) return;
    const now = Date.now();
    const lines: string[] = [];
    try {
      log.transaction(() => {
        for (const completion of batch) lines.push(recorder.record(completion, now));
      });
    } catch {
      // Rolled back: each again alone, so that one the log cannot take does not send the others round again.
      lines.length = 0;
      for (const completion of batch) {
        try {
          log.transaction(() => lines.push(recorder.record(completion, now)));
        } catch (error) {
          // Still leased by this live process: put it back, a moment later, so nothing is lost and nothing spins.
          onLog(`runtime: could not record how ${completion.row.function} ${completion.row.id} ended (${(error as Error).message}); it will be redelivered`);
          // Should that fail too (the disk is full), the event stays leased until a restart redelivers it.
          guarded('put an event back in the queue', () => log.release(completion.row.id, now + REDELIVER_DELAY_MS));
        }
      }
    }
    for (const line of lines) if (line) onLog(line);
    // A plain success queues nothing; anything else may have (a retry, a throttle, a destination's record).
    const due = new Set<string>();
    for (const completion of batch) {
      const config = registry.describe(completion.row.function)?.config;
      if (completion.kind === 'success' && config?.onSuccess === undefined) continue;
      due.add(completion.row.lane);
      for (const destination of [config?.onSuccess, config?.onFailure]) if (destination !== undefined) due.add(destination);
    }
    // And the pool has room again: take more if more may be due.
    schedule(due);
  }

  return {
    start() {
      if (started) return false;
      started = true;
      log.heartbeat(owner, process.pid, hostname(), Date.now());
      recover();
      heartbeatTimer = setInterval(() => {
        guarded('write the worker’s heartbeat', () => {
          log.heartbeat(owner, process.pid, hostname(), Date.now());
          log.refreshLanes();
          recover();
        });
      }, HEARTBEAT_MS);
      heartbeatTimer.unref();
      pollTimer = setInterval(() => schedule(), pollIntervalMs);
      pollTimer.unref();
      schedule();
      return true;
    },
    async stop() {
      if (!started) return false;
      started = false;
      clearInterval(pollTimer);
      clearInterval(heartbeatTimer);
      clearTimeout(wakeTimer);
      await Promise.allSettled([...inflight]);
      completions.flushNow();
      return true;
    },
    schedule,
    deliver,
    room: () => (started ? poolSize - runningEvents : 0),
    isPaused,
    idle: () => inflight.size === 0 && completions.size === 0,
  };
}
