/**
 * Search under load, and as the data grows: month queries on
 * `GET /api/leedz?trades=…&from=…&to=…[&zip=…&radius=…]` against the real server (`startServer`, a
 * child process) holding 10,000, 100,000 and 1,000,000 active leedz over 30 trades, spread over
 * three calendar months in ten US metro areas, each beside **the same response bytes served from
 * memory** by a bare `node:http` server (another child process) under the same load: the limit of
 * serving that answer over HTTP on this machine. `autocannon` (in this process) drives each with C
 * connections for D seconds. Scenarios:
 *
 * - one trade, one month;
 * - one trade, the calendar's month: the query the web app's calendar sends
 *   (web/app/calendar-query.ts: the grid's weeks, `perDay`: the first leedz of each day and every day's count);
 * - three trades, one month;
 * - one trade, one month, within 20 miles of a zip.
 *
 * Per size: one client, one request at a time (the service time without queueing), then the load.
 * The data grows in place: the leedz of the smaller size stay and more are added, through the
 * SQLite store in this process while no server runs (batches of inserts in one transaction each, so
 * a million take about a minute), and each size gets a fresh server process.
 *
 * @example
 * npx tsx bench/search.ts
 * npx tsx bench/search.ts --sizes 10k,100k --duration 5 --connections 32
 * npx tsx bench/search.ts --sizes 100k --only one-trade --cpu-prof /tmp/prof   # then bench/profile-summary.ts
 * npx tsx bench/search.ts --quick
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { createZipGeocoder } from '../src/adapters/geocoder/zip/zip-geocoder.js';
import { createSqliteStore } from '../src/adapters/store/sqlite/sqlite-store.js';
import { DEFAULT_VISIBILITY, type Leed } from '../src/leedz/domain/leed.js';
import { newLeedId } from '../src/leedz/functions/add-leed.js';
import { resolveServerConfig } from '../src/server/config.js';
import { seededRandom, TRADES } from '../src/server/seed.js';
import { startServer } from '../src/server/serve.js';
import { PER_DAY, searchPath } from '../web/app/calendar-query.js';
import { childMain, forkChild, type RunningChild } from './child-process.js';
import {
  fmtInt,
  fmtMs,
  fmtNs,
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
  progressReporter,
  summarize,
  writeResult,
  type Summary,
} from './lib.js';

const NAME = 'search';
const DAY_MS = 86_400_000;
/** Leedz inserted per transaction while seeding. */
const SEED_BATCH = 5000;

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


/** The first instant of the calendar month `offset` months after the current one (UTC). */
function monthStart(offset: number, now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}

// ── data ────────────────────────────────────────────────────────────────────

/** The leedz of one data folder, grown in place: `grow(total)` adds leedz up to `total`. */
function createSeeder(dbPath: string, from: Date, to: Date) {
  const random = seededRandom(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const spanMs = to.getTime() - from.getTime();
  const createdAt = new Date().toISOString();
  const creators = Array.from({ length: CREATORS }, (_, i) => `vendor${i + 1}`);
  let count = 0;

  /** Leed `i`: trade i mod 30, a metro area, a start in the three months from `from`. */
  async function leedAt(i: number, geocoder: ReturnType<typeof createZipGeocoder>): Promise<Leed> {
    const trade = TRADES[i % TRADES.length]!.name;
    const city = CITIES[Math.floor(i / TRADES.length) % CITIES.length]!;
    const zip = pick(city.zips);
    // The street number is the leed's index: every place key is distinct, so nothing conflicts.
    const location = `${i + 1} ${pick(city.streets)}, ${city.name}, ${city.state} ${zip}`;
    const place = await geocoder.geocode(location);
    if (place === undefined) throw new Error(`the ZIP geocoder does not know ${location}`);
    const start = new Date(from.getTime() + Math.floor(random() * (spanMs / 1_800_000 - 24)) * 1_800_000);
    const hours = 1 + Math.floor(random() * 5);
    return {
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
  }

  return {
    get count() {
      return count;
    },
    /**
     * Insert leedz until there are `total`, through the store's own insertLeed (its conflict check
     * and whatever else it keeps), SEED_BATCH to a transaction (insertLeed's own becomes a savepoint).
     */
    async grow(total: number): Promise<{ inserted: number; ms: number; perSecond: number }> {
      const store = createSqliteStore({ path: dbPath });
      const geocoder = createZipGeocoder();
      try {
        if (count === 0) {
          await store.addTrades(TRADES);
          for (const username of creators) await store.createUser({ username, email: `${username}@example.com`, createdAt }, []);
        }
        const inserted = total - count;
        const progress = progressReporter(`insert ${fmtInt(inserted)} leedz (to ${fmtInt(total)})`, Math.max(1, inserted), 5);
        const started = performance.now();
        while (count < total) {
          const end = Math.min(total, count + SEED_BATCH);
          store.db.exec('BEGIN');
          try {
            for (; count < end; count++) await store.insertLeed(await leedAt(count, geocoder), []);
            store.db.exec('COMMIT');
          } catch (error) {
            store.db.exec('ROLLBACK');
            throw error;
          }
          progress(inserted - (total - count));
        }
        const ms = performance.now() - started;
        return { inserted, ms, perSecond: inserted / (ms / 1000) };
      } finally {
        store.close();
      }
    },
  };
}

// ── the server and the memory peer (children) ───────────────────────────────

interface ChildConfig {
  dataDir: string;
}

async function startSearchServer(config: ChildConfig): Promise<{ url: string }> {
  const server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: config.dataDir, LEEDZ_SEED: 'false' }));
  return { url: server.url };
}

