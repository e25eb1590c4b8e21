/**
 * Validation + dispatch overhead per invocation: a controller route with a realistic payload schema
 * (a zod object of five fields), timed (a) calling the route's handler directly, (b) through
 * `controller.dispatch(envelope, ctx)` with a prebuilt context, and (c) through the full in-process
 * RequestResponse path `runtime.invoke(name, payload, 'RequestResponse')`. Overhead = (b) − (a).
 *
 * @example
 * npx tsx bench/dispatch.ts --iterations 200000
 */
import { join } from 'node:path';
import { z } from 'zod';
import { createInvocationContext, type InvocationContext } from '../src/framework/context.js';
import { defineController } from '../src/framework/define.js';
import type { Transport } from '../src/framework/transport.js';
import { createLocalRuntime } from '../src/runtime/local-runtime.js';
import {
  fmtInt,
  fmtNs,
  fmtSeconds,
  intArg,
  log,
  makeTempDir,
  onCleanup,
  parseBenchArgs,
  printTable,
  summarize,
  writeResult,
  type Summary,
} from './lib.js';

const NAME = 'dispatch';
const CONTROLLER = 'bookkeeping';
const ROUTE = 'recordSale';
const TARGET_NS = 20_000;

// ── the route under test ────────────────────────────────────────────────────

const recordSalePayload = z.object({
  leedId: z.string().min(1).max(64),
  buyerId: z.string().uuid(),
  trade: z.enum(['caricature', 'dj', 'face-painting', 'magic', 'photo-booth', 'balloon-art']),
  zip: z.string().regex(/^\d{5}$/),
  priceCents: z.number().int().min(0).max(1_000_000),
});
type RecordSale = z.output<typeof recordSalePayload>;

/** The handler, as a plain function so that it can be called directly. It does a little real work. */
function recordSale(payload: RecordSale, ctx: InvocationContext): { ok: true; leedId: string; feeCents: number; requestId: string } {
  return { ok: true, leedId: payload.leedId, feeCents: Math.round(payload.priceCents * 0.1), requestId: ctx.awsRequestId };
}

const bookkeeping = defineController(CONTROLLER, {
  [ROUTE]: { payload: recordSalePayload, handler: recordSale },
});

const payload: RecordSale = {
  leedId: 'l_01HZX3W9Q8K2',
  buyerId: '3f2b8c1e-9a4d-4e6f-8b7a-2c5d1e0f9a8b',
  trade: 'caricature',
  zip: '90210',
  priceCents: 2500,
};
/** The wire envelope, as the typed invoker sends it: route name, the fields, and `_meta`. */
const envelope = { function: ROUTE, ...payload, _meta: { traceId: 'trace-1', parentId: 'parent-1', hop: 1, idempotencyKey: 'sale:l_01HZX3W9Q8K2' } };

// ── measurement ─────────────────────────────────────────────────────────────

interface Measurement {
  id: string;
  label: string;
  iterations: number;
  /** Per call, process.hrtime.bigint() before and after each awaited call. */
  perCallNs: Summary;
  /** Per call, from batches of 100 calls timed together and divided by 100. */
  batchedNs: Summary;
}

type Call = () => unknown;

/** Time `call` (awaited) `iterations` times, after `warmup` calls; two passes: per call, and per batch of 100. */
async function measure(id: string, label: string, call: Call, iterations: number, warmup: number): Promise<Measurement> {
  log(`[${NAME}] ${label}: ${fmtInt(warmup)} warm-up + 2 × ${fmtInt(iterations)} calls`);
  for (let i = 0; i < warmup; i++) await call();
  const perCall = new Float64Array(iterations);
  const step = Math.max(1, Math.floor(iterations / 10));
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await call();
    perCall[i] = Number(process.hrtime.bigint() - t0);
    if ((i + 1) % step === 0) log(`  [${id} per call] ${Math.round(((i + 1) / iterations) * 100)}% ${fmtSeconds(performance.now() - started)}`);
  }
  const batches = Math.max(1, Math.floor(iterations / 100));
  const batched = new Float64Array(batches);
  const batchStep = Math.max(1, Math.floor(batches / 10));
  const batchStarted = performance.now();
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) await call();
    batched[b] = Number(process.hrtime.bigint() - t0) / 100;
    if ((b + 1) % batchStep === 0) log(`  [${id} batches of 100] ${Math.round(((b + 1) / batches) * 100)}% ${fmtSeconds(performance.now() - batchStarted)}`);
  }
  return { id, label, iterations, perCallNs: summarize(perCall), batchedNs: summarize(batched) };
}

