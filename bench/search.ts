/**
 * Search under load: month queries on `GET /api/leedz?trades=…&from=…&to=…[&zip=…&radius=…]` against
 * the real server (`startServer`, a child process) holding 100,000 active leedz over 30 trades,
 * spread over three calendar months in ten US metro areas. `autocannon` (in this process) drives
 * each scenario with C connections for D seconds and reports requests/s and latency percentiles:
 *
 * - one trade, one month;
 * - three trades, one month;
 * - one trade, one month, within 20 miles of a zip.
 *
 * The leedz are inserted directly through the SQLite store, in this process, before the server
 * starts (each with its own street number, so none conflicts).
 *
 * @example
 * npx tsx bench/search.ts
 * npx tsx bench/search.ts --leedz 20000 --duration 5 --connections 32
 * npx tsx bench/search.ts --quick
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { createZipGeocoder } from '../src/adapters/geocoder/zip/zip-geocoder.js';
import { createSqliteStore } from '../src/adapters/store/sqlite/sqlite-store.js';
import { DEFAULT_VISIBILITY, type Leed } from '../src/leedz/domain/leed.js';
import { newLeedId } from '../src/leedz/functions/add-leed.js';
import { resolveServerConfig } from '../src/server/config.js';
import { TRADES } from '../src/server/seed.js';
import { startServer } from '../src/server/serve.js';
import { childMain, forkChild } from './child-process.js';
import {
  fmtInt,
  fmtMs,
  fmtRate,
  fmtSeconds,
  intArg,
  log,
  makeTempDir,
  onCleanup,
  parseBenchArgs,
  printTable,
  progressReporter,
  summarize,
  writeResult,
  type Summary,
} from './lib.js';

const NAME = 'search';
const DAY_MS = 86_400_000;

/** Metro areas: real zips the ZIP geocoder knows, and streets. */
const CITIES = [
  { name: 'Los Angeles', state: 'CA', zips: ['90012', '90017', '90026', '90028', '90036'], streets: ['Main St', 'Spring St', 'Sunset Blvd', 'Hill St', 'Broadway'] },
  { name: 'New York', state: 'NY', zips: ['10001', '10011', '10016', '10019', '10023'], streets: ['Broadway', '5th Ave', 'Park Ave', 'W 23rd St', 'Lexington Ave'] },
  { name: 'Chicago', state: 'IL', zips: ['60601', '60605', '60607', '60614', '60622'], streets: ['State St', 'Michigan Ave', 'Clark St', 'Halsted St', 'Division St'] },
  { name: 'Austin', state: 'TX', zips: ['78701', '78702', '78704', '78705', '78751'], streets: ['Congress Ave', 'Lamar Blvd', 'Guadalupe St', 'E 6th St', 'Red River St'] },
  { name: 'Seattle', state: 'WA', zips: ['98101', '98102', '98103', '98104', '98109'], streets: ['Pike St', 'Pine St', '1st Ave', 'Olive Way', 'Mercer St'] },
  { name: 'Denver', state: 'CO', zips: ['80202', '80203', '80205', '80206', '80218'], streets: ['Larimer St', 'Colfax Ave', 'Broadway', 'Blake St', 'York St'] },
  { name: 'Atlanta', state: 'GA', zips: ['30303', '30305', '30308', '30309', '30312'], streets: ['Peachtree St', 'Spring St', 'Edgewood Ave', 'Piedmont Ave', 'Auburn Ave'] },
  { name: 'Miami', state: 'FL', zips: ['33125', '33127', '33130', '33131', '33137'], streets: ['Flagler St', 'Biscayne Blvd', 'Brickell Ave', 'NW 7th St', 'SW 8th St'] },
  { name: 'Boston', state: 'MA', zips: ['02108', '02110', '02115', '02116', '02118'], streets: ['Beacon St', 'Boylston St', 'Tremont St', 'Newbury St', 'Washington St'] },
  { name: 'Phoenix', state: 'AZ', zips: ['85003', '85004', '85006', '85007', '85008'], streets: ['Van Buren St', 'Roosevelt St', 'McDowell Rd', 'Central Ave', 'Washington St'] },
] as const;

