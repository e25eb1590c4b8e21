/**
 * The invocation log's rows as the runtime's JSON shows them (`/local/*`, the console, the CLI):
 * instants as ISO strings, stored JSON parsed, a kept answer that was cut shown as `{ truncated }`.
 *
 * @example
 * toView(row, false); // { id, function, type, state, outcome, enqueuedAt: '2026-…Z', httpStatus, … }
 */
import type { SerializedFunctionError } from '../framework/errors.js';
import type { DestinationRecord } from '../framework/destination-record.js';
import { nestsDeeperThan, valueNestsDeeperThan } from '../framework/json-depth.js';
import type { InvocationRow } from './runtime-db.js';
import type { DeadLetterView, DestinationRecordView, InvocationView, Outcome } from './views.js';

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

export interface DestinationRecordRow {
  id: number;
  invocation_id: string;
  function: string;
  destination: string;
  condition: string;
  delivered_as: string | null;
  created_at: number;
  record: string;
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
    httpStatus: row.http_status,
  };
  if (withPayload) {
    view.payload = parseShown(row.payload);
    if (row.response !== null) view.response = parseKept(row.response);
  }
  return view;
}

/** Stored JSON is shown this deep at most: serializing a deeper value again (to send it) would overflow the stack. */
const SHOWN_DEPTH = 256;
const NOT_SHOWN = { notShown: `the JSON nests deeper than ${SHOWN_DEPTH} levels` };

/** A stored payload, or what it is when it nests too deep to show. */
function parseShown(text: string): unknown {
  return nestsDeeperThan(text, SHOWN_DEPTH) ? { ...NOT_SHOWN, bytes: Buffer.byteLength(text) } : JSON.parse(text);
}

/** A destination record, each of its payloads shown unless it nests too deep. */
function recordShown(text: string): DestinationRecord {
  const record = JSON.parse(text) as DestinationRecord;
  if (!nestsDeeperThan(text, SHOWN_DEPTH)) return record;
  if (valueNestsDeeperThan(record.requestPayload, SHOWN_DEPTH - 1)) record.requestPayload = { ...NOT_SHOWN };
  if (valueNestsDeeperThan(record.responsePayload, SHOWN_DEPTH - 1)) record.responsePayload = { ...NOT_SHOWN };
  return record;
}

/** A kept answer: its JSON, or the text when the log cut it (src/runtime/kept-answer.ts). */
function parseKept(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { truncated: text };
  }
}

export function toDeadLetterView(r: DeadLetterRow): DeadLetterView {
  return {
    id: r.id,
    invocationId: r.invocation_id,
    function: r.function,
    condition: r.condition,
    attempts: r.attempts,
    failedAt: iso(r.failed_at)!,
    replayedAs: r.replayed_as,
    record: recordShown(r.record),
  };
}

export function toDestinationRecordView(r: DestinationRecordRow): DestinationRecordView {
  return {
    id: r.id,
    invocationId: r.invocation_id,
    function: r.function,
    destination: r.destination,
    condition: r.condition,
    deliveredAs: r.delivered_as,
    createdAt: iso(r.created_at)!,
    record: recordShown(r.record),
  };
}

/** Milliseconds since the epoch as an ISO instant; null stays null. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
