/**
 * Queue throughput: enqueue and process N no-op Event invocations of a controller route through the
 * local runtime (in-process and over the HTTP Invoke API), and the same workload through BullMQ on
 * Redis, the peer. One row per configuration; each configuration runs in a fresh child process so
 * that its peak RSS and its heap are its own.
 *
 * @example
 * npx tsx bench/queue.ts --events 20000
 * npx tsx bench/queue.ts --only inproc-64,bullmq
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { defineController } from '../src/framework/define.js';
import { createLocalRuntime } from '../src/runtime/local-runtime.js';
import { signRequest } from '../src/server/signed-fetch.js';
import {
  BENCH_DIR,
  epochMs,
  fmtInt,
  fmtMB,
  fmtMs,
  fmtRate,
  fmtRatio,
  fmtSeconds,
  intArg,
  killOnCleanup,
  log,
  makeTempDir,
  onCleanup,
  parseBenchArgs,
  printTable,
  progressReporter,
  RssSampler,
  summarize,
  writeResult,
  yieldToEventLoop,
  type Summary,
} from './lib.js';

const NAME = 'queue';
const FUNCTION = 'benchQueue';
/** The runtime's credentials in the benchmark: every Invoke is signed with them, as SDK callers sign. */
const BENCH_CREDENTIALS = { accessKeyId: 'AKIABENCHBENCHBENCH0', secretAccessKey: 'bench/secret/for/the/local/runtime/00000' };
const ROUTE = 'noop';
const INVOKE_API_FILE = join(BENCH_DIR, '..', 'src', 'runtime', 'invoke-api.ts');

// ── configurations ──────────────────────────────────────────────────────────

type Durability = 'process-crash' | 'power-loss';

interface BaseConfig {
  id: string;
  label: string;
  events: number;
  /** Set when `events` was lowered from the requested N (slow mode). */
  cappedFrom?: number;
  durableAgainst: string;
}

interface RuntimeConfig extends BaseConfig {
  kind: 'runtime';
  durability: Durability;
  poolSize: number;
  batch: number;
}

interface HttpConfig extends BaseConfig {
  kind: 'http';
  durability: Durability;
  poolSize: number;
  concurrency: number;
}

interface BullConfig extends BaseConfig {
  kind: 'bullmq';
  appendonly: boolean;
  concurrency: number;
  chunk: number;
  removeOnComplete: boolean | number;
  singleAddEvents: number;
  singleAddConcurrency: number;
  /** Filled in by the parent once it has started redis-server. */
  port?: number;
}

type Config = RuntimeConfig | HttpConfig | BullConfig;

/** What a child reports. Times are epoch milliseconds (comparable across processes). */
interface RunResult {
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
  rssSamples: number;
  singleAdd?: { events: number; concurrency: number; perSecond: number };
  httpErrors?: number;
}

interface Row {
  config: Config;
  /** With --repeat: the throughput of every run (this row is the median one). */
  runs?: (number | null)[];
  result?: RunResult;
  skipped?: string;
  error?: string;
  peerPeakRssBytes?: number;
  wallMs?: number;
}

type ParentMessage = { type: 'loaded' };

type ChildMessage = { type: 'ready'; port: number } | { type: 'result'; result: RunResult } | { type: 'error'; message: string };

// ── the workload ────────────────────────────────────────────────────────────

/** The controller under test: one route with a tiny schema and a handler that does nothing. */
const benchController = defineController(FUNCTION, {
  [ROUTE]: {
    payload: z.object({ i: z.number().int() }),
    handler: () => undefined,
  },
});

function payloadOf(i: number): { function: string; i: number } {
  return { function: ROUTE, i };
}

// ── child: the local runtime, in-process ────────────────────────────────────

