/**
 * The processes of bench/queue.ts, one per role, each forked by it with `--child JSON` through
 * bench/child-process.ts:
 *
 * - `runtime`: the local runtime in-process: enqueue N no-op Event invocations and process them;
 * - `invoke-server`: the real server (`startServer`, the example app) with the no-op controller
 *   registered, its Invoke API behind SigV4: what the HTTP rows measure;
 * - `bare`: a `node:http` server answering 202 to every POST (the HTTP limit);
 * - `sqlite-group`: a `node:http` server that inserts each request into SQLite (WAL,
 *   synchronous=NORMAL) with group commit: one transaction per event-loop turn, 202 after the commit
 *   (the limit of a durable queue on this stack);
 * - `sqlite-sigv4`: the same server checking each request's SigV4 signature first with the runtime's
 *   verifier (src/runtime/sigv4.ts): the limit of a durable queue that lets no stranger in;
 * - `loadgen`: the load generator (bench/http-load.ts), in a process of its own;
 * - `bullmq`: BullMQ's Queue and Worker on a redis-server the parent started.
 *
 * @example
 * npx tsx bench/queue.ts --only http-peers   # forks this file for each role
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { defineController } from '../src/framework/define.js';
import type { RuntimeCredentials } from '../src/runtime/credentials.js';
import { createLocalRuntime } from '../src/runtime/local-runtime.js';
import { createSigV4Verifier, sha256Hex } from '../src/runtime/sigv4.js';
import { resolveServerConfig } from '../src/server/config.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { childMain, forkChild, type RunningChild } from './child-process.js';
import { runHttpLoad, type LoadOptions, type LoadResult, type Signing } from './http-load.js';
import { epochMs, log, makeTempDir, onCleanup, ownCpuSeconds, processCpuSeconds, progressReporter, RssSampler, summarize, yieldToEventLoop, type Summary } from './lib.js';

export const FUNCTION = 'benchQueue';
export const ROUTE = 'noop';
export const INVOKE_PATH = `/2015-03-31/functions/${FUNCTION}/invocations`;

type Durability = 'process-crash' | 'power-loss';

export interface RuntimeChildConfig {
  kind: 'runtime';
  id: string;
  events: number;
  durability: Durability;
  poolSize: number;
  batch: number;
}

export interface InvokeServerChildConfig {
  kind: 'invoke-server';
  id: string;
  durability: Durability;
  /** LEEDZ_POOL_SIZE; undefined: the server's default. */
  poolSize: number | undefined;
  /** Hold the bench controller's queue: the server only accepts (its events wait, durable). */
  paused?: boolean;
}

export interface PeerChildConfig {
  kind: 'bare' | 'sqlite-group' | 'sqlite-sigv4';
  id: string;
}

export interface LoadgenChildConfig {
  kind: 'loadgen';
}

export interface BullChildConfig {
  kind: 'bullmq';
  id: string;
  events: number;
  concurrency: number;
  chunk: number;
  removeOnComplete: boolean;
  singleAddEvents: number;
  singleAddConcurrency: number;
  redisPort: number;
  redisPid: number;
}

export type QueueChildConfig = RuntimeChildConfig | InvokeServerChildConfig | PeerChildConfig | LoadgenChildConfig | BullChildConfig;

/** What the invoke server and the peers send when they listen. */
export interface ServerReady {
  port: number;
  /** The credentials to sign with (the server's; the peers' own key pair, which only one of them checks). */
  credentials: RuntimeCredentials;
}

/** The load generator's one request: where to send what, and how much. */
export interface LoadRequest {
  type: 'load';
  port: number;
  credentials: RuntimeCredentials;
  signing: Signing;
  bodies: number;
  options: Omit<LoadOptions, 'onProgress'>;
  label: string;
}

/** What a queue run reports. Times are epoch milliseconds (comparable across processes). */
export interface RunResult {
  events: number;
  succeeded: number;
  failed: number;
  firstEnqueueAt: number;
  lastEnqueueAckAt: number;
  lastCompletionAt: number;
  /** How the end time was taken. */
  endSource: string;
  latencyMs: Summary;
  peakRssBytes: number;
  maxRssBytes: number;
  /** CPU seconds of the Node process(es) running the queue, from the first enqueue to the last completion. */
  nodeCpuSeconds: number;
  /** CPU seconds of redis-server over the same span (BullMQ rows). */
  redisCpuSeconds?: number;
  /** CPU seconds of the load generator (HTTP rows). */
  clientCpuSeconds?: number;
  singleAdd?: { events: number; concurrency: number; perSecond: number };
  httpErrors?: number;
}

