/**
 * What the console reads: the runtime's `/local` JSON and the dev outbox's emails, with the server's
 * own types (src/runtime/views.ts and src/adapters/mailer/outbox/outbox-email.ts have no Node
 * imports, so the browser bundle takes them as they are).
 */
import { errorDetails } from '../../src/framework/errors.js';
import type { DeadLetterView, DestinationRecordView, FunctionView, InvocationDetail as RuntimeInvocationDetail, InvocationView, SerializedFunctionError } from '../../src/runtime/views.js';

export type { DestinationRecord, FunctionMetrics, InvocationState, Outcome } from '../../src/runtime/views.js';

export type Invocation = InvocationView;
export type InvocationDetail = RuntimeInvocationDetail;
export type DeadLetter = DeadLetterView;
export type DestinationRecordRow = DestinationRecordView;
export type FunctionInfo = FunctionView;
/** A function error as Lambda's Node.js runtime sends it (a framework error's details are a line of `trace`). */
export type FunctionError = SerializedFunctionError;

/** An email of the dev outbox, as the server's own type (its module has no Node imports either). */
export type { OutboxEmail } from '../../src/adapters/mailer/outbox/outbox-email.js';

/** What a row shows beside the function: a controller's route, or an HTTP function's path. */
export function routeOf(invocation: Pick<Invocation, 'payload'>): string | undefined {
  const payload = invocation.payload;
  if (typeof payload !== 'object' || payload === null) return undefined;
  const record = payload as Record<string, unknown>;
  if (typeof record.function === 'string') return record.function;
  if (typeof record.url === 'string') {
    try {
      return new URL(record.url).pathname;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** `errorType: errorMessage` of a serialised error (or a destination record's response). */
/**
 * Whether an error said it must not be retried (a framework error's details: invalid payload,
 * unknown route, `NonRetriableError`): its event failed after one attempt, whatever the retry setting.
 */
export function notRetriable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !Array.isArray((error as { trace?: unknown }).trace)) return false;
  return errorDetails(error as SerializedFunctionError)?.retriable === false;
}

export function errorText(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const e = error as Partial<FunctionError>;
  return [e.errorType, e.errorMessage].filter(Boolean).join(': ');
}
