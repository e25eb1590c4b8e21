/**
 * The embedded runtime: a registry of functions, a durable queue of Event invocations in SQLite,
 * and a worker pool that applies Lambda's asynchronous rules (retries with AWS's delays, maximum
 * event age, throttling with backoff, destinations, dead letters, the recursion limit). It is a
 * {@link Transport}, so functions invoke each other through it exactly as through Lambda.
 *
 * @example
 * const runtime = createLocalRuntime({ dbPath: 'data/runtime.db', timeScale: 0.001 });
 * runtime.register(emailHelper);
 * runtime.start();
 * await runtime.invoke('emailHelper', { function: 'notifyUsers', leedId: 'l_1' }, 'Event'); // 202, durable
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { createInvocationContext, type InvocationContext } from '../framework/context.js';
import type { Deployable, FunctionConfig } from '../framework/define.js';
import { metaOf } from '../framework/envelope.js';
import { buildDestinationRecord, type DestinationCondition, type DestinationRecord } from '../framework/destination-record.js';
import { TimeoutError, isRetriable, serializeError, type SerializedFunctionError } from '../framework/errors.js';
import { MAX_HOPS } from '../framework/invoker.js';
import {
  InvokeError,
  type InvocationType as TransportInvocationType,
  type InvokeOptions,
  type InvokeResult,
  type Transport,
} from '../framework/transport.js';
import { createCallChain, type CallChain, type CallerLink } from './call-chain.js';
import { newRequestId } from './request-id.js';
import { FUNCTION_NAME_PATTERN, parseFunctionName } from './function-name.js';
import { createFunctionSettings, type EffectiveConfig, type EventInvokeConfig, type FunctionSettings } from './function-settings.js';
import { redactPaths } from './redact.js';
import { openRuntimeDb, type Durability, type InvocationRow, type Outcome } from './runtime-db.js';

/** Lambda's payload limits: 6 MB for synchronous invocations, 1 MB for Event (since 2025). */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
export const EVENT_PAYLOAD_LIMIT = 1024 * 1024;
const LOG_TAIL_BYTES = 4096;

/** "About 1 minute before the second attempt and 2 minutes before the third." */
const DEFAULT_RETRY_DELAYS_SECONDS = [60, 120] as const;
/** Throttled events: exponential backoff from 1 s up to 5 minutes. */
const THROTTLE_BASE_MS = 1000;
const THROTTLE_MAX_MS = 300_000;
/** A worker whose heartbeat is older than this is considered dead and its leased events are redelivered. */
const HEARTBEAT_MS = 1000;
const DEAD_AFTER_MS = 10_000;

export interface RuntimeOptions {
  /** SQLite file of the queue and invocation log (`:memory:` for a throwaway runtime). */
  dbPath: string;
  /** `process-crash` (default): WAL + synchronous=NORMAL. `power-loss`: synchronous=FULL. */
  durability?: Durability;
  /** Multiplies AWS's delays (retries, throttle backoff, maximum event age); 1 = AWS's real timings. */
  timeScale?: number;
  /** Invocations the worker pool runs at once, over all functions (default 64). */
  poolSize?: number;
  /** How often the worker looks for due events when nothing woke it (default 250 ms). */
  pollIntervalMs?: number;
  /** Delays before the second and third attempts, in seconds before scaling (default AWS's 60 and 120). */
  retryDelaysSeconds?: readonly [number, number];
  region?: string;
  accountId?: string;
  /** The transport handlers use to invoke other functions (default: this runtime, in-process). */
  transport?: Transport;
  /** One line per ended invocation and per runtime event, for a console. */
  onLog?: (line: string) => void;
  /**
   * Prefixes of the names functions are deployed under (`['Leedz-']` for the stack `Leedz`), so a
   * caller written for AWS (`Leedz-emailHelper`, or its ARN in any region and account) reaches them.
   */
  functionNamePrefixes?: readonly string[];
  /**
   * At-least-once, made visible: this fraction (0–1) of accepted events is delivered twice, the copy
   * a moment later, and every event is delivered within a short random window rather than in order,
   * as Lambda may do (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html). Default 0.
   */
  duplicateDelivery?: number;
  /** The random source of duplicate delivery (tests). */
  random?: () => number;
}

export interface ResolvedFunction {
  deployable: Deployable;
  /** What applies now: the code's declaration, overridden by the management API's changes. */
  config: EffectiveConfig;
  allowedTargets: ReadonlySet<string> | 'any';
}

/** A registered function: what its code declares (with the overrides given at registration). */
interface Registration {
  deployable: Deployable;
  declared: FunctionConfig;
  allowedTargets: ReadonlySet<string>;
}

/** The largest window, before scaling, over which duplicate delivery spreads events (and their copies). */
const REORDER_WINDOW_MS = 50;

export interface InvocationView {
  id: string;
  function: string;
  type: 'Event' | 'RequestResponse';
  parentId: string | null;
  traceId: string | null;
  hop: number;
  idempotencyKey: string | null;
  state: InvocationRow['state'];
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
  payload?: unknown;
}

export interface InvocationFilter {
  function?: string;
  outcome?: Outcome;
  state?: InvocationRow['state'];
  type?: 'Event' | 'RequestResponse';
  parentId?: string;
  traceId?: string;
  limit?: number;
  withPayload?: boolean;
}

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

export interface FunctionMetrics {
  function: string;
  /** CloudWatch's async metrics, computed locally. */
  AsyncEventsReceived: number;
  AsyncEventAge: { p50: number | null; p99: number | null; max: number | null };
  AsyncEventsDropped: number;
  DeadLetterErrors: number;
  DestinationDeliveryFailures: number;
  /** Lambda's general metrics. */
  Invocations: number;
  Errors: number;
  Throttles: number;
  Duration: { p50: number | null; p99: number | null };
  queued: number;
  running: number;
}

interface PendingInsert {
  row: InsertRow;
  resolve: () => void;
  reject: (error: unknown) => void;
}

type InsertRow = Pick<
  InvocationRow,
  'id' | 'function' | 'type' | 'parent_id' | 'trace_id' | 'hop' | 'idempotency_key' | 'payload' | 'enqueued_at' | 'available_at' | 'replay_of'
> & { duplicate_of?: string | null; state: InvocationRow['state']; outcome?: Outcome | null; attempts?: number; started_at?: number | null; ended_at?: number | null; duration_ms?: number | null; error?: string | null };