/** The controller under test: one route with a tiny schema and a handler that does nothing. */
export const benchController = defineController(FUNCTION, {
  [ROUTE]: {
    payload: z.object({ i: z.number().int() }),
    handler: () => undefined,
  },
});

export function payloadOf(i: number): { function: string; i: number } {
  return { function: ROUTE, i };
}

// ── runtime, in-process ─────────────────────────────────────────────────────

/** Counts ended Event invocations from the runtime's log lines (each written after its completion commits). */
function completionCounter(label: string) {
  let succeeded = 0;
  let expected = Number.POSITIVE_INFINITY;
  let lastAt = 0;
  let waiter: (() => void) | undefined;
  let progress: (done: number) => void = () => {};
  return {
    onLog(line: string) {
      if (!line.includes(' Event Success')) return;
      succeeded++;
      lastAt = epochMs();
      progress(succeeded);
      if (succeeded >= expected) waiter?.();
    },
    /** From now on, report progress towards `n` completions (and let {@link wait} wait for them). */
    expect(n: number) {
      expected = n;
      progress = progressReporter(`${label} completed`, Math.max(1, n));
    },
    get succeeded() {
      return succeeded;
    },
    get lastAt() {
      return lastAt;
    },
    /** Resolves true once the expected completions were seen, false if none arrived for `quietMs`. */
    async wait(quietMs: number): Promise<boolean> {
      if (succeeded >= expected) return true;
      const done = new Promise<true>((resolve) => (waiter = () => resolve(true)));
      let last = succeeded;
      let since = Date.now();
      for (;;) {
        const tick = await Promise.race([done, new Promise<false>((resolve) => setTimeout(() => resolve(false), 500))]);
        if (tick) return true;
        if (succeeded !== last) {
          last = succeeded;
          since = Date.now();
        } else if (Date.now() - since >= quietMs) {
          return false;
        }
      }
    },
  };
}

/** Enqueue→start latencies, outcomes and the last end time, read from a runtime.db after the run. */
function readInvocationLog(dbPath: string): { latencies: number[]; succeeded: number; notSucceeded: number; maxEndedAt: number } {
  const db = new Database(dbPath, { readonly: true });
  try {
    const latencies = db.prepare(`SELECT started_at - enqueued_at FROM invocations WHERE type = 'Event' AND started_at IS NOT NULL`).pluck().all() as number[];
    const states = db.prepare(`SELECT state, COUNT(*) AS n FROM invocations WHERE type = 'Event' GROUP BY state`).all() as { state: string; n: number }[];
    const count = (state: string) => states.find((s) => s.state === state)?.n ?? 0;
    const maxEndedAt = db.prepare(`SELECT MAX(ended_at) FROM invocations WHERE type = 'Event'`).pluck().get() as number;
    return { latencies, succeeded: count('succeeded'), notSucceeded: count('failed') + count('queued') + count('running'), maxEndedAt };
  } catch (error) {
    // The log's shape is the runtime's business (retention may have removed rows): say so, and go on.
    log(`  could not read the invocation log: ${(error as Error).message}`);
    return { latencies: [], succeeded: Number.NaN, notSucceeded: Number.NaN, maxEndedAt: Number.NaN };
  } finally {
    db.close();
  }
}

async function runRuntime(config: RuntimeChildConfig): Promise<RunResult> {
  const tmp = makeTempDir(config.id);
  const dbPath = join(tmp.path, 'runtime.db');
  const n = config.events;
  const completions = completionCounter(config.id);
  completions.expect(n);
  const runtime = createLocalRuntime({ dbPath, durability: config.durability, poolSize: config.poolSize, onLog: (line) => completions.onLog(line) });
  const rss = new RssSampler().start(50);
  try {
    runtime.register(benchController);
    runtime.start();
    const enqueued = progressReporter(`${config.id} enqueued`, n);
    const cpuBefore = ownCpuSeconds();
    const firstEnqueueAt = epochMs();
    for (let offset = 0; offset < n; offset += config.batch) {
      const count = Math.min(config.batch, n - offset);
      const calls = new Array<Promise<{ statusCode: number }>>(count);
      for (let j = 0; j < count; j++) calls[j] = runtime.invoke(FUNCTION, payloadOf(offset + j), 'Event');
      const results = await Promise.all(calls);
      for (const result of results) if (result.statusCode !== 202) throw new Error(`invoke answered ${result.statusCode}, expected 202`);
      enqueued(offset + count);
      // Let the worker run between batches, as a server's event loop would between requests.
      await yieldToEventLoop();
    }
    const lastEnqueueAckAt = epochMs();
    const finished = await completions.wait(10_000);
    const nodeCpuSeconds = ownCpuSeconds() - cpuBefore;
    // drain() polls with a COUNT(*) over the log: only afterwards, or when completions stopped arriving.
    await runtime.drain({ timeoutMs: 60 * 60_000, pollMs: 100 });
    rss.stop();
    await runtime.close();
    const logged = readInvocationLog(dbPath);
    return {
      events: n,
      succeeded: Number.isNaN(logged.succeeded) ? completions.succeeded : logged.succeeded,
      failed: Number.isNaN(logged.notSucceeded) ? n - completions.succeeded : logged.notSucceeded,
      firstEnqueueAt,
      lastEnqueueAckAt,
      lastCompletionAt: finished ? completions.lastAt : logged.maxEndedAt,
      endSource: finished ? 'completion log line (after commit)' : 'max(ended_at) in the log (ms)',
      latencyMs: summarize(logged.latencies),
      peakRssBytes: rss.peak,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      nodeCpuSeconds,
    };
  } finally {
    rss.stop();
    tmp.remove();
  }
}

