/**
 * Growth: what a long-running server accumulates. 1,000,000 no-op Event invocations go through the
 * local runtime in this process (`runtime.invoke(name, payload, 'Event')` in batches, the worker
 * draining as they come, never more than a bounded backlog), and at 10,000, 100,000 and 1,000,000
 * (once everything before has completed) it reports the size of `runtime.db` and its `-wal`, the
 * process's RSS, and the time of `runtime.metrics()` (what the console asks every 2 s), the median
 * of 5 calls.
 *
 * Retention: the runtime's (a week and 100,000 invocations by default, or `--retention JSON`), and
 * `compact()` runs before each checkpoint, so the sizes are those a server that keeps running reaches.
 *
 * @example
 * npx tsx bench/growth.ts
 * npx tsx bench/growth.ts --invocations 200k --checkpoints 10k,50k,200k
 * npx tsx bench/growth.ts --retention '{"maxInvocations":50000}'
 * npx tsx bench/growth.ts --quick
 */
import { statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defineController } from '../src/framework/define.js';
import { createLocalRuntime, type LocalRuntime, type RetentionOptions, type RuntimeOptions } from '../src/runtime/local-runtime.js';
import {
  fmtBytes,
  fmtInt,
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
  progressReporter,
  RssSampler,
  summarize,
  writeResult,
  yieldToEventLoop,
} from './lib.js';

const NAME = 'growth';
const FUNCTION = 'benchGrowth';
const ROUTE = 'noop';
/** "The same" in the target: at most this much more at the last checkpoint than at the first. */
const SAME_WITHIN = 1.5;

const growthController = defineController(FUNCTION, {
  [ROUTE]: {
    payload: z.object({ i: z.number().int() }),
    handler: () => undefined,
  },
});

// ── retention ───────────────────────────────────────────────────────────────

interface RetentionSupport {
  /** What this run passed as `retention` (undefined: the runtime's defaults, a week and 100,000 invocations). */
  passed: RetentionOptions | false | undefined;
}

/** Apply retention before measuring, and how long it took. */
async function compactTimed(runtime: LocalRuntime): Promise<number> {
  const t0 = performance.now();
  await runtime.compact();
  return performance.now() - t0;
}

// ── the run ─────────────────────────────────────────────────────────────────

interface Checkpoint {
  invocations: number;
  dbBytes: number;
  walBytes: number;
  /** runtime.db + -wal ÷ invocations. */
  bytesPerInvocation: number;
  /** process.memoryUsage() before the metrics() calls… */
  rssBytes: number;
  heapUsedBytes: number;
  /** …and after them (what a server whose console is open holds). */
  rssAfterMetricsBytes: number;
  metricsMs: { median: number; min: number; max: number; runs: number[] };
  /** compact() before measuring (null: the runtime has none). */
  compactMs: number | null;
  /** Invocations per second since the previous checkpoint (enqueued and completed). */
  segmentPerSecond: number;
  elapsedMs: number;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Completions counted from the runtime's log lines (one per ended invocation, after its commit). */
function completionCounter() {
  let succeeded = 0;
  let failed = 0;
  let waiting: { target: number; resolve: () => void } | undefined;
  return {
    onLog(line: string) {
      if (line.includes(' Event Success')) succeeded++;
      else if (line.includes(' Event ')) failed++;
      else return;
      if (waiting !== undefined && succeeded + failed >= waiting.target) {
        const { resolve } = waiting;
        waiting = undefined;
        resolve();
      }
    },
    get done() {
      return succeeded + failed;
    },
    get failed() {
      return failed;
    },
    /** Resolves once `target` invocations have ended, or rejects after `quietMs` without one. */
    async until(target: number, quietMs = 30_000): Promise<void> {
      while (succeeded + failed < target) {
        const before = succeeded + failed;
        const reached = new Promise<boolean>((resolve) => (waiting = { target, resolve: () => resolve(true) }));
        const quiet = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), quietMs).unref());
        if (!(await Promise.race([reached, quiet])) && succeeded + failed === before) {
          throw new Error(`no invocation ended for ${quietMs / 1000} s (${fmtInt(succeeded + failed)} of ${fmtInt(target)} ended)`);
        }
      }
    },
  };
}

