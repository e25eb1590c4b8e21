/**
 * Queue throughput, and the Invoke API beside the limits of HTTP on this machine.
 *
 * 1. End to end: enqueue and process N no-op Event invocations of a controller route through the
 *    local runtime (in-process, and over the real server's Invoke API), and the same workload
 *    through BullMQ on Redis, the peer (completed jobs kept, and `removeOnComplete: true`, BullMQ's
 *    recommended setting). Every row reports the CPU seconds of each side: the Node process(es),
 *    redis-server, the HTTP load generator.
* 2. HTTP accept rate (bench/queue-http.ts): the real server's Invoke API (`startServer`, SigV4 checked, each event durable
 *    before its 202) beside a bare `node:http` server answering 202 and a `node:http` server that
 *    inserts each request into SQLite with group commit, under the same load generator (its own
 *    process) sending the same signed requests; req/s and the ratios to both.
 *
 * Every process is forked from bench/queue-child.ts with bench/child-process.ts, one fresh process
 * per row and run, so that its heap, JIT state, peak RSS and CPU seconds are its own.
 *
 * @example
 * npx tsx bench/queue.ts --events 20000
 * npx tsx bench/queue.ts --only http-peers --http-duration 10 --http-repeat 3
 * npx tsx bench/queue.ts --only http --cpu-prof /tmp/prof   # then bench/profile-summary.ts
 */
import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { redisAvailable, startRedisServer, type RunningChild } from './child-process.js';
import type { LoadResult } from './http-load.js';
import {
  fmtCpu,
  fmtInt,
  fmtMB,
  fmtMs,
  fmtRate,
  fmtRatio,
  fmtSeconds,
  intArg,
  loadNote,
  log,
  makeTempDir,
  onCleanup,
  parseBenchArgs,
  printTable,
  processCpuSeconds,
  summarize,
  writeResult,
} from './lib.js';
import {
  forkQueueChild,
  INVOKE_PATH,
  type BullChildConfig,
  type InvokeServerChildConfig,
  type LoadRequest,
  type RunResult,
  type RuntimeChildConfig,
  type ServerReady,
} from './queue-child.js';
import { reportPeers, runPeers, signingNote, type HttpSettings, type PeerRow, type PeerTargets } from './queue-http.js';

const NAME = 'queue';

// ── configurations ──────────────────────────────────────────────────────────

type Durability = 'process-crash' | 'power-loss';

interface RowBase {
  id: string;
  label: string;
  events: number;
  /** Set when `events` was lowered from the requested N. */
  cappedFrom?: number;
  durableAgainst: string;
}

type RowConfig =
  | (RowBase & { kind: 'runtime'; durability: Durability; poolSize: number; batch: number })
  | (RowBase & { kind: 'http'; durability: Durability; poolSize: number | undefined })
  | (RowBase & { kind: 'bullmq'; appendonly: boolean; removeOnComplete: boolean; singleAddEvents: number });

interface Row {
  config: RowConfig;
  /** With --repeat: the throughput of every run (this row is the median one). */
  runs?: (number | null)[];
  result?: RunResult;
  skipped?: string;
  error?: string;
  peerPeakRssBytes?: number;
  wallMs?: number;
}

interface Settings {
  events: number;
  powerLossCap: number;
  batch: number;
  chunk: number;
  bullConcurrency: number;
  singleAddEvents: number;
  repeat: number;
  http: HttpSettings;
  quick: boolean;
  cpus: number;
  loadAverage1m: { before: number; after: number };
  fdatasyncMicros: { p50: number; p99: number };
}

// ── end to end: runtime, HTTP, BullMQ ───────────────────────────────────────

async function runRuntimeRow(config: RowConfig & { kind: 'runtime' }, settings: Settings): Promise<RunResult> {
  const childConfig: RuntimeChildConfig = { kind: 'runtime', id: config.id, events: config.events, durability: config.durability, poolSize: config.poolSize, batch: config.batch };
  const child = forkQueueChild<object>(childConfig, { dir: settings.http.cpuProfDir, as: config.id });
  try {
    await child.ready;
    return await child.request<RunResult>({ type: 'run' });
  } finally {
    await child.stop(60_000);
  }
}