// ── the real server, its Invoke API ─────────────────────────────────────────

async function startInvokeServer(config: InvokeServerChildConfig) {
  const tmp = makeTempDir(config.id);
  const completions = completionCounter(config.id);
  const server: RunningServer = await startServer(
    resolveServerConfig({
      PORT: '0',
      LEEDZ_APP: 'example',
      LEEDZ_DATA_DIR: tmp.path,
      LEEDZ_SEED: 'false',
      LEEDZ_DURABILITY: config.durability,
      ...(config.poolSize === undefined ? {} : { LEEDZ_POOL_SIZE: String(config.poolSize) }),
    }),
    { log: (line) => completions.onLog(line) },
  );
  server.runtime.register(benchController);
  if (config.paused === true) server.runtime.pause(benchController.name);
  const rss = new RssSampler().start(50);
  const ready: ServerReady = { port: Number(new URL(server.url).port), credentials: server.credentials };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    rss.stop();
    await server.close();
  };
  const onRequest = async (body: unknown): Promise<unknown> => {
    const request = body as { type: 'stats' } | { type: 'finish'; expected: number };
    if (request.type === 'stats') return { succeeded: completions.succeeded };
    // Every request was answered: wait for the last completion, then read the log.
    const expected = request.expected;
    completions.expect(expected);
    const finished = await completions.wait(10_000);
    await server.runtime.drain({ timeoutMs: 60 * 60_000, pollMs: 100 });
    await close();
    const logged = readInvocationLog(join(tmp.path, 'runtime.db'));
    return {
      succeeded: Number.isNaN(logged.succeeded) ? completions.succeeded : logged.succeeded,
      failed: Number.isNaN(logged.notSucceeded) ? expected - completions.succeeded : logged.notSucceeded,
      lastCompletionAt: finished ? completions.lastAt : logged.maxEndedAt,
      endSource: finished ? 'completion log line (after commit)' : 'max(ended_at) in the log (ms)',
      latencyMs: summarize(logged.latencies),
      peakRssBytes: rss.peak,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    } satisfies Partial<RunResult>;
  };
  return { ready, onRequest, close };
}

// ── the peers: bare node:http, node:http + SQLite group commit (+ SigV4) ────

/** The key pair the peers' requests are signed with (only `sqlite-sigv4` checks it). */
const PEER_CREDENTIALS: RuntimeCredentials = { accessKeyId: 'AKIABENCHBENCHBENCH0', secretAccessKey: 'bench/secret/for/the/peers/0000000000000' };

