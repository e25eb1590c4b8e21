/**
 * Post latency: how long a client waits for `POST /api/leedz` when the posted trade has N
 * subscribers (0, 100, 1,000, 10,000; all within range), in two modes side by side:
 *
 * - **the pattern**: the real server (`startServer`, temp data dir, `LEEDZ_SEED=false`, `SMTP_URL`
 *   at a local SMTP sink). The post answers after the store commit; the fan-out (one email per
 *   subscriber, counters, badges) runs afterwards in the controllers.
 * - **a synchronous chain** (the anti-pattern): a small hono route on the same adapters that awaits
 *   the same work before it answers — validate, geocode, insert, list every subscriber, filter by
 *   radius, render the same template, send each email by SMTP (the same mailer, 8 in flight as in one
 *   `notifyBatch`), the bookkeeping — and only then responds.
 *
 * Per N and mode, a fresh child process runs the server; the SMTP sink (discards every message) runs
 * in a process of its own, and the client (undici, one keep-alive connection) in this one.
 *
 * The pattern, per N: (1) one post alone on an idle server, then the time until the last email of its
 * fan-out is stored in the outbox and accepted by the SMTP server (emails/s); (2) P posts, one every
 * `--interval` ms (the next one right away if a post took longer), while the fan-outs of the posts
 * before them run in the same process: p50/p99. Their own fan-outs (P × N emails) are not waited for:
 * the child is stopped once the last post is answered.
 *
 * The synchronous chain, per N: S posts one after another (fewer at large N: `--sync-email-budget`).
 *
 * @example
 * npx tsx bench/post-latency.ts
 * npx tsx bench/post-latency.ts --subscribers 0,1000 --posts 50
 * npx tsx bench/post-latency.ts --quick
 */
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { Pool } from 'undici';
import { createZipGeocoder } from '../src/adapters/geocoder/zip/zip-geocoder.js';
import { createLocalIdentity } from '../src/adapters/identity/local/local-identity.js';
import { createSmtpMailer } from '../src/adapters/mailer/smtp/smtp-mailer.js';
import { createSqliteStore, type SqliteStore } from '../src/adapters/store/sqlite/sqlite-store.js';
import { forEachConcurrently } from '../src/leedz/controllers/concurrency.js';
import { MAX_BATCH_SIZE, SEND_CONCURRENCY } from '../src/leedz/controllers/email-helper.js';
import { badgesFor } from '../src/leedz/domain/badges.js';
import { withinRadius } from '../src/leedz/domain/geo.js';
import { activeLeed, validateNewLeed } from '../src/leedz/domain/leed.js';
import { newLeedEmail } from '../src/leedz/emails/templates.js';
import { newLeedId } from '../src/leedz/functions/add-leed.js';
import { ConflictError, type Geocoder, type Store, type Subscriber } from '../src/leedz/ports.js';
import { resolveServerConfig } from '../src/server/config.js';
import { TRADES } from '../src/server/seed.js';
import { startServer } from '../src/server/serve.js';
import { childMain, forkChild, smtpSinkMain, startSmtpSink, type SmtpSink } from './child-process.js';
import {
  epochMs,
  fmtInt,
  fmtMs,
  fmtRate,
  fmtRatio,
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

const NAME = 'post-latency';
/** The posted trade, which every subscriber follows. */
const TRADE = 'dj';
/** A trade nobody follows: warm-up posts exercise the whole path without a fan-out. */
const WARMUP_TRADE = 'magician';
const WARMUP_POSTS = 5;
/** Subscribers live in these Springfield, IL zips (a few miles apart) with a 50-mile radius; posts are in 62701–62704. */
const HOME_ZIPS = ['62701', '62702', '62703', '62704', '62707'];
const POST_ZIPS = ['62701', '62702', '62703', '62704'];
const POSTER_EMAIL = 'poster@example.com';
const MAIL_FROM = 'The Leedz <no-reply@leedz.local>';

type Mode = 'pattern' | 'sync';

interface ChildConfig {
  mode: Mode;
  subscribers: number;
  dataDir: string;
  smtpUrl: string;
  /** LEEDZ_POOL_SIZE of the pattern's server (undefined: the server's default). */
  poolSize: number | undefined;
}

interface Ready {
  url: string;
  token: string;
  dbPath: string;
  setupMs: number;
}

// ── child: the server under test ────────────────────────────────────────────

/** N subscribers of TRADE, each within 50 miles of every post (checked). */
async function addSubscribers(store: Store, geocoder: Geocoder, n: number, label: string): Promise<void> {
  await store.addTrades(TRADES);
  const homes = await Promise.all(HOME_ZIPS.map(async (zip) => ({ zip, point: (await geocoder.zipPoint(zip)) ?? null })));
  const posts = await Promise.all(POST_ZIPS.map((zip) => geocoder.zipPoint(zip)));
  for (const home of homes) {
    for (const post of posts) {
      if (home.point === null || post === undefined || !withinRadius(home.point, post, 50)) throw new Error(`zip ${home.zip} is not within 50 miles of every post`);
    }
  }
  const progress = progressReporter(`${label} subscribers`, Math.max(1, n), 20);
  const createdAt = new Date().toISOString();
  for (let i = 0; i < n; i++) {
    const username = `sub${String(i).padStart(6, '0')}`;
    const home = homes[i % homes.length]!;
    await store.createUser({ username, email: `${username}@example.com`, createdAt }, []);
    await store.updateUser(username, { zip: home.zip, point: home.point, radius: 50, subscriptions: [TRADE] });
    progress(i + 1);
  }
}

async function startPatternServer(config: ChildConfig): Promise<Ready> {
  const started = performance.now();
  const server = await startServer(
    resolveServerConfig({
      PORT: '0',
      LEEDZ_DATA_DIR: config.dataDir,
      LEEDZ_SEED: 'false',
      SMTP_URL: config.smtpUrl,
      MAIL_FROM,
      ...(config.poolSize === undefined ? {} : { LEEDZ_POOL_SIZE: String(config.poolSize) }),
    }),
  );
  const marketplace = server.marketplace!;
  await addSubscribers(marketplace.store, marketplace.deps.geocoder, config.subscribers, `pattern N=${config.subscribers}`);
  // Sign in as the tests do: the magic link from the outbox, redeemed at the callback.
  const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: POSTER_EMAIL }) });
  if (login.status !== 202) throw new Error(`login: ${login.status} ${await login.text()}`);
  let token: string | undefined;
  for (let i = 0; i < 500 && token === undefined; i++) {
    const [email] = marketplace.outbox.listEmails({ to: POSTER_EMAIL, kind: 'magic-link', limit: 1 });
    // The link opens /signin/confirm#token=…, whose button posts the token to the callback.
    const encoded = /\/signin\/confirm#token=([A-Za-z0-9_%.~-]+)/.exec(email?.text ?? '')?.[1];
    token = encoded === undefined ? undefined : decodeURIComponent(encoded);
    if (token === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (token === undefined) throw new Error('no magic link in the outbox');
  const callback = await fetch(`${server.url}/api/auth/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const body = (await callback.json()) as { token?: string };
  if (callback.status !== 200 || body.token === undefined) throw new Error(`callback: ${callback.status} ${JSON.stringify(body)}`);
  return { url: server.url, token: body.token, dbPath: join(config.dataDir, 'leedz.db'), setupMs: performance.now() - started };
}

/**
 * The synchronous chain: everything the controllers do after a post, awaited before the response.
 * Same adapters as the server (SQLite store, ZIP geocoder, local identity, SMTP mailer).
 */
async function startSyncServer(config: ChildConfig): Promise<Ready> {
  const started = performance.now();
  const dbPath = join(config.dataDir, 'leedz.db');
  const store: SqliteStore = createSqliteStore({ path: dbPath });
  const geocoder = createZipGeocoder();
  const identity = createLocalIdentity({ db: store.db, keyDir: join(config.dataDir, 'keys') });
  const smtp = createSmtpMailer({ url: config.smtpUrl, from: MAIL_FROM });
  await addSubscribers(store, geocoder, config.subscribers, `sync N=${config.subscribers}`);
  await store.createUser({ username: 'poster', email: POSTER_EMAIL, createdAt: new Date().toISOString() }, []);
  const token = await identity.issueSession({ email: POSTER_EMAIL, username: 'poster' });
  const publicUrl = 'http://127.0.0.1';

  const app = new Hono();
  app.post('/api/leedz', async (c) => {
    const authorization = c.req.header('authorization') ?? '';
    const caller = await identity.verifySession(authorization.replace(/^Bearer /i, ''));
    if (caller?.username === undefined) return c.json({ error: { code: 'UNAUTHENTICATED', message: 'sign in' } }, 401);
    const now = new Date();
    const validation = validateNewLeed(await c.req.json(), now);
    if (!validation.ok) return c.json({ error: { code: 'VALIDATION', fields: validation.fields } }, 400);
    const input = validation.value;
    if ((await store.getTrade(input.trade)) === undefined) return c.json({ error: { code: 'VALIDATION', message: 'no such trade' } }, 400);
    const place = await geocoder.geocode(input.location);
    if (place === undefined) return c.json({ error: { code: 'VALIDATION', message: 'location not found' } }, 400);
    const leed = activeLeed(input, { id: newLeedId(), creator: caller.username, place, postedAt: now });
    try {
      await store.insertLeed(leed, []);
    } catch (error) {
      if (error instanceof ConflictError) return c.json({ error: { code: 'CONFLICT', message: error.message } }, 409);
      throw error;
    }
    // notifyUsers + notifyBatch, inline: every subscriber, the radius filter, the template, SMTP.
    const recipients: Subscriber[] = [];
    for (let after: string | null = null; ; ) {
      const page: Subscriber[] = await store.listSubscribers(leed.trade, after, MAX_BATCH_SIZE);
      for (const s of page) if (s.username !== leed.creator && (s.point === null || withinRadius(s.point, leed.point, s.radius))) recipients.push(s);
      if (page.length < MAX_BATCH_SIZE) break;
      after = page.at(-1)!.username;
    }
    await forEachConcurrently(recipients, SEND_CONCURRENCY, (recipient) => smtp.send(newLeedEmail({ leed, recipient, publicUrl })));
    // bookkeeping.leedPosted, inline: counters, then the creator's badges.
    await store.applyBookkeeping(`posted:${leed.id}`, {
      trades: { [leed.trade]: 1 },
      users: { [leed.creator]: { posted: 1 } },
      totals: { posted: 1 },
      lastPosted: { trade: leed.trade, price: leed.price, zip: leed.zip, at: leed.postedAt },
    });
    const creator = await store.getUser(leed.creator);
    if (creator !== undefined) await store.setBadges(creator.username, badgesFor(creator, { paymentsConnected: creator.paymentsConnected }));
    return c.json({ id: leed.id, trade: leed.trade, title: leed.title, price: leed.price, recipients: recipients.length }, 201);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(info.port));
    server.once('error', reject);
  });
  return { url: `http://127.0.0.1:${port}`, token, dbPath, setupMs: performance.now() - started };
}

// ── parent: the client ──────────────────────────────────────────────────────

/** A distinct place (street number) and time (hour) for post `i`, a week or more ahead. */
function postBody(i: number, trade: string): string {
  const start = new Date(Date.now() + 7 * 86_400_000);
  start.setUTCHours(0, 0, 0, 0);
  start.setTime(start.getTime() + i * 3_600_000);
  return JSON.stringify({
    trade,
    title: `Benchmark party ${i} needs a ${trade}`,
    location: `${100 + i} Main Street, Springfield, IL ${POST_ZIPS[i % POST_ZIPS.length]}`,
    start: start.toISOString(),
    end: new Date(start.getTime() + 3 * 3_600_000).toISOString(),
    price: 2500,
    clientEmail: 'client@example.com',
    clientPhone: '(555) 123-4567',
    details: 'Four hours, about a hundred guests.',
    requirements: 'Bring your own speakers.',
  });
}

class Poster {
  private next = 0;
  private readonly pool: Pool;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.pool = new Pool(url, { connections: 1, pipelining: 1, headersTimeout: 30 * 60_000, bodyTimeout: 30 * 60_000 });
  }

  /** POST one leed; resolves with the client-observed latency and the new leed's id. */
  async post(trade: string): Promise<{ ms: number; sentAt: number; id: string }> {
    const body = postBody(this.next++, trade);
    const sentAt = epochMs();
    const t0 = performance.now();
    const response = await this.pool.request({
      path: '/api/leedz',
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body,
    });
    const text = await response.body.text();
    const ms = performance.now() - t0;
    if (response.statusCode !== 201) throw new Error(`POST /api/leedz answered ${response.statusCode}: ${text}`);
    return { ms, sentAt, id: (JSON.parse(text) as { id: string }).id };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

interface PatternResult {
  mode: 'pattern';
  subscribers: number;
  setupMs: number;
  /** The post made alone, and its fan-out. */
  alone: {
    postMs: number;
    /** Emails of its fan-out stored in the outbox, and accepted by the SMTP server. */
    emails: number;
    smtpAccepted: number;
    /** Whether all N arrived (false: the runtime gave up on some batches, or the timeout passed). */
    complete: boolean;
    lastStoredMs: number;
    lastSmtpMs: number;
    emailsPerSecond: number;
    /** Failed attempts of the fan-out's invocations, by error type (e.g. Sandbox.Timedout). */
    failedAttempts: Record<string, number>;
    deadLetters: number;
  };
  posts: Summary;
  intervalMs: number;
  /** New-leed emails stored while the P posts were made (the background fan-out's pace). */
  background: { emails: number; ms: number };
}

interface SyncResult {
  mode: 'sync';
  subscribers: number;
  setupMs: number;
  posts: Summary;
  emailsPerPost: number;
  smtpAccepted: number;
}

type Result = PatternResult | SyncResult;

async function sleepUntil(at: number): Promise<void> {
  const wait = at - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** Count the new-leed emails of one leed in the outbox (a range of the UNIQUE key index) from another connection. */
function outboxWatcher(dbPath: string) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const ofLeed = db.prepare<[string, string], { n: number; last: string | null }>('SELECT count(*) AS n, max(created_at) AS last FROM email_outbox WHERE key > ? AND key < ?');
  const newLeed = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM email_outbox WHERE kind = 'new-leed'");
  return {
    ofLeed: (id: string) => ofLeed.get(`${id}:`, `${id};`)!,
    newLeedEmails: () => newLeed.get()!.n,
    close: () => db.close(),
  };
}

/** The runtime's own log (runtime.db), read from another connection: what the fan-out's invocations did. */
function runtimeWatcher(dbPath: string) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const pending = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM invocations WHERE type = 'Event' AND state IN ('queued', 'running')");
  const failed = db.prepare<[], { type: string | null; n: number }>("SELECT json_extract(error, '$.errorType') AS type, count(*) AS n FROM attempts GROUP BY 1 ORDER BY 2 DESC");
  const dead = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dead_letters');
  return {
    /** Event invocations queued or running. */
    pending: () => pending.get()!.n,
    /** Failed attempts by error type (each is retried, or dead-lettered after the last). */
    failedAttempts: () => Object.fromEntries(failed.all().map((row) => [row.type ?? 'unknown', row.n])) as Record<string, number>,
    deadLetters: () => dead.get()!.n,
    close: () => db.close(),
  };
}

async function runPattern(config: ChildConfig, ready: Ready, sink: SmtpSink, settings: Settings): Promise<PatternResult> {
  const n = config.subscribers;
  const poster = new Poster(ready.url, ready.token);
  const watcher = outboxWatcher(ready.dbPath);
  const runtime = runtimeWatcher(join(config.dataDir, 'runtime.db'));
  try {
    for (let i = 0; i < WARMUP_POSTS; i++) await poster.post(WARMUP_TRADE);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // (1) One post alone; wait for the last email of its fan-out, in the outbox and at the SMTP server,
    // or until the runtime has nothing left to run (the fan-out ended short: dead-lettered batches).
    const smtpBefore = (await sink.stats()).count;
    const alone = await poster.post(TRADE);
    const progress = progressReporter(`pattern N=${fmtInt(n)} fan-out`, Math.max(1, n), 10);
    const deadline = performance.now() + settings.fanOutTimeoutMs;
    let stored = watcher.ofLeed(alone.id);
    let smtp = await sink.stats();
    let idleSince: number | undefined;
    let complete = true;
    while (stored.n < n || smtp.count - smtpBefore < n) {
      if (performance.now() > deadline) {
        complete = false;
        log(`  [pattern N=${fmtInt(n)}] fan-out not done after ${fmtMs(settings.fanOutTimeoutMs)}: ${fmtInt(stored.n)} stored, ${fmtInt(smtp.count - smtpBefore)} accepted by SMTP`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, n > 1000 ? 50 : 5));
      stored = watcher.ofLeed(alone.id);
      smtp = await sink.stats();
      if (n > 0) progress(Math.min(stored.n, smtp.count - smtpBefore));
      if (runtime.pending() > 0) idleSince = undefined;
      else if (idleSince === undefined) idleSince = performance.now();
      else if (performance.now() - idleSince > 2000) {
        complete = false;
        log(`  [pattern N=${fmtInt(n)}] the runtime has nothing left to run, but only ${fmtInt(stored.n)} of ${fmtInt(n)} emails were stored`);
        break;
      }
    }
    const lastStoredMs = stored.last === null ? Number.NaN : Date.parse(stored.last) - alone.sentAt;
    const lastSmtpMs = smtp.count === smtpBefore ? Number.NaN : smtp.lastAt - alone.sentAt;
    const failedAttempts = runtime.failedAttempts();
    const deadLetters = runtime.deadLetters();
    if (Object.keys(failedAttempts).length > 0) log(`  [pattern N=${fmtInt(n)}] failed attempts during the fan-out: ${JSON.stringify(failedAttempts)}; dead letters: ${deadLetters}`);
    // Let the runtime finish its bookkeeping of the fan-out before the next phase.
    await new Promise((resolve) => setTimeout(resolve, 300));

    // (2) P posts at a steady pace while the fan-outs of the earlier ones run.
    const emailsBefore = watcher.newLeedEmails();
    const latencies: number[] = [];
    const phaseStart = performance.now();
    for (let i = 0; i < settings.posts; i++) {
      await sleepUntil(phaseStart + i * settings.intervalMs);
      latencies.push((await poster.post(TRADE)).ms);
    }
    const phaseMs = performance.now() - phaseStart;
    const emailsAfter = watcher.newLeedEmails();
    return {
      mode: 'pattern',
      subscribers: n,
      setupMs: ready.setupMs,
      alone: {
        postMs: alone.ms,
        emails: stored.n,
        smtpAccepted: smtp.count - smtpBefore,
        complete,
        lastStoredMs,
        lastSmtpMs,
        emailsPerSecond: n === 0 ? Number.NaN : stored.n / (Math.max(lastStoredMs, lastSmtpMs) / 1000),
        failedAttempts,
        deadLetters,
      },
      posts: summarize(latencies),
      intervalMs: settings.intervalMs,
      background: { emails: emailsAfter - emailsBefore, ms: phaseMs },
    };
  } finally {
    runtime.close();
    watcher.close();
    await poster.close();
  }
}

async function runSync(config: ChildConfig, ready: Ready, sink: SmtpSink, posts: number): Promise<SyncResult> {
  const n = config.subscribers;
  const poster = new Poster(ready.url, ready.token);
  try {
    for (let i = 0; i < WARMUP_POSTS; i++) await poster.post(WARMUP_TRADE);
    const smtpBefore = (await sink.stats()).count;
    const latencies: number[] = [];
    const progress = progressReporter(`sync N=${fmtInt(n)} posts`, posts, posts >= 10 ? 10 : 100 / posts);
    for (let i = 0; i < posts; i++) {
      latencies.push((await poster.post(TRADE)).ms);
      progress(i + 1);
    }
    const smtpAccepted = (await sink.stats()).count - smtpBefore;
    if (smtpAccepted !== posts * n) throw new Error(`sync N=${n}: the SMTP server accepted ${smtpAccepted} emails, expected ${posts * n}`);
    return { mode: 'sync', subscribers: n, setupMs: ready.setupMs, posts: summarize(latencies), emailsPerPost: n, smtpAccepted };
  } finally {
    await poster.close();
  }
}

interface Settings {
  subscribers: number[];
  posts: number;
  syncPosts: number;
  syncEmailBudget: number;
  intervalMs: number;
  fanOutTimeoutMs: number;
  modes: Mode[];
  quick: boolean;
  cpuProfDir: string | undefined;
  poolSize: number | undefined;
}

/** Posts of the synchronous chain at N: `syncPosts`, fewer when that would send more than the budget (at least 3). */
function syncPostsFor(n: number, settings: Settings): number {
  if (n === 0) return settings.syncPosts;
  return Math.min(settings.syncPosts, Math.max(3, Math.floor(settings.syncEmailBudget / n)));
}

async function runOne(mode: Mode, n: number, sink: SmtpSink, settings: Settings): Promise<Result> {
  const dir = makeTempDir(`post-${mode}-${n}`);
  const config: ChildConfig = { mode, subscribers: n, dataDir: dir.path, smtpUrl: sink.url, poolSize: settings.poolSize };
  const execArgv = settings.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(settings.cpuProfDir, `${mode}-${n}`)}`];
  const child = forkChild<Ready>(import.meta.url, config, { execArgv });
  try {
    const ready = await child.ready;
    log(`  [${mode} N=${fmtInt(n)}] server ready in ${fmtSeconds(ready.setupMs)}`);
    return mode === 'pattern' ? await runPattern(config, ready, sink, settings) : await runSync(config, ready, sink, syncPostsFor(n, settings));
  } finally {
    // The pattern's child still has P × N emails queued: it exits without waiting for them.
    await child.stop(settings.cpuProfDir === undefined ? 2000 : 60_000);
    dir.remove();
  }
}

// ── report ──────────────────────────────────────────────────────────────────

/** Failed attempts of the fan-out's invocations, and dead letters: `0`, or `64, 12 DLQ`. */
function failures(p: PatternResult): string {
  const total = Object.values(p.alone.failedAttempts).reduce((a, b) => a + b, 0);
  return p.alone.deadLetters > 0 ? `${fmtInt(total)}, ${fmtInt(p.alone.deadLetters)} DLQ` : fmtInt(total);
}

function report(results: Result[], settings: Settings, meta: { loadBefore: number; loadAfter: number; totalMs: number }) {
  const pattern = new Map(results.filter((r): r is PatternResult => r.mode === 'pattern').map((r) => [r.subscribers, r]));
  const sync = new Map(results.filter((r): r is SyncResult => r.mode === 'sync').map((r) => [r.subscribers, r]));
  const rows = settings.subscribers.map((n) => {
    const p = pattern.get(n);
    const s = sync.get(n);
    return [
      fmtInt(n),
      p ? String(p.posts.count) : '—',
      p ? fmtMs(p.posts.p50) : '—',
      p ? fmtMs(p.posts.p99) : '—',
      p ? fmtMs(p.alone.postMs) : '—',
      p && n > 0 ? fmtMs(p.alone.lastStoredMs) : '—',
      p && n > 0 ? fmtMs(p.alone.lastSmtpMs) : '—',
      p && n > 0 ? (p.alone.complete ? fmtRate(p.alone.emailsPerSecond) : `only ${fmtInt(p.alone.emails)}`) : '—',
      p ? failures(p) : '—',
      s ? String(s.posts.count) : '—',
      s ? fmtMs(s.posts.p50) : '—',
      s ? fmtMs(s.posts.p99) : '—',
      s && n > 0 ? fmtRate(n / (s.posts.p50 / 1000)) : '—',
      p && s ? fmtRatio(s.posts.p50 / p.posts.p50) : '—',
    ];
  });

  const targets: { name: string; value: number | null; met: boolean | null; text: string }[] = [];
  const p0 = pattern.get(0);
  const pMax = pattern.get(10_000);
  if (p0 && pMax) {
    const ratio = pMax.posts.p50 / p0.posts.p50;
    targets.push({ name: 'pattern p50 at N=10,000 within 1.5× of N=0', value: ratio, met: ratio <= 1.5, text: `pattern p50 at N = 10,000 ÷ N = 0: ${fmtMs(pMax.posts.p50)} ÷ ${fmtMs(p0.posts.p50)} = ${fmtRatio(ratio)} (target ≤ 1.50×): ${ratio <= 1.5 ? 'MET' : 'NOT MET'}` });
  } else {
    targets.push({ name: 'pattern p50 at N=10,000 within 1.5× of N=0', value: null, met: null, text: 'pattern p50 at N = 10,000 ÷ N = 0: not measured (needs N = 0 and N = 10,000 in --subscribers; --quick stops at 1,000)' });
  }
  const p1k = pattern.get(1000);
  const s1k = sync.get(1000);
  if (p1k && s1k) {
    const ratio = s1k.posts.p50 / p1k.posts.p50;
    targets.push({ name: 'pattern ≥ 50× faster than the sync chain at N=1,000 (p50)', value: ratio, met: ratio >= 50, text: `sync chain p50 ÷ pattern p50 at N = 1,000: ${fmtMs(s1k.posts.p50)} ÷ ${fmtMs(p1k.posts.p50)} = ${fmtRatio(ratio)} (target ≥ 50×): ${ratio >= 50 ? 'MET' : 'NOT MET'}` });
  } else {
    targets.push({ name: 'pattern ≥ 50× faster than the sync chain at N=1,000 (p50)', value: null, met: null, text: 'sync chain ÷ pattern at N = 1,000: not measured (needs both modes and N = 1,000)' });
  }

  const notes = [
    `Pattern: the real server (LEEDZ_POOL_SIZE ${settings.poolSize ?? '16, the default'}); ${settings.posts} posts per N, one every ${settings.intervalMs} ms, while the fan-outs of the earlier posts run in the same process (their own P × N emails are not waited for).`,
    `"alone": one post on an idle server, then the time from sending it until the last email of its fan-out was stored in the outbox / accepted by the SMTP server; "fan-out" = emails ÷ the later of the two ("only K": K of N emails ever arrived).`,
    `"failed attempts": attempts of the fan-out's invocations that failed (retried after 60 s and 120 s as on Lambda; "DLQ": dead-lettered after the last) — ${[...pattern.values()].filter((p) => Object.keys(p.alone.failedAttempts).length > 0).map((p) => `N = ${fmtInt(p.subscribers)}: ${Object.entries(p.alone.failedAttempts).map(([type, count]) => `${fmtInt(count)} ${type}`).join(', ')}`).join('; ') || 'none'}.`,
    `Sync chain: validate, geocode, insert, every subscriber, radius filter, render, SMTP (${SEND_CONCURRENCY} in flight, pool of 5 connections), bookkeeping, then 201; posts per N: ${settings.subscribers.map((n) => `${fmtInt(n)} → ${sync.get(n)?.posts.count ?? '—'}`).join(', ')}.`,
    `Every post has its own street number and hour (no conflicts); all subscribers are within their 50-mile radius of every post; ${WARMUP_POSTS} warm-up posts on a trade without subscribers first.`,
    ...[...pattern.values()].filter((p) => p.subscribers > 0).map((p) => `pattern N = ${fmtInt(p.subscribers)}: ${fmtInt(p.background.emails)} new-leed emails stored during the ${p.posts.count} posts (${fmtRate(p.background.emails / (p.background.ms / 1000))} in the background).`),
    '',
    ...targets.map((t) => t.text),
    '',
    `Load average (1 min) ${meta.loadBefore.toFixed(2)} before, ${meta.loadAfter.toFixed(2)} after, on ${cpus().length} cores${meta.loadBefore > cpus().length * 0.5 ? ': other processes were using the CPU, so these numbers are noisy' : ''}. Total ${fmtSeconds(meta.totalMs)}.`,
  ];
  printTable({
    title: `POST /api/leedz with N subscribers of the trade: the pattern vs a synchronous chain (${process.version}, ${cpus().length} cores)`,
    columns: [
      { header: 'subscribers', align: 'right' },
      { header: 'posts', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'alone', align: 'right' },
      { header: 'last stored', align: 'right' },
      { header: 'last SMTP', align: 'right' },
      { header: 'fan-out', align: 'right' },
      { header: 'failed attempts', align: 'right' },
      { header: 'sync posts', align: 'right' },
      { header: 'sync p50', align: 'right' },
      { header: 'sync p99', align: 'right' },
      { header: 'sync emails', align: 'right' },
      { header: 'sync ÷ pattern', align: 'right' },
    ],
    rows,
    notes,
  });
  return targets;
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: NAME,
    summary:
      'Client-observed p50/p99 of POST /api/leedz with N subscribers of the posted trade, on the real server (the asynchronous\n' +
      'controller pattern) and on a synchronous chain that sends every email before it answers; plus the fan-out time (emails/s).',
    options: {
      subscribers: { type: 'string', default: '0,100,1000,10000', valueName: 'LIST', description: 'comma-separated N (subscribers of the posted trade)' },
      posts: { type: 'string', default: '30', valueName: 'P', description: 'measured posts per N for the pattern' },
      'sync-posts': { type: 'string', default: '30', valueName: 'S', description: 'posts per N for the synchronous chain (at most)' },
      'sync-email-budget': { type: 'string', default: '10000', valueName: 'E', description: 'fewer sync posts at large N: min(S, max(3, E ÷ N))' },
      interval: { type: 'string', default: '100', valueName: 'MS', description: 'pattern: one post every MS milliseconds' },
      modes: { type: 'string', default: 'pattern,sync', valueName: 'LIST', description: 'pattern, sync or both' },
      'pool-size': { type: 'string', valueName: 'K', description: "the pattern's LEEDZ_POOL_SIZE (Event invocations at once; default: the server's, 16)" },
      'fan-out-timeout': { type: 'string', default: '600', valueName: 'S', description: 'seconds to wait for one fan-out' },
      'cpu-prof': { type: 'string', valueName: 'DIR', description: 'write V8 CPU profiles of each server child to DIR/<mode>-<N>/' },
      child: { type: 'string', valueName: 'JSON', description: '(internal) run a server in this process' },
      'smtp-sink': { type: 'string', valueName: 'JSON', description: '(internal) run the SMTP sink in this process' },
    },
    details: ['Each (mode, N) runs its server in a fresh child process with its own temp data dir; the SMTP sink runs in another.'],
  });
  if (args['smtp-sink'] !== undefined) return smtpSinkMain();
  if (args.child !== undefined) {
    const config = JSON.parse(args.child) as ChildConfig;
    return childMain(() => (config.mode === 'pattern' ? startPatternServer(config) : startSyncServer(config)));
  }

  const quick = args.quick;
  const modes = args.modes.split(',').map((m) => m.trim()) as Mode[];
  for (const mode of modes) {
    if (mode !== 'pattern' && mode !== 'sync') {
      log(`--modes: unknown mode "${mode}" (pattern, sync)`);
      process.exit(2);
    }
  }
  const subscribers = (quick ? '0,100,1000' : args.subscribers).split(',').map((s) => (s.trim() === '0' ? 0 : intArg(s, 'subscribers')));
  const settings: Settings = {
    subscribers,
    posts: quick ? 10 : intArg(args.posts, 'posts'),
    syncPosts: quick ? 5 : intArg(args['sync-posts'], 'sync-posts'),
    syncEmailBudget: quick ? 3000 : intArg(args['sync-email-budget'], 'sync-email-budget'),
    intervalMs: intArg(args.interval, 'interval'),
    fanOutTimeoutMs: intArg(args['fan-out-timeout'], 'fan-out-timeout') * 1000,
    modes,
    quick,
    cpuProfDir: args['cpu-prof'],
    poolSize: args['pool-size'] === undefined ? undefined : intArg(args['pool-size'], 'pool-size'),
  };

  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const sink = await startSmtpSink(import.meta.url);
  const results: Result[] = [];
  let failed = false;
  try {
    for (const n of subscribers) {
      for (const mode of modes) {
        log(`\n[${NAME}] ${mode}, N = ${fmtInt(n)}`);
        try {
          results.push(await runOne(mode, n, sink, settings));
        } catch (error) {
          failed = true;
          log(`  [${mode} N=${n}] failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  } finally {
    await sink.stop();
  }
  const totalMs = performance.now() - started;
  const loadAfter = loadavg()[0]!;
  const targets = report(results, settings, { loadBefore, loadAfter, totalMs });
  const path = writeResult(NAME, {
    settings: { ...settings, cpus: cpus().length, loadAverage1m: { before: loadBefore, after: loadAfter } },
    targets,
    totalMs,
    results,
  });
  log(`[${NAME}] results: ${path}`);
  if (failed) process.exitCode = 1;
}

onCleanup(() => {}); // install the signal handlers before anything starts
try {
  await main();
} catch (error) {
  log(`[${NAME}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