const CREATORS = 200;
const TITLES = ['Birthday party', 'Wedding reception', 'Corporate picnic', 'School fair', 'Bar mitzvah', 'Grand opening', 'Holiday party', 'Block party'];

/** Deterministic PRNG (mulberry32). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first instant of the calendar month `offset` months after the current one (UTC). */
function monthStart(offset: number, now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}

// ── data ────────────────────────────────────────────────────────────────────

/** Insert `count` active leedz through the store: trade i mod 30, a metro area, a start in the three months from `from`. */
async function populate(dbPath: string, count: number, from: Date, to: Date): Promise<{ ms: number; perSecond: number }> {
  const store = createSqliteStore({ path: dbPath });
  const geocoder = createZipGeocoder();
  try {
    await store.addTrades(TRADES);
    const createdAt = new Date().toISOString();
    const creators: string[] = [];
    for (let i = 0; i < CREATORS; i++) {
      const username = `vendor${i + 1}`;
      await store.createUser({ username, email: `${username}@example.com`, createdAt }, []);
      creators.push(username);
    }
    const places = new Map<string, Awaited<ReturnType<typeof geocoder.geocode>>>();
    const random = mulberry32(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const spanMs = to.getTime() - from.getTime();
    const progress = progressReporter(`insert ${fmtInt(count)} leedz`, count, 5);
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const trade = TRADES[i % TRADES.length]!.name;
      const city = CITIES[Math.floor(i / TRADES.length) % CITIES.length]!;
      const zip = pick(city.zips);
      // The street number is the leed's index: every place key is distinct, so nothing conflicts.
      const location = `${i + 1} ${pick(city.streets)}, ${city.name}, ${city.state} ${zip}`;
      const place = await geocoder.geocode(location);
      if (place === undefined) throw new Error(`the ZIP geocoder does not know ${location}`);
      places.set(zip, place);
      const start = new Date(from.getTime() + Math.floor(random() * (spanMs / 1_800_000 - 24)) * 1_800_000);
      const hours = 1 + Math.floor(random() * 5);
      const leed: Leed = {
        id: newLeedId(),
        trade,
        title: `${pick(TITLES)} needs ${trade}`,
        creator: pick(creators),
        location,
        zip: place.zip,
        point: place.point,
        placeKey: place.placeKey,
        start: start.toISOString(),
        end: new Date(start.getTime() + hours * 3_600_000).toISOString(),
        timeZone: place.timeZone,
        clientEmail: `client${i + 1}@example.com`,
        clientPhone: `555${String(1_000_000 + Math.floor(random() * 8_999_999)).slice(0, 7)}`,
        details: `${hours} hours, about ${10 + Math.floor(random() * 140)} guests.`,
        requirements: random() < 0.5 ? 'Bring your own table and lighting.' : null,
        price: pick([0, 500, 1000, 1500, 2500, 4000]),
        visibility: DEFAULT_VISIBILITY,
        postedAt: createdAt,
        status: 'active',
        buyer: null,
        soldAt: null,
      };
      await store.insertLeed(leed, []);
      progress(i + 1);
    }
    const ms = performance.now() - started;
    return { ms, perSecond: count / (ms / 1000) };
  } finally {
    store.close();
  }
}

// ── the server (child) ──────────────────────────────────────────────────────

interface ChildConfig {
  dataDir: string;
}

async function startSearchServer(config: ChildConfig): Promise<{ url: string }> {
  const server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: config.dataDir, LEEDZ_SEED: 'false' }));
  return { url: server.url };
}

// ── scenarios ───────────────────────────────────────────────────────────────

interface Scenario {
  id: string;
  label: string;
  path: string;
}

interface ScenarioResult {
  id: string;
  label: string;
  path: string;
  results: number;
  bodyBytes: number;
  /** One client, one request at a time (20 requests): the service time without queueing. */
  singleP50Ms: number;
  requestsPerSecond: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  durationSeconds: number;
  /** The five slowest responses and when they ended (seconds into the run). */
  slowest: { ms: number; atSeconds: number }[];
  /** The undici cross-check (null with --no-cross-check). */
  undici: { requestsPerSecond: number; latency: Summary; errors: number } | null;
}

