/**
 * The embedded runtime: a registry of functions, a durable queue of Event invocations in SQLite,
 * and a worker pool that applies Lambda's asynchronous rules. It is a {@link Transport}, so functions
 * invoke each other through it exactly as through Lambda.
 *
 * It is the part that holds the pieces together: the registry, Invoke's checks, the synchronous path,
 * the queries. The work loop that runs queued events, with its timers, is src/runtime/worker.ts; what
 * it decides is in src/runtime/async-rules.ts (pure, each rule citing its AWS page); what it reads and
 * writes is in src/runtime/invocation-log.ts (every SQL statement); how one handler runs is
 * src/runtime/handler-run.ts; how an accepted event is stored is src/runtime/event-intake.ts.
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
import type { Deployable, FunctionConfig } from '../framework/define.js';
import { metaOf } from '../framework/envelope.js';
import { MAX_HOPS } from '../framework/invoker.js';
import { InvokeError, type InvocationType, type InvokeOptions, type InvokeResult, type Transport } from '../framework/transport.js';
import { DEFAULT_RETRY_DELAYS_SECONDS } from './async-rules.js';
import { createCallChain, type CallChain, type CallerLink } from './call-chain.js';
import { createCompletionRecorder } from './completions.js';
import { createFunctionSettings } from './function-settings.js';
import { EVENT_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT, decodeClientContext, runHandler } from './handler-run.js';
import { guardProcess } from './process-guard.js';
import { createInvocationLog, invocationRow, laneOf, whyNotReplayable, type InvocationLog } from './invocation-log.js';
import { readMetrics } from './log-metrics.js';
import { endSyncInvocation } from './sync-invocation.js';
import { createRetention, retentionSettings, storageBytes, type CompactionReport, type Housekeeping, type Retention } from './retention.js';
import type { RuntimeOptions } from './runtime-options.js';
import { createRegistry, type Registry, type ResolvedFunction } from './registry.js';
import { newRequestId } from './request-id.js';
import { openRuntimeDb } from './runtime-db.js';
import { createEventIntake, type EventIntake } from './event-intake.js';
import { createWorker, type Attempt, type Worker } from './worker.js';
import type { DeadLetterView, DestinationRecordView, FunctionMetrics, InvocationDetail, InvocationFilter, InvocationView } from './views.js';

export { EVENT_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT, decodeClientContext } from './handler-run.js';
export type { ResolvedFunction } from './registry.js';
export { DEFAULT_RETENTION, describeRemoved, type CompactionReport, type Housekeeping, type RetentionOptions } from './retention.js';
export type { RuntimeOptions } from './runtime-options.js';
export type { DeadLetterView, FunctionMetrics, InvocationFilter, InvocationView } from './views.js';

/** A new invocation's place in its chain (see {@link LocalRuntime.linkOf}). */
interface ChainLink {
  parentId: string | null;
  traceId: string | undefined;
  hop: number;
}

export class LocalRuntime implements Transport {
  readonly db: Database.Database;
  readonly region: string;
  readonly accountId: string;
  private readonly log: InvocationLog;
  /** The functions, their names and their settings (the management API changes them: src/runtime/registry.ts). */
  readonly registry: Registry;
  private readonly chain: CallChain = createCallChain();
  private readonly timeScale: number;
  private readonly poolSize: number;
  private readonly transport: Transport;
  private readonly onLog: (line: string) => void;
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly runningByFunction = new Map<string, number>();
  private readonly retention: Retention;
  private readonly intake: EventIntake;
  private readonly worker: Worker;
  /** Ends the process guard (src/runtime/process-guard.ts) that gives a handler's escaped errors to its invocation. */
  private readonly releaseGuard: () => void;
  private closed = false;

