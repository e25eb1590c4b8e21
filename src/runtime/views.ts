/**
 * The runtime's JSON, as `/local/*` sends it and the operations console (`web/console/`) and the CLI
 * read it. Types only, and no Node imports: the browser bundle imports this module directly, so the
 * console reads the runtime's shapes as they are, not a copy kept in step by hand.
 */
import type { DestinationRecord } from '../framework/destination-record.js';
import type { SerializedFunctionError } from '../framework/errors.js';
import type { InputDescription } from '../framework/input-docs.js';

import { DESTINATION_CONDITIONS } from '../framework/destination-record.js';
export type { DestinationRecord } from '../framework/destination-record.js';
export type { SerializedFunctionError } from '../framework/errors.js';

/** Where an invocation is: waiting, running, or ended with an outcome. */
export type InvocationState = 'queued' | 'running' | 'succeeded' | 'failed';

/** Why an invocation ended (the destination conditions, and a synchronous call's function error). */
export const OUTCOMES = [...DESTINATION_CONDITIONS, 'FunctionError'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type InvocationType = 'Event' | 'RequestResponse';

/** One invocation of the log. */
export interface InvocationView {
  id: string;
  function: string;
  type: InvocationType;
  parentId: string | null;
  traceId: string | null;
  hop: number;
  idempotencyKey: string | null;
  state: InvocationState;
  outcome: Outcome | null;
  attempts: number;
  throttles: number;
  enqueuedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
  error: SerializedFunctionError | null;
  replayOf: string | null;
  /** Set on a copy made by duplicate delivery: the id of the event it copies. */
  duplicateOf: string | null;
  /** The HTTP status a synchronous invocation answered with (null: not an HTTP answer, or not synchronous). */
  httpStatus: number | null;
  payload?: unknown;
  /** What a synchronous invocation returned (its first 4 KB, 1 KB of an HTTP success; `{truncated}` when cut), with the payload. */
  response?: unknown;
}

/** One invocation with its payload, the errors of its failed attempts, and what it was replayed as. */
export interface InvocationDetail extends InvocationView {
  failedAttempts: { attempt: number; startedAt: string; endedAt: string; error: SerializedFunctionError }[];
  /** The ids of its replays, oldest first. */
  replayedAs: string[];
  /** False when the log did not keep its payload whole (secrets such as a sign-in token, or too long): it cannot be replayed from the log. */
  replayable: boolean;
  /** Why not, when it cannot be replayed: "its payload held secrets the log does not keep (…)". */
  notReplayable?: string;
}

/** A class of HTTP statuses; `error` is 4xx and 5xx. */
export type HttpClass = '2xx' | '3xx' | '4xx' | '5xx' | 'error';

export interface InvocationFilter {
  /** An id, or a prefix of ids. */
  id?: string;
  function?: string;
  outcome?: Outcome;
  state?: InvocationState;
  type?: InvocationType;
  parentId?: string;
  traceId?: string;
  http?: HttpClass;
  /** Enqueued at or after this time (epoch ms). */
  from?: number;
  /** Enqueued at or before this time (epoch ms). */
  to?: number;
  /** Older than this id: the next page after a page that ended with it. */
  before?: string;
  /** Text the payload contains. */
  text?: string;
  limit?: number;
  withPayload?: boolean;
}

/** A failed event kept because it had no on-failure destination (or its destination could not take it). */
export interface DeadLetterView {
  id: number;
  invocationId: string;
  function: string;
  condition: string;
  attempts: number;
  failedAt: string;
  replayedAs: string | null;
  record: DestinationRecord;
}

/** A record sent (or not: `deliveredAs` null) to a destination. */
export interface DestinationRecordView {
  id: number;
  invocationId: string;
  function: string;
  destination: string;
  condition: string;
  deliveredAs: string | null;
  createdAt: string;
  record: DestinationRecord;
}

/** CloudWatch's Lambda metrics, computed locally, per function. */
export interface FunctionMetrics {
  function: string;
  /** When the counts began: the data folder's first invocation (they survive restarts), or the window's start. */
  countsSince: string;
  /** CloudWatch's async metrics. */
  AsyncEventsReceived: number;
  /** Over the function's latest 1,000 invocations. */
  AsyncEventAge: { p50: number | null; p99: number | null; max: number | null };
  AsyncEventsDropped: number;
  DeadLetterErrors: number;
  DestinationDeliveryFailures: number;
  /** Lambda's general metrics. */
  Invocations: number;
  Errors: number;
  Throttles: number;
  /** Synchronous invocations that answered an HTTP request with a 4xx or a 5xx. */
  Http4xx: number;
  Http5xx: number;
  /** Over the function's latest 1,000 invocations. */
  Duration: { p50: number | null; p99: number | null };
  queued: number;
  running: number;
}

/** A function's settings as they apply now (the code's, with the management API's changes). */
export interface FunctionSettingsView {
  timeoutSeconds: number;
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  /** Unset: bounded only by the pool. 0 runs nothing, as on AWS: a synchronous call gets 429, an Event goes to its failure destination at once. */
  reservedConcurrency?: number;
  onSuccess?: string;
  onFailure?: string;
  /** The local runtime holds the function's queue (`leedz pause`): its events wait until it is resumed (synchronous calls still run). */
  paused?: true;
}

/** A registered function, as `/local/functions` lists it. */
export interface FunctionView {
  name: string;
  kind: 'function' | 'controller';
  config: FunctionSettingsView;
}

/** A function with what a caller sends it: JSON Schema and an example, one per route for a controller. */
export interface FunctionDetail extends FunctionView {
  inputs: InputDescription[];
}

/** A database of the server and its size on disk (with its write-ahead log). */
export interface StorageView {
  name: string;
  description: string;
  bytes: number;
}
