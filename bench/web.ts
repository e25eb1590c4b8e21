/**
 * The web UI in Chromium: time from navigation to the calendar being usable with 1,000 leedz in the
 * month, and the gzip size of the bundle (JS and CSS of both pages).
 *
 * "Usable" is the app's performance mark `leedz:calendar-ready`: set once the month with its leedz
 * has been rendered and painted and the main thread is free again (web/app/calendar.tsx). The mark's
 * `startTime` is milliseconds since the navigation started. Each cold run is a new browser context
 * (empty cache: the bundle is downloaded); each warm run loads the page again in the same context. As a check that the
 * page really takes input, each run also clicks a leed and times until its panel shows.
 *
 * Targets: usable in under 1 s; JS + CSS under 150 KB gzip.
 *
 * @example
 * npx tsx bench/web.ts            # 1,000 leedz, 7 cold and 7 warm runs
 * npx tsx bench/web.ts --leedz 3000 --runs 10
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Leed } from '../src/leedz/domain/leed.js';
import { resolveServerConfig } from '../src/server/config.js';
import { TRADES } from '../src/server/seed.js';
import { startServer } from '../src/server/serve.js';
import { buildWebAssets } from '../src/server/web-assets.js';
import { fmtInt, fmtMs, intArg, log, makeTempDir, parseBenchArgs, printTable, summarize, writeResult, type Summary } from './lib.js';

const NAME = 'web';
const CHROMIUM = '/usr/bin/chromium';
const TARGET_USABLE_MS = 1000;
const TARGET_GZIP_BYTES = 150 * 1024;

const args = parseBenchArgs({
  name: NAME,
  summary: 'Navigation → calendar usable with N leedz in the month (Chromium, Performance API), and the gzip size of the web bundle.',
  options: {
    leedz: { type: 'string', default: '1000', valueName: 'N', description: 'leedz in the month shown' },
    runs: { type: 'string', default: '7', valueName: 'N', description: 'cold runs (new context) and as many warm runs (reload)' },
  },
});
const leedCount = intArg(args.leedz, 'leedz', 1000);
const runs = args.quick ? 3 : intArg(args.runs, 'runs', 7);

if (!existsSync(CHROMIUM)) {
  log(`Chromium is not installed at ${CHROMIUM}: install the Debian package \`chromium\` (apt-get install -y chromium).`);
  process.exit(2);
}

// ── the data: one viewer subscribed to 6 trades, N leedz next month ──────────

const data = makeTempDir('web');
const server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: data.path, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.01' }));
const { store, deps } = server.marketplace!;
const trades = TRADES.slice(0, 6);
await store.addTrades(trades);
const now = new Date();
const created = now.toISOString();
for (const username of ['viewer', 'poster1', 'poster2', 'poster3']) {
  await store.createUser({ username, email: `${username}@example.com`, createdAt: created }, []);
}
await store.updateUser('viewer', { subscriptions: trades.map((t) => t.name) });
const token = await deps.identity.issueSession({ email: 'viewer@example.com', username: 'viewer' });

const month = new Date(now.getFullYear(), now.getMonth() + 1, 1);
const monthParam = `${month.getFullYear()}-${String(month.getMonth() + 1).padStart(2, '0')}`;
const daysInMonth = new Date(month.getFullYear(), month.getMonth() + 1, 0).getDate();
const point = (await deps.geocoder.zipPoint('62701'))!;
const creators = ['poster1', 'poster2', 'poster3', 'viewer'];
log(`inserting ${fmtInt(leedCount)} leedz into ${monthParam}…`);
for (let i = 0; i < leedCount; i++) {
  const start = new Date(month.getFullYear(), month.getMonth(), 1 + (i % daysInMonth), 9 + (i % 11), (i % 4) * 15);
  const trade = trades[i % trades.length]!.name;
  const location = `${100 + i} Main St, Springfield, IL 62701`;
  const leed: Leed = {
    id: `l_bench${String(i).padStart(5, '0')}`,
    trade,
    title: `${['Wedding', 'Birthday party', 'Corporate picnic', 'Bar mitzvah', 'School fair'][i % 5]} needs ${trade}`,
    creator: creators[i % creators.length]!,
    location,
    zip: '62701',
    point,
    placeKey: location.toLowerCase(),
    start: start.toISOString(),
    end: new Date(start.getTime() + 3 * 3_600_000).toISOString(),
    timeZone: 'America/Chicago',
    clientEmail: 'client@example.com',
    clientPhone: '5551234567',
    details: 'About forty guests.',
    requirements: null,
    price: 1000 + (i % 50) * 100,
    visibility: { location: 'hidden', clientEmail: 'hidden', clientPhone: 'hidden', details: 'shown', requirements: 'shown' },
    postedAt: created,
    status: 'active',
    buyer: null,
    soldAt: null,
  };
  await store.insertLeed(leed, []);
}

// ── measuring ────────────────────────────────────────────────────────────────

interface Run {
  /** The app's own milestones (ms since navigation): script running, session known, leedz fetched. */
  scriptMs: number;
  sessionMs: number;
  leedzLoadedMs: number;
  usableMs: number;
  domContentLoadedMs: number;
  chips: number;
  shownCount: string;
  clickToPanelMs: number;
}