  constructor(options: RuntimeOptions) {
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError(`timeScale must be a positive number, got ${options.timeScale}`);
    this.poolSize = options.poolSize ?? 64;
    if (!Number.isInteger(this.poolSize) || this.poolSize < 1) throw new RangeError(`poolSize must be a positive integer, got ${options.poolSize}`);
    this.region = options.region ?? 'local';
    this.accountId = options.accountId ?? '000000000000';
    this.transport = options.transport ?? this;
    this.onLog = options.onLog ?? (() => {});
    this.db = openRuntimeDb(options.dbPath, options.durability);
    this.log = createInvocationLog(this.db);
    this.log.refreshLanes();
    const settings = createFunctionSettings(this.db);
    // A changed setting applies to the next attempt of every queued event: wake the worker to apply it.
    this.registry = createRegistry({ settings, region: this.region, accountId: this.accountId, prefixes: options.functionNamePrefixes ?? [], onChange: () => this.worker.schedule() });
    const retryDelaysMs = (options.retryDelaysSeconds ?? DEFAULT_RETRY_DELAYS_SECONDS).map((s) => s * 1000 * this.timeScale);
    this.worker = createWorker({
      log: this.log,
      registry: this.registry,
      recorder: createCompletionRecorder({ log: this.log, registry: this.registry, retryDelaysMs, onLog: this.onLog }),
      owner: this.owner,
      poolSize: this.poolSize,
      pollIntervalMs: options.pollIntervalMs ?? 250,
      timeScale: this.timeScale,
      execute: (target, attempt) => this.execute(target, attempt),
      running: (name) => this.running(name),
      onLog: this.onLog,
      isClosed: () => this.closed,
    });
    this.intake = createEventIntake({
      log: this.log,
      owner: this.owner,
      duplicateDelivery: options.duplicateDelivery ?? 0,
      random: options.random ?? Math.random,
      room: () => this.worker.room(),
      isPaused: (name) => this.worker.isPaused(name),
      runLeased: (row, now) => this.worker.deliver(row, now),
      queued: (lanes) => this.worker.schedule(lanes),
      noteInserts: (count) => this.retention.noteInserts(count),
      onLog: (line) => this.onLog(line),
    });
    this.retention = createRetention({ log: this.log, db: this.db, settings: retentionSettings(options.retention), onLog: this.onLog, isClosed: () => this.closed });
    this.releaseGuard = guardProcess((escape) => this.chain.escape(escape));
  }

  // ── registry (src/runtime/registry.ts) ────────────────────────────────────

  /**
   * Register functions and controllers. `overrides` changes settings locally (a shorter retry
   * count in a test, say) without touching the code's declaration.
   */
  register(deployable: Deployable, overrides: FunctionConfig = {}): this {
    this.registry.register(deployable, overrides);
    return this;
  }

  registerAll(deployables: readonly Deployable[]): this {
    for (const deployable of deployables) this.register(deployable);
    return this;
  }

  functionNames(): string[] {
    return this.registry.names();
  }

  describe(name: string): ResolvedFunction | undefined {
    return this.registry.describe(name);
  }

  /** Events the worker pool runs at once: the runtime's account concurrency. */
  get concurrency(): number {
    return this.poolSize;
  }

  // ── the Transport: Lambda's Invoke ────────────────────────────────────────

  /** Invoke with a payload value (the in-process transport). */
  invoke(functionName: string, payload: unknown, type: InvocationType, options: InvokeOptions = {}): Promise<InvokeResult> {
    let body: string;
    try {
      body = JSON.stringify(payload === undefined ? {} : payload);
    } catch (error) {
      return Promise.reject(new InvokeError('InvalidRequestContentException', `Could not serialize the payload: ${(error as Error).message}`));
    }
    return this.invokeRaw(functionName, body, type, options, { parsed: payload });
  }