function scenarios(month: Date, nextMonth: Date): Scenario[] {
  const from = month.toISOString();
  const to = new Date(nextMonth.getTime() - 1000).toISOString();
  const q = (params: Record<string, string>) => `/api/leedz?${new URLSearchParams({ ...params, from, to }).toString()}`;
  return [
    { id: 'one-trade', label: 'one trade, one month', path: q({ trades: 'dj' }) },
    { id: 'three-trades', label: 'three trades, one month', path: q({ trades: 'dj,caricatures,face painting' }) },
    { id: 'radius', label: 'one trade, one month, 20 mi of 60601', path: q({ trades: 'dj', zip: '60601', radius: '20' }) },
  ];
}

async function probe(url: string, path: string, count: number): Promise<{ results: number; bodyBytes: number; p50: number }> {
  const pool = new Pool(url, { connections: 1 });
  try {
    let results = 0;
    let bodyBytes = 0;
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const response = await pool.request({ path, method: 'GET' });
      const text = await response.body.text();
      times.push(performance.now() - t0);
      if (response.statusCode !== 200) throw new Error(`GET ${path} answered ${response.statusCode}: ${text.slice(0, 500)}`);
      results = (JSON.parse(text) as { leedz: unknown[] }).leedz.length;
      bodyBytes = Buffer.byteLength(text);
    }
    return { results, bodyBytes, p50: summarize(times).p50 };
  } finally {
    await pool.close();
  }
}

/** One autocannon run; also the slowest responses, with when they ended (seconds into the run). */
async function load(url: string, path: string, connections: number, durationSeconds: number): Promise<{ result: autocannon.Result; slowest: { ms: number; atSeconds: number }[] }> {
  const responses: { ms: number; atSeconds: number }[] = [];
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url: `${url}${path}`, connections, duration: durationSeconds, pipelining: 1, timeout: 30 }, (error, done) => (error ? reject(error) : resolve(done)));
    instance.on('response', (_client, _status, _bytes, ms) => responses.push({ ms, atSeconds: (performance.now() - started) / 1000 }));
  });
  responses.sort((a, b) => b.ms - a.ms);
  return { result, slowest: responses.slice(0, 5).map((r) => ({ ms: Math.round(r.ms), atSeconds: Number(r.atSeconds.toFixed(2)) })) };
}

/**
 * The same closed-loop load with undici (C keep-alive connections, one request in flight on each),
 * as a cross-check of autocannon: with large bodies autocannon's own client adds a long tail.
 */
async function undiciLoad(url: string, path: string, connections: number, durationSeconds: number): Promise<{ requestsPerSecond: number; latency: Summary; errors: number }> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  const times: number[] = [];
  let errors = 0;
  const started = performance.now();
  const endAt = started + durationSeconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < endAt) {
          const t0 = performance.now();
          try {
            const response = await pool.request({ path, method: 'GET' });
            await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
            if (response.statusCode === 200) times.push(performance.now() - t0);
            else errors++;
          } catch {
            errors++;
          }
        }
      }),
    );
    return { requestsPerSecond: times.length / ((performance.now() - started) / 1000), latency: summarize(times), errors };
  } finally {
    await pool.close();
  }
}