/** The Invoke API of the real server, end to end: N signed Event invocations from the load generator, until the last one completed. */
async function runHttpRow(config: RowConfig & { kind: 'http' }, loadgen: RunningChild<object>, settings: Settings): Promise<RunResult> {
  const childConfig: InvokeServerChildConfig = { kind: 'invoke-server', id: config.id, durability: config.durability, poolSize: config.poolSize };
  const server = forkQueueChild<ServerReady>(childConfig, { dir: settings.http.cpuProfDir, as: config.id });
  try {
    const ready = await server.ready;
    const cpuBefore = processCpuSeconds(server.pid);
    const load = await loadgen.request<LoadResult>({
      type: 'load',
      port: ready.port,
      credentials: ready.credentials!,
      signing: settings.http.signing,
      bodies: settings.http.bodies,
      options: { connections: settings.http.connections, amount: config.events },
      label: config.id,
    } satisfies LoadRequest);
    if (load.non2xx + load.errors > 0) log(`  [${config.id}] ${load.non2xx + load.errors} requests failed; first: ${load.firstError}`);
    const finished = await server.request<Partial<RunResult>>({ type: 'finish', expected: load.ok });
    const nodeCpuSeconds = processCpuSeconds(server.pid) - cpuBefore;
    return {
      events: config.events,
      succeeded: finished.succeeded!,
      failed: finished.failed!,
      firstEnqueueAt: load.firstAt,
      lastEnqueueAckAt: load.lastAt,
      lastCompletionAt: finished.lastCompletionAt!,
      endSource: finished.endSource!,
      latencyMs: finished.latencyMs!,
      peakRssBytes: finished.peakRssBytes!,
      maxRssBytes: finished.maxRssBytes!,
      nodeCpuSeconds,
      clientCpuSeconds: load.clientCpuSeconds,
      httpErrors: load.non2xx + load.errors,
    };
  } finally {
    await server.stop(60_000);
  }
}

async function runBullRow(config: RowConfig & { kind: 'bullmq' }, settings: Settings, row: Row): Promise<RunResult | undefined> {
  if (!redisAvailable()) {
    row.skipped = 'redis-server not found: install the Debian package `redis-server` (apt-get install -y redis-server)';
    log(`  ${row.skipped}; skipping this BullMQ row`);
    return undefined;
  }
  const redis = await startRedisServer({ appendonly: config.appendonly });
  try {
    const childConfig: BullChildConfig = {
      kind: 'bullmq',
      id: config.id,
      events: config.events,
      concurrency: settings.bullConcurrency,
      chunk: settings.chunk,
      removeOnComplete: config.removeOnComplete,
      singleAddEvents: config.singleAddEvents,
      singleAddConcurrency: 64,
      redisPort: redis.port,
      redisPid: redis.pid!,
    };
    const child = forkQueueChild<object>(childConfig, { dir: settings.http.cpuProfDir, as: config.id });
    try {
      await child.ready;
      const result = await child.request<RunResult>({ type: 'run' });
      row.peerPeakRssBytes = redis.peakRssBytes();
      return result;
    } finally {
      await child.stop(60_000);
    }
  } finally {
    await redis.stop();
  }
}

async function runRow(config: RowConfig, settings: Settings, loadgen: () => RunningChild<object>): Promise<Row> {
  const started = performance.now();
  const row: Row = { config };
  log(`\n[${NAME}] ${config.label}: ${fmtInt(config.events)} events`);
  if (config.kind === 'runtime') row.result = await runRuntimeRow(config, settings);
  else if (config.kind === 'http') row.result = await runHttpRow(config, loadgen(), settings);
  else {
    const result = await runBullRow(config, settings, row);
    if (result !== undefined) row.result = result;
  }
  row.wallMs = performance.now() - started;
  return row;
}

function throughputOf(result: RunResult): number {
  return result.events / ((result.lastCompletionAt - result.firstEnqueueAt) / 1000);
}

function enqueueRateOf(result: RunResult): number {
  return result.events / ((result.lastEnqueueAckAt - result.firstEnqueueAt) / 1000);
}

/** Every CPU second of a row: the queue's Node process(es), redis-server, the load generator. */
function totalCpuOf(result: RunResult): number {
  return result.nodeCpuSeconds + (result.redisCpuSeconds ?? 0) + (result.clientCpuSeconds ?? 0);
}

/** Of several runs of one configuration, the one with the median throughput (all runs kept in `runs`). */
function medianRun(runs: Row[]): Row {
  const ok = runs.filter((r) => r.result !== undefined).sort((a, b) => throughputOf(a.result!) - throughputOf(b.result!));
  if (ok.length === 0) return runs.at(-1)!;
  const median = ok[Math.floor((ok.length - 1) / 2)]!;
  return runs.length > 1 ? { ...median, runs: runs.map((r) => (r.result ? throughputOf(r.result) : null)) } : median;
}