/** What the memory peer serves: the real server's response to one query, headers and bytes. */
interface MemoryResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A bare node:http server that answers every GET with the response it was last given, from memory. */
async function runMemoryServer(): Promise<void> {
  let status = 200;
  let headers: Record<string, string> = {};
  let body = Buffer.alloc(0);
  const server = createServer((request, response) => {
    request.resume();
    response.writeHead(status, { ...headers, 'content-length': String(body.length) });
    response.end(body);
  });
  server.keepAliveTimeout = 65_000;
  await childMain(
    () =>
      new Promise<{ url: string }>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
      }),
    (message) => {
      const next = message as MemoryResponse;
      status = next.status;
      headers = next.headers;
      body = Buffer.from(next.body);
      return { bytes: body.length };
    },
  );
}

/** Headers of a connection, not of the response: the memory peer's node:http sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);

// ── measuring ───────────────────────────────────────────────────────────────

interface Scenario {
  id: string;
  label: string;
  path: string;
}

function scenarios(month: Date, nextMonth: Date): Scenario[] {
  const from = month.toISOString();
  const to = new Date(nextMonth.getTime() - 1000).toISOString();
  const q = (params: Record<string, string>) => `/api/leedz?${new URLSearchParams({ ...params, from, to }).toString()}`;
  // The request the web app's calendar sends for that month (in a browser in this process's zone).
  const calendar = searchPath({ month: { year: month.getUTCFullYear(), month: month.getUTCMonth() }, trades: ['dj'], available: ['dj'], zip: '', radius: 50 })!;
  return [
    { id: 'one-trade', label: 'one trade, one month', path: q({ trades: 'dj' }) },
    { id: 'calendar', label: `one trade, the calendar's month (perDay=${PER_DAY})`, path: calendar },
    { id: 'three-trades', label: 'three trades, one month', path: q({ trades: 'dj,caricatures,face painting' }) },
    { id: 'radius', label: 'one trade, one month, 20 mi of 60601', path: q({ trades: 'dj', zip: '60601', radius: '20' }) },
  ];
}

/** Unrecorded requests before a probe's: the first requests to a fresh process run cold code. */
const PROBE_WARMUP = 5;

/**
 * `count` requests one at a time from one client (after a few unrecorded ones): the service time,
 * the first request's time (on the server, the query's answer is not kept yet), and the last response.
 */
