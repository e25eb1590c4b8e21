/**
 * How an accepted invocation becomes durable. Rows added in one turn of the event loop commit in one
 * transaction (group commit), and each caller resumes once its own row is committed: an Event's 202
 * never comes before its row is stored. An Event that can run at once is stored already leased to
 * this worker, its first attempt counted, and handed to the worker from memory: the same durable row
 * a claim would leave, without the claim's UPDATE (which cost more than the insert). A crash
 * redelivers it like any leased event.
 *
 * A synchronous invocation's record is different: its caller has its answer already and waits on
 * nothing, so records gather for up to {@link RECORD_WINDOW_MS} (or {@link RECORD_BATCH} rows) and
 * commit with the next events or on their own: one commit for many answered requests instead of one
 * a turn (on a search under load that was a tenth of each request's CPU). Reads of the log flush
 * them first; a crash loses at most that window of records of requests already answered.
 *
 * With duplicate delivery on, a fraction of events is stored twice (the copy accepted with the
 * original, one 202 for both, as Lambda's queue would hold it) and every event waits a random moment,
 * so events also run out of order (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
 *
 * @example
 * const intake = createEventIntake({ log, owner, duplicateDelivery: 0, random: Math.random, room: () => 16, isPaused: () => false,
 *   runLeased: (row, now) => worker.deliver(row, now), queued: (lanes) => worker.schedule(lanes), noteInserts: () => {} });
 * await intake.acceptEvent(invocationRow({ id, function: 'sink', type: 'Event', payload: '{}', enqueued_at: now, available_at: intake.availableAt(now) }));
 */
import { InvokeError } from '../framework/transport.js';
import type { InvocationLog, NewInvocationRow } from './invocation-log.js';
import { newRequestId } from './request-id.js';
import type { LeasedRow } from './runtime-db.js';
import { createTickBatch } from '../framework/tick-batch.js';

/** How long a synchronous invocation's record may wait for others to commit with. */
export const RECORD_WINDOW_MS = 25;
/** Records that commit at once without waiting for the window. */
const RECORD_BATCH = 256;

/** The window over which duplicate delivery spreads events and their copies (real time: it is not AWS's delay to scale). */
const REORDER_WINDOW_MS = 50;

export interface EventIntake {
  /** Store an Event's row (and, with duplicate delivery, maybe its copy); resolves once the row is committed. */
  acceptEvent(row: NewInvocationRow): Promise<void>;
  /** Store a row no caller waits on (a synchronous invocation's record): with the next commit, within {@link RECORD_WINDOW_MS}. */
  record(row: NewInvocationRow): void;
  /** When an event accepted at `now` may first run: now, or with duplicate delivery a random moment later. */
  availableAt(now: number): number;
  /** Commit what is waiting now, records included (at shutdown, or before a read that must see it). */
  flushNow(): void;
  /** Rows waiting for the next commit, records included. */
  readonly size: number;
}

export interface EventIntakeDeps {
  log: InvocationLog;
  /** This worker's lease owner. */
  owner: string;
  /** Fraction (0–1) of events stored twice. */
  duplicateDelivery: number;
  random: () => number;
  /** How many events the worker could start right now (0 before it starts). */
  room(): number;
  isPaused(functionName: string): boolean;
  /** Run an event stored already leased to this worker. */
  runLeased(row: LeasedRow, now: number): void;
  /** These lanes have events stored queued (for the worker to claim). */
  queued(lanes: string[]): void;
  /** How many rows were stored (for retention's count). */
  noteInserts(count: number): void;
  /** Records could not be stored (the runtime's log line). */
  onLog(line: string): void;
}

interface PendingInsert {
  row: NewInvocationRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function createEventIntake(deps: EventIntakeDeps): EventIntake {
  const { log, owner, duplicateDelivery, random } = deps;
  if (!(duplicateDelivery >= 0 && duplicateDelivery <= 1)) throw new RangeError(`duplicateDelivery must be from 0 to 1, got ${duplicateDelivery}`);
  const inserts = createTickBatch<PendingInsert>(flush);

  const availableAt = (now: number) => now + (duplicateDelivery > 0 ? Math.floor(random() * REORDER_WINDOW_MS) : 0);
  const store = (row: NewInvocationRow) => new Promise<void>((resolve, reject) => inserts.add({ row, resolve, reject }));

  let records: NewInvocationRow[] = [];
  let recordTimer: NodeJS.Timeout | undefined;
  /** The records waiting, handed to the commit that takes them. */
  const takeRecords = (): NewInvocationRow[] => {
    clearTimeout(recordTimer);
    recordTimer = undefined;
    const taken = records;
    records = [];
    return taken;
  };
  const flushRecords = () => {
    const batch = takeRecords();
    if (batch.length === 0) return;
    try {
      log.insertMany(batch);
      deps.noteInserts(batch.length);
    } catch (error) {
      deps.onLog(`invocation log: ${batch.length} records of synchronous invocations could not be stored: ${(error as Error).message}`);
    }
  };

  /** Commit a turn's events, with the records waiting; then start or queue the events. */
  function flush(batch: PendingInsert[]): void {
    const waitingRecords = takeRecords();
    const now = Date.now();
    const runNow: NewInvocationRow[] = [];
    let room = deps.room();
    const rows = batch.map(({ row }) => {
      if (room <= 0 || row.type !== 'Event' || row.state !== 'queued' || row.available_at > now || deps.isPaused(row.function)) return row;
      room -= 1;
      const leased = { ...row, state: 'running' as const, attempts: 1, lease_owner: owner };
      runNow.push(leased);
      return leased;
    });
    try {
      log.insertMany(waitingRecords.length === 0 ? rows : [...waitingRecords, ...rows]);
    } catch (error) {
      const failure = new InvokeError('ServiceException', `The local runtime could not store the event: ${(error as Error).message}`, { cause: error });
      for (const pending of batch) pending.reject(failure);
      // The records did not cause it (most likely): they get a commit of their own.
      records = [...waitingRecords, ...records];
      flushRecords();
      return;
    }
    for (const pending of batch) pending.resolve();
    for (const row of runNow) deps.runLeased({ ...row, throttles: 0 }, now);
    if (runNow.length < rows.length) deps.queued(rows.flatMap((row) => (row.state === 'queued' ? [row.lane] : [])));
    deps.noteInserts(waitingRecords.length + rows.length);
  }

  return {
    acceptEvent(row) {
      const accepted = store(row);
      if (duplicateDelivery > 0 && random() < duplicateDelivery) {
        void store({ ...row, id: newRequestId(), available_at: availableAt(row.enqueued_at), duplicate_of: row.id }).catch(() => {});
      }
      return accepted;
    },
    record(row) {
      records.push(row);
      if (records.length >= RECORD_BATCH) flushRecords();
      else if (recordTimer === undefined) {
        recordTimer = setTimeout(flushRecords, RECORD_WINDOW_MS);
        recordTimer.unref();
      }
    },
    availableAt,
    flushNow: () => {
      inserts.flushNow();
      flushRecords();
    },
    get size() {
      return inserts.size + records.length;
    },
  };
}