async function runRuntime(config: RuntimeConfig | HttpConfig, send: (message: ChildMessage) => void): Promise<RunResult> {
  const tmp = makeTempDir(config.id);
  const dbPath = join(tmp.path, 'runtime.db');
  const n = config.events;
  let succeeded = 0;
  let lastCompletionAt = 0;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const progress = progressReporter(`${config.id} completed`, n);
  const runtime = createLocalRuntime({
    dbPath,
    durability: config.durability,
    poolSize: config.poolSize,
    // One line per ended invocation, written after its completion transaction commits.
    onLog: (line) => {
      if (!line.includes(' Event Success')) return;
      succeeded++;
      progress(succeeded);
      if (succeeded === n) {
        lastCompletionAt = epochMs();
        resolveDone();
      }
    },
  });
  const rss = new RssSampler().start(50);
  let server: { close(callback?: (error?: Error) => void): unknown } | undefined;
  try {
    runtime.register(benchController);
    runtime.start();
    let firstEnqueueAt = Number.NaN;
    let lastEnqueueAckAt = Number.NaN;
    if (config.kind === 'runtime') {
      const enqueued = progressReporter(`${config.id} enqueued`, n);
      firstEnqueueAt = epochMs();
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
      lastEnqueueAckAt = epochMs();
    } else {
      const { createInvokeApi } = await importInvokeApi();
      const { serve } = await import('@hono/node-server');
      const app = createInvokeApi(runtime, { credentials: BENCH_CREDENTIALS });
      const port = await new Promise<number>((resolve, reject) => {
        const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
        s.once('error', reject);
        server = s;
      });
      send({ type: 'ready', port });
    }
    // Wait for the last completion line. drain() polls the database with a COUNT(*) that scans the
    // whole table, so it runs only afterwards (or if completions stop arriving, e.g. because the log
    // line format changed; the end time then comes from max(ended_at) in the log).
    let endSource = 'completion log line (after commit)';
    if (config.kind === 'http') {
      // Over HTTP the parent says when every request was answered.
      await new Promise<void>((resolve) => process.on('message', (message: ParentMessage) => message.type === 'loaded' && resolve()));
    }
    const watch = { stop: false };
    const finished = await Promise.race([done.then(() => true), stalled(() => succeeded, 10_000, watch)]);
    watch.stop = true;
    await runtime.drain({ timeoutMs: 60 * 60_000, pollMs: 100 });
    if (!finished) endSource = 'max(ended_at) in the log (ms)';
    rss.stop();
    if (server !== undefined) await new Promise<void>((resolve) => server!.close(() => resolve()));
    await runtime.close();

    // The invocation log, read directly.
    const db = new Database(dbPath, { readonly: true });
    try {
      const latencies = db.prepare(`SELECT started_at - enqueued_at FROM invocations WHERE type = 'Event'`).pluck().all() as number[];
      const states = db.prepare(`SELECT state, COUNT(*) AS n FROM invocations WHERE type = 'Event' GROUP BY state`).all() as { state: string; n: number }[];
      const count = (state: string) => states.find((s) => s.state === state)?.n ?? 0;
      if (!finished) {
        lastCompletionAt = db.prepare(`SELECT MAX(ended_at) FROM invocations WHERE type = 'Event'`).pluck().get() as number;
      }
      if (config.kind === 'http') {
        const first = db.prepare(`SELECT MIN(enqueued_at) FROM invocations WHERE type = 'Event'`).pluck().get() as number;
        firstEnqueueAt = first; // replaced by the client's own clock in the parent
      }
      return {
        events: n,
        succeeded: count('succeeded'),
        failed: count('failed') + count('queued') + count('running'),
        firstEnqueueAt,
        lastEnqueueAckAt,
        lastCompletionAt,
        endSource,
        latencyMs: summarize(latencies.filter((v) => v !== null)),
        peakRssBytes: rss.peak,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        rssSamples: rss.samples,
      };
    } finally {
      db.close();
    }
  } finally {
    rss.stop();
    tmp.remove();
  }
}

/** Resolves (false) once `progress()` has not changed for `quietMs`; stops checking when `watch.stop` is set. */
async function stalled(progress: () => number, quietMs: number, watch: { stop: boolean }): Promise<false> {
  let last = progress();
  let since = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (watch.stop) return false;
    const now = progress();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return false;
    }
  }
}