async function probe(url: string, path: string, count: number): Promise<{ p50: number; firstMs: number; response: MemoryResponse }> {
  const pool = new Pool(url, { connections: 1 });
  try {
    const times: number[] = [];
    let firstMs = 0;
    let last: MemoryResponse | undefined;
    for (let i = 0; i < PROBE_WARMUP + count; i++) {
      const t0 = performance.now();
      const response = await pool.request({ path, method: 'GET' });
      const text = await response.body.text();
      if (i === 0) firstMs = performance.now() - t0;
      if (i >= PROBE_WARMUP) times.push(performance.now() - t0);
      if (response.statusCode !== 200) throw new Error(`GET ${path} answered ${response.statusCode}: ${text.slice(0, 500)}`);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (!HOP_BY_HOP.has(name.toLowerCase()) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      last = { status: response.statusCode, headers, body: text };
    }
    return { p50: summarize(times).p50, firstMs, response: last! };
  } finally {
    await pool.close();
  }
}

interface LoadStats {
  requestsPerSecond: number;
  /** CPU (user + system) of the serving process over the measured run ÷ its requests: steadier than req/s on a busy machine. */
  cpuPerRequestUs: number;
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  requests: number;
  errors: number;
  /** The undici cross-check (null unless --cross-check). */
  undici: { requestsPerSecond: number; latency: Summary; errors: number } | null;
}

async function autocannonLoad(url: string, path: string, connections: number, durationSeconds: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url: `${url}${path}`, connections, duration: durationSeconds, pipelining: 1, timeout: 30 }, (error, done) => (error ? reject(error) : resolve(done)));
  });
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

/** Warm-up, a pause for its last requests to drain, the measured run, and the optional cross-check. */
async function measure(url: string, path: string, settings: Settings, label: string, cpuSeconds: () => number): Promise<LoadStats> {
  if (settings.warmupSeconds > 0) await autocannonLoad(url, path, settings.connections, settings.warmupSeconds);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const cpuBefore = cpuSeconds();
  const result = await autocannonLoad(url, path, settings.connections, settings.durationSeconds);
  const cpu = cpuSeconds() - cpuBefore;
  const ok = result['2xx'];
  const stats: LoadStats = {
    requestsPerSecond: ok / result.duration,
    cpuPerRequestUs: ok > 0 ? (cpu * 1e6) / ok : Number.NaN,
    latency: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.mean },
    requests: ok,
    errors: result.errors + result.timeouts + result.non2xx,
    undici: null,
  };
  log(`  ${label}: ${fmtRate(stats.requestsPerSecond)}, p50 ${fmtMs(stats.latency.p50)}, p99 ${fmtMs(stats.latency.p99)}, ${fmtNs(stats.cpuPerRequestUs * 1000)} CPU/request${stats.errors > 0 ? `, ${stats.errors} errors` : ''}`);
  if (settings.crossCheck) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    stats.undici = await undiciLoad(url, path, settings.connections, settings.durationSeconds);
    log(`  ${label} (undici): ${fmtRate(stats.undici.requestsPerSecond)}, p50 ${fmtMs(stats.undici.latency.p50)}, p99 ${fmtMs(stats.undici.latency.p99)}`);
  }
  return stats;
}

interface ScenarioResult {
  leedz: number;
  id: string;
  label: string;
  path: string;
  results: number;
  bodyBytes: number;
  /** One client, one request at a time (20 requests): the service time without queueing. */
  singleP50Ms: number;
  /** The server's first answer to the query: read from the database, not kept yet. */
  firstMs: number;
  memorySingleP50Ms: number;
  server: LoadStats;
  memory: LoadStats;
  /** server req/s ÷ memory req/s. */
  ratio: number;
}

async function runScenario(
  urls: { server: string; memory: string },
  children: { server: RunningChild<{ url: string }>; memory: RunningChild<{ url: string }> },
  leedz: number,
  scenario: Scenario,
  settings: Settings,
): Promise<ScenarioResult> {
  const memory = children.memory;
  log(`\n[${NAME}] ${fmtInt(leedz)} leedz, ${scenario.label}: GET ${decodeURIComponent(scenario.path)}`);
  const single = await probe(urls.server, scenario.path, 20);
  const results = (JSON.parse(single.response.body) as { leedz: unknown[] }).leedz.length;
  const bodyBytes = Buffer.byteLength(single.response.body);
  await memory.request({ ...single.response } satisfies MemoryResponse);
  const memorySingle = await probe(urls.memory, scenario.path, 20);
  if (memorySingle.response.body !== single.response.body) throw new Error('the memory peer does not serve the same bytes');
  log(`  ${fmtInt(results)} results, ${fmtInt(bodyBytes)} bytes; one client p50 ${fmtMs(single.p50)} (memory ${fmtMs(memorySingle.p50)}); ${settings.connections} connections, ${settings.durationSeconds} s each`);
  const server = await measure(urls.server, scenario.path, settings, 'server', () => processCpuSeconds(children.server.pid));
  const fromMemory = await measure(urls.memory, scenario.path, settings, 'memory', () => processCpuSeconds(memory.pid));
  return {
    leedz,
    id: scenario.id,
    label: scenario.label,
    path: scenario.path,
    results,
    bodyBytes,
    singleP50Ms: single.p50,
    firstMs: single.firstMs,
    memorySingleP50Ms: memorySingle.p50,
    server,
    memory: fromMemory,
    ratio: server.requestsPerSecond / fromMemory.requestsPerSecond,
  };
}

