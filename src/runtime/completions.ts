/**
 * What follows an attempt, written to the log: a success (and its record to the on-success
 * destination), a failed attempt (another after AWS's delay, or failure), a throttle, or an event that
 * ends without running; and a failure's record — to the on-failure destination, queued as an Event of
 * that function as Lambda's destinations are, or, with none, kept as a dead letter
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 *
 * The runtime records every completion of one turn of its loop in one transaction.
 *
 * @example
 * const recorder = createCompletionRecorder({ log, registry, retryDelaysMs, onLog });
 * log.transaction(() => lines.push(recorder.record(completion, Date.now())));
 */
import { buildDestinationRecord, type DestinationCondition } from '../framework/destination-record.js';
import { isRetriable, serializeError, type SerializedFunctionError } from '../framework/errors.js';
import { RawJson, stringifyJson } from '../framework/raw-json.js';
import { afterError } from './async-rules.js';
import { EVENT_PAYLOAD_LIMIT } from './handler-run.js';
import { invocationRow, type InvocationLog } from './invocation-log.js';
import type { Registry } from './registry.js';
import { newRequestId } from './request-id.js';
import type { LeasedRow } from './runtime-db.js';

/** An attempt that ended (or an event that will not run). */
export type Completion =
  /** `result`: its JSON round trip, as Lambda's runtime hands it on (src/runtime/handler-run.ts's asyncOutcome). */
  | { kind: 'success'; row: LeasedRow; endedAt: number; result: unknown }
  | { kind: 'error'; row: LeasedRow; endedAt: number; error: unknown }
  | { kind: 'throttled'; row: LeasedRow; delayMs: number }
  /** `ran: false`: the event was claimed but never ran, so that attempt is not counted. */
  | { kind: 'final'; row: LeasedRow; condition: DestinationCondition; error: SerializedFunctionError; ran: boolean };

type Response = { result: unknown } | { error: SerializedFunctionError };

export interface CompletionRecorder {
  /** Apply the rules to one completion; returns the line for the runtime's log ('' for none). Call inside a transaction. */
  record(completion: Completion, now: number): string;
}

export function createCompletionRecorder(deps: { log: InvocationLog; registry: Registry; retryDelaysMs: readonly number[]; onLog: (line: string) => void }): CompletionRecorder {
  const { log, registry } = deps;

  const buildRecord = (row: LeasedRow, condition: DestinationCondition, response: Response | undefined, now: number) =>
    buildDestinationRecord({
      requestId: row.id,
      functionArn: registry.arnOf(row.function),
      condition,
      attempts: row.attempts,
      // The stored text spliced in as it is: not parsed and serialized again (which a payload nested a
      // few thousand levels deep, valid JSON that Lambda accepts, would not survive: src/framework/json-depth.ts).
      requestPayload: new RawJson(row.payload),
      ...(response === undefined ? {} : { response }),
      at: now,
    });

  function deadLetter(row: LeasedRow, condition: DestinationCondition, response: Response | undefined, now: number): void {
    try {
      log.keepDeadLetter(row, condition, stringifyJson(buildRecord(row, condition, response, now)), now);
    } catch (failure) {
      log.bumpCounter(row.function, 'DeadLetterErrors');
      deps.onLog(`runtime: dead letter for ${row.id} not stored: ${(failure as Error).message}`);
    }
  }

  /** Queue the record as an Event of the destination (Lambda's destinations are asynchronous invocations). */
  function sendToDestination(row: LeasedRow, destination: string, condition: DestinationCondition, response: Response | undefined, now: number): void {
    const recordJson = stringifyJson(buildRecord(row, condition, response, now));
    const unknown = !registry.has(destination);
    if (unknown || Buffer.byteLength(recordJson) > EVENT_PAYLOAD_LIMIT) {
      // Lambda drops the record and counts DestinationDeliveryFailures; we also keep it as a dead letter, and say why.
      deps.onLog(
        `runtime: ${row.function} ${row.id}: the ${condition === 'Success' ? 'onSuccess' : 'onFailure'} record could not go to ${destination} ` +
          `(${unknown ? 'no function of that name is registered' : `it is over ${EVENT_PAYLOAD_LIMIT} bytes`})${condition === 'Success' ? '' : '; it is kept as a dead letter'}`,
      );
      log.bumpCounter(row.function, 'DestinationDeliveryFailures');
      log.destinationRecord(row, destination, condition, null, recordJson, now);
      if (condition !== 'Success') deadLetter(row, condition, response, now);
      return;
    }
    const id = newRequestId();
    // A destination is not part of the caller's loop (hop 0): a record of a stopped loop must still arrive.
    log.insertMany([invocationRow({ id, function: destination, type: 'Event', parent_id: row.id, trace_id: row.trace_id ?? id, payload: recordJson, enqueued_at: now })]);
    log.destinationRecord(row, destination, condition, id, recordJson, now);
  }

  /** End an event in failure: its record goes to the on-failure destination, or it is kept as a dead letter. */
  function fail(row: LeasedRow, condition: DestinationCondition, error: SerializedFunctionError, ran: boolean, endedAt: number, now: number): void {
    const attempts = ran ? row.attempts : row.attempts - 1;
    log.fail(row, condition, attempts, JSON.stringify(error), ran ? row.started_at : null, endedAt);
    const ended = { ...row, attempts };
    // An event that never ran has no response, in a dead letter as in a destination's record (src/framework/destination-record.ts).
    const response = ran ? { error } : undefined;
    const destination = registry.describe(row.function)?.config.onFailure;
    if (destination !== undefined) sendToDestination(ended, destination, condition, response, now);
    else deadLetter(ended, condition, response, now);
  }

  return {
    record(completion, now) {
      const { row } = completion;
      const config = registry.describe(row.function)?.config;
      switch (completion.kind) {
        case 'throttled':
          log.throttle(row, now + completion.delayMs);
          return '';
        case 'success': {
          const duration = completion.endedAt - (row.started_at ?? completion.endedAt);
          log.succeed(row, row.started_at, completion.endedAt, duration);
          if (config?.onSuccess !== undefined) sendToDestination(row, config.onSuccess, 'Success', { result: completion.result }, now);
          return `${row.function} ${row.id} Event Success attempt ${row.attempts} ${duration} ms`;
        }
        case 'error': {
          const error = serializeError(completion.error);
          const errorJson = JSON.stringify(error);
          log.recordAttempt(row.id, row.attempts, row.started_at ?? completion.endedAt, completion.endedAt, errorJson);
          const next = afterError({
            attempts: row.attempts,
            maximumRetryAttempts: config?.maximumRetryAttempts ?? 0,
            retriable: isRetriable(completion.error),
            retryDelaysMs: deps.retryDelaysMs,
          });
          if (next.kind === 'retry') {
            log.retry(row.id, now + next.delayMs, errorJson, row.started_at, completion.endedAt);
            return `${row.function} ${row.id} Event Error attempt ${row.attempts} (${error.errorType}: ${error.errorMessage}); retry in ${Math.round(next.delayMs)} ms`;
          }
          fail(row, next.condition, error, true, completion.endedAt, now);
          return `${row.function} ${row.id} Event Failed after ${row.attempts} attempt${row.attempts === 1 ? '' : 's'} (${error.errorType}: ${error.errorMessage})`;
        }
        case 'final':
          fail(row, completion.condition, completion.error, completion.ran, now, now);
          return `${row.function} ${row.id} Event ${completion.condition} (${completion.error.errorMessage})`;
      }
    },
  };
}