async function runScenario(url: string, scenario: Scenario, settings: Settings): Promise<ScenarioResult> {
  log(`\n[${NAME}] ${scenario.label}: GET ${decodeURIComponent(scenario.path)}`);
  const single = await probe(url, scenario.path, 20);
  log(`  ${fmtInt(single.results)} results, ${fmtInt(single.bodyBytes)} bytes, one client p50 ${fmtMs(single.p50)}`);
  if (settings.warmupSeconds > 0) await load(url, scenario.path, settings.connections, settings.warmupSeconds);
  // Let the warm-up's last requests drain before the measured run.
  await new Promise((resolve) => setTimeout(resolve, 500));
  log(`  autocannon: ${settings.connections} connections, ${settings.durationSeconds} s`);
  const { result, slowest } = await load(url, scenario.path, settings.connections, settings.durationSeconds);
  const ok = result['2xx'];
  log(`  ${fmtRate(ok / result.duration)}, p50 ${fmtMs(result.latency.p50)}, p99 ${fmtMs(result.latency.p99)}; slowest: ${slowest.map((r) => `${fmtMs(r.ms)} at ${r.atSeconds} s`).join(', ')}`);
  let undici: Awaited<ReturnType<typeof undiciLoad>> | undefined;
  if (settings.crossCheck) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    log(`  undici cross-check: ${settings.connections} connections, ${settings.durationSeconds} s`);
    undici = await undiciLoad(url, scenario.path, settings.connections, settings.durationSeconds);
    log(`  ${fmtRate(undici.requestsPerSecond)}, p50 ${fmtMs(undici.latency.p50)}, p99 ${fmtMs(undici.latency.p99)}, max ${fmtMs(undici.latency.max)}`);
  }
  return {
    id: scenario.id,
    label: scenario.label,
    path: scenario.path,
    results: single.results,
    bodyBytes: single.bodyBytes,
    singleP50Ms: single.p50,
    requestsPerSecond: ok / result.duration,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
    requests: ok,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    durationSeconds: result.duration,
    slowest,
    undici: undici === undefined ? null : { requestsPerSecond: undici.requestsPerSecond, latency: undici.latency, errors: undici.errors },
  };
}