interface Settings {
  sizes: number[];
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  only: string[] | undefined;
  crossCheck: boolean;
  quick: boolean;
  cpuProfDir: string | undefined;
}

// ── report ──────────────────────────────────────────────────────────────────

interface Target {
  name: string;
  value: number | null;
  met: boolean | null;
  text: string;
}

function targetsOf(results: ScenarioResult[]): Target[] {
  const at = (leedz: number) => results.find((r) => r.leedz === leedz && r.id === 'one-trade');
  const targets: Target[] = [];
  const mid = at(100_000);
  targets.push(
    mid
      ? {
          name: 'one trade, one month at 100,000 leedz, 16 connections: ≥ 0.5 of memory',
          value: mid.ratio,
          met: mid.ratio >= 0.5,
          text: `Target: one-trade month search at 100,000 leedz ≥ 0.5 × the same bytes from memory: ${fmtRate(mid.server.requestsPerSecond)} ÷ ${fmtRate(mid.memory.requestsPerSecond)} = ${fmtRatio(mid.ratio)} — ${mid.ratio >= 0.5 ? 'MET' : 'NOT MET'}`,
        }
      : { name: 'one trade, one month at 100,000 leedz, 16 connections: ≥ 0.5 of memory', value: null, met: null, text: 'Target (≥ 0.5 × memory at 100,000 leedz): not measured (needs 100k in --sizes and the one-trade scenario)' },
  );
  // The month search users make is the calendar's; the whole month (every leed, up to 5,000) is beside it.
  const growthOf = (id: string) => {
    const small = results.find((r) => r.leedz === 10_000 && r.id === id);
    const large = results.find((r) => r.leedz === 1_000_000 && r.id === id);
    return small && large ? { small, large, growth: large.singleP50Ms / small.singleP50Ms } : undefined;
  };
  const calendar = growthOf('calendar');
  if (calendar) {
    const { small, large, growth } = calendar;
    targets.push({
      name: 'one-client p50 at 1M leedz within 2× of 10k',
      value: growth,
      met: growth <= 2,
      text: `Target: one-client p50 of the calendar's month search at 1,000,000 leedz ≤ 2 × at 10,000: ${fmtMs(large.singleP50Ms)} ÷ ${fmtMs(small.singleP50Ms)} = ${fmtRatio(growth)} — ${growth <= 2 ? 'MET' : 'NOT MET'}`,
    });
  } else {
    targets.push({ name: 'one-client p50 at 1M leedz within 2× of 10k', value: null, met: null, text: "Target (one-client p50 at 1M ≤ 2 × at 10k): not measured (needs 10k and 1m in --sizes and the calendar scenario)" });
  }
  const whole = growthOf('one-trade');
  if (whole) {
    targets.push({
      name: 'one-client p50 of the whole month (every leed) at 1M leedz ÷ 10k',
      value: whole.growth,
      met: null,
      text: `Not a target: the whole month (every leed, ${fmtInt(whole.small.results)} → ${fmtInt(whole.large.results)}) at 1,000,000 ÷ 10,000 leedz: ${fmtMs(whole.large.singleP50Ms)} ÷ ${fmtMs(whole.small.singleP50Ms)} = ${fmtRatio(whole.growth)}; the same bytes from memory: ${fmtRatio(whole.large.memorySingleP50Ms / whole.small.memorySingleP50Ms)}`,
    });
  }
  return targets;
}

