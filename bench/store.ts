/**
 * The store's hot operations on SQLite and on DynamoDB Local, side by side: a post (the conflict
 * check and the insert with two outbox messages, one atomic step), a post refused by the conflict
 * check (409), the month search (two trades, one month, up to 100 previews) and a sale (exactly-once,
 * with its outbox message). Each runs one at a time and then with several in flight; the table gives
 * operations/s, p50 and p99, and the ratio of SQLite to DynamoDB Local.
 *
 * DynamoDB Local is AWS's emulator (a JVM on this machine, in memory), not DynamoDB: its numbers
 * measure the adapter's requests (how many round trips, how big the transactions) on the same two
 * cores as the bench, not the service's latency over a network.
 *
 * @example
 * npx tsx bench/store.ts
 * npx tsx bench/store.ts --quick
 * npx tsx bench/store.ts --ops 5000 --in-flight 16
 */
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createDynamoDbStore } from '../src/adapters/store/dynamodb/dynamodb-store.js';
import { createSqliteStore } from '../src/adapters/store/sqlite/sqlite-store.js';
import type { Leed } from '../src/leedz/domain/leed.js';
import { ConflictError, type OutboxMessage, type Store } from '../src/leedz/ports.js';
import { aLeed } from '../test/helpers/builders.js';
import { type DynamoDbLocal, JAVA_APT_PACKAGE, requireJava, startDynamoDbLocal } from '../test/helpers/dynamodb-local.js';
import {
  fmtInt,
  fmtMs,
  fmtRate,
  fmtRatio,
  fmtSeconds,
  intArg,
  log,
  makeTempDir,
  parseBenchArgs,
  printTable,
  summarize,
  type Summary,
  writeResult,
} from './lib.js';

const NAME = 'store';
const TRADES = ['dj', 'magic', 'face painting'];
/** Distinct places the posts spread over; each place gets a booking a week, so no post of the run conflicts. */
const PLACES = 50;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const BASE = Date.parse('2030-01-01T00:00:00.000Z');

type OperationId = 'post' | 'post-conflict' | 'search' | 'sale';

const OPERATIONS: { id: OperationId; label: string }[] = [
  { id: 'post', label: 'post (conflict check + insert + 2 outbox msgs)' },
  { id: 'post-conflict', label: 'post refused by the conflict check (409)' },
  { id: 'search', label: 'month search (2 trades, limit 100)' },
  { id: 'sale', label: 'sale (exactly once + 1 outbox msg)' },
];

interface Phase {
  operation: OperationId;
  inFlight: number;
  ops: number;
  wallMs: number;
  opsPerSecond: number;
  latencyMs: Summary;
}

interface StoreRun {
  store: 'sqlite' | 'dynamodb-local';
  phases: Phase[];
}

// ── the workload ────────────────────────────────────────────────────────────

/** The n-th leed of a run: at the run's place n mod 50, in week n ÷ 50 (so spread over months), trades in turn. */
function nthLeed(run: string, n: number): Leed {
  const place = n % PLACES;
  const week = Math.floor(n / PLACES);
  const start = BASE + week * 7 * DAY + place * HOUR;
  return aLeed({
    id: `l_${run}_${n}`,
    trade: TRADES[n % TRADES.length]!,
    // Each run has its own places: a later run must not find the earlier one's slots taken.
    location: `${place} ${run} St, Springfield, IL 62701`,
    placeKey: `${place} ${run} st springfield il 62701`,
    start: new Date(start).toISOString(),
    end: new Date(start + 2 * HOUR).toISOString(),
  });
}