interface Settings {
  leedz: number;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  only: string[] | undefined;
  crossCheck: boolean;
  quick: boolean;
  cpuProfDir: string | undefined;
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: NAME,
    summary:
      'Month searches (GET /api/leedz) under concurrent load with autocannon against the real server holding L active leedz over 30 trades:\n' +
      'one trade; three trades; one trade within 20 miles of a zip. Prints requests/s and p50/p99 latency per scenario.',
    options: {
      leedz: { type: 'string', short: 'n', default: '100000', valueName: 'L', description: 'active leedz in the store' },
      connections: { type: 'string', short: 'c', default: '16', valueName: 'C', description: 'autocannon connections' },
      duration: { type: 'string', short: 'd', default: '15', valueName: 'S', description: 'seconds per scenario' },
      warmup: { type: 'string', default: '2', valueName: 'S', description: 'seconds of unrecorded load before each scenario (0 for none)' },
      only: { type: 'string', valueName: 'IDS', description: 'comma-separated scenarios: one-trade, three-trades, radius' },
      'no-cross-check': { type: 'boolean', default: false, description: 'skip the second run of each scenario with an undici client' },
      'cpu-prof': { type: 'string', valueName: 'DIR', description: 'write a V8 CPU profile of the server process to DIR' },
      child: { type: 'string', valueName: 'JSON', description: '(internal) run the server in this process' },
    },
    details: ['The server runs in a child process (its own temp data dir); the leedz are inserted by this process first, then autocannon runs here.'],
  });
  if (args.child !== undefined) {
    const config = JSON.parse(args.child) as ChildConfig;
    return childMain(() => startSearchServer(config));
  }
  const settings: Settings = {
    leedz: args.quick ? 10_000 : intArg(args.leedz, 'leedz'),
    connections: intArg(args.connections, 'connections'),
    durationSeconds: args.quick ? 3 : intArg(args.duration, 'duration'),
    warmupSeconds: args.quick ? 1 : args.warmup === '0' ? 0 : intArg(args.warmup, 'warmup'),
    only: args.only?.split(',').map((s) => s.trim()),
    crossCheck: !args['no-cross-check'],
    quick: args.quick,
    cpuProfDir: args['cpu-prof'],
  };

  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const dir = makeTempDir('search');
  const results: ScenarioResult[] = [];
  let inserted: { ms: number; perSecond: number } | undefined;
  let failed = false;
  try {
    // Three calendar months from the first of next month; the searches ask for the middle one.
    const first = monthStart(1);
    const end = monthStart(4);
    log(`[${NAME}] inserting ${fmtInt(settings.leedz)} leedz (${first.toISOString().slice(0, 10)} to ${new Date(end.getTime() - DAY_MS).toISOString().slice(0, 10)})`);
    inserted = await populate(join(dir.path, 'leedz.db'), settings.leedz, first, end);
    log(`  ${fmtInt(settings.leedz)} leedz in ${fmtSeconds(inserted.ms)} (${fmtRate(inserted.perSecond)})`);

    const execArgv = settings.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfDir}`];
    const child = forkChild<{ url: string }>(import.meta.url, { dataDir: dir.path } satisfies ChildConfig, { execArgv });
    try {
      const { url } = await child.ready;
      const selected = scenarios(monthStart(2), monthStart(3)).filter((s) => settings.only === undefined || settings.only.includes(s.id));
      for (const scenario of selected) {
        try {
          results.push(await runScenario(url, scenario, settings));
        } catch (error) {
          failed = true;
          log(`  [${scenario.id}] failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } finally {
      await child.stop(60_000);
    }
  } finally {
    dir.remove();
  }
  const totalMs = performance.now() - started;
  const loadAfter = loadavg()[0]!;

  printTable({
    title: `Search: GET /api/leedz month queries, ${fmtInt(settings.leedz)} active leedz over 30 trades, autocannon ${settings.connections} connections × ${settings.durationSeconds} s (${process.version}, ${cpus().length} cores)`,
    columns: [
      { header: 'scenario' },
      { header: 'results', align: 'right' },
      { header: 'body', align: 'right' },
      { header: '1 client p50', align: 'right' },
      { header: 'requests/s', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p90', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'requests', align: 'right' },
      { header: 'errors', align: 'right' },
      { header: 'undici req/s', align: 'right' },
      { header: 'undici p50', align: 'right' },
      { header: 'undici p99', align: 'right' },
    ],
    rows: results.map((r) => [
      r.label,
      fmtInt(r.results),
      `${(r.bodyBytes / 1024).toFixed(0)} KB`,
      fmtMs(r.singleP50Ms),
      fmtRate(r.requestsPerSecond),
      fmtMs(r.latency.p50),
      fmtMs(r.latency.p90),
      fmtMs(r.latency.p99),
      fmtInt(r.requests),
      fmtInt(r.errors + r.non2xx),
      r.undici ? fmtRate(r.undici.requestsPerSecond) : '—',
      r.undici ? fmtMs(r.undici.latency.p50) : '—',
      r.undici ? fmtMs(r.undici.latency.p99) : '—',
    ]),
    notes: [
      `Queries: ${results.map((r) => decodeURIComponent(r.path)).join(' | ')}.`,
      `Data: ${fmtInt(settings.leedz)} active leedz, trade i mod 30, 10 metro areas × 5 zips, starts spread over three calendar months; inserted through the SQLite store in ${inserted === undefined ? '—' : `${fmtSeconds(inserted.ms)} (${fmtRate(inserted.perSecond)})`}.`,
      '"results": leedz in one response; "1 client p50": 20 requests one at a time before the load (service time without queueing).',
      'requests/s … errors: autocannon (16 connections by default, the same query repeated); "undici …": the same closed-loop load from an undici Pool, as a cross-check',
      '(with large bodies autocannon\'s own client in this process adds a long tail; the slowest responses are in the JSON results).',
      `Load average (1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, on ${cpus().length} cores${loadBefore > cpus().length * 0.5 ? ': other processes were using the CPU, so these numbers are noisy' : ''}. Total ${fmtSeconds(totalMs)}.`,
    ],
  });
  const path = writeResult(NAME, {
    settings: { ...settings, cpus: cpus().length, loadAverage1m: { before: loadBefore, after: loadAfter } },
    insert: inserted ?? null,
    totalMs,
    results,
  });
  log(`[${NAME}] results: ${path}`);
  if (failed || results.some((r) => r.errors + r.non2xx > 0)) process.exitCode = 1;
}

onCleanup(() => {}); // install the signal handlers before anything starts
try {
  await main();
} catch (error) {
  log(`[${NAME}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