async function importInvokeApi(): Promise<typeof import('../src/runtime/invoke-api.js')> {
  if (!existsSync(INVOKE_API_FILE)) throw new Error(`${INVOKE_API_FILE} does not exist yet (createInvokeApi(runtime): Hono)`);
  return import('../src/runtime/invoke-api.js');
}

// ── child: BullMQ on Redis ──────────────────────────────────────────────────

async function runBull(config: BullConfig): Promise<RunResult> {
  const { Queue, Worker } = await import('bullmq');
  const { Redis } = await import('ioredis');
  if (config.port === undefined) throw new Error('bullmq child: no redis port');
  const redisOptions = { host: '127.0.0.1', port: config.port, maxRetriesPerRequest: null };
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
    rss.stop();
    await worker.close();
    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed');
    await queue.close();
    if (config.removeOnComplete === false && counts.completed !== n) throw new Error(`bullmq: ${counts.completed} completed jobs in Redis, expected ${n}`);
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
      rssSamples: rss.samples,
      ...(singleAdd ? { singleAdd } : {}),
    };
  } finally {
    rss.stop();
    await Promise.allSettled(connections.map((c) => c.quit()));
    for (const c of connections) c.disconnect();
  }
}

async function childMain(config: Config): Promise<void> {
  // If the parent goes away, so do we (the temp dir is removed by the exit cleanup).
  process.on('disconnect', () => process.exit(1));
  const send = (message: ChildMessage) => process.send?.(message);
  try {
    const result = config.kind === 'bullmq' ? await runBull(config) : await runRuntime(config, send);
    await new Promise<void>((resolve) => process.send!({ type: 'result', result } satisfies ChildMessage, () => resolve()));
    process.exit(0);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    await new Promise<void>((resolve) => process.send!({ type: 'error', message } satisfies ChildMessage, () => resolve()));
    process.exit(1);
  }
}

// ── parent: children, redis-server, HTTP load ───────────────────────────────

/** Set by --cpu-prof: each child writes V8 CPU profiles to <dir>/<id>/ (see bench/profile-summary.ts). */
let cpuProfDir: string | undefined;

interface RunningChild {
  child: ChildProcess;
  result: Promise<RunResult>;
  ready: Promise<number>;
}