interface Settings {
  invocations: number;
  checkpoints: number[];
  batch: number;
  maxBacklog: number;
  poolSize: number;
  metricsRuns: number;
  quick: boolean;
}

async function run(settings: Settings, retention: RetentionSupport, dbPath: string): Promise<{ checkpoints: Checkpoint[]; failed: number; peakRssBytes: number }> {
  const completions = completionCounter();
  const options = {
    dbPath,
    poolSize: settings.poolSize,
    onLog: (line: string) => completions.onLog(line),
    ...(retention.passed === undefined ? {} : { retention: retention.passed }),
  } as RuntimeOptions;
  const runtime = createLocalRuntime(options);
  const rss = new RssSampler().start(200);
  const checkpoints: Checkpoint[] = [];
  try {
    runtime.register(growthController);
    runtime.start();
    const progress = progressReporter(`${fmtInt(settings.invocations)} invocations`, settings.invocations, 5);
    const started = performance.now();
    let segmentStart = started;
    let segmentFrom = 0;
    let enqueued = 0;
    for (const checkpoint of settings.checkpoints) {
      while (enqueued < checkpoint) {
        const count = Math.min(settings.batch, checkpoint - enqueued);
        const calls = new Array<Promise<{ statusCode: number }>>(count);
        for (let j = 0; j < count; j++) calls[j] = runtime.invoke(FUNCTION, { function: ROUTE, i: enqueued + j }, 'Event');
        for (const result of await Promise.all(calls)) if (result.statusCode !== 202) throw new Error(`invoke answered ${result.statusCode}, expected 202`);
        enqueued += count;
        // Drain as we go: never more than maxBacklog events waiting.
        if (enqueued - completions.done > settings.maxBacklog) await completions.until(enqueued - settings.maxBacklog / 2);
        else await yieldToEventLoop();
        progress(completions.done);
      }
      await completions.until(checkpoint);
      const segmentMs = performance.now() - segmentStart;
      const compactMs = await compactTimed(runtime);
      // Let the last completion batch and any checkpoint of the WAL settle before measuring.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const memory = process.memoryUsage();
      const metricsRuns: number[] = [];
      for (let i = 0; i < settings.metricsRuns; i++) {
        const t0 = performance.now();
        runtime.metrics();
        metricsRuns.push(performance.now() - t0);
      }
      const sorted = summarize(metricsRuns);
      const dbBytes = fileSize(dbPath);
      const walBytes = fileSize(`${dbPath}-wal`);
      const point: Checkpoint = {
        invocations: checkpoint,
        dbBytes,
        walBytes,
        bytesPerInvocation: (dbBytes + walBytes) / checkpoint,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        rssAfterMetricsBytes: process.memoryUsage.rss(),
        metricsMs: { median: sorted.p50, min: sorted.min, max: sorted.max, runs: metricsRuns },
        compactMs,
        segmentPerSecond: (checkpoint - segmentFrom) / (segmentMs / 1000),
        elapsedMs: performance.now() - started,
      };
      checkpoints.push(point);
      log(
        `  [${fmtInt(checkpoint)}] runtime.db ${fmtBytes(dbBytes)} + wal ${fmtBytes(walBytes)}, RSS ${fmtBytes(memory.rss)}, metrics() ${fmtMs(point.metricsMs.median)}` +
          `${compactMs === null ? '' : `, compact() ${fmtMs(compactMs)}`}, ${fmtRate(point.segmentPerSecond)} since the last checkpoint`,
      );
      segmentStart = performance.now();
      segmentFrom = checkpoint;
    }
    return { checkpoints, failed: completions.failed, peakRssBytes: rss.stop() };
  } finally {
    rss.stop();
    await runtime.close();
  }
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: NAME,
    summary:
      'Push N no-op Event invocations through the local runtime in-process (draining as they go) and report, at each checkpoint,\n' +
      "the size of runtime.db (+ -wal), the process's RSS and the time of runtime.metrics(), with the runtime's retention on when it has one.",
    options: {
      invocations: { type: 'string', short: 'n', default: '1m', valueName: 'N', description: 'invocations in all (the last checkpoint)' },
      checkpoints: { type: 'string', default: '10k,100k,1m', valueName: 'LIST', description: 'comma-separated invocation counts to measure at, ascending' },
      batch: { type: 'string', default: '1000', valueName: 'N', description: 'invocations per Promise.all' },
      'max-backlog': { type: 'string', default: '20000', valueName: 'N', description: 'wait for the worker when more than N are waiting' },
      'pool-size': { type: 'string', default: '64', valueName: 'K', description: "the runtime's poolSize" },
      'metrics-runs': { type: 'string', default: '5', valueName: 'R', description: 'metrics() calls per checkpoint (the median is reported)' },
      retention: { type: 'string', valueName: 'JSON', description: 'passed as RuntimeOptions.retention, e.g. {"maxInvocations":50000}, or false (default: the runtime\'s: a week, 100,000 invocations)' },
    },
    details: ['Runs in this process; the runtime.db is in a fresh temp dir, removed afterwards.'],
  });
  const quick = args.quick;
  const invocations = quick ? 20_000 : intArg(args.invocations, 'invocations');
  const checkpoints = (quick ? '2k,20k' : args.checkpoints).split(',').map((s) => intArg(s, 'checkpoints'));
  if (checkpoints.some((c, i) => i > 0 && c <= checkpoints[i - 1]!) || checkpoints.at(-1) !== invocations) {
    log(`--checkpoints: ascending, the last one equal to --invocations (${fmtInt(invocations)})`);
    process.exit(2);
  }
  const settings: Settings = {
    invocations,
    checkpoints,
    batch: intArg(args.batch, 'batch'),
    maxBacklog: intArg(args['max-backlog'], 'max-backlog'),
    poolSize: intArg(args['pool-size'], 'pool-size'),
    metricsRuns: intArg(args['metrics-runs'], 'metrics-runs'),
    quick,
  };
  const retention: RetentionSupport = { passed: args.retention === undefined ? undefined : (JSON.parse(args.retention) as RetentionOptions | false) };
  const retentionNote =
    retention.passed === false
      ? 'Retention: off (--retention false): this run keeps every invocation.'
      : `Retention: on (RuntimeOptions.retention ${retention.passed === undefined ? "left to the runtime's defaults: a week, 100,000 invocations" : `= ${JSON.stringify(retention.passed)}`}), and compact() before each checkpoint.`;
  log(`[${NAME}] ${retentionNote}`);

  const loadBefore = loadavg()[0]!;
  const dir = makeTempDir(NAME);
  const started = performance.now();
  let outcome: Awaited<ReturnType<typeof run>>;
  try {
    outcome = await run(settings, retention, join(dir.path, 'runtime.db'));
  } finally {
    dir.remove();
  }
  const totalMs = performance.now() - started;
  const loadAfter = loadavg()[0]!;

  const first = outcome.checkpoints[0]!;
  const last = outcome.checkpoints.at(-1)!;
  const metricsRatio = last.metricsMs.median / first.metricsMs.median;
  const rssRatio = last.rssAfterMetricsBytes / first.rssAfterMetricsBytes;
  const targets = [
    { name: `metrics() at ${fmtInt(last.invocations)} within ${SAME_WITHIN}× of ${fmtInt(first.invocations)}`, value: metricsRatio, met: metricsRatio <= SAME_WITHIN },
    { name: `RSS at ${fmtInt(last.invocations)} within ${SAME_WITHIN}× of ${fmtInt(first.invocations)}`, value: rssRatio, met: rssRatio <= SAME_WITHIN },
  ];
  printTable({
    title: `Growth: no-op Event invocations through the runtime in-process, with ${retention.passed === false ? 'no retention' : 'retention'} (${process.version}, ${cpus().length} cores)`,
    columns: [
      { header: 'invocations', align: 'right' },
      { header: 'runtime.db', align: 'right' },
      { header: '-wal', align: 'right' },
      { header: 'bytes/invocation', align: 'right' },
      { header: 'RSS', align: 'right' },
      { header: 'heap used', align: 'right' },
      { header: 'RSS after metrics()', align: 'right' },
      { header: 'metrics()', align: 'right' },
      { header: 'metrics() × first', align: 'right' },
      { header: 'RSS after × first', align: 'right' },
      { header: 'compact()', align: 'right' },
      { header: 'invocations/s', align: 'right' },
      { header: 'elapsed', align: 'right' },
    ],
    rows: outcome.checkpoints.map((c) => [
      fmtInt(c.invocations),
      fmtBytes(c.dbBytes),
      fmtBytes(c.walBytes),
      fmtInt(c.bytesPerInvocation),
      fmtBytes(c.rssBytes),
      fmtBytes(c.heapUsedBytes),
      fmtBytes(c.rssAfterMetricsBytes),
      `${fmtMs(c.metricsMs.median)} (${fmtMs(c.metricsMs.min)}–${fmtMs(c.metricsMs.max)})`,
      fmtRatio(c.metricsMs.median / first.metricsMs.median),
      fmtRatio(c.rssAfterMetricsBytes / first.rssAfterMetricsBytes),
      c.compactMs === null ? '—' : fmtMs(c.compactMs),
      fmtRate(c.segmentPerSecond),
      fmtSeconds(c.elapsedMs),
    ]),
    notes: [
      `runtime.invoke('${FUNCTION}', {function:'${ROUTE}', i}, 'Event') in batches of ${fmtInt(settings.batch)} (Promise.all), the worker (pool ${settings.poolSize}) running meanwhile; at most ${fmtInt(settings.maxBacklog)} waiting.`,
      `At each checkpoint, once every invocation so far has completed: process.memoryUsage() (RSS, heap used), runtime.metrics() (all time, as the console asks every 2 s) ${settings.metricsRuns} times: median (min–max), then the file sizes (stat) and the RSS again.`,
      `"invocations/s": since the previous checkpoint. ${retentionNote}`,
      `Peak RSS of the run: ${fmtBytes(outcome.peakRssBytes)}. Invocations that did not succeed: ${fmtInt(outcome.failed)}.`,
      `${loadNote(loadBefore, loadAfter)} Total ${fmtSeconds(totalMs)}.`,
      '',
      `Target: metrics() at ${fmtInt(last.invocations)} the same as at ${fmtInt(first.invocations)} (within ${SAME_WITHIN}×): ${fmtMs(last.metricsMs.median)} ÷ ${fmtMs(first.metricsMs.median)} = ${fmtRatio(metricsRatio)} — ${targets[0]!.met ? 'MET' : 'NOT MET'}`,
      `Target: RSS (after metrics(), as with the console open) at ${fmtInt(last.invocations)} the same as at ${fmtInt(first.invocations)} (within ${SAME_WITHIN}×): ${fmtBytes(last.rssAfterMetricsBytes)} ÷ ${fmtBytes(first.rssAfterMetricsBytes)} = ${fmtRatio(rssRatio)} — ${targets[1]!.met ? 'MET' : 'NOT MET'}`,
    ],
  });
  const path = writeResult(NAME, {
    settings: { ...settings, cpus: cpus().length, loadAverage1m: { before: loadBefore, after: loadAfter } },
    retention,
    targets,
    totalMs,
    peakRssBytes: outcome.peakRssBytes,
    failed: outcome.failed,
    checkpoints: outcome.checkpoints,
  });
  log(`[${NAME}] results: ${path}`);
  if (outcome.failed > 0) process.exitCode = 1;
}

onCleanup(() => {}); // install the signal handlers before anything starts
try {
  await main();
} catch (error) {
  log(`[${NAME}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
