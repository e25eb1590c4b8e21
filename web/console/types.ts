/**
 * The runtime's `/local` JSON, as the console reads it (the shapes of `InvocationView`,
 * `DeadLetterView`, `FunctionMetrics`… in src/runtime/local-runtime.ts; repeated here because that
 * module is Node code the browser bundle must not type-check against).
 */
export type Outcome = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded' | 'RecursiveInvocationException' | 'FunctionError';
export type InvocationState = 'queued' | 'running' | 'succeeded' | 'failed';

/** A function error as Lambda's Node.js runtime sends it (a framework error's details are a line of `trace`). */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export interface Invocation {
  id: string;
  function: string;
  type: 'Event' | 'RequestResponse';
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
  error: FunctionError | null;
  replayOf: string | null;
  duplicateOf: string | null;
  payload?: unknown;
}

export interface InvocationDetail extends Invocation {
  failedAttempts: { attempt: number; startedAt: string; endedAt: string; error: FunctionError }[];
}

export interface DestinationRecord {
  version: string;
  timestamp: string;
  requestContext: { requestId: string; functionArn: string; condition: string; approximateInvokeCount: number };
  requestPayload: unknown;
  responseContext?: { statusCode: number; executedVersion: string; functionError?: string };
  responsePayload?: unknown;
}

export interface DeadLetter {
  id: number;
  invocationId: string;
  function: string;
  condition: string;
  attempts: number;
  failedAt: string;
  replayedAs: string | null;
  record: DestinationRecord;
}

export interface DestinationRecordRow {
  id: number;
  invocationId: string;
  function: string;
  destination: string;
  condition: string;
  deliveredAs: string | null;
  createdAt: string;
  record: DestinationRecord;
}

export interface FunctionMetrics {
  function: string;
  AsyncEventsReceived: number;
  AsyncEventAge: { p50: number | null; p99: number | null; max: number | null };
  AsyncEventsDropped: number;
  DeadLetterErrors: number;
  DestinationDeliveryFailures: number;
  Invocations: number;
  Errors: number;
  Throttles: number;
  Duration: { p50: number | null; p99: number | null };
  queued: number;
  running: number;
}

export interface FunctionInfo {
  name: string;
  kind: string;
  config: { timeoutSeconds: number; maximumRetryAttempts: number; maximumEventAgeSeconds: number; reservedConcurrency?: number; onSuccess?: string; onFailure?: string };
}

export interface OutboxEmail {
  id: number;
  to: string;
  subject: string;
  html: string;
  text: string;
  kind: string;
  key: string;
  messageId: string;
  createdAt: string;
}

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
export function errorText(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const e = error as Partial<FunctionError>;
  return [e.errorType, e.errorMessage].filter(Boolean).join(': ');
}