function listen(server: Server): Promise<number> {
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Read the whole body, then call `done` with it. */
function onBody(request: IncomingMessage, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}

async function startBare(): Promise<{ ready: ServerReady; onRequest: () => unknown; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    onBody(request, () => {
      response.writeHead(202, { 'content-length': '0' });
      response.end();
    });
  });
  const port = await listen(server);
  return { ready: { port, credentials: PEER_CREDENTIALS }, onRequest: () => ({}), close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function startSqliteGroup(config: PeerChildConfig): Promise<{ ready: ServerReady; onRequest: () => unknown; close: () => Promise<void> }> {
  const verifier = config.kind === 'sqlite-sigv4' ? createSigV4Verifier({ lookup: (id) => (id === PEER_CREDENTIALS.accessKeyId ? PEER_CREDENTIALS : undefined) }) : undefined;
  /** The refusal of a request whose signature does not hold, as the runtime's listener checks it; undefined when it holds (or no check). */
  const refusal = (request: IncomingMessage, body: Buffer): string | undefined => {
    if (verifier === undefined) return undefined;
    const url = request.url ?? '';
    const mark = url.indexOf('?');
    const pending = verifier.begin({ method: request.method ?? '', rawPath: mark < 0 ? url : url.slice(0, mark), rawQuery: mark < 0 ? '' : url.slice(mark + 1), headers: request.headers });
    if ('name' in pending) return pending.name;
    return pending.verify(pending.payloadHash === 'UNSIGNED-PAYLOAD' ? pending.payloadHash : sha256Hex(body))?.name;
  };
  const tmp = makeTempDir(config.id);
  const db = new Database(join(tmp.path, 'events.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE events (id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, payload BLOB NOT NULL, enqueued_at INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO events (request_id, payload, enqueued_at) VALUES (?, ?, ?)');
  const count = db.prepare('SELECT COUNT(*) FROM events').pluck();
  interface Pending {
    id: string;
    body: Buffer;
    response: ServerResponse;
  }
  let pending: Pending[] = [];
  const commit = db.transaction((batch: Pending[], now: number) => {
    for (const p of batch) insert.run(p.id, p.body, now);
  });
  // One transaction per turn of the event loop: every request read in this turn commits together,
  // and each is answered only after its commit (durable against a process crash, as the runtime is).
  const flush = () => {
    const batch = pending;
    pending = [];
    try {
      commit(batch, Date.now());
    } catch (error) {
      for (const p of batch) {
        p.response.writeHead(500, { 'content-type': 'text/plain' });
        p.response.end((error as Error).message);
      }
      return;
    }
    for (const p of batch) {
      p.response.writeHead(202, { 'content-length': '0', 'x-amzn-requestid': p.id });
      p.response.end();
    }
  };
  const server = createServer((request, response) => {
    onBody(request, (body) => {
      const refused = refusal(request, body);
      if (refused !== undefined) {
        response.writeHead(403, { 'content-type': 'application/json', 'x-amzn-errortype': refused });
        response.end('{}');
        return;
      }
      if (pending.length === 0) setImmediate(flush);
      pending.push({ id: randomUUID(), body, response });
    });
  });
  const port = await listen(server);
  return {
    ready: { port, credentials: PEER_CREDENTIALS },
    onRequest: () => ({ rows: count.get() as number }),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.close();
      tmp.remove();
    },
  };
}

// ── the load generator ──────────────────────────────────────────────────────

async function load(request: LoadRequest): Promise<LoadResult> {
  const total = request.options.amount;
  const progress = total === undefined ? undefined : progressReporter(`${request.label} answered`, total);
  return runHttpLoad(
    {
      port: request.port,
      path: INVOKE_PATH,
      credentials: request.credentials,
      headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
      body: (i) => JSON.stringify(payloadOf(i % request.bodies)),
      bodies: request.bodies,
      signing: request.signing,
    },
    { ...request.options, ...(progress === undefined ? {} : { onProgress: progress }) },
  );
}

// ── BullMQ on Redis ─────────────────────────────────────────────────────────

async function runBull(config: BullChildConfig): Promise<RunResult> {
  const { Queue, Worker } = await import('bullmq');
  const { Redis } = await import('ioredis');
  const redisOptions = { host: '127.0.0.1', port: config.redisPort, maxRetriesPerRequest: null };
  const n = config.events;
  const jobOptions = { removeOnComplete: config.removeOnComplete, removeOnFail: false };
  const connections: InstanceType<typeof Redis>[] = [];
  const connect = () => {
    const connection = new Redis(redisOptions);
    connections.push(connection);
    return connection;
  };
  const rss = new RssSampler().start(50);
  try {
    // Single `add` rate, on its own queue and with no worker, before the main run.
    let singleAdd: RunResult['singleAdd'];
    if (config.singleAddEvents > 0) {
      const single = new Queue('bench-single', { connection: connect(), defaultJobOptions: jobOptions });
      await single.waitUntilReady();
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: config.singleAddConcurrency }, async () => {
          for (let i = next++; i < config.singleAddEvents; i = next++) await single.add(ROUTE, payloadOf(i));
        }),
      );
      singleAdd = { events: config.singleAddEvents, concurrency: config.singleAddConcurrency, perSecond: config.singleAddEvents / ((performance.now() - started) / 1000) };
      await single.obliterate({ force: true });
      await single.close();
    }

    const queue = new Queue('bench', { connection: connect(), defaultJobOptions: jobOptions });
    const latencies = new Float64Array(n);
    let started = 0;
    let succeeded = 0;
    let failed = 0;
    let lastCompletionAt = 0;
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const progress = progressReporter(`${config.id} completed`, n);
    const finished = () => {
      progress(succeeded + failed);
      if (succeeded + failed === n) {
        lastCompletionAt = epochMs();
        resolveDone();
      }
    };
    const worker = new Worker(
      'bench',
      async (job) => {
        // processedOn is set when the job moved to active; timestamp when it was added.
        if (started < n) latencies[started++] = (job.processedOn ?? Number.NaN) - job.timestamp;
      },
      { connection: connect(), concurrency: config.concurrency },
    );
    worker.on('completed', () => {
      succeeded++;
      finished();
    });
    worker.on('failed', () => {
      failed++;
      finished();
    });
    worker.on('error', (error) => log(`  [${config.id}] worker error: ${error.message}`));
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);

    const enqueued = progressReporter(`${config.id} enqueued`, n);
    const cpuBefore = ownCpuSeconds();
    const redisCpuBefore = processCpuSeconds(config.redisPid);
    const firstEnqueueAt = epochMs();
    for (let offset = 0; offset < n; offset += config.chunk) {
      const count = Math.min(config.chunk, n - offset);
      const jobs = new Array<{ name: string; data: { function: string; i: number } }>(count);
      for (let j = 0; j < count; j++) jobs[j] = { name: ROUTE, data: payloadOf(offset + j) };
      await queue.addBulk(jobs);
      enqueued(offset + count);
    }
    const lastEnqueueAckAt = epochMs();
    await done;
    const nodeCpuSeconds = ownCpuSeconds() - cpuBefore;
    const redisCpuSeconds = processCpuSeconds(config.redisPid) - redisCpuBefore;
    rss.stop();
    await worker.close();
    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
    await queue.close();
    if (!config.removeOnComplete && counts.completed !== n) throw new Error(`bullmq: ${counts.completed} completed jobs in Redis, expected ${n}`);
    if (config.removeOnComplete && counts.completed !== 0) throw new Error(`bullmq: ${counts.completed} completed jobs left in Redis with removeOnComplete`);
    return {
      events: n,
      succeeded,
      failed,
      firstEnqueueAt,
      lastEnqueueAckAt,
      lastCompletionAt,
      endSource: "worker 'completed' event",
      latencyMs: summarize(latencies.subarray(0, started)),
      peakRssBytes: rss.peak,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      nodeCpuSeconds,
      redisCpuSeconds,
      ...(singleAdd ? { singleAdd } : {}),
    };
  } finally {
    rss.stop();
    await Promise.allSettled(connections.map((c) => c.quit()));
    for (const c of connections) c.disconnect();
  }
}