/** The cost of the timer itself: two hrtime.bigint() calls around nothing. */
function timerOverhead(iterations: number): Summary {
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  return summarize(samples);
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: NAME,
    summary:
      'Validation + dispatch overhead per invocation: a route handler called directly, through controller.dispatch(envelope, ctx),\n' +
      "and through runtime.invoke(name, payload, 'RequestResponse'). Overhead = dispatch − direct (target: < 20 µs at p50).",
    options: {
      iterations: { type: 'string', short: 'n', default: '200000', valueName: 'N', description: 'timed calls per mode (twice: per call, and in batches of 100)' },
      warmup: { type: 'string', default: '20000', valueName: 'N', description: 'untimed calls per mode first' },
    },
  });
  const iterations = args.quick ? 20_000 : intArg(args.iterations, 'iterations');
  const warmup = args.quick ? 2_000 : intArg(args.warmup, 'warmup');

  const tmp = makeTempDir(NAME);
  const runtime = createLocalRuntime({ dbPath: join(tmp.path, 'runtime.db'), durability: 'process-crash' });
  const started = performance.now();
  try {
    runtime.register(bookkeeping);
    const transport: Transport = runtime;
    const ctx = createInvocationContext({ functionName: CONTROLLER, requestId: 'req-1', timeoutMs: 3000, meta: envelope._meta, transport });

    // Sanity: all three paths give the same answer.
    const direct = recordSale(payload, ctx);
    const dispatched = await bookkeeping.dispatch(envelope, ctx);
    const invoked = await runtime.invoke(CONTROLLER, envelope, 'RequestResponse');
    if (JSON.stringify(dispatched) !== JSON.stringify(direct)) throw new Error(`dispatch returned ${JSON.stringify(dispatched)}, expected ${JSON.stringify(direct)}`);
    if (invoked.functionError !== undefined || (invoked.payload as { leedId?: string }).leedId !== payload.leedId) {
      throw new Error(`runtime.invoke returned ${JSON.stringify(invoked)}`);
    }

    const timer = timerOverhead(iterations);
    const results = [
      await measure('direct', `(a) handler called directly`, () => recordSale(payload, ctx), iterations, warmup),
      await measure('dispatch', `(b) controller.dispatch(envelope, ctx)`, () => bookkeeping.dispatch(envelope, ctx), iterations, warmup),
      await measure(
        'dispatch-new-ctx',
        `(b') createInvocationContext + dispatch`,
        () => bookkeeping.dispatch(envelope, createInvocationContext({ functionName: CONTROLLER, requestId: 'req-2', timeoutMs: 3000, meta: envelope._meta, transport })),
        iterations,
        warmup,
      ),
      await measure('invoke', `(c) runtime.invoke(…, 'RequestResponse')`, () => runtime.invoke(CONTROLLER, envelope, 'RequestResponse'), iterations, warmup),
    ];
    const totalMs = performance.now() - started;

    const [a, b] = results as [Measurement, Measurement, ...Measurement[]];
    const overheadP50 = b.perCallNs.p50 - a.perCallNs.p50;
    const overheadMean = b.perCallNs.mean - a.perCallNs.mean;
    const overheadBatched = b.batchedNs.p50 - a.batchedNs.p50;
    const met = overheadP50 < TARGET_NS;
    const summary = `Target (dispatch overhead (b) − (a) < 20 µs at p50): ${met ? 'MET' : 'NOT MET'} — ${fmtNs(overheadP50)} p50 per call (mean ${fmtNs(overheadMean)}; batches of 100: ${fmtNs(overheadBatched)})`;

    printTable({
      title: `Dispatch: one route, zod object of 5 fields (${process.version}); ${fmtInt(iterations)} calls per mode after ${fmtInt(warmup)} warm-up`,
      columns: [
        { header: 'path' },
        { header: 'p50', align: 'right' },
        { header: 'p99', align: 'right' },
        { header: 'mean', align: 'right' },
        { header: 'p50 (batches of 100)', align: 'right' },
        { header: 'mean (batches of 100)', align: 'right' },
        { header: 'vs (a) at p50', align: 'right' },
      ],
      rows: results.map((m) => [
        m.label,
        fmtNs(m.perCallNs.p50),
        fmtNs(m.perCallNs.p99),
        fmtNs(m.perCallNs.mean),
        fmtNs(m.batchedNs.p50),
        fmtNs(m.batchedNs.mean),
        m.id === 'direct' ? '—' : `+${fmtNs(m.perCallNs.p50 - a.perCallNs.p50)}`,
      ]),
      notes: [
        'p50/p99/mean: process.hrtime.bigint() before and after each awaited call (includes the await and the timer itself:',
        `  two hrtime.bigint() calls cost ${fmtNs(timer.p50)} p50 here). "batches of 100": 100 awaited calls timed together, ÷ 100.`,
        "(b) envelope = {function, 5 fields, _meta}: splitEnvelope + Map lookup + zod safeParse + handler. (b') adds building the context per call, as the worker does.",
        "(c) = JSON.stringify + size check + parse + context + timeout timer + handler + result JSON round trip + one invocation-log INSERT",
        '  (its own SQLite transaction per call here, as calls are sequential), in a file database with WAL + synchronous=NORMAL.',
        '',
        summary,
        `Total: ${fmtSeconds(totalMs)}.`,
      ],
    });
    const path = writeResult(NAME, {
      settings: { iterations, warmup, quick: args.quick },
      timerOverheadNs: timer,
      overheadNs: { p50: overheadP50, mean: overheadMean, batchedP50: overheadBatched },
      targetNs: TARGET_NS,
      targetMet: met,
      summary,
      totalMs,
      rows: results,
    });
    log(`[${NAME}] results: ${path}`);
  } finally {
    await runtime.close();
    tmp.remove();
  }
}

onCleanup(() => {});
await main();
