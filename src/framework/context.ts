/**
 * The context a handler receives: Lambda's own context object (the fields the Node.js runtime
 * provides) plus what the pattern adds — the envelope metadata of this invocation and a typed
 * invoker for the controllers the function declares.
 */
import { randomUUID } from 'node:crypto';
import { DEPLOYED_FUNCTION } from './deployment.js';
import type { EnvelopeMeta } from './envelope.js';
import type { Transport } from './transport.js';

/** The subset of Lambda's Node.js context object that handlers may rely on, locally and on AWS. */
export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  /** Decoded `X-Amz-Client-Context` of a synchronous call. */
  clientContext?: unknown;
  getRemainingTimeInMillis(): number;
}

/** Metadata of the running invocation, resolved from its envelope and its context. */
export interface InvocationMeta {
  requestId: string;
  parentId?: string;
  traceId: string;
  hop: number;
  idempotencyKey?: string;
}

export interface InvocationContext extends LambdaContext {
  meta: InvocationMeta;
  /** Aborted when the invocation times out, so long work can stop early. */
  signal: AbortSignal;
  /** How this function reaches others; used by the typed invoker (`invoke(controller)`). */
  transport: Transport;
  /** Names of the controllers this function declared it may invoke (its IAM policy on AWS). */
  allowedTargets: ReadonlySet<string> | 'any';
  /** Writes a line to the invocation's log (what `X-Amz-Log-Type: Tail` returns). */
  log(...parts: unknown[]): void;
}

export interface CreateContextOptions {
  functionName: string;
  requestId?: string;
  region?: string;
  accountId?: string;
  timeoutMs: number;
  meta: EnvelopeMeta;
  transport: Transport;
  allowedTargets?: ReadonlySet<string> | 'any';
  clientContext?: unknown;
  /** The invocation's signal, or a function that makes it when the handler first reads it. */
  signal?: AbortSignal | (() => AbortSignal);
  log?: (line: string) => void;
  /** Epoch ms the invocation started; defaults to now. */
  startedAt?: number;
}

/** The ARN Lambda gives a function (`region` "local", account twelve zeros, as the local runtime uses). */
export function functionArn(functionName: string, region = 'local', accountId = '000000000000'): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}

/**
 * Build a handler's context. The local worker and the Lambda entry files both call this; on AWS the
 * Lambda context supplies `requestId`, the remaining time and the ARN.
 *
 * @example
 * const ctx = createInvocationContext({ functionName: 'emailHelper', timeoutMs: 60_000, meta: {}, transport });
 */
export function createInvocationContext(options: CreateContextOptions): InvocationContext {
  const requestId = options.requestId ?? randomUUID();
  const startedAt = options.startedAt ?? Date.now();
  const deadline = startedAt + options.timeoutMs;
  const region = options.region ?? 'local';
  const logLine = options.log ?? (() => {});
  const meta: InvocationMeta = {
    requestId,
    traceId: options.meta.traceId ?? requestId,
    hop: options.meta.hop ?? 0,
  };
  if (options.meta.parentId !== undefined) meta.parentId = options.meta.parentId;
  if (options.meta.idempotencyKey !== undefined) meta.idempotencyKey = options.meta.idempotencyKey;
  return {
    awsRequestId: requestId,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(options.functionName, region, options.accountId),
    memoryLimitInMB: String(DEPLOYED_FUNCTION.memorySizeMb),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
    callbackWaitsForEmptyEventLoop: true,
    clientContext: options.clientContext,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    meta,
    get signal() {
      const signal = typeof options.signal === 'function' ? options.signal() : (options.signal ?? new AbortController().signal);
      Object.defineProperty(this, 'signal', { value: signal, enumerable: true });
      return signal;
    },
    transport: options.transport,
    allowedTargets: options.allowedTargets ?? 'any',
    log: (...parts) => logLine(parts.map((p) => (typeof p === 'string' ? p : inspectJson(p))).join(' ')),
  };
}

function inspectJson(value: unknown): string {
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