// ── main ────────────────────────────────────────────────────────────────────

/**
 * Fork this module in one role (bench/queue.ts's side). With `profile.dir`, the process writes its
 * V8 CPU profiles to `<dir>/<as>/` (see bench/profile-summary.ts).
 */
export function forkQueueChild<R>(config: QueueChildConfig, profile: { dir: string | undefined; as: string } = { dir: undefined, as: '' }): RunningChild<R> {
  const execArgv = profile.dir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profile.dir, profile.as)}`];
  return forkChild<R>(import.meta.url, config, { execArgv });
}

/** Run one role in this process (forked by bench/queue.ts). */
async function main(config: QueueChildConfig): Promise<void> {
  switch (config.kind) {
    case 'runtime':
      return childMain(async () => ({}), () => runRuntime(config));
    case 'bullmq':
      return childMain(async () => ({}), () => runBull(config));
    case 'loadgen':
      return childMain(async () => ({}), (body) => load(body as LoadRequest));
    case 'invoke-server':
    case 'bare':
    case 'sqlite-group':
    case 'sqlite-sigv4': {
      let close: () => Promise<void> = async () => {};
      let onRequest: (body: unknown) => unknown = () => undefined;
      return childMain(
        async () => {
          const started = config.kind === 'invoke-server' ? await startInvokeServer(config) : config.kind === 'bare' ? await startBare() : await startSqliteGroup(config);
          close = started.close;
          onRequest = started.onRequest;
          return started.ready;
        },
        (body) => onRequest(body),
        () => close(),
      );
    }
  }
}

// Forked with `--child JSON`; imported by bench/queue.ts for its types and constants only.
const flag = process.argv.indexOf('--child');
if (flag >= 0 && process.argv[flag + 1] !== undefined && process.argv[1]?.endsWith('queue-child.ts')) {
  onCleanup(() => {}); // install the signal handlers before anything starts
  await main(JSON.parse(process.argv[flag + 1]!) as QueueChildConfig);
}