function startChild(config: Config): RunningChild {
  const execArgv = cpuProfDir === undefined ? process.execArgv : [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${join(cpuProfDir, config.id)}`];
  const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  // SIGTERM lets the child remove its own temp dir; it also exits when the IPC channel closes.
  const kill = killOnCleanup(child, 'SIGTERM');
  let resolveReady: (port: number) => void = () => {};
  let rejectReady: (error: Error) => void = () => {};
  const ready = new Promise<number>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => {});
  const result = new Promise<RunResult>((resolve, reject) => {
    let outcome: { result: RunResult } | { error: Error } | undefined;
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') resolveReady(message.port);
      else if (message.type === 'result') outcome = { result: message.result };
      else if (message.type === 'error') outcome = { error: new Error(message.message) };
    });
    child.on('error', (error) => {
      kill();
      reject(error);
    });
    child.on('exit', (code, signal) => {
      kill();
      const failure = new Error(`child for ${config.id} exited (${signal ?? `code ${code}`}) without a result`);
      rejectReady(failure);
      if (outcome === undefined) reject(failure);
      else if ('error' in outcome) reject(outcome.error);
      else resolve(outcome.result);
    });
  });
  return { child, result, ready };
}

function redisAvailable(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface RunningRedis {
  port: number;
  peakRssBytes(): number;
  stop(): Promise<void>;
}

/** Start Debian's redis-server on a free loopback port, data in a fresh temp dir. */
async function startRedis(appendonly: boolean): Promise<RunningRedis> {
  const dir = makeTempDir(appendonly ? 'redis-aof' : 'redis');
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', appendonly ? 'yes' : 'no', '--dir', dir.path];
  if (appendonly) args.push('--appendfsync', 'everysec');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = killOnCleanup(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    port,
    peakRssBytes() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
        return kb === undefined ? Number.NaN : Number(kb) * 1024;
      } catch {
        return Number.NaN;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      kill();
      dir.remove();
    },
  };
}

/**
 * POST N Event invocations to the Invoke API with `concurrency` requests in flight, over an undici
 * Pool of `concurrency` keep-alive connections. (Node 20's global fetch is not used: with a request
 * body it manages only ~2,000 requests/s here even against a trivial server, which would measure
 * the client, not the runtime.)
 */
async function httpLoad(port: number, n: number, concurrency: number, label: string): Promise<{ firstAt: number; lastAckAt: number; errors: number; firstError?: string }> {
  const { Pool } = await import('undici');
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
  const path = `/2015-03-31/functions/${FUNCTION}/invocations`;
  const headers = { 'X-Amz-Invocation-Type': 'Event', 'Content-Type': 'application/json' };
  const progress = progressReporter(`${label} accepted`, n);
  let next = 0;
  let acked = 0;
  let errors = 0;
  let firstError: string | undefined;
  const firstAt = epochMs();
  try {
    await Promise.all(
      Array.from({ length: Math.min(concurrency, n) }, async () => {
        for (let i = next++; i < n; i = next++) {
          const body = JSON.stringify(payloadOf(i));
          const signed = await signRequest(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body }, BENCH_CREDENTIALS);
          const response = await pool.request({ path, method: 'POST', headers: signed, body });
          const text = await response.body.text();
          if (response.statusCode !== 202) {
            errors++;
            firstError ??= `${response.statusCode} ${text}`;
          }
          progress(++acked);
        }
      }),
    );
    return { firstAt, lastAckAt: epochMs(), errors, ...(firstError ? { firstError } : {}) };
  } finally {
    await pool.close();
  }
}

/** Wait for src/runtime/invoke-api.ts (being written by someone else): poll every `everyMs` up to `maxMs`. */
async function waitForInvokeApi(maxMs: number, everyMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  while (!existsSync(INVOKE_API_FILE)) {
    if (Date.now() >= deadline) return false;
    log(`  [http] ${INVOKE_API_FILE} not there yet; checking again in ${Math.round(everyMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return true;
}

async function runConfig(config: Config, options: { waitForApiMs: number }): Promise<Row> {
  const started = performance.now();
  const row: Row = { config };
  log(`\n[${NAME}] ${config.label}: ${fmtInt(config.events)} events`);
  if (config.kind === 'bullmq') {
    if (!redisAvailable()) {
      row.skipped = 'redis-server not found: install the Debian package `redis-server` (apt-get install -y redis-server)';
      log(`  ${row.skipped}; skipping the BullMQ peer`);
      return row;
    }
    const redis = await startRedis(config.appendonly);
    try {
      const child = startChild({ ...config, port: redis.port });
      row.result = await child.result;
      row.peerPeakRssBytes = redis.peakRssBytes();
    } finally {
      await redis.stop();
    }
  } else if (config.kind === 'http') {
    if (!(await waitForInvokeApi(options.waitForApiMs, 120_000))) {
      row.skipped = 'src/runtime/invoke-api.ts never appeared';
      return row;
    }
    const child = startChild(config);
    try {
      const port = await child.ready;
      const load = await httpLoad(port, config.events, config.concurrency, config.id);
      child.child.send({ type: 'loaded' } satisfies ParentMessage);
      const result = await child.result;
      result.firstEnqueueAt = load.firstAt;
      result.lastEnqueueAckAt = load.lastAckAt;
      result.httpErrors = load.errors;
      if (load.errors > 0) log(`  [${config.id}] ${load.errors} requests failed; first: ${load.firstError}`);
      row.result = result;
    } catch (error) {
      child.child.kill('SIGKILL');
      throw error;
    }
  } else {
    row.result = await startChild(config).result;
  }
  row.wallMs = performance.now() - started;
  return row;
}

// ── parent: report ──────────────────────────────────────────────────────────

function throughputOf(result: RunResult): number {
  return result.events / ((result.lastCompletionAt - result.firstEnqueueAt) / 1000);
}

function enqueueRateOf(result: RunResult): number {
  return result.events / ((result.lastEnqueueAckAt - result.firstEnqueueAt) / 1000);
}

interface Settings {
  events: number;
  powerLossCap: number;
  batch: number;
  httpConcurrency: number;
  chunk: number;
  bullConcurrency: number;
  removeOnComplete: boolean | number;
  singleAddEvents: number;
  repeat: number;
  quick: boolean;
  cpus: number;
  loadAverage1m: { before: number; after: number };
  fdatasyncMicros: { p50: number; p99: number };
}

function report(rows: Row[], settings: Settings, totalMs: number): { met: boolean | undefined; summary: string } {
  const baseline = rows.find((r) => r.config.id === 'bullmq')?.result;
  const baseThroughput = baseline ? throughputOf(baseline) : Number.NaN;
  const tableRows = rows.map((row) => {
    const { config, result } = row;
    const events = config.cappedFrom !== undefined ? `${fmtInt(config.events)} (capped)` : fmtInt(config.events);
    if (result === undefined) return [config.label, events, config.durableAgainst, row.skipped ? `skipped: ${row.skipped}` : `failed: ${(row.error ?? '').split('\n')[0]}`];
    const throughput = throughputOf(result);
    return [
      config.label,
      events,
      config.durableAgainst,
      fmtRate(throughput),
      fmtRatio(throughput / baseThroughput),
      fmtRate(enqueueRateOf(result)),
      fmtMs(result.latencyMs.p50),
      fmtMs(result.latencyMs.p99),
      fmtMB(result.peakRssBytes),
      row.peerPeakRssBytes === undefined ? '—' : fmtMB(row.peerPeakRssBytes),
      result.failed > 0 || (result.httpErrors ?? 0) > 0 ? `${fmtInt(result.failed)} failed, ${fmtInt(result.httpErrors ?? 0)} HTTP errors` : 'all ok',
    ];
  });

  const inproc = rows.find((r) => r.config.id === 'inproc-64')?.result;
  let met: boolean | undefined;
  let summary: string;
  if (inproc && baseline) {
    const ratio = throughputOf(inproc) / baseThroughput;
    met = ratio >= 1 && inproc.failed === 0 && inproc.succeeded === inproc.events;
    summary =
      `Target (in-process throughput ≥ BullMQ's, no AOF, on this machine; every accepted event durable against a process crash): ` +
      `${met ? 'MET' : 'NOT MET'} — in-process pool 64 ${fmtRate(throughputOf(inproc))} = ${fmtRatio(ratio)} BullMQ's ${fmtRate(baseThroughput)}`;
    const wide = rows.find((r) => r.config.id === 'inproc-256')?.result;
    if (wide) summary += `; pool 256: ${fmtRatio(throughputOf(wide) / baseThroughput)}`;
  } else {
    summary = 'Target (in-process throughput ≥ BullMQ no-AOF): not evaluated (a configuration was skipped or failed)';
  }

  const notes = [
    'events/s: N / (first enqueue → last completion committed). throughput ×: vs BullMQ (no AOF). enqueue/s: N / (first enqueue → last enqueue acknowledged).',
    'enq→start: runtime rows from the invocation log (SELECT started_at - enqueued_at FROM invocations WHERE type=\'Event\'), BullMQ rows job.processedOn − job.timestamp; both ms resolution.',
    'peak RSS: the Node process running the queue (sampled every 50 ms, one fresh child process per row); redis RSS: redis-server VmHWM.',
    `In-process enqueue: runtime.invoke(…, 'Event') in batches of ${settings.batch} with Promise.all, yielding to the event loop between batches; worker started first.`,
    `HTTP: POST /2015-03-31/functions/${FUNCTION}/invocations, X-Amz-Invocation-Type: Event, ${settings.httpConcurrency} requests in flight (undici Pool, keep-alive) from the parent process.`,
    `BullMQ: Queue.addBulk in chunks of ${settings.chunk}, Worker concurrency ${settings.bullConcurrency}, no-op processor, removeOnComplete: ${settings.removeOnComplete} ` +
      `(${settings.removeOnComplete === false ? 'completed jobs kept, as the runtime keeps every invocation in its log' : 'completed jobs removed'}), removeOnFail: false.`,
  ];
  const single = rows.find((r) => r.config.id === 'bullmq')?.result?.singleAdd;
  if (single) notes.push(`BullMQ single Queue.add (${single.concurrency} in flight, ${fmtInt(single.events)} jobs, no worker): ${fmtRate(single.perSecond)}.`);
  const capped = rows.find((r) => r.config.cappedFrom !== undefined);
  if (capped) notes.push(`${capped.config.label}: N capped at ${fmtInt(capped.config.events)} (of ${fmtInt(capped.config.cappedFrom!)}) by --power-loss-events.`);
  notes.push('BullMQ without AOF is NOT durable against a Redis crash; appendfsync everysec may lose up to ~1 s of accepted jobs.');
  notes.push('Enqueueing outruns the workers in every row, so enq→start is mostly time spent waiting in the backlog.');
  notes.push(
    `fdatasync of 4 KiB on the temp dir's disk: p50 ${settings.fdatasyncMicros.p50.toFixed(0)} µs, p99 ${settings.fdatasyncMicros.p99.toFixed(0)} µs ` +
      '(each commit pays one with synchronous=FULL, and each checkpoint with NORMAL; AOF everysec pays one per second).',
  );
  const { before, after } = settings.loadAverage1m;
  notes.push(
    `Load average (1 min) ${before.toFixed(2)} before, ${after.toFixed(2)} after on ${settings.cpus} cores` +
      (Math.max(before, after) > 0.5 ? ' — other processes were using the CPU, so these numbers are noisy; rerun on a quiet machine (or --repeat 3).' : '.'),
  );
  for (const row of rows) {
    if (row.runs) notes.push(`${row.config.label}: median of ${row.runs.length} runs (${row.runs.map((r) => (r === null ? 'failed' : fmtRate(r))).join(', ')}).`);
  }
  notes.push('', summary, `Total: ${fmtSeconds(totalMs)}.`);

  printTable({
    title: `Queue: no-op Event invocations, end to end (${process.version}, ${settings.cpus} cores)`,
    columns: [
      { header: 'configuration' },
      { header: 'events', align: 'right' },
      { header: 'durable against' },
      { header: 'events/s', align: 'right' },
      { header: 'throughput ×', align: 'right' },
      { header: 'enqueue/s', align: 'right' },
      { header: 'p50 enq→start', align: 'right' },
      { header: 'p99 enq→start', align: 'right' },
      { header: 'peak RSS', align: 'right' },
      { header: 'redis RSS', align: 'right' },
      { header: 'check' },
    ],
    rows: tableRows,
    notes,
  });
  return { met, summary };
}

/** Of several runs of one configuration, the one with the median throughput (all runs kept in `runs`). */
function medianRun(runs: Row[]): Row {
  const ok = runs.filter((r) => r.result !== undefined).sort((a, b) => throughputOf(a.result!) - throughputOf(b.result!));
  if (ok.length === 0) return runs.at(-1)!;
  const median = ok[Math.floor((ok.length - 1) / 2)]!;
  return runs.length > 1 ? { ...median, runs: runs.map((r) => (r.result ? throughputOf(r.result) : null)) } : median;
}

/** p50 and p99 of write(4 KiB) + fdatasync in a temp dir (what a commit costs with synchronous=FULL). */
function fsyncProbe(count: number): { p50: number; p99: number } {
  const dir = makeTempDir('fsync');
  try {
    const fd = openSync(join(dir.path, 'probe'), 'w');
    const block = Buffer.alloc(4096, 1);
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      writeSync(fd, block, 0, block.length, i * 4096);
      fdatasyncSync(fd);
      samples.push((performance.now() - t0) * 1000);
    }
    closeSync(fd);
    const summary = summarize(samples);
    return { p50: summary.p50, p99: summary.p99 };
  } finally {
    dir.remove();
  }
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

// ── main ────────────────────────────────────────────────────────────────────

const CONFIG_IDS = ['inproc-64', 'inproc-256', 'inproc-power-loss', 'http', 'bullmq', 'bullmq-aof'] as const;

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: NAME,
    summary:
      'Enqueue and process N no-op Event invocations through the local runtime (in-process, power-loss durability, HTTP Invoke API)\n' +
      'and through BullMQ on Redis (no AOF, and AOF everysec); print events/s, enqueue rate, enqueue→start latency and peak RSS.',
    options: {
      events: { type: 'string', short: 'n', default: '100000', valueName: 'N', description: 'events per configuration' },
      'power-loss-events': { type: 'string', valueName: 'N', description: "cap for the 'power-loss' row (fsync per commit), if it is too slow on this disk (default: --events)" },
      repeat: { type: 'string', default: '1', valueName: 'R', description: 'run each configuration R times and report the run with the median throughput' },
      only: { type: 'string', valueName: 'IDS', description: `comma-separated configurations to run, of: ${CONFIG_IDS.join(', ')}` },
      batch: { type: 'string', default: '1000', valueName: 'N', description: 'in-process enqueue batch size (Promise.all)' },
      'http-concurrency': { type: 'string', default: '64', valueName: 'N', description: 'HTTP requests in flight' },
      chunk: { type: 'string', default: '1000', valueName: 'N', description: 'BullMQ addBulk chunk size' },
      'bull-concurrency': { type: 'string', default: '64', valueName: 'N', description: 'BullMQ Worker concurrency' },
      'remove-on-complete': { type: 'string', default: 'keep', valueName: 'keep|true|COUNT', description: "BullMQ removeOnComplete ('keep' = false)" },
      'single-add-events': { type: 'string', default: '20000', valueName: 'N', description: 'jobs for the BullMQ single add() rate (0 to skip)' },
      'wait-for-api-minutes': { type: 'string', default: '25', valueName: 'M', description: 'how long to wait for src/runtime/invoke-api.ts' },
      'cpu-prof': { type: 'string', valueName: 'DIR', description: "write V8 CPU profiles of each configuration's child process (one per thread) to DIR/<id>/" },
      child: { type: 'string', valueName: 'JSON', description: '(internal) run one configuration in this process and report to the parent' },
    },
    details: ['Each configuration runs in its own child process; redis-server is started on a free loopback port and stopped afterwards.'],
  });
  if (args.child !== undefined) return childMain(JSON.parse(args.child) as Config);

  const quick = args.quick;
  cpuProfDir = args['cpu-prof'];
  const n = quick ? 5000 : intArg(args.events, 'events');
  const powerLossCap = args['power-loss-events'] === undefined ? n : intArg(args['power-loss-events'], 'power-loss-events');
  const repeat = intArg(args.repeat, 'repeat');
  const batch = intArg(args.batch, 'batch');
  const httpConcurrency = intArg(args['http-concurrency'], 'http-concurrency');
  const chunk = intArg(args.chunk, 'chunk');
  const bullConcurrency = intArg(args['bull-concurrency'], 'bull-concurrency');
  const singleAddEvents = quick ? 2000 : args['single-add-events'] === '0' ? 0 : intArg(args['single-add-events'], 'single-add-events');
  const removeOnCompleteArg = args['remove-on-complete'];
  const removeOnComplete = removeOnCompleteArg === 'keep' || removeOnCompleteArg === 'false' ? false : removeOnCompleteArg === 'true' ? true : intArg(removeOnCompleteArg, 'remove-on-complete');
  const only = args.only === undefined ? undefined : new Set(args.only.split(',').map((s) => s.trim()));
  for (const id of only ?? []) {
    if (!(CONFIG_IDS as readonly string[]).includes(id)) {
      log(`--only: unknown configuration "${id}" (known: ${CONFIG_IDS.join(', ')})`);
      process.exit(2);
    }
  }

  const powerLossEvents = Math.min(n, powerLossCap);
  const all: Config[] = [
    { id: 'inproc-64', kind: 'runtime', label: 'in-process, process-crash, pool 64', events: n, durability: 'process-crash', poolSize: 64, batch, durableAgainst: 'process crash' },
    { id: 'inproc-256', kind: 'runtime', label: 'in-process, process-crash, pool 256', events: n, durability: 'process-crash', poolSize: 256, batch, durableAgainst: 'process crash' },
    {
      id: 'inproc-power-loss',
      kind: 'runtime',
      label: 'in-process, power-loss, pool 64',
      events: powerLossEvents,
      ...(powerLossEvents < n ? { cappedFrom: n } : {}),
      durability: 'power-loss',
      poolSize: 64,
      batch,
      durableAgainst: 'power loss',
    },
    { id: 'http', kind: 'http', label: `HTTP Invoke API, process-crash, pool 64`, events: n, durability: 'process-crash', poolSize: 64, concurrency: httpConcurrency, durableAgainst: 'process crash' },
    {
      id: 'bullmq',
      kind: 'bullmq',
      label: 'BullMQ + Redis (no AOF)',
      events: n,
      appendonly: false,
      concurrency: bullConcurrency,
      chunk,
      removeOnComplete,
      singleAddEvents,
      singleAddConcurrency: 64,
      durableAgainst: 'nothing (Redis crash)',
    },
    {
      id: 'bullmq-aof',
      kind: 'bullmq',
      label: 'BullMQ + Redis (AOF everysec)',
      events: n,
      appendonly: true,
      concurrency: bullConcurrency,
      chunk,
      removeOnComplete,
      singleAddEvents: 0,
      singleAddConcurrency: 64,
      durableAgainst: 'crash, ≤1 s loss',
    },
  ];
  const configs = all.filter((c) => only === undefined || only.has(c.id));

  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const fsync = fsyncProbe(quick ? 20 : 200);
  const waitForApiMs = intArg(args['wait-for-api-minutes'], 'wait-for-api-minutes') * 60_000;
  const rows: Row[] = [];
  for (const config of configs) {
    const runs: Row[] = [];
    for (let attempt = 1; attempt <= repeat; attempt++) {
      if (repeat > 1) log(`\n[${NAME}] ${config.id}: run ${attempt} of ${repeat}`);
      try {
        runs.push(await runConfig(config, { waitForApiMs }));
      } catch (error) {
        const message = describeError(error);
        log(`  [${config.id}] failed: ${message}`);
        runs.push({ config, error: message });
        break;
      }
    }
    rows.push(medianRun(runs));
  }
  const totalMs = performance.now() - started;
  const settings: Settings = {
    events: n,
    powerLossCap,
    batch,
    httpConcurrency,
    chunk,
    bullConcurrency,
    removeOnComplete,
    singleAddEvents,
    repeat,
    quick,
    cpus: cpus().length,
    loadAverage1m: { before: loadBefore, after: loadavg()[0]! },
    fdatasyncMicros: fsync,
  };
  const { met, summary } = report(rows, settings, totalMs);
  const bullmqResult = rows.find((r) => r.config.id === 'bullmq')?.result;
  const bullmqThroughput = bullmqResult === undefined ? undefined : throughputOf(bullmqResult);
  const path = writeResult(NAME, {
    settings,
    targetMet: met ?? null,
    summary,
    totalMs,
    rows: rows.map((row) => ({
      id: row.config.id,
      label: row.config.label,
      config: row.config,
      ...(row.result
        ? {
            eventsPerSecond: throughputOf(row.result),
            throughputVsBullmq: bullmqThroughput === undefined ? null : throughputOf(row.result) / bullmqThroughput,
            enqueuePerSecond: enqueueRateOf(row.result),
            enqueueToStartMs: row.result.latencyMs,
            peakRssBytes: row.result.peakRssBytes,
            maxRssBytes: row.result.maxRssBytes,
            redisPeakRssBytes: row.peerPeakRssBytes ?? null,
            wallMs: row.wallMs,
            result: row.result,
          }
        : {}),
      ...(row.skipped ? { skipped: row.skipped } : {}),
      ...(row.error ? { error: row.error } : {}),
    })),
  });
  log(`[${NAME}] results: ${path}`);
  if (rows.some((r) => r.error !== undefined)) process.exitCode = 1;
}

onCleanup(() => {}); // install the signal handlers before anything starts
await main();