function report(results: ScenarioResult[], settings: Settings, meta: { seeding: { total: number; ms: number; perSecond: number }[]; loadBefore: number; loadAfter: number; totalMs: number }): Target[] {
  const targets = targetsOf(results);
  const crossCheck = settings.crossCheck;
  printTable({
    title: `Search: GET /api/leedz month queries beside the same bytes from memory, autocannon ${settings.connections} connections × ${settings.durationSeconds} s (${process.version}, ${cpus().length} cores)`,
    columns: [
      { header: 'leedz', align: 'right' },
      { header: 'scenario' },
      { header: 'results', align: 'right' },
      { header: 'body', align: 'right' },
      { header: '1st (uncached)', align: 'right' },
      { header: '1 client p50', align: 'right' },
      { header: 'req/s', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'memory req/s', align: 'right' },
      { header: 'memory p50', align: 'right' },
      { header: 'memory p99', align: 'right' },
      { header: '× memory', align: 'right' },
      { header: 'CPU/req', align: 'right' },
      { header: 'memory CPU/req', align: 'right' },
      { header: 'errors', align: 'right' },
      ...(crossCheck ? [{ header: 'undici × memory', align: 'right' as const }] : []),
    ],
    rows: results.map((r) => [
      fmtInt(r.leedz),
      r.label,
      fmtInt(r.results),
      `${(r.bodyBytes / 1024).toFixed(0)} KB`,
      fmtMs(r.firstMs),
      fmtMs(r.singleP50Ms),
      fmtRate(r.server.requestsPerSecond),
      fmtMs(r.server.latency.p50),
      fmtMs(r.server.latency.p99),
      fmtRate(r.memory.requestsPerSecond),
      fmtMs(r.memory.latency.p50),
      fmtMs(r.memory.latency.p99),
      fmtRatio(r.ratio),
      fmtNs(r.server.cpuPerRequestUs * 1000),
      fmtNs(r.memory.cpuPerRequestUs * 1000),
      fmtInt(r.server.errors + r.memory.errors),
      ...(crossCheck ? [r.server.undici && r.memory.undici ? fmtRatio(r.server.undici.requestsPerSecond / r.memory.undici.requestsPerSecond) : '—'] : []),
    ]),
    notes: [
      `Queries: ${[...new Set(results.map((r) => decodeURIComponent(r.path)))].join(' | ')}.`,
      `Data: active leedz, trade i mod 30, 10 metro areas × 5 zips, starts spread over three calendar months (the middle one is searched); grown in place through the SQLite store's insertLeed, ${fmtInt(SEED_BATCH)} to a transaction: ${meta.seeding.map((s) => `to ${fmtInt(s.total)} in ${fmtSeconds(s.ms)} (${fmtRate(s.perSecond)})`).join(', ')}.`,
      'Server: startServer (the marketplace, LEEDZ_SEED=false), a fresh child process per size. Memory: a bare node:http server in its own process answering every GET with the bytes and headers the',
      `  server gave for that query (checked identical). "1 client p50": 20 requests one at a time before the load, after ${PROBE_WARMUP} unrecorded (service time without queueing; memory's beside it in the JSON);`,
      `  "1st (uncached)": the first of those, when the server reads the answer from the database (a write to the trade makes the next one so too).`,
      `req/s … p99: autocannon in this process, ${settings.warmupSeconds} s of warm-up first, the same query repeated. "× memory": server req/s ÷ memory req/s. "CPU/req": the serving process's CPU (user + system, /proc) over the measured run ÷ its requests.${crossCheck ? ' "undici × memory": the same with an undici Pool client.' : ''}`,
      loadNote(meta.loadBefore, meta.loadAfter) + ` Total ${fmtSeconds(meta.totalMs)}.`,
      '',
      ...targets.map((t) => t.text),
    ],
  });
  return targets;
}

// ── main ────────────────────────────────────────────────────────────────────