async function measure(page: Page, load: () => Promise<unknown>): Promise<Run> {
  await load();
  await page.waitForFunction(() => performance.getEntriesByName('leedz:calendar-ready').length > 0, undefined, { timeout: 30_000 });
  const timing = await page.evaluate(() => {
    const mark = performance.getEntriesByName('leedz:calendar-ready')[0]!;
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    // No named inner functions here: tsx would wrap them in a helper the page does not have.
    return {
      scriptMs: performance.getEntriesByName('leedz:script')[0]?.startTime ?? Number.NaN,
      sessionMs: performance.getEntriesByName('leedz:session')[0]?.startTime ?? Number.NaN,
      leedzLoadedMs: performance.getEntriesByName('leedz:leedz-loaded')[0]?.startTime ?? Number.NaN,
      usableMs: mark.startTime,
      domContentLoadedMs: navigation.domContentLoadedEventEnd,
      chips: document.querySelectorAll('.chip').length,
      shownCount: document.querySelector('.cal-summary')?.textContent ?? '',
    };
  });
  // Interactive, not just painted: a click on a leed opens its panel. (A string, not a function:
  // tsx would wrap a named inner function in a helper that does not exist in the page.)
  const clickToPanelMs = await page.evaluate<number>(`new Promise((resolve) => {
    const chip = document.querySelector('.day:not(.outside) .chip');
    if (chip === null) return resolve(NaN);
    const started = performance.now();
    chip.click();
    (function check() {
      if (document.querySelector('aside.detail h2#leed-title')) resolve(performance.now() - started);
      else requestAnimationFrame(check);
    })();
  })`);
  return { ...timing, clickToPanelMs };
}

const browser: Browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const url = `${server.url}/?month=${monthParam}`;
// Other work on the machine slows a browser more than a server: say how busy it was.
const loadBefore = loadavg()[0]!;
const cold: Run[] = [];
const warm: Run[] = [];
try {
  // One unmeasured visit: the server's first request builds nothing (the bundle is built at start),
  // but the JIT of both processes warms up, as for any real user after the first.
  for (let i = 0; i <= runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addCookies([{ name: 'leedz_session', value: token, url: server.url }]);
    const page = await context.newPage();
    const coldRun = await measure(page, () => page.goto(url));
    // Warm: the same context (cache, connections) loads the page again.
    const warmRun = await measure(page, () => page.goto(url));
    await context.close();
    if (i === 0) continue;
    cold.push(coldRun);
    warm.push(warmRun);
    log(`run ${i}/${runs}: cold ${fmtMs(coldRun.usableMs)}, warm ${fmtMs(warmRun.usableMs)}; ${coldRun.shownCount.trim()}`);
  }
} finally {
  await browser.close();
  await server.close();
  data.remove();
}

// ── sizes ────────────────────────────────────────────────────────────────────

const assets = await buildWebAssets();
const files = [...assets.files.entries()].filter(([name]) => name.endsWith('.js') || name.endsWith('.css'));
const gzipTotal = files.reduce((sum, [, file]) => sum + file.gzip.byteLength, 0);
const rawTotal = files.reduce((sum, [, file]) => sum + file.body.byteLength, 0);