type Completion =
  | { kind: 'success'; row: InvocationRow; endedAt: number; result: unknown }
  | { kind: 'error'; row: InvocationRow; endedAt: number; error: unknown }
  | { kind: 'throttled'; row: InvocationRow }
  | { kind: 'final'; row: InvocationRow; condition: DestinationCondition; error: SerializedFunctionError; ran: boolean };

export class LocalRuntime implements Transport {
  readonly db: Database.Database;
  readonly region: string;
  readonly accountId: string;
  private readonly timeScale: number;
  private readonly poolSize: number;
  private readonly pollIntervalMs: number;
  private readonly retryDelaysMs: readonly number[];
  private readonly transport: Transport;
  private readonly onLog: (line: string) => void;
  private readonly functions = new Map<string, Registration>();
  private readonly settings: FunctionSettings;
  private readonly chain: CallChain = createCallChain();
  private readonly functionNamePrefixes: readonly string[];
  private readonly duplicateDelivery: number;
  private readonly random: () => number;
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly runningByFunction = new Map<string, number>();
  private runningEvents = 0;
  private pendingInserts: PendingInsert[] = [];
  private insertScheduled = false;
  private completions: Completion[] = [];
  private completionScheduled = false;
  private pumpScheduled = false;
  private started = false;
  private closed = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(options: RuntimeOptions) {
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError(`timeScale must be a positive number, got ${options.timeScale}`);
    this.poolSize = options.poolSize ?? 64;
    if (!Number.isInteger(this.poolSize) || this.poolSize < 1) throw new RangeError(`poolSize must be a positive integer, got ${options.poolSize}`);
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.retryDelaysMs = (options.retryDelaysSeconds ?? DEFAULT_RETRY_DELAYS_SECONDS).map((s) => s * 1000 * this.timeScale);
    this.region = options.region ?? 'local';
    this.accountId = options.accountId ?? '000000000000';
    this.transport = options.transport ?? this;
    this.onLog = options.onLog ?? (() => {});
    this.functionNamePrefixes = options.functionNamePrefixes ?? [];
    this.duplicateDelivery = options.duplicateDelivery ?? 0;
    if (!(this.duplicateDelivery >= 0 && this.duplicateDelivery <= 1)) throw new RangeError(`duplicateDelivery must be from 0 to 1, got ${options.duplicateDelivery}`);
    this.random = options.random ?? Math.random;
    this.db = openRuntimeDb(options.dbPath, options.durability);
    this.statements = prepareStatements(this.db);
    this.settings = createFunctionSettings(this.db);
  }

  // ── registry ──────────────────────────────────────────────────────────────

  /**
   * Register functions and controllers. `overrides` changes settings locally (a shorter retry
   * count in a test, say) without touching the code's declaration.
   */
  register(deployable: Deployable, overrides: FunctionConfig = {}): this {
    this.functions.set(deployable.name, {
      deployable,
      declared: { ...deployable.config, ...overrides },
      // What the code declares is all it may invoke, as its IAM policy allows on AWS.
      allowedTargets: new Set(deployable.invokes),
    });
    return this;
  }

  registerAll(deployables: readonly Deployable[]): this {
    for (const deployable of deployables) this.register(deployable);
    return this;
  }

  functionNames(): string[] {
    return [...this.functions.keys()];
  }

  describe(name: string): ResolvedFunction | undefined {
    const registration = this.functions.get(name);
    return registration === undefined ? undefined : this.resolved(registration);
  }

  private resolved(registration: Registration): ResolvedFunction {
    return {
      deployable: registration.deployable,
      config: this.settings.effective(registration.deployable.name, registration.declared),
      allowedTargets: registration.allowedTargets,
    };
  }

  /** The registered name that `functionName` (a name, a deployed name, an ARN) designates, or undefined. */
  resolveName(functionName: string): string | undefined {
    const parsed = parseFunctionName(functionName);
    return parsed === undefined ? undefined : this.registeredName(parsed.name);
  }

  private registeredName(name: string): string | undefined {
    if (this.functions.has(name)) return name;
    for (const prefix of this.functionNamePrefixes) {
      if (name.startsWith(prefix) && this.functions.has(name.slice(prefix.length))) return name.slice(prefix.length);
    }
    return undefined;
  }

  // ── settings that the management API changes (kept in the runtime database) ──

  /** The function's `FunctionEventInvokeConfig` (undefined: it has none). */
  eventInvokeConfig(name: string): EventInvokeConfig | undefined {
    return this.settings.eventInvokeConfig(name, this.registration(name).declared);
  }

  /** Replace the function's `FunctionEventInvokeConfig`; applies to the next attempt of every queued event. */
  putEventInvokeConfig(name: string, config: Omit<EventInvokeConfig, 'lastModified'>): EventInvokeConfig {
    for (const destination of [config.onSuccess, config.onFailure]) {
      if (destination !== undefined && !this.functions.has(destination)) throw new RangeError(`destination ${destination}: no such function`);
    }
    const stored = this.settings.putEventInvokeConfig(name, this.registration(name).declared, config);
    this.schedulePump();
    return stored;
  }

  deleteEventInvokeConfig(name: string): void {
    this.registration(name);
    this.settings.deleteEventInvokeConfig(name);
    this.schedulePump();
  }

  /** The function's reserved concurrency (undefined: none). */
  reservedConcurrency(name: string): number | undefined {
    return this.settings.reservedConcurrency(name, this.registration(name).declared);
  }

  /** Reserve concurrency for a function (0 throttles it entirely), or remove the reservation with `undefined`. */
  setReservedConcurrency(name: string, value: number | undefined): void {
    this.registration(name);
    this.settings.setReservedConcurrency(name, value);
    this.schedulePump();
  }

  /** Events the worker pool runs at once: the runtime's account concurrency. */
  get concurrency(): number {
    return this.poolSize;
  }

  private registration(name: string): Registration {
    const registration = this.functions.get(name);
    if (registration === undefined) throw new RangeError(`${name}: no such function`);
    return registration;
  }

  // ── the Transport: Lambda's Invoke ────────────────────────────────────────

  /** Invoke with a payload value (the in-process transport). */
  invoke(functionName: string, payload: unknown, type: TransportInvocationType, options: InvokeOptions = {}): Promise<InvokeResult> {
    let body: string;
    try {
      body = JSON.stringify(payload === undefined ? {} : payload);
    } catch (error) {
      return Promise.reject(new InvokeError('InvalidRequestContentException', `Could not serialize the payload: ${(error as Error).message}`));
    }
    return this.invokeRaw(functionName, body, type, options, { parsed: payload });
  }