const SCENARIO_IDS = ['one-trade', 'calendar', 'three-trades', 'radius'];

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: NAME,
    summary:
      'Month searches (GET /api/leedz) under concurrent load against the real server holding 10k, 100k and 1M active leedz over 30 trades,\n' +
      'each beside the same response bytes served from memory by a bare node:http server: requests/s, p50/p99, the ratio, and one-client p50 per size.',
    options: {
      sizes: { type: 'string', default: '10k,100k,1m', valueName: 'LIST', description: 'comma-separated numbers of active leedz, ascending (the data grows in place)' },
      connections: { type: 'string', short: 'c', default: '16', valueName: 'C', description: 'autocannon connections' },
      duration: { type: 'string', short: 'd', default: '10', valueName: 'S', description: 'seconds per measured run (server, then memory)' },
      warmup: { type: 'string', default: '2', valueName: 'S', description: 'seconds of unrecorded load before each run (0 for none)' },
      only: { type: 'string', valueName: 'IDS', description: `comma-separated scenarios: ${SCENARIO_IDS.join(', ')}` },
      'cross-check': { type: 'boolean', default: false, description: 'run each load a second time with an undici client' },
      'cpu-prof': { type: 'string', valueName: 'DIR', description: 'write a V8 CPU profile of each server process to DIR/<leedz>/' },
      child: { type: 'string', valueName: 'JSON', description: '(internal) run the server in this process' },
      'memory-child': { type: 'string', valueName: 'JSON', description: '(internal) run the memory peer in this process' },
    },
    details: ['The leedz are inserted by this process while no server runs; the server and the memory peer run in child processes; autocannon runs here.'],
  });
  if (args['memory-child'] !== undefined) return runMemoryServer();
  if (args.child !== undefined) {
    const config = JSON.parse(args.child) as ChildConfig;
    return childMain(() => startSearchServer(config));
  }
  const sizes = (args.quick ? '2k,5k' : args.sizes).split(',').map((s) => intArg(s, 'sizes'));
  if (sizes.some((size, i) => i > 0 && size <= sizes[i - 1]!)) {
    log('--sizes: list them in ascending order (the data grows in place)');
    process.exit(2);
  }
  const only = args.only?.split(',').map((s) => s.trim());
  for (const id of only ?? []) {
    if (!SCENARIO_IDS.includes(id)) {
      log(`--only: unknown scenario "${id}" (known: ${SCENARIO_IDS.join(', ')})`);
      process.exit(2);
    }
  }
  const settings: Settings = {
    sizes,
    connections: intArg(args.connections, 'connections'),
    durationSeconds: args.quick ? 2 : intArg(args.duration, 'duration'),
    warmupSeconds: args.quick ? 1 : args.warmup === '0' ? 0 : intArg(args.warmup, 'warmup'),
    only,
    crossCheck: args['cross-check'],
    quick: args.quick,
    cpuProfDir: args['cpu-prof'],
  };

  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const dir = makeTempDir('search');
  const results: ScenarioResult[] = [];
  const seeding: { total: number; ms: number; perSecond: number }[] = [];
  let failed = false;
  // Three calendar months from the first of next month; the searches ask for the middle one.
  const seeder = createSeeder(join(dir.path, 'leedz.db'), monthStart(1), monthStart(4));
  const memory = forkChild<{ url: string }>(import.meta.url, {}, { flag: '--memory-child' });
  try {
    const { url: memoryUrl } = await memory.ready;
    for (const size of sizes) {
      log(`\n[${NAME}] growing the data to ${fmtInt(size)} leedz (${monthStart(1).toISOString().slice(0, 10)} to ${new Date(monthStart(4).getTime() - DAY_MS).toISOString().slice(0, 10)})`);
      const grown = await seeder.grow(size);
      seeding.push({ total: size, ms: grown.ms, perSecond: grown.perSecond });
      log(`  ${fmtInt(grown.inserted)} leedz in ${fmtSeconds(grown.ms)} (${fmtRate(grown.perSecond)})`);
      const execArgv = settings.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(settings.cpuProfDir, String(size))}`];
      const server = forkChild<{ url: string }>(import.meta.url, { dataDir: dir.path } satisfies ChildConfig, { execArgv });
      try {
        const { url } = await server.ready;
        const selected = scenarios(monthStart(2), monthStart(3)).filter((s) => only === undefined || only.includes(s.id));
        for (const scenario of selected) {
          try {
            results.push(await runScenario({ server: url, memory: memoryUrl }, { server, memory }, size, scenario, settings));
          } catch (error) {
            failed = true;
            log(`  [${scenario.id}] failed: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      } finally {
        await server.stop(60_000);
      }
    }
  } finally {
    await memory.stop();
    dir.remove();
  }
  const totalMs = performance.now() - started;
  const loadAfter = loadavg()[0]!;
  const targets = report(results, settings, { seeding, loadBefore, loadAfter, totalMs });
  const path = writeResult(NAME, {
    settings: { ...settings, cpus: cpus().length, loadAverage1m: { before: loadBefore, after: loadAfter } },
    seeding,
    targets,
    totalMs,
    results,
  });
  log(`[${NAME}] results: ${path}`);
  if (failed || results.some((r) => r.server.errors + r.memory.errors > 0)) process.exitCode = 1;
}

onCleanup(() => {}); // install the signal handlers before anything starts
try {
  await main();
} catch (error) {
  log(`[${NAME}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