// ── report ───────────────────────────────────────────────────────────────────

const coldUsable = summarize(cold.map((r) => r.usableMs));
const warmUsable = summarize(warm.map((r) => r.usableMs));
const coldDcl = summarize(cold.map((r) => r.domContentLoadedMs));
const clicks = summarize([...cold, ...warm].map((r) => r.clickToPanelMs));
const verdict = (ok: boolean) => (ok ? 'yes' : 'NO');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const row = (label: string, s: Summary, target?: number) => [label, fmtMs(s.p50), fmtMs(s.p90), fmtMs(s.max), target === undefined ? '' : `< ${fmtMs(target)}`, target === undefined ? '' : verdict(s.p90 < target)];

printTable({
  title: `Web UI: navigation → calendar usable, ${fmtInt(leedCount)} leedz in ${monthParam} (${runs} runs each; Chromium ${browser.version()})`,
  columns: [{ header: 'measure' }, { header: 'p50', align: 'right' }, { header: 'p90', align: 'right' }, { header: 'max', align: 'right' }, { header: 'target', align: 'right' }, { header: 'met (p90)', align: 'right' }],
  rows: [
    row('usable, cold (new context, empty cache)', coldUsable, TARGET_USABLE_MS),
    row('usable, warm (cached bundle)', warmUsable, TARGET_USABLE_MS),
    row('  of which: DOMContentLoaded, cold', coldDcl),
    row('  of which: app script running, cold', summarize(cold.map((r) => r.scriptMs))),
    row('  of which: session and trades known, cold', summarize(cold.map((r) => r.sessionMs))),
    row(`  of which: ${fmtInt(leedCount)} leedz fetched, cold`, summarize(cold.map((r) => r.leedzLoadedMs))),
    row('click a leed → its panel shown', clicks),
  ],
  notes: [`Load average (1 min) at the start: ${loadBefore.toFixed(2)} on ${cpus().length} cores.`, `Leedz in the calendar's month as the page counted them: "${cold[0]?.shownCount.trim()}"; chips rendered: ${cold[0]?.chips} (3 a day, the rest behind "+N more").`],
});
printTable({
  title: 'Web UI: bundle size (JS and CSS of the marketplace and the console, gzip level 9)',
  columns: [{ header: 'file' }, { header: 'bytes', align: 'right' }, { header: 'gzip', align: 'right' }],
  rows: [
    ...files.map(([name, file]) => [name, fmtInt(file.body.byteLength), kb(file.gzip.byteLength)]),
    ['total', fmtInt(rawTotal), kb(gzipTotal)],
  ],
  notes: [`Target: under ${kb(TARGET_GZIP_BYTES)} gzip — ${verdict(gzipTotal < TARGET_GZIP_BYTES)}. Built by esbuild in ${fmtMs(assets.buildMs)}.`],
});

const path = writeResult(NAME, {
  leedz: leedCount,
  month: monthParam,
  runs,
  chromium: browser.version(),
  loadAverageAtStart: loadBefore,
  usableMs: { cold: coldUsable, warm: warmUsable },
  domContentLoadedMs: { cold: coldDcl },
  milestonesMs: {
    cold: { script: summarize(cold.map((r) => r.scriptMs)), session: summarize(cold.map((r) => r.sessionMs)), leedzLoaded: summarize(cold.map((r) => r.leedzLoadedMs)) },
    warm: { script: summarize(warm.map((r) => r.scriptMs)), session: summarize(warm.map((r) => r.sessionMs)), leedzLoaded: summarize(warm.map((r) => r.leedzLoadedMs)) },
  },
  clickToPanelMs: clicks,
  bundle: { files: Object.fromEntries(files.map(([name, file]) => [name, { bytes: file.body.byteLength, gzipBytes: file.gzip.byteLength }])), bytes: rawTotal, gzipBytes: gzipTotal },
  targets: { usableMs: TARGET_USABLE_MS, gzipBytes: TARGET_GZIP_BYTES, usableMet: coldUsable.p90 < TARGET_USABLE_MS && warmUsable.p90 < TARGET_USABLE_MS, gzipMet: gzipTotal < TARGET_GZIP_BYTES },
});
log(`wrote ${path}`);