  /**
   * Invoke with the payload as sent over the wire (the Invoke API). `origin.parsed` skips a second
   * parse when the caller already has the value; `origin.traceHeader` is the request's
   * `X-Amzn-Trace-Id`, which names the calling invocation when an SDK call comes from a handler.
   */
  async invokeRaw(
    functionName: string,
    body: string,
    type: InvocationType,
    options: InvokeOptions = {},
    origin: { parsed?: unknown; traceHeader?: string; replayOf?: string } = {},
  ): Promise<InvokeResult> {
    if (this.closed) throw new InvokeError('ServiceException', 'The local runtime is shut down');
    const target = this.registry.resolve(functionName);
    // Who is calling, as far as the runtime can see: the handler this runs in, or the one an SDK call's
    // trace header names (src/runtime/call-chain.ts).
    const caller = this.chain.current() ?? this.chain.fromTraceHeader(origin.traceHeader);
    if (type === 'DryRun') return { statusCode: 204 };

    const limit = type === 'Event' ? EVENT_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    const size = Buffer.byteLength(body, 'utf8');
    if (size > limit) {
      throw new InvokeError('RequestEntityTooLargeException', `${size} byte payload is too large for the ${type} invocation type (limit ${limit} bytes)`);
    }
    // No payload is the empty object, as Lambda hands a function that was invoked without one.
    if (body.length === 0) body = '{}';
    let payload = origin.parsed;
    if (payload === undefined) {
      try {
        payload = JSON.parse(body);
      } catch (error) {
        throw new InvokeError('InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`);
      }
    }
    const link = this.linkOf(caller, metaOf(payload));
    return type === 'Event' ? this.enqueue(target, body, payload, link, origin.replayOf) : this.runSync(target, payload, body, options, link, origin.replayOf);
  }

  /**
   * A new invocation's place in its chain: its parent and trace from the caller the runtime saw, or
   * else from the envelope; its hop one more than the caller's, or 0. The envelope's hop is not read:
   * Lambda stops a loop by what it tracks, never by the payload, which on AWS would run whatever its
   * `_meta.hop` says (src/runtime/call-chain.ts).
   */
  private linkOf(caller: CallerLink | undefined, meta: ReturnType<typeof metaOf>): ChainLink {
    return {
      parentId: caller?.id ?? meta.parentId ?? null,
      traceId: caller?.traceId ?? meta.traceId,
      hop: caller === undefined ? 0 : caller.hop + 1,
    };
  }

  // ── Event: durable enqueue with group commit (src/runtime/event-intake.ts) ─

  private enqueue(target: ResolvedFunction, body: string, payload: unknown, link: ChainLink, replayOf?: string): Promise<InvokeResult> {
    const now = Date.now();
    const id = newRequestId();
    const row = invocationRow({
      id,
      function: target.deployable.name,
      type: 'Event',
      parent_id: link.parentId,
      trace_id: link.traceId ?? id,
      hop: link.hop,
      idempotency_key: metaOf(payload).idempotencyKey ?? null,
      payload: body,
      enqueued_at: now,
      available_at: this.intake.availableAt(now),
      // Each route of a controller waits in its own lane: a sign-in email is not behind a fan-out.
      lane: laneOf(target.deployable.name, target.deployable.kind === 'controller' ? routeOf(payload) : undefined),
      replay_of: replayOf ?? null,
    });
    return this.intake.acceptEvent(row).then(() => ({ statusCode: 202 as const, requestId: id }));
  }

  // ── RequestResponse ───────────────────────────────────────────────────────

  private async runSync(target: ResolvedFunction, payload: unknown, payloadJson: string, options: InvokeOptions, link: ChainLink, replayOf?: string): Promise<InvokeResult> {
    const name = target.deployable.name;
    if (link.hop >= MAX_HOPS) {
      throw new InvokeError('RecursiveInvocationException', `${name}: invocation chain reached ${link.hop} hops; Lambda stops recursive loops at ${MAX_HOPS}`);
    }
    const reserved = target.config.reservedConcurrency;
    if (reserved !== undefined && this.running(name) >= reserved) {
      throw new InvokeError('TooManyRequestsException', `Rate Exceeded. ${name} is running ${reserved} invocations (its reserved concurrency)`, {
        retryAfterSeconds: 1,
        // Lambda's name for this cause (https://docs.aws.amazon.com/botocore/latest/reference/services/lambda/client/exceptions/TooManyRequestsException.html).
        reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
      });
    }
    const clientContext = options.clientContext === undefined ? undefined : decodeClientContext(options.clientContext);
    const id = newRequestId();
    const traceId = link.traceId ?? id;
    const meta = metaOf(payload);
    const startedAt = Date.now();
    const lines: string[] = [];
    const outcome = await this.execute(target, {
      requestId: id,
      payload,
      meta: { ...meta, hop: link.hop, traceId, ...(link.parentId === null ? {} : { parentId: link.parentId }) },
      startedAt,
      clientContext,
      // ctx.log is console.log on AWS, whose line Lambda's Node.js runtime writes as time, request id,
      // level and message (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html).
      log: (line) => lines.push(`${new Date().toISOString()}\t${id}\tINFO\t${line}`),
    });
    const ended = endSyncInvocation({ target, id, payload, payloadJson, meta, link: { ...link, traceId }, startedAt, endedAt: Date.now(), outcome, lines, logType: options.logType, replayOf });
    this.intake.record(ended.row);
    this.onLog(ended.line);
    return ended.result;
  }

  /**
   * Run a handler, counting it against its function's concurrency while it runs. Its `ctx.log` lines
   * reach the runtime's log, after the function and the invocation (on AWS, its log stream), and
   * `run.log` too (a synchronous call's tail).
   */
  private async execute(
    target: ResolvedFunction,
    run: Attempt & { clientContext?: unknown; log?: (line: string) => void },
  ): Promise<{ result: unknown } | { error: unknown }> {
    const name = target.deployable.name;
    const tail = run.log;
    this.runningByFunction.set(name, this.running(name) + 1);
    try {
      return await runHandler({
        ...run,
        log: (line) => {
          tail?.(line);
          this.onLog(`${name} ${run.requestId} ${line}`);
        },
        deployable: target.deployable,
        timeoutSeconds: target.config.timeoutSeconds,
        allowedTargets: target.allowedTargets,
        region: this.region,
        accountId: this.accountId,
        transport: this.transport,
        chain: this.chain,
      });
    } finally {
      this.runningByFunction.set(name, this.running(name) - 1);
    }
  }

  private running(name: string): number {
    return this.runningByFunction.get(name) ?? 0;
  }

  // ── the worker ────────────────────────────────────────────────────────────

  /** Start the worker pool (src/runtime/worker.ts): recover events leased by dead processes, then deliver due events. */
  start(): this {
    if (!this.closed && this.worker.start()) this.retention.start();
    return this;
  }

  /** Stop taking events and wait for running ones to end (their results are recorded). */
  async stop(): Promise<void> {
    if (!(await this.worker.stop())) return;
    await this.retention.stop();
    this.intake.flushNow();
    this.log.removeWorker(this.owner);
  }

  async close(): Promise<void> {
    await this.stop();
    this.intake.flushNow();
    this.closed = true;
    this.releaseGuard();
    this.db.close();
  }

  /** Resolves when no event is queued or running (retries included). For tests, benchmarks and demos. */
  async drain(options: { timeoutMs?: number; pollMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    for (;;) {
      this.intake.flushNow();
      if (!this.log.anyUnfinished() && this.worker.idle() && this.intake.size === 0) return;
      if (Date.now() > deadline) throw new Error(`drain: invocations still queued or running after ${options.timeoutMs ?? 60_000} ms`);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 5));
    }
  }