function messages(kind: string, leed: Leed, count: number): OutboxMessage[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${kind}:${i}:${leed.id}`, target: 'bookkeeping', payload: { function: kind, leedId: leed.id } }));
}

/** The months (`yyyy-mm`) that the run's posts cover, for the searches. */
function monthsOf(leedz: Leed[]): string[] {
  return [...new Set(leedz.map((l) => l.start.slice(0, 7)))].sort();
}

/** Run `count` operations with `inFlight` of them at a time; latency of each, and the wall time. */
async function timed(operation: OperationId, inFlight: number, count: number, op: (i: number) => Promise<void>): Promise<Phase> {
  const latencies = new Float64Array(count);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        await op(i);
        latencies[i] = performance.now() - t0;
      }
    }),
  );
  const wallMs = performance.now() - started;
  return { operation, inFlight, ops: count, wallMs, opsPerSecond: (count / wallMs) * 1_000, latencyMs: summarize(latencies) };
}

/**
 * Every phase on one store: warm-up, then for each concurrency: posts, refused posts, searches, sales.
 */
async function runStore(name: StoreRun['store'], store: Store, options: { ops: number; warmup: number; inFlight: number[] }): Promise<StoreRun> {
  await store.addTrades(TRADES.map((trade) => ({ name: trade })));
  for (const username of ['pat', 'sam']) await store.createUser({ username, email: `${username}@example.com`, createdAt: new Date(BASE).toISOString() }, []);

  // Warm-up: the JIT (ours and the JVM's), connections, and the first items of each partition.
  const warm = Array.from({ length: options.warmup }, (_, n) => nthLeed('warm', n));
  for (const leed of warm) await store.insertLeed(leed, messages('posted', leed, 2));
  for (const leed of warm) await store.searchLeedz({ trades: [leed.trade], from: leed.start, to: leed.end, limit: 100 });
  for (const leed of warm) await store.recordSale({ trade: leed.trade, id: leed.id, buyer: 'sam', paymentId: `pay_${leed.id}`, amount: leed.price, soldAt: leed.postedAt }, []);

  const phases: Phase[] = [];
  for (const inFlight of options.inFlight) {
    const run = `c${inFlight}`;
    const leedz = Array.from({ length: options.ops }, (_, n) => nthLeed(run, n));
    log(`[${NAME}] ${name}, ${inFlight} in flight: ${fmtInt(options.ops)} of each operation`);

    phases.push(await timed('post', inFlight, leedz.length, (i) => store.insertLeed(leedz[i]!, messages('posted', leedz[i]!, 2))));

    phases.push(
      await timed('post-conflict', inFlight, leedz.length, async (i) => {
        const taken = leedz[i]!;
        // An hour later at the same place: overlaps the booking just made.
        const clash = { ...taken, id: `${taken.id}_clash`, start: new Date(Date.parse(taken.start) + HOUR).toISOString(), end: new Date(Date.parse(taken.end) + HOUR).toISOString() };
        try {
          await store.insertLeed(clash, messages('posted', clash, 2));
        } catch (error) {
          if (error instanceof ConflictError) return;
          throw error;
        }
        throw new Error(`${name}: ${clash.id} was not refused`);
      }),
    );

    const months = monthsOf(leedz);
    let found = 0;
    phases.push(
      await timed('search', inFlight, leedz.length, async (i) => {
        const month = months[i % months.length]!;
        const from = `${month}-01T00:00:00.000Z`;
        const to = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1) - 1).toISOString();
        found += (await store.searchLeedz({ trades: [TRADES[i % 3]!, TRADES[(i + 1) % 3]!], from, to, limit: 100 })).length;
      }),
    );
    if (found === 0) throw new Error(`${name}: the searches found nothing`);

    phases.push(
      await timed('sale', inFlight, leedz.length, async (i) => {
        const leed = leedz[i]!;
        const result = await store.recordSale({ trade: leed.trade, id: leed.id, buyer: 'sam', paymentId: `pay_${leed.id}`, amount: leed.price, soldAt: leed.postedAt }, messages('sold', leed, 1));
        if (!result.ok) throw new Error(`${name}: the sale of ${leed.id} was refused (${result.reason})`);
      }),
    );
  }
  return { store: name, phases };
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: NAME,
    summary:
      "The store's hot operations on SQLite and on DynamoDB Local side by side: post (conflict check + insert), a post refused\n" +
      'as a conflict, the month search, and a sale; one at a time and several in flight. Operations/s, p50, p99 and ratios.',
    options: {
      ops: { type: 'string', short: 'n', default: '1000', valueName: 'N', description: 'operations of each kind, per store and concurrency' },
      'in-flight': { type: 'string', default: '8', valueName: 'N', description: 'operations in flight in the concurrent pass (the first pass runs one at a time)' },
      warmup: { type: 'string', default: '100', valueName: 'N', description: 'untimed posts, searches and sales first, per store' },
    },
    details: [
      `DynamoDB Local needs Java (apt-get install ${JAVA_APT_PACKAGE}); with LEEDZ_SKIP_JAVA=1 and no Java, only SQLite runs.`,
      'SQLite: a file in a temporary folder, WAL, synchronous=NORMAL (the store\'s default). DynamoDB Local: -inMemory, one client.',
    ],
  });
  const ops = args.quick ? 150 : intArg(args.ops, 'ops');
  const warmup = args.quick ? 20 : intArg(args.warmup, 'warmup');
  const inFlight = [1, intArg(args['in-flight'], 'in-flight')];
  // Other work on the machine colours every number here: say how busy it was.
  const loadBefore = loadavg()[0]!;
  const started = performance.now();

  const tmp = makeTempDir(NAME);
  const runs: StoreRun[] = [];
  const sqlite = createSqliteStore({ path: join(tmp.path, 'leedz.db') });
  try {
    runs.push(await runStore('sqlite', sqlite, { ops, warmup, inFlight }));
  } finally {
    sqlite.close();
  }

  let local: DynamoDbLocal | undefined;
  if (requireJava()) {
    log(`[${NAME}] starting DynamoDB Local`);
    // It stops with this process however that ends (see dynamodb-local.ts), and here when done.
    local = await startDynamoDbLocal();
    const client = local.client();
    try {
      runs.push(await runStore('dynamodb-local', createDynamoDbStore({ client, tableName: await local.createTable() }), { ops, warmup, inFlight }));
    } finally {
      client.destroy();
      await local.stop();
    }
  } else {
    log(`[${NAME}] no Java and LEEDZ_SKIP_JAVA=1: DynamoDB Local skipped`);
  }
  tmp.remove();
  const totalMs = performance.now() - started;
  const loadAfter = loadavg()[0]!;

  const [sqliteRun, dynamoRun] = runs as [StoreRun, StoreRun | undefined];
  const rows = sqliteRun.phases.map((s) => {
    const d = dynamoRun?.phases.find((p) => p.operation === s.operation && p.inFlight === s.inFlight);
    return {
      operation: s.operation,
      inFlight: s.inFlight,
      sqlite: s,
      dynamodbLocal: d ?? null,
      opsPerSecondRatio: d === undefined ? null : s.opsPerSecond / d.opsPerSecond,
      p99Ratio: d === undefined ? null : d.latencyMs.p99 / s.latencyMs.p99,
    };
  });
  const labelOf = (id: OperationId) => OPERATIONS.find((o) => o.id === id)?.label ?? id;

  printTable({
    title: `Store: SQLite vs DynamoDB Local (${process.version}, ${fmtInt(ops)} operations of each kind per row, ${fmtInt(warmup)} warm-up)`,
    columns: [
      { header: 'operation' },
      { header: 'in flight', align: 'right' },
      { header: 'SQLite ops/s', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'DynamoDB Local ops/s', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'ops/s SQLite ÷ DDB', align: 'right' },
      { header: 'p99 DDB ÷ SQLite', align: 'right' },
    ],
    rows: rows.map((r) => [
      labelOf(r.operation),
      String(r.inFlight),
      fmtRate(r.sqlite.opsPerSecond),
      fmtMs(r.sqlite.latencyMs.p50),
      fmtMs(r.sqlite.latencyMs.p99),
      r.dynamodbLocal === null ? '—' : fmtRate(r.dynamodbLocal.opsPerSecond),
      r.dynamodbLocal === null ? '—' : fmtMs(r.dynamodbLocal.latencyMs.p50),
      r.dynamodbLocal === null ? '—' : fmtMs(r.dynamodbLocal.latencyMs.p99),
      r.opsPerSecondRatio === null ? '—' : fmtRatio(r.opsPerSecondRatio),
      r.p99Ratio === null ? '—' : fmtRatio(r.p99Ratio),
    ]),
    notes: [
      'ops/s: operations ÷ wall time of the pass; p50/p99: latency of each awaited call (performance.now()).',
      'post: 1 GetItem (place lock) + 1 Query (bookings) + 1 TransactWriteItems of 7 items on DynamoDB; one IMMEDIATE transaction on SQLite.',
      'refused post: the same reads, no write. search: one Query per trade (one month). sale: 1 GetItem + 1 TransactWriteItems of 3 items.',
      'SQLite is synchronous: "in flight" operations run one after another in this process. DynamoDB Local serves them concurrently,',
      '  on the same 2 cores as the bench. It is an emulator: its latencies are not DynamoDB\'s (a few ms per request over the network).',
      `Total: ${fmtSeconds(totalMs)}. Load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${availableParallelism()} cores.`,
    ],
  });
  const path = writeResult(NAME, { settings: { ops, warmup, inFlight, quick: args.quick }, loadAverage: { before: loadBefore, after: loadAfter }, totalMs, rows });
  log(`[${NAME}] results: ${path}`);
}

await main();