  /**
   * Invoke with the payload as sent over the wire (the Invoke API). `parsed` skips a second parse
   * when the caller already has the value.
   */
  async invokeRaw(
    functionName: string,
    body: string,
    type: TransportInvocationType,
    options: InvokeOptions = {},
    origin: { parsed?: unknown; traceHeader?: string } = {},
  ): Promise<InvokeResult> {
    if (this.closed) throw new InvokeError('ServiceException', 'The local runtime is shut down');
    const target = this.resolve(functionName);
    // Who is calling, as far as the runtime can see: the handler this runs in, or the one an SDK call's
    // trace header names (src/runtime/call-chain.ts).
    const caller = this.chain.current() ?? this.chain.fromTraceHeader(origin.traceHeader);
    if (type === 'DryRun') return { statusCode: 204, executedVersion: '$LATEST' };

    const limit = type === 'Event' ? EVENT_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    const size = Buffer.byteLength(body, 'utf8');
    if (size > limit) {
      throw new InvokeError(
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the ${type === 'Event' ? 'Event' : 'RequestResponse'} invocation type (got ${size})`,
      );
    }
    let payload = origin.parsed;
    if (payload === undefined) {
      try {
        payload = body.length === 0 ? {} : JSON.parse(body);
      } catch (error) {
        throw new InvokeError('InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`);
      }
    }
    const link = this.linkOf(caller, metaOf(payload));
    return type === 'Event' ? this.enqueue(target, body, payload, link) : this.runSync(target, payload, options, link);
  }

  /**
   * A new invocation's place in its chain: its parent and trace from the caller the runtime saw, or
   * else from the envelope; its hop one more than the caller's, or the envelope's if that is more
   * (an envelope can stop a chain earlier, never let it run longer: src/runtime/call-chain.ts).
   */
  private linkOf(caller: CallerLink | undefined, meta: ReturnType<typeof metaOf>): { parentId: string | null; traceId: string | undefined; hop: number } {
    return {
      parentId: caller?.id ?? meta.parentId ?? null,
      traceId: caller?.traceId ?? meta.traceId,
      hop: Math.max(caller === undefined ? 0 : caller.hop + 1, meta.hop ?? 0),
    };
  }

  /**
   * The registered name a caller's `FunctionName` (and optional `Qualifier`) designates, or Lambda's
   * error: `ValidationException` for a malformed name, `ResourceNotFoundException` for an unknown one.
   */
  resolveFunctionName(functionName: string, qualifier?: string): string {
    const qualified = qualifier === undefined || parseFunctionName(functionName)?.qualifier !== undefined ? functionName : `${functionName}:${qualifier}`;
    return this.resolve(qualified).deployable.name;
  }

  private resolve(functionName: string): ResolvedFunction {
    const parsed = parseFunctionName(functionName);
    if (parsed === undefined) {
      // Lambda checks the name against its pattern before looking it up
      // (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_RequestSyntax).
      throw new InvokeError(
        'ValidationException',
        `1 validation error detected: Value '${functionName}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN}`,
      );
    }
    if (parsed.qualifier !== undefined && parsed.qualifier !== '$LATEST') {
      throw new InvokeError('ResourceNotFoundException', `Function not found: ${this.arn(parsed.name)}:${parsed.qualifier} (the local runtime has only $LATEST)`);
    }
    const name = this.registeredName(parsed.name);
    const registration = name === undefined ? undefined : this.functions.get(name);
    if (registration === undefined) throw new InvokeError('ResourceNotFoundException', `Function not found: ${this.arn(parsed.name)}`);
    return this.resolved(registration);
  }

  /** The function's ARN in this runtime's region and account. */
  arnOf(name: string): string {
    return this.arn(name);
  }

  private arn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  // ── Event: durable enqueue with group commit ──────────────────────────────

  private enqueue(target: ResolvedFunction, body: string, payload: unknown, link: ReturnType<LocalRuntime['linkOf']>): Promise<InvokeResult> {
    const meta = metaOf(payload);
    const now = Date.now();
    const id = newRequestId();
    const row: InsertRow = {
      id,
      function: target.deployable.name,
      type: 'Event',
      parent_id: link.parentId,
      trace_id: link.traceId ?? id,
      hop: link.hop,
      idempotency_key: meta.idempotencyKey ?? null,
      payload: body,
      state: 'queued',
      enqueued_at: now,
      available_at: now + this.reorderDelay(),
      replay_of: null,
    };
    const accepted = this.insert(row);
    if (this.duplicateDelivery > 0 && this.random() < this.duplicateDelivery) {
      // The copy is accepted with the original (one 202 for both), as Lambda's queue would hold it.
      void this.insert({ ...row, id: newRequestId(), available_at: now + this.reorderDelay(), duplicate_of: id }).catch(() => {});
    }
    return accepted.then(() => ({ statusCode: 202 as const, requestId: id }));
  }

  /** With duplicate delivery on, events are also delivered out of order: each waits a random moment. */
  private reorderDelay(): number {
    return this.duplicateDelivery > 0 ? Math.floor(this.random() * REORDER_WINDOW_MS) : 0;
  }

  /** Queue a row for the next group commit; resolves once it is in the database. */
  private insert(row: InsertRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pendingInserts.push({ row, resolve, reject });
      if (!this.insertScheduled) {
        this.insertScheduled = true;
        // Every enqueue of this pass of the event loop — all the HTTP requests read in it, too — shares
        // one transaction (one WAL commit). A microtask would flush after each I/O callback instead.
        setImmediate(() => this.flushInserts());
      }
    });
  }

  private flushInserts(): void {
    this.insertScheduled = false;
    const batch = this.pendingInserts;
    this.pendingInserts = [];
    if (batch.length === 0) return;
    try {
      this.statements.insertMany(batch.map((pending) => pending.row));
    } catch (error) {
      const failure = new InvokeError('ServiceException', `The local runtime could not store the event: ${(error as Error).message}`, { cause: error });
      for (const pending of batch) pending.reject(failure);
      return;
    }
    for (const pending of batch) pending.resolve();
    this.schedulePump();
  }

  // ── RequestResponse ───────────────────────────────────────────────────────

  private async runSync(target: ResolvedFunction, payload: unknown, options: InvokeOptions, link: ReturnType<LocalRuntime['linkOf']>): Promise<InvokeResult> {
    const name = target.deployable.name;
    const meta = metaOf(payload);
    const hop = link.hop;
    if (hop >= MAX_HOPS) {
      throw new InvokeError('RecursiveInvocationException', `${name}: invocation chain reached ${hop} hops; Lambda stops recursive loops at ${MAX_HOPS}`);
    }
    const reserved = target.config.reservedConcurrency;
    if (reserved !== undefined && (this.runningByFunction.get(name) ?? 0) >= reserved) {
      throw new InvokeError('TooManyRequestsException', `Rate Exceeded. ${name} is running ${reserved} invocations (its reserved concurrency)`, {
        retryAfterSeconds: 1,
      });
    }
    const clientContext = options.clientContext === undefined ? undefined : decodeClientContext(options.clientContext);
    const id = newRequestId();
    const traceId = link.traceId ?? id;
    const startedAt = Date.now();
    const logs: string[] = [];
    const contextMeta = { ...meta, hop, traceId, ...(link.parentId === null ? {} : { parentId: link.parentId }) };
    const outcome = await this.execute(target, id, payload, contextMeta, startedAt, clientContext, (line) => logs.push(line));
    const endedAt = Date.now();
    let resultPayload: unknown;
    let functionError: SerializedFunctionError | undefined;
    if ('error' in outcome) {
      functionError = serializeError(outcome.error);
    } else {
      const json = JSON.stringify(outcome.result ?? null);
      if (Buffer.byteLength(json, 'utf8') > SYNC_PAYLOAD_LIMIT) {
        functionError = {
          errorType: 'Function.ResponseSizeTooLarge',
          errorMessage: `Response payload size exceeded maximum allowed payload size (${SYNC_PAYLOAD_LIMIT} bytes).`,
          trace: [],
        };
      } else {
        // The caller sees exactly what Lambda would send: the result as JSON.
        resultPayload = JSON.parse(json);
      }
    }
    this.insert({
      id,
      function: name,
      type: 'RequestResponse',
      parent_id: link.parentId,
      trace_id: traceId,
      hop,
      idempotency_key: meta.idempotencyKey ?? null,
      // Secrets the function declared (a sign-in token, say) never reach the log.
      payload: JSON.stringify(redactPaths(payload, target.deployable.sensitive)),
      state: functionError === undefined ? 'succeeded' : 'failed',
      outcome: functionError === undefined ? 'Success' : 'FunctionError',
      attempts: 1,
      enqueued_at: startedAt,
      available_at: startedAt,
      started_at: startedAt,
      ended_at: endedAt,
      duration_ms: endedAt - startedAt,
      error: functionError === undefined ? null : JSON.stringify(functionError),
      replay_of: null,
    }).catch((error: unknown) => this.onLog(`invocation log write failed: ${(error as Error).message}`));
    this.onLog(`${name} ${id} RequestResponse ${functionError === undefined ? 'Success' : `Error ${functionError.errorType}`} ${endedAt - startedAt} ms`);

    const result: InvokeResult = { statusCode: 200, executedVersion: '$LATEST', requestId: id };
    if (functionError !== undefined) {
      result.functionError = 'Unhandled';
      result.payload = functionError;
    } else {
      result.payload = resultPayload;
    }
    if (options.logType === 'Tail') {
      const duration = (endedAt - startedAt).toFixed(2);
      const text = [
        `START RequestId: ${id} Version: $LATEST`,
        ...logs,
        `END RequestId: ${id}`,
        `REPORT RequestId: ${id}\tDuration: ${duration} ms\tBilled Duration: ${Math.ceil(endedAt - startedAt)} ms\tMemory Size: 128 MB`,
        '',
      ].join('\n');
      result.logResult = tail(text, LOG_TAIL_BYTES).toString('base64');
    }
    return result;
  }

  /** Run a handler with its context and timeout. Never throws: returns the result or the error. */
  private async execute(
    target: ResolvedFunction,
    requestId: string,
    payload: unknown,
    meta: ReturnType<typeof metaOf>,
    startedAt: number,
    clientContext: unknown,
    log: (line: string) => void,
  ): Promise<{ result: unknown } | { error: unknown }> {
    const name = target.deployable.name;
    const timeoutMs = target.config.timeoutSeconds * 1000;
    const controller = new AbortController();
    const ctx: InvocationContext = createInvocationContext({
      functionName: name,
      requestId,
      region: this.region,
      accountId: this.accountId,
      timeoutMs,
      startedAt,
      meta,
      transport: this.transport,
      allowedTargets: target.allowedTargets,
      clientContext,
      signal: controller.signal,
      log,
    });
    this.runningByFunction.set(name, (this.runningByFunction.get(name) ?? 0) + 1);
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new TimeoutError(requestId, timeoutMs));
        }, timeoutMs);
      });
      const link = { id: requestId, traceId: ctx.meta.traceId, hop: ctx.meta.hop };
      const result = await Promise.race([this.chain.run(link, () => target.deployable.handle(payload, ctx)), timeout]);
      return { result };
    } catch (error) {
      return { error };
    } finally {
      clearTimeout(timer);
      this.runningByFunction.set(name, (this.runningByFunction.get(name) ?? 1) - 1);
    }
  }

  // ── the worker ────────────────────────────────────────────────────────────

  /** Start the worker pool: recover events leased by dead processes, then deliver due events. */
  start(): this {
    if (this.started || this.closed) return this;
    this.started = true;
    this.statements.heartbeat.run(this.owner, process.pid, hostname(), Date.now());
    this.recover();
    this.heartbeatTimer = setInterval(() => {
      this.statements.heartbeat.run(this.owner, process.pid, hostname(), Date.now());
      this.recover();
    }, HEARTBEAT_MS);
    this.heartbeatTimer.unref();
    this.pollTimer = setInterval(() => this.schedulePump(), this.pollIntervalMs);
    this.pollTimer.unref();
    this.schedulePump();
    return this;
  }

  /** Stop taking events and wait for running ones to end (their results are recorded). */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.wakeTimer);
    await Promise.allSettled([...this.inflight]);
    this.flushCompletions();
    this.flushInserts();
    this.statements.removeWorker.run(this.owner);
  }

  async close(): Promise<void> {
    await this.stop();
    this.flushInserts();
    this.closed = true;
    this.db.close();
  }

  /** Resolves when no event is queued or running (retries included). For tests, benchmarks and demos. */
  async drain(options: { timeoutMs?: number; pollMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      this.flushInserts();
      const busy = this.statements.anyUnfinished.get() as { n: number };
      if (busy.n === 0 && this.inflight.size === 0 && this.completions.length === 0 && this.pendingInserts.length === 0) return;
      if (Date.now() > deadline) throw new Error(`drain: invocations still queued or running after ${options.timeoutMs ?? 60_000} ms`);
      await sleep(options.pollMs ?? 5);
    }
  }

  private schedulePump(): void {
    if (!this.started || this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Claim as many due events as the pool has room for, and run them. */
  private pump(): void {
    if (!this.started) return;
    const free = this.poolSize - this.runningEvents;
    if (free <= 0) return;
    const now = Date.now();
    const rows = this.statements.claim.all(this.owner, now, now, free) as InvocationRow[];
    for (const row of rows) this.deliver(row, now);
    if (rows.length === 0) this.armWakeTimer(now);
  }

  /** When nothing is due, sleep until the next delayed retry rather than waiting for the poll. */
  private armWakeTimer(now: number): void {
    const next = this.statements.nextDue.get() as { at: number | null };
    if (next.at === null) return;
    clearTimeout(this.wakeTimer);
    const delay = Math.max(0, next.at - now);
    if (delay >= this.pollIntervalMs) return;
    this.wakeTimer = setTimeout(() => this.schedulePump(), delay);
    this.wakeTimer.unref();
  }

  private deliver(row: InvocationRow, now: number): void {
    const target = this.describe(row.function);
    if (target === undefined) {
      this.complete({
        kind: 'final',
        row,
        condition: 'RetriesExhausted',
        ran: false,
        error: { errorType: 'ResourceNotFoundException', errorMessage: `Function not found: ${this.arn(row.function)}`, trace: [] },
      });
      return;
    }
    if (row.hop >= MAX_HOPS) {
      this.complete({
        kind: 'final',
        row,
        condition: 'RecursiveInvocationException',
        ran: false,
        error: {
          errorType: 'RecursiveInvocationException',
          errorMessage: `${row.function}: invocation chain reached ${row.hop} hops; Lambda stops recursive loops at ${MAX_HOPS}`,
          trace: [],
        },
      });
      return;
    }
    const maxAgeMs = target.config.maximumEventAgeSeconds * 1000 * this.timeScale;
    if (now - row.enqueued_at > maxAgeMs) {
      this.complete({
        kind: 'final',
        row,
        condition: 'EventAgeExceeded',
        ran: false,
        error: {
          errorType: 'EventAgeExceeded',
          errorMessage: `Event is ${now - row.enqueued_at} ms old, over MaximumEventAgeInSeconds ${target.config.maximumEventAgeSeconds}${this.timeScale === 1 ? '' : ` (× time scale ${this.timeScale})`}`,
          trace: [],
        },
      });
      return;
    }
    if (row.attempts > target.config.maximumRetryAttempts + 1) {
      // Only after a crash: the attempt that was running when the process died counted as one.
      this.complete({
        kind: 'final',
        row,
        condition: 'RetriesExhausted',
        ran: false,
        error: { errorType: 'Runtime.ExitError', errorMessage: 'The runtime process exited during the last attempt', trace: [] },
      });
      return;
    }
    const reserved = target.config.reservedConcurrency;
    if (reserved !== undefined && (this.runningByFunction.get(row.function) ?? 0) >= reserved) {
      this.complete({ kind: 'throttled', row });
      return;
    }
    this.run(target, row);
  }

  private run(target: ResolvedFunction, row: InvocationRow): void {
    this.runningEvents++;
    const startedAt = Date.now();
    const task = (async () => {
      const payload = JSON.parse(row.payload) as unknown;
      // The runtime's own record of the chain, not the envelope's claims.
      const meta = { ...metaOf(payload), hop: row.hop, traceId: row.trace_id ?? row.id, ...(row.parent_id === null ? {} : { parentId: row.parent_id }) };
      const outcome = await this.execute(target, row.id, payload, meta, startedAt, undefined, () => {});
      const endedAt = Date.now();
      row.started_at = startedAt;
      this.complete('error' in outcome ? { kind: 'error', row, endedAt, error: outcome.error } : { kind: 'success', row, endedAt, result: outcome.result });
    })().finally(() => {
      this.runningEvents--;
      this.inflight.delete(task);
    });
    this.inflight.add(task);
  }

  private complete(completion: Completion): void {
    this.completions.push(completion);
    if (!this.completionScheduled) {
      this.completionScheduled = true;
      setImmediate(() => this.flushCompletions());
    }
  }

  /** Record every ended attempt of this turn in one transaction, then look for more work. */
  private flushCompletions(): void {
    this.completionScheduled = false;
    const batch = this.completions;
    this.completions = [];
    if (batch.length === 0 || this.closed) return;
    const now = Date.now();
    const logs: string[] = [];
    try {
      this.db.transaction(() => {
        for (const completion of batch) logs.push(this.record(completion, now));
      })();
    } catch (error) {
      // The rows stay leased by this live process; put them back so nothing is lost.
      this.onLog(`runtime: could not record ${batch.length} results (${(error as Error).message}); they will be redelivered`);
      for (const completion of batch) this.statements.release.run(now, completion.row.id);
    }
    for (const line of logs) if (line) this.onLog(line);
    this.schedulePump();
  }

  /** Apply Lambda's rules to one ended attempt. Runs inside the completion transaction. */
  private record(completion: Completion, now: number): string {
    const { row } = completion;
    const target = this.describe(row.function);
    switch (completion.kind) {
      case 'throttled': {
        const delay = Math.min(THROTTLE_BASE_MS * 2 ** row.throttles, THROTTLE_MAX_MS) * this.timeScale;
        this.statements.throttle.run(now + delay, row.id);
        return '';
      }
      case 'success': {
        const duration = completion.endedAt - (row.started_at ?? completion.endedAt);
        this.statements.succeed.run(row.started_at, completion.endedAt, duration, row.id);
        if (target?.config.onSuccess !== undefined) {
          this.sendToDestination(row, target.config.onSuccess, 'Success', { result: toJson(completion.result) }, now);
        }
        return `${row.function} ${row.id} Event Success attempt ${row.attempts} ${duration} ms`;
      }
      case 'error': {
        const error = serializeError(completion.error);
        const errorJson = JSON.stringify(error);
        this.statements.attempt.run(row.id, row.attempts, row.started_at ?? completion.endedAt, completion.endedAt, errorJson);
        const maxAttempts = (target?.config.maximumRetryAttempts ?? 0) + 1;
        if (isRetriable(completion.error) && row.attempts < maxAttempts) {
          // AWS's delays, whatever the error: Lambda has no per-event retry delay (a RetryAfterError is
          // honoured inside the invocation, by the framework: src/framework/errors.ts).
          const delay = this.retryDelaysMs[row.attempts - 1] ?? this.retryDelaysMs.at(-1) ?? 0;
          this.statements.retry.run(now + delay, errorJson, row.started_at, completion.endedAt, row.id);
          return `${row.function} ${row.id} Event Error attempt ${row.attempts} (${error.errorType}: ${error.errorMessage}); retry in ${Math.round(delay)} ms`;
        }
        this.fail(row, 'RetriesExhausted', error, true, completion.endedAt, now);
        return `${row.function} ${row.id} Event Failed after ${row.attempts} attempt${row.attempts === 1 ? "" : "s"} (${error.errorType}: ${error.errorMessage})`;
      }
      case 'final': {
        this.fail(row, completion.condition, completion.error, completion.ran, now, now);
        return `${row.function} ${row.id} Event ${completion.condition} (${completion.error.errorMessage})`;
      }
    }
  }

  private fail(row: InvocationRow, condition: DestinationCondition, error: SerializedFunctionError, ran: boolean, endedAt: number, now: number): void {
    const attempts = ran ? row.attempts : row.attempts - 1;
    this.statements.fail.run(condition, attempts, JSON.stringify(error), ran ? row.started_at : null, endedAt, row.id);
    const destination = this.describe(row.function)?.config.onFailure;
    if (destination !== undefined) {
      this.sendToDestination({ ...row, attempts }, destination, condition, ran ? { error } : undefined, now);
    } else {
      this.deadLetter({ ...row, attempts }, condition, ran ? { error } : undefined, now, error);
    }
  }

  private buildRecord(row: InvocationRow, condition: DestinationCondition, response: { result: unknown } | { error: SerializedFunctionError } | undefined, now: number): DestinationRecord {
    return buildDestinationRecord({
      requestId: row.id,
      functionArn: this.arn(row.function),
      condition,
      attempts: row.attempts,
      requestPayload: JSON.parse(row.payload),
      ...(response === undefined ? {} : { response }),
      at: now,
    });
  }

  private sendToDestination(
    row: InvocationRow,
    destination: string,
    condition: DestinationCondition,
    response: { result: unknown } | { error: SerializedFunctionError } | undefined,
    now: number,
  ): void {
    const record = this.buildRecord(row, condition, response, now);
    const recordJson = JSON.stringify(record);
    if (!this.functions.has(destination) || Buffer.byteLength(recordJson) > EVENT_PAYLOAD_LIMIT) {
      // Lambda drops the record and counts DestinationDeliveryFailures; we also keep it as a dead letter.
      this.statements.bumpCounter.run(row.function, 'DestinationDeliveryFailures');
      this.statements.destinationRecord.run(row.id, row.function, destination, condition, null, recordJson, now);
      if (condition !== 'Success') this.deadLetter(row, condition, response, now, response !== undefined && 'error' in response ? response.error : undefined);
      return;
    }
    const id = newRequestId();
    this.statements.insertOne.run({
      id,
      function: destination,
      type: 'Event',
      parent_id: row.id,
      trace_id: row.trace_id,
      // A destination is not part of the caller's loop: a record of a stopped loop must still arrive.
      hop: 0,
      idempotency_key: null,
      payload: recordJson,
      state: 'queued',
      outcome: null,
      attempts: 0,
      enqueued_at: now,
      available_at: now,
      started_at: null,
      ended_at: null,
      duration_ms: null,
      error: null,
      replay_of: null,
      duplicate_of: null,
    });
    this.statements.destinationRecord.run(row.id, row.function, destination, condition, id, recordJson, now);
  }

  private deadLetter(
    row: InvocationRow,
    condition: DestinationCondition,
    response: { result: unknown } | { error: SerializedFunctionError } | undefined,
    now: number,
    error: SerializedFunctionError | undefined,
  ): void {
    const record = this.buildRecord(row, condition, response ?? (error === undefined ? undefined : { error }), now);
    try {
      this.statements.deadLetter.run(row.id, row.function, condition, JSON.stringify(record), row.attempts, now);
    } catch (failure) {
      this.statements.bumpCounter.run(row.function, 'DeadLetterErrors');
      this.onLog(`runtime: dead letter for ${row.id} not stored: ${(failure as Error).message}`);
    }
  }

  /** Redeliver events leased by processes that died (kill -9, power loss): at-least-once. */
  private recover(): void {
    const now = Date.now();
    const host = hostname();
    const dead = (this.statements.workers.all() as { owner: string; pid: number; host: string; heartbeat_at: number }[]).filter(
      (worker) => worker.owner !== this.owner && (now - worker.heartbeat_at > DEAD_AFTER_MS || (worker.host === host && !processAlive(worker.pid))),
    );
    this.db.transaction(() => {
      for (const worker of dead) {
        const released = this.statements.releaseOwner.run(now, worker.owner).changes;
        this.statements.removeWorker.run(worker.owner);
        if (released > 0) this.onLog(`runtime: redelivering ${released} events that were running in ${worker.owner} when it stopped`);
      }
      // Rows leased by an owner that left no worker row (its row was removed by an earlier recovery).
      this.statements.releaseOrphans.run(now, this.owner);
    })();
  }

  // ── queries: invocation log, dead letters, metrics ────────────────────────

  listInvocations(filter: InvocationFilter = {}): InvocationView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      where.push(sql);
      params.push(value);
    };
    if (filter.function !== undefined) add('function = ?', filter.function);
    if (filter.outcome !== undefined) add('outcome = ?', filter.outcome);
    if (filter.state !== undefined) add('state = ?', filter.state);
    if (filter.type !== undefined) add('type = ?', filter.type);
    if (filter.parentId !== undefined) add('parent_id = ?', filter.parentId);
    if (filter.traceId !== undefined) add('trace_id = ?', filter.traceId);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 10_000);
    const sql = `SELECT * FROM invocations ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY enqueued_at DESC, rowid DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...params, limit) as InvocationRow[];
    return rows.map((row) => toView(row, filter.withPayload ?? false));
  }

  getInvocation(id: string): (InvocationView & { failedAttempts: { attempt: number; startedAt: string; endedAt: string; error: SerializedFunctionError }[] }) | undefined {
    const row = this.statements.getInvocation.get(id) as InvocationRow | undefined;
    if (row === undefined) return undefined;
    const attempts = this.statements.attemptsOf.all(id) as { attempt: number; started_at: number; ended_at: number; error: string }[];
    return {
      ...toView(row, true),
      failedAttempts: attempts.map((a) => ({ attempt: a.attempt, startedAt: iso(a.started_at)!, endedAt: iso(a.ended_at)!, error: JSON.parse(a.error) })),
    };
  }

  listDeadLetters(options: { includeReplayed?: boolean; limit?: number } = {}): DeadLetterView[] {
    const rows = this.db
      .prepare(`SELECT * FROM dead_letters ${options.includeReplayed ? '' : 'WHERE replayed_as IS NULL'} ORDER BY id DESC LIMIT ?`)
      .all(Math.min(Math.max(options.limit ?? 100, 1), 10_000)) as DeadLetterRow[];
    return rows.map(toDeadLetterView);
  }

  getDeadLetter(id: number): DeadLetterView | undefined {
    const row = this.db.prepare('SELECT * FROM dead_letters WHERE id = ?').get(id) as DeadLetterRow | undefined;
    return row === undefined ? undefined : toDeadLetterView(row);
  }

  /**
   * Re-enqueue a dead letter as a new invocation with the same payload (and so the same
   * idempotency key). Returns the new invocation's id.
   */
  replayDeadLetter(id: number): Promise<string> {
    const letter = this.db.prepare('SELECT * FROM dead_letters WHERE id = ?').get(id) as
      | { id: number; invocation_id: string; function: string; replayed_as: string | null }
      | undefined;
    if (letter === undefined) return Promise.reject(new RangeError(`dead letter ${id}: no such dead letter`));
    if (letter.replayed_as !== null) return Promise.reject(new RangeError(`dead letter ${id}: already replayed as ${letter.replayed_as}`));
    const original = this.statements.getInvocation.get(letter.invocation_id) as InvocationRow | undefined;
    if (original === undefined) return Promise.reject(new RangeError(`dead letter ${id}: its invocation ${letter.invocation_id} is no longer in the log`));
    const now = Date.now();
    const newId = newRequestId();
    this.db.transaction(() => {
      this.statements.insertOne.run({
        id: newId,
        function: original.function,
        type: 'Event',
        parent_id: original.parent_id,
        trace_id: original.trace_id,
        hop: original.hop,
        idempotency_key: original.idempotency_key,
        payload: original.payload,
        state: 'queued',
        outcome: null,
        attempts: 0,
        enqueued_at: now,
        available_at: now,
        started_at: null,
        ended_at: null,
        duration_ms: null,
        error: null,
        replay_of: original.id,
        duplicate_of: null,
      });
      this.db.prepare('UPDATE dead_letters SET replayed_as = ? WHERE id = ?').run(newId, id);
    })();
    this.schedulePump();
    return Promise.resolve(newId);
  }

  async replayAllDeadLetters(): Promise<string[]> {
    const ids = (this.db.prepare('SELECT id FROM dead_letters WHERE replayed_as IS NULL ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    const replayed: string[] = [];
    for (const id of ids) replayed.push(await this.replayDeadLetter(id));
    return replayed;
  }

  listDestinationRecords(options: { invocationId?: string; limit?: number } = {}): {
    id: number;
    invocationId: string;
    function: string;
    destination: string;
    condition: string;
    deliveredAs: string | null;
    createdAt: string;
    record: DestinationRecord;
  }[] {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 10_000);
    const rows = (
      options.invocationId === undefined
        ? this.db.prepare('SELECT * FROM destination_records ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare('SELECT * FROM destination_records WHERE invocation_id = ? ORDER BY id DESC LIMIT ?').all(options.invocationId, limit)
    ) as { id: number; invocation_id: string; function: string; destination: string; condition: string; delivered_as: string | null; created_at: number; record: string }[];
    return rows.map((r) => ({
      id: r.id,
      invocationId: r.invocation_id,
      function: r.function,
      destination: r.destination,
      condition: r.condition,
      deliveredAs: r.delivered_as,
      createdAt: iso(r.created_at)!,
      record: JSON.parse(r.record),
    }));
  }

  /** Local equivalents of CloudWatch's Lambda metrics, per function, over the last `windowMs` (default: all time). */
  metrics(windowMs?: number): FunctionMetrics[] {
    const since = windowMs === undefined ? 0 : Date.now() - windowMs;
    const counts = this.db
      .prepare(
        `SELECT function,
           SUM(type = 'Event') AS received,
           SUM(type = 'Event' AND state = 'failed') AS dropped,
           SUM(state IN ('succeeded','failed')) AS invocations,
           SUM(state = 'failed' AND attempts > 0) AS errors,
           SUM(throttles) AS throttles,
           SUM(state = 'queued') AS queued,
           SUM(state = 'running') AS running
         FROM invocations WHERE enqueued_at >= ? GROUP BY function`,
      )
      .all(since) as { function: string; received: number; dropped: number; invocations: number; errors: number; throttles: number; queued: number; running: number }[];
    const counters = new Map<string, Record<string, number>>();
    for (const c of this.db.prepare('SELECT * FROM counters').all() as { function: string; metric: string; value: number }[]) {
      counters.set(c.function, { ...counters.get(c.function), [c.metric]: c.value });
    }
    const ageStmt = this.db.prepare(
      `SELECT started_at - enqueued_at AS v FROM invocations WHERE function = ? AND type = 'Event' AND started_at IS NOT NULL AND enqueued_at >= ? ORDER BY v`,
    );
    const durationStmt = this.db.prepare(
      `SELECT duration_ms AS v FROM invocations WHERE function = ? AND duration_ms IS NOT NULL AND enqueued_at >= ? ORDER BY v`,
    );
    const names = new Set([...this.functions.keys(), ...counts.map((c) => c.function)]);
    return [...names].sort().map((name) => {
      const c = counts.find((x) => x.function === name);
      const ages = (ageStmt.all(name, since) as { v: number }[]).map((r) => r.v);
      const durations = (durationStmt.all(name, since) as { v: number }[]).map((r) => r.v);
      return {
        function: name,
        AsyncEventsReceived: c?.received ?? 0,
        AsyncEventAge: { p50: percentile(ages, 0.5), p99: percentile(ages, 0.99), max: ages.at(-1) ?? null },
        AsyncEventsDropped: c?.dropped ?? 0,
        DeadLetterErrors: counters.get(name)?.DeadLetterErrors ?? 0,
        DestinationDeliveryFailures: counters.get(name)?.DestinationDeliveryFailures ?? 0,
        Invocations: c?.invocations ?? 0,
        Errors: c?.errors ?? 0,
        Throttles: c?.throttles ?? 0,
        Duration: { p50: percentile(durations, 0.5), p99: percentile(durations, 0.99) },
        queued: c?.queued ?? 0,
        running: c?.running ?? 0,
      };
    });
  }
}

export function createLocalRuntime(options: RuntimeOptions): LocalRuntime {
  return new LocalRuntime(options);
}

function prepareStatements(db: Database.Database) {
  const insertOne = db.prepare(
    `INSERT INTO invocations (id, function, type, parent_id, trace_id, hop, idempotency_key, payload, state, outcome, attempts,
       enqueued_at, available_at, started_at, ended_at, duration_ms, error, replay_of, duplicate_of)
     VALUES (@id, @function, @type, @parent_id, @trace_id, @hop, @idempotency_key, @payload, @state, @outcome, @attempts,
       @enqueued_at, @available_at, @started_at, @ended_at, @duration_ms, @error, @replay_of, @duplicate_of)`,
  );
  const insertMany = db.transaction((rows: InsertRow[]) => {
    for (const row of rows) {
      insertOne.run({
        outcome: null,
        attempts: 0,
        started_at: null,
        ended_at: null,
        duration_ms: null,
        error: null,
        duplicate_of: null,
        ...row,
      });
    }
  });
  return {
    insertOne,
    insertMany,
    // Claim due events in enqueue order; the attempt counts from the moment it is leased.
    claim: db.prepare(
      `UPDATE invocations SET state = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?
       WHERE id IN (SELECT id FROM invocations WHERE state = 'queued' AND available_at <= ? ORDER BY available_at LIMIT ?)
       RETURNING *`,
    ),
    nextDue: db.prepare(`SELECT MIN(available_at) AS at FROM invocations WHERE state = 'queued'`),
    // EXISTS on each partial index, not COUNT(*) over the table: drain() polls this.
    anyUnfinished: db.prepare(
      `SELECT EXISTS (SELECT 1 FROM invocations WHERE state = 'queued') OR EXISTS (SELECT 1 FROM invocations WHERE state = 'running') AS n`,
    ),
    succeed: db.prepare(
      `UPDATE invocations SET state = 'succeeded', outcome = 'Success', started_at = ?, ended_at = ?, duration_ms = ?, lease_owner = NULL WHERE id = ?`,
    ),
    retry: db.prepare(
      `UPDATE invocations SET state = 'queued', available_at = ?, error = ?, started_at = ?, ended_at = ?, lease_owner = NULL WHERE id = ?`,
    ),
    throttle: db.prepare(
      `UPDATE invocations SET state = 'queued', available_at = ?, attempts = attempts - 1, throttles = throttles + 1, lease_owner = NULL WHERE id = ?`,
    ),
    fail: db.prepare(
      `UPDATE invocations SET state = 'failed', outcome = ?, attempts = ?, error = ?, started_at = COALESCE(?, started_at), ended_at = ?,
         duration_ms = CASE WHEN started_at IS NULL THEN NULL ELSE ended_at - started_at END, lease_owner = NULL WHERE id = ?`,
    ),
    release: db.prepare(`UPDATE invocations SET state = 'queued', available_at = ?, attempts = attempts - 1, lease_owner = NULL WHERE id = ? AND state = 'running'`),
    releaseOwner: db.prepare(`UPDATE invocations SET state = 'queued', available_at = ?, lease_owner = NULL WHERE state = 'running' AND lease_owner = ?`),
    releaseOrphans: db.prepare(
      `UPDATE invocations SET state = 'queued', available_at = ?, lease_owner = NULL
       WHERE state = 'running' AND lease_owner <> ? AND lease_owner NOT IN (SELECT owner FROM workers)`,
    ),
    attempt: db.prepare(`INSERT OR REPLACE INTO attempts (invocation_id, attempt, started_at, ended_at, error) VALUES (?, ?, ?, ?, ?)`),
    deadLetter: db.prepare(
      `INSERT INTO dead_letters (invocation_id, function, condition, record, attempts, failed_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (invocation_id) DO NOTHING`,
    ),
    destinationRecord: db.prepare(
      `INSERT INTO destination_records (invocation_id, function, destination, condition, delivered_as, record, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    bumpCounter: db.prepare(
      `INSERT INTO counters (function, metric, value) VALUES (?, ?, 1) ON CONFLICT (function, metric) DO UPDATE SET value = value + 1`,
    ),
    heartbeat: db.prepare(
      `INSERT INTO workers (owner, pid, host, heartbeat_at) VALUES (?, ?, ?, ?) ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
    ),
    workers: db.prepare(`SELECT * FROM workers`),
    removeWorker: db.prepare(`DELETE FROM workers WHERE owner = ?`),
    getInvocation: db.prepare(`SELECT * FROM invocations WHERE id = ?`),
    attemptsOf: db.prepare(`SELECT * FROM attempts WHERE invocation_id = ? ORDER BY attempt`),
  };
}

function toView(row: InvocationRow, withPayload: boolean): InvocationView {
  const view: InvocationView = {
    id: row.id,
    function: row.function,
    type: row.type,
    parentId: row.parent_id,
    traceId: row.trace_id,
    hop: row.hop,
    idempotencyKey: row.idempotency_key,
    state: row.state,
    outcome: row.outcome,
    attempts: row.attempts,
    throttles: row.throttles,
    enqueuedAt: iso(row.enqueued_at)!,
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    durationMs: row.duration_ms,
    error: row.error === null ? null : (JSON.parse(row.error) as SerializedFunctionError),
    replayOf: row.replay_of,
    duplicateOf: row.duplicate_of,
  };
  if (withPayload) view.payload = JSON.parse(row.payload);
  return view;
}

interface DeadLetterRow {
  id: number;
  invocation_id: string;
  function: string;
  condition: string;
  record: string;
  attempts: number;
  failed_at: number;
  replayed_as: string | null;
}

function toDeadLetterView(r: DeadLetterRow): DeadLetterView {
  return {
    id: r.id,
    invocationId: r.invocation_id,
    function: r.function,
    condition: r.condition,
    attempts: r.attempts,
    failedAt: iso(r.failed_at)!,
    replayedAs: r.replayed_as,
    record: JSON.parse(r.record),
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function toJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

function tail(text: string, bytes: number): Buffer {
  const buffer = Buffer.from(text, 'utf8');
  return buffer.length <= bytes ? buffer : buffer.subarray(buffer.length - bytes);
}

/** `X-Amz-Client-Context` is base64 JSON of at most 3,583 bytes. */
export function decodeClientContext(encoded: string): unknown {
  if (Buffer.byteLength(encoded) > 3583) {
    throw new InvokeError('InvalidRequestContentException', 'Client context must be 3583 bytes or less (base64 encoded)');
  }
  try {
    const text = Buffer.from(encoded, 'base64').toString('utf8');
    return JSON.parse(text);
  } catch {
    throw new InvokeError('InvalidRequestContentException', 'Client context must be a valid Base64-encoded JSON object');
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