// ── report ──────────────────────────────────────────────────────────────────

function reportQueue(rows: Row[], settings: Settings, totalMs: number): { met: boolean | undefined; summary: string } {
  const keep = rows.find((r) => r.config.id === 'bullmq')?.result;
  const roc = rows.find((r) => r.config.id === 'bullmq-roc')?.result;
  const keepThroughput = keep ? throughputOf(keep) : Number.NaN;
  const rocThroughput = roc ? throughputOf(roc) : Number.NaN;
  const tableRows = rows.map((row) => {
    const { config, result } = row;
    const events = config.cappedFrom !== undefined ? `${fmtInt(config.events)} (capped)` : fmtInt(config.events);
    if (result === undefined) return [config.label, events, config.durableAgainst, row.skipped ? `skipped: ${row.skipped}` : `failed: ${(row.error ?? '').split('\n')[0]}`];
    const throughput = throughputOf(result);
    const cpu = totalCpuOf(result);
    return [
      config.label,
      events,
      config.durableAgainst,
      fmtRate(throughput),
      fmtRatio(throughput / keepThroughput),
      fmtRatio(throughput / rocThroughput),
      fmtRate(enqueueRateOf(result)),
      fmtMs(result.latencyMs.p50),
      fmtMs(result.latencyMs.p99),
      fmtCpu(result.nodeCpuSeconds),
      result.redisCpuSeconds === undefined ? '—' : fmtCpu(result.redisCpuSeconds),
      result.clientCpuSeconds === undefined ? '—' : fmtCpu(result.clientCpuSeconds),
      `${((cpu / result.events) * 1e6).toFixed(0)} µs`,
      fmtMB(result.peakRssBytes),
      row.peerPeakRssBytes === undefined ? '—' : fmtMB(row.peerPeakRssBytes),
      result.failed > 0 || (result.httpErrors ?? 0) > 0 ? `${fmtInt(result.failed)} failed, ${fmtInt(result.httpErrors ?? 0)} HTTP errors` : 'all ok',
    ];
  });

  const inproc = rows.find((r) => r.config.id === 'inproc-64')?.result;
  let met: boolean | undefined;
  let summary: string;
  if (inproc && keep) {
    const ratio = throughputOf(inproc) / keepThroughput;
    met = ratio >= 1 && inproc.failed === 0 && inproc.succeeded === inproc.events;
    summary =
      `Target (in-process throughput ≥ BullMQ's, no AOF, on this machine; every accepted event durable against a process crash): ` +
      `${met ? 'MET' : 'NOT MET'} — in-process pool 64 ${fmtRate(throughputOf(inproc))} = ${fmtRatio(ratio)} BullMQ's ${fmtRate(keepThroughput)}` +
      (roc ? `, ${fmtRatio(throughputOf(inproc) / rocThroughput)} BullMQ's with removeOnComplete (${fmtRate(rocThroughput)})` : '');
  } else {
    summary = 'Target (in-process throughput ≥ BullMQ no-AOF): not evaluated (a configuration was skipped or failed)';
  }

  const notes = [
    'events/s: N / (first enqueue → last completion committed). × BullMQ: vs BullMQ no AOF, completed jobs kept; × roc: vs BullMQ no AOF, removeOnComplete: true. enqueue/s: N / (first enqueue → last enqueue acknowledged).',
    "enq→start: runtime rows from the invocation log (started_at − enqueued_at of each Event), BullMQ rows job.processedOn − job.timestamp; both ms resolution.",
    'CPU (user + system, every thread) from the first enqueue to the last completion: "node" the process running the queue (the server, for HTTP), "redis" redis-server (/proc/<pid>/stat),',
    '"client" the HTTP load generator; "CPU/event" all of them together ÷ N. On 2 cores, a row whose CPU exceeds its wall time used both.',
    'peak RSS: the Node process running the queue (sampled every 50 ms, one fresh child process per row); redis RSS: redis-server VmHWM.',
    `In-process enqueue: runtime.invoke(…, 'Event') in batches of ${settings.batch} with Promise.all, yielding to the event loop between batches; worker started first.`,
    `HTTP: the real server (startServer, LEEDZ_APP=example, the no-op controller registered, pool ${settings.http.poolSize ?? '16, the server default'}); POST ${INVOKE_PATH}, X-Amz-Invocation-Type: Event,`,
    `  from the load generator (bench/http-load.ts, its own process): ${settings.http.connections} keep-alive connections, one request in flight on each, ${signingNote(settings.http)}.`,
    `BullMQ: Queue.addBulk in chunks of ${settings.chunk}, Worker concurrency ${settings.bullConcurrency}, no-op processor, removeOnFail: false; "kept" rows keep completed jobs (as the runtime keeps every invocation in its log).`,
  ];
  const single = rows.find((r) => r.config.id === 'bullmq')?.result?.singleAdd;
  if (single) notes.push(`BullMQ single Queue.add (${single.concurrency} in flight, ${fmtInt(single.events)} jobs, no worker): ${fmtRate(single.perSecond)}.`);
  const capped = rows.find((r) => r.config.cappedFrom !== undefined);
  if (capped) notes.push(`${capped.config.label}: N capped at ${fmtInt(capped.config.events)} (of ${fmtInt(capped.config.cappedFrom!)}) by --power-loss-events.`);
  notes.push('BullMQ without AOF is NOT durable against a Redis crash; appendfsync everysec may lose up to ~1 s of accepted jobs.');
  notes.push(
    `fdatasync of 4 KiB on the temp dir's disk: p50 ${settings.fdatasyncMicros.p50.toFixed(0)} µs, p99 ${settings.fdatasyncMicros.p99.toFixed(0)} µs ` +
      '(each commit pays one with synchronous=FULL, and each checkpoint with NORMAL; AOF everysec pays one per second).',
  );
  notes.push(loadNote(settings.loadAverage1m.before, settings.loadAverage1m.after, settings.cpus));
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
      { header: '× BullMQ', align: 'right' },
      { header: '× roc', align: 'right' },
      { header: 'enqueue/s', align: 'right' },
      { header: 'p50 enq→start', align: 'right' },
      { header: 'p99 enq→start', align: 'right' },
      { header: 'CPU node', align: 'right' },
      { header: 'CPU redis', align: 'right' },
      { header: 'CPU client', align: 'right' },
      { header: 'CPU/event', align: 'right' },
      { header: 'peak RSS', align: 'right' },
      { header: 'redis RSS', align: 'right' },
      { header: 'check' },
    ],
    rows: tableRows,
    notes,
  });
  return { met, summary };
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