  // ── queries: invocation log, dead letters, metrics ────────────────────────

  // Each read first commits the records still waiting (src/runtime/event-intake.ts): a caller that
  // has its answer finds its invocation in the log.

  listInvocations(filter: InvocationFilter = {}): InvocationView[] {
    this.intake.flushNow();
    return this.log.list(filter);
  }

  getInvocation(id: string): InvocationDetail | undefined {
    this.intake.flushNow();
    return this.log.detail(id);
  }

  /** The shortest beginning of each id (at least 8 characters) that no other invocation's id shares. */
  shortIds(ids: readonly string[]): Record<string, string> {
    this.intake.flushNow();
    return this.log.shortIds(ids);
  }

  listDeadLetters(options: { includeReplayed?: boolean; limit?: number } = {}): DeadLetterView[] {
    return this.log.deadLetters(options);
  }

  /** How many dead letters wait for a replay (a list shows the newest only). */
  countOpenDeadLetters(): number {
    return this.log.openDeadLetterCount();
  }

  getDeadLetter(id: number): DeadLetterView | undefined {
    return this.log.deadLetter(id);
  }

  /**
   * Re-enqueue a dead letter as a new invocation with the same payload (and so the same
   * idempotency key). Returns the new invocation's id.
   */
  replayDeadLetter(id: number): Promise<string> {
    try {
      const { invocationId, lane } = this.log.replayDeadLetter(id, newRequestId(), Date.now());
      this.worker.schedule([lane]);
      return Promise.resolve(invocationId);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Invoke again what an invocation was given: the same function, payload and type, as a new
   * invocation marked as its replay (the console's Replay). An Event is queued (202); a synchronous
   * call runs and its result comes back. A payload whose secrets the log did not keep cannot be
   * replayed: it would run with "[redacted]" in their place.
   */
  async replayInvocation(idOrPrefix: string): Promise<InvokeResult> {
    this.intake.flushNow();
    const detail = this.log.detail(idOrPrefix);
    if (detail === undefined) throw new RangeError(`invocation ${idOrPrefix}: not found`);
    const row = this.log.row(detail.id)!;
    const notReplayable = whyNotReplayable(row.payload);
    if (notReplayable !== undefined) throw new RangeError(`invocation ${row.id}: ${notReplayable}; invoke it again from its caller`);
    if (!this.registry.has(row.function)) throw new RangeError(`invocation ${row.id}: its function ${row.function} is not registered here`);
    return this.invokeRaw(row.function, row.payload, row.type, {}, { replayOf: row.id });
  }

  async replayAllDeadLetters(): Promise<string[]> {
    const replayed: string[] = [];
    for (const id of this.log.unreplayedDeadLetterIds()) replayed.push(await this.replayDeadLetter(id));
    return replayed;
  }

  listDestinationRecords(options: { invocationId?: string; limit?: number } = {}): DestinationRecordView[] {
    return this.log.destinationRecords(options);
  }

  /** Local equivalents of CloudWatch's Lambda metrics, per function, over the last `windowMs` (default: since counting began). */
  metrics(windowMs?: number): FunctionMetrics[] {
    this.intake.flushNow();
    return readMetrics(this.db, this.functionNames(), windowMs);
  }

  // ── holding a queue ───────────────────────────────────────────────────────

  /**
   * Hold a function's queue: its events are accepted and wait (running ones finish); synchronous
   * calls still run. Kept across restarts until {@link resume}. A held event still ages: one older
   * than the function's maximum event age when resumed is dropped, as AWS drops a throttled one.
   */
  pause(name: string): void {
    this.registry.setPaused(name, true);
  }

  resume(name: string): void {
    this.registry.setPaused(name, false);
  }

  // ── retention (src/runtime/retention.ts) ──────────────────────────────────

  /** The database's size in bytes, with its write-ahead log. */
  storageBytes(): number {
    return storageBytes(this.db);
  }

  /** Apply retention now (`leedz compact`); with `vacuum`, give the freed pages back to the file system. */
  compact(options: { vacuum?: boolean } = {}): Promise<CompactionReport> {
    return this.retention.compact(options);
  }

  /** Trim the application's own history with the invocation log's (by itself about once a minute, and on `leedz compact`). */
  addHousekeeping(housekeeping: Housekeeping): void {
    this.retention.add(housekeeping);
  }
}

/** A controller's route: the envelope's `function` field. */
function routeOf(payload: unknown): unknown {
  return payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>).function : undefined;
}

export function createLocalRuntime(options: RuntimeOptions): LocalRuntime {
  return new LocalRuntime(options);
}