const CONFIG_IDS = ['inproc-64', 'inproc-256', 'inproc-power-loss', 'http', 'bullmq', 'bullmq-roc', 'bullmq-aof', 'http-peers'] as const;

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: NAME,
    summary:
      'Enqueue and process N no-op Event invocations through the local runtime (in-process, power-loss durability, the real server over HTTP)\n' +
      'and through BullMQ on Redis (completed jobs kept, removeOnComplete, AOF everysec); events/s, enqueue rate, enqueue→start latency, CPU seconds of\n' +
      'each side and peak RSS. Then the HTTP accept rate of the Invoke API beside a bare node:http server and a node:http + SQLite group-commit server.',
    options: {
      events: { type: 'string', short: 'n', default: '100000', valueName: 'N', description: 'events per end-to-end configuration' },
      'power-loss-events': { type: 'string', valueName: 'N', description: "cap for the 'power-loss' row (fsync per commit), if it is too slow on this disk (default: --events)" },
      repeat: { type: 'string', default: '1', valueName: 'R', description: 'run each end-to-end configuration R times and report the run with the median throughput' },
      only: { type: 'string', valueName: 'IDS', description: `comma-separated configurations to run, of: ${CONFIG_IDS.join(', ')}` },
      batch: { type: 'string', default: '1000', valueName: 'N', description: 'in-process enqueue batch size (Promise.all)' },
      'http-connections': { type: 'string', default: '64', valueName: 'C', description: 'HTTP connections of the load generator (one request in flight on each)' },
      'http-duration': { type: 'string', default: '10', valueName: 'S', description: 'HTTP accept rate: measured seconds per server' },
      'http-warmup': { type: 'string', default: '2', valueName: 'S', description: 'HTTP accept rate: seconds of unmeasured load first (0 for none)' },
      'http-repeat': { type: 'string', default: '3', valueName: 'R', description: 'HTTP accept rate: interleaved rounds; the median per server is reported' },
      'http-pool-size': { type: 'string', valueName: 'K', description: "the server's LEEDZ_POOL_SIZE in the HTTP rows (default: the server's)" },
      signing: { type: 'string', default: 'per-body', valueName: 'per-body|per-request', description: 'SigV4 in the load generator: each distinct body signed once, or every request' },
      bodies: { type: 'string', default: '1000', valueName: 'K', description: 'distinct request bodies (per-body signing)' },
      chunk: { type: 'string', default: '1000', valueName: 'N', description: 'BullMQ addBulk chunk size' },
      'bull-concurrency': { type: 'string', default: '64', valueName: 'N', description: 'BullMQ Worker concurrency' },
      'single-add-events': { type: 'string', default: '20000', valueName: 'N', description: 'jobs for the BullMQ single add() rate (0 to skip)' },
      'cpu-prof': { type: 'string', valueName: 'DIR', description: 'write V8 CPU profiles of each queue or server process (one per thread) to DIR/<id>/' },
    },
    details: ['Each configuration runs in fresh child processes (bench/queue-child.ts); redis-server is started on a free loopback port and stopped afterwards.'],
  });

  const quick = args.quick;
  const n = quick ? 5000 : intArg(args.events, 'events');
  const powerLossCap = args['power-loss-events'] === undefined ? n : intArg(args['power-loss-events'], 'power-loss-events');
  const signing = args.signing;
  if (signing !== 'per-body' && signing !== 'per-request') {
    log(`--signing: expected per-body or per-request, got "${signing}"`);
    process.exit(2);
  }
  const only = args.only === undefined ? undefined : new Set(args.only.split(',').map((s) => s.trim()));
  for (const id of only ?? []) {
    if (!(CONFIG_IDS as readonly string[]).includes(id)) {
      log(`--only: unknown configuration "${id}" (known: ${CONFIG_IDS.join(', ')})`);
      process.exit(2);
    }
  }
  const settings: Settings = {
    events: n,
    powerLossCap,
    batch: intArg(args.batch, 'batch'),
    chunk: intArg(args.chunk, 'chunk'),
    bullConcurrency: intArg(args['bull-concurrency'], 'bull-concurrency'),
    singleAddEvents: quick ? 2000 : args['single-add-events'] === '0' ? 0 : intArg(args['single-add-events'], 'single-add-events'),
    repeat: intArg(args.repeat, 'repeat'),
    http: {
      connections: intArg(args['http-connections'], 'http-connections'),
      durationSeconds: quick ? 2 : intArg(args['http-duration'], 'http-duration'),
      warmupSeconds: quick ? 1 : args['http-warmup'] === '0' ? 0 : intArg(args['http-warmup'], 'http-warmup'),
      repeat: quick ? 1 : intArg(args['http-repeat'], 'http-repeat'),
      poolSize: args['http-pool-size'] === undefined ? undefined : intArg(args['http-pool-size'], 'http-pool-size'),
      signing,
      bodies: intArg(args.bodies, 'bodies'),
      cpuProfDir: args['cpu-prof'],
    },
    quick,
    cpus: cpus().length,
    loadAverage1m: { before: loadavg()[0]!, after: Number.NaN },
    fdatasyncMicros: { p50: Number.NaN, p99: Number.NaN },
  };

  const powerLossEvents = Math.min(n, powerLossCap);
  const all: RowConfig[] = [
    { id: 'inproc-64', kind: 'runtime', label: 'in-process, process-crash, pool 64', events: n, durability: 'process-crash', poolSize: 64, batch: settings.batch, durableAgainst: 'process crash' },
    { id: 'inproc-256', kind: 'runtime', label: 'in-process, process-crash, pool 256', events: n, durability: 'process-crash', poolSize: 256, batch: settings.batch, durableAgainst: 'process crash' },
    {
      id: 'inproc-power-loss',
      kind: 'runtime',
      label: 'in-process, power-loss, pool 64',
      events: powerLossEvents,
      ...(powerLossEvents < n ? { cappedFrom: n } : {}),
      durability: 'power-loss',
      poolSize: 64,
      batch: settings.batch,
      durableAgainst: 'power loss',
    },
    {
      id: 'http',
      kind: 'http',
      label: `HTTP Invoke API (startServer), pool ${settings.http.poolSize ?? 16}`,
      events: n,
      durability: 'process-crash',
      poolSize: settings.http.poolSize,
      durableAgainst: 'process crash',
    },
    { id: 'bullmq', kind: 'bullmq', label: 'BullMQ + Redis (no AOF), kept', events: n, appendonly: false, removeOnComplete: false, singleAddEvents: settings.singleAddEvents, durableAgainst: 'nothing (Redis crash)' },
    { id: 'bullmq-roc', kind: 'bullmq', label: 'BullMQ + Redis (no AOF), removeOnComplete', events: n, appendonly: false, removeOnComplete: true, singleAddEvents: 0, durableAgainst: 'nothing (Redis crash)' },
    { id: 'bullmq-aof', kind: 'bullmq', label: 'BullMQ + Redis (AOF everysec), kept', events: n, appendonly: true, removeOnComplete: false, singleAddEvents: 0, durableAgainst: 'crash, ≤1 s loss' },
  ];
  const configs = all.filter((c) => only === undefined || only.has(c.id));
  const peersSelected = only === undefined || only.has('http-peers');

  const started = performance.now();
  settings.fdatasyncMicros = fsyncProbe(quick ? 20 : 200);
  let loadgen: RunningChild<object> | undefined;
  const loadgenChild = () => (loadgen ??= forkQueueChild<object>({ kind: 'loadgen' }));
  const rows: Row[] = [];
  let peerRows: PeerRow[] = [];
  let peerTargets: PeerTargets | undefined;
  let peerLoad = { before: Number.NaN, after: Number.NaN };
  try {
    for (const config of configs) {
      const runs: Row[] = [];
      for (let attempt = 1; attempt <= settings.repeat; attempt++) {
        if (settings.repeat > 1) log(`\n[${NAME}] ${config.id}: run ${attempt} of ${settings.repeat}`);
        try {
          if (config.kind === 'http') await loadgenChild().ready;
          runs.push(await runRow(config, settings, loadgenChild));
        } catch (error) {
          const message = describeError(error);
          log(`  [${config.id}] failed: ${message}`);
          runs.push({ config, error: message });
          break;
        }
      }
      rows.push(medianRun(runs));
    }
    if (peersSelected) {
      await loadgenChild().ready;
      peerLoad = { before: loadavg()[0]!, after: Number.NaN };
      peerRows = await runPeers(loadgenChild(), settings.http);
      peerLoad.after = loadavg()[0]!;
    }
  } finally {
    await loadgen?.stop();
  }
  const totalMs = performance.now() - started;
  settings.loadAverage1m.after = loadavg()[0]!;
  const queue = configs.length > 0 ? reportQueue(rows, settings, totalMs) : { met: undefined, summary: 'no end-to-end configuration selected' };
  if (peersSelected) peerTargets = reportPeers(peerRows, settings.http, peerLoad, settings.cpus);

  const keep = rows.find((r) => r.config.id === 'bullmq')?.result;
  const roc = rows.find((r) => r.config.id === 'bullmq-roc')?.result;
  const path = writeResult(NAME, {
    settings,
    targetMet: queue.met ?? null,
    summary: queue.summary,
    httpTargets: peerTargets ?? null,
    totalMs,
    rows: rows.map((row) => ({
      id: row.config.id,
      label: row.config.label,
      config: row.config,
      ...(row.result
        ? {
            eventsPerSecond: throughputOf(row.result),
            throughputVsBullmq: keep === undefined ? null : throughputOf(row.result) / throughputOf(keep),
            throughputVsBullmqRemoveOnComplete: roc === undefined ? null : throughputOf(row.result) / throughputOf(roc),
            enqueuePerSecond: enqueueRateOf(row.result),
            enqueueToStartMs: row.result.latencyMs,
            cpuSeconds: { node: row.result.nodeCpuSeconds, redis: row.result.redisCpuSeconds ?? null, client: row.result.clientCpuSeconds ?? null, total: totalCpuOf(row.result) },
            peakRssBytes: row.result.peakRssBytes,
            redisPeakRssBytes: row.peerPeakRssBytes ?? null,
            wallMs: row.wallMs,
            result: row.result,
          }
        : {}),
      ...(row.runs ? { runs: row.runs } : {}),
      ...(row.skipped ? { skipped: row.skipped } : {}),
      ...(row.error ? { error: row.error } : {}),
    })),
    http: peerRows.map((row) => ({
      peer: row.peer,
      label: row.label,
      requestsPerSecond: row.median?.load.requestsPerSecond ?? null,
      median: row.median ?? null,
      runs: row.runs,
      ...(row.error ? { error: row.error } : {}),
    })),
  });
  log(`[${NAME}] results: ${path}`);
  if (rows.some((r) => r.error !== undefined) || peerRows.some((r) => r.error !== undefined || r.median === undefined)) process.exitCode = 1;
}

onCleanup(() => {}); // install the signal handlers before anything starts
await main();
