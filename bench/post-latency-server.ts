/**
 * The processes and clients of bench/post-latency.ts: the server under test (the real server, or a
 * synchronous chain on the same adapters) with N subscribers of the posted trade, each in a child
 * process forked from this module (`withServer`), and the SMTP sink in another (`startSink`); a
 * client that posts leedz and asks for sign-in links; and watchers that read the outbox and the
 * runtime's log from their own read-only connections.
 *
 * @example
 * await withServer({ mode: 'pattern', subscribers: 10_000, smtpUrl: undefined, poolSize: undefined }, 'fan-out', settings, async (ready) => {
 *   const poster = new Poster(ready.url, ready.token);
 *   await poster.post(TRADE);
 * });
 */
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
import { epochMs, fmtSeconds, log, makeTempDir, onCleanup, progressReporter } from './lib.js';

/** The posted trade, which every subscriber follows. */
export const TRADE = 'dj';
/** A trade nobody follows: warm-up posts exercise the whole path without a fan-out. */
export const WARMUP_TRADE = 'magician';
/** Posts on WARMUP_TRADE before anything is measured. */
export const WARMUP_POSTS = 5;
/** Subscribers live in these Springfield, IL zips (a few miles apart) with a 50-mile radius; posts are in 62701–62704. */
const HOME_ZIPS = ['62701', '62702', '62703', '62704', '62707'];
const POST_ZIPS = ['62701', '62702', '62703', '62704'];
const POSTER_EMAIL = 'poster@example.com';
const MAIL_FROM = 'The Leedz <no-reply@leedz.local>';

export type Mode = 'pattern' | 'sync';

export interface ChildConfig {
  mode: Mode;
  subscribers: number;
  dataDir: string;
  /** SMTP_URL of the server (undefined: emails go to the outbox only). */
  smtpUrl: string | undefined;
  /** LEEDZ_POOL_SIZE of the pattern's server (undefined: the server's default). */
  poolSize: number | undefined;
}

/** What bench/post-latency.ts was asked to do (its options, resolved). */
export interface Settings {
  phases: ('posts' | 'fan-out' | 'backlog')[];
  subscribers: number[];
  posts: number;
  syncPosts: number;
  syncEmailBudget: number;
  intervalMs: number;
  fanOutTimeoutMs: number;
  modes: Mode[];
  fanOutSubscribers: number;
  backlog: { posts: number; subscribers: number; signIns: number; intervalMs: number; timeoutMs: number; sink: 'outbox' | 'smtp' };
  quick: boolean;
  cpuProfDir: string | undefined;
  poolSize: number | undefined;
}

export interface Ready {
  url: string;
  token: string;
  dbPath: string;
  setupMs: number;
}

// ── the server under test ───────────────────────────────────────────────────

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

export async function startPatternServer(config: ChildConfig): Promise<Ready> {
  const started = performance.now();
  const server = await startServer(
    resolveServerConfig({
      PORT: '0',
      LEEDZ_DATA_DIR: config.dataDir,
      LEEDZ_SEED: 'false',
      ...(config.smtpUrl === undefined ? {} : { SMTP_URL: config.smtpUrl }),
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
export async function startSyncServer(config: ChildConfig): Promise<Ready> {
  const started = performance.now();
  const dbPath = join(config.dataDir, 'leedz.db');
  const store: SqliteStore = createSqliteStore({ path: dbPath });
  const geocoder = createZipGeocoder();
  const identity = createLocalIdentity({ db: store.db, keyDir: join(config.dataDir, 'keys') });
  if (config.smtpUrl === undefined) throw new Error('the synchronous chain sends by SMTP: it needs an SMTP URL');
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

// ── the client ──────────────────────────────────────────────────────────────

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

export class Poster {
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

  /** POST /api/auth/login for `email`; resolves with when it was sent (epoch ms) and how long the answer took. */
  async signIn(email: string): Promise<{ sentAt: number; ms: number }> {
    const sentAt = epochMs();
    const t0 = performance.now();
    const response = await this.pool.request({ path: '/api/auth/login', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
    const text = await response.body.text();
    if (response.statusCode !== 202) throw new Error(`POST /api/auth/login answered ${response.statusCode}: ${text}`);
    return { sentAt, ms: performance.now() - t0 };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

// ── watchers ────────────────────────────────────────────────────────────────

/** Count the new-leed emails of one leed in the outbox (a range of the UNIQUE key index) from another connection. */
export function outboxWatcher(dbPath: string) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const ofLeed = db.prepare<[string, string], { n: number; last: string | null }>('SELECT count(*) AS n, max(created_at) AS last FROM email_outbox WHERE key > ? AND key < ?');
  const newLeed = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM email_outbox WHERE kind = 'new-leed'");
  const magicLink = db.prepare<[string], { created_at: string }>(`SELECT created_at FROM email_outbox WHERE "to" = ? AND kind = 'magic-link' ORDER BY id DESC LIMIT 1`);
  return {
    /** When the newest sign-in email to `email` was stored (epoch ms), or undefined. */
    magicLinkAt: (email: string) => {
      const row = magicLink.get(email);
      return row === undefined ? undefined : Date.parse(row.created_at);
    },
    ofLeed: (id: string) => ofLeed.get(`${id}:`, `${id};`)!,
    newLeedEmails: () => newLeed.get()!.n,
    close: () => db.close(),
  };
}

/** The runtime's own log (runtime.db), read from another connection: what the fan-out's invocations did. */
export function runtimeWatcher(dbPath: string) {
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

// ── shared by the phases ────────────────────────────────────────────────────

/** Run `use` against a fresh server child (its own temp data dir), then stop it (it exits without waiting for queued emails). */
export async function withServer<T>(config: Omit<ChildConfig, 'dataDir'>, label: string, settings: Settings, use: (ready: Ready, config: ChildConfig) => Promise<T>): Promise<T> {
  const dir = makeTempDir(`post-${label}`);
  const full: ChildConfig = { ...config, dataDir: dir.path };
  const execArgv = settings.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(settings.cpuProfDir, label)}`];
  const child = forkChild<Ready>(import.meta.url, full, { execArgv });
  try {
    const ready = await child.ready;
    log(`  [${label}] server ready in ${fmtSeconds(ready.setupMs)}`);
    return await use(ready, full);
  } finally {
    await child.stop(settings.cpuProfDir === undefined ? 2000 : 60_000);
    dir.remove();
  }
}

/** Resolve at `at` (a performance.now() time), at once if that has passed. */
export async function sleepUntil(at: number): Promise<void> {
  const wait = at - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** A target of the issue, met or not, as the JSON results and the table's last lines give it. */
export interface Target {
  name: string;
  value: number | null;
  met: boolean | null;
  text: string;
}


// ── the processes ───────────────────────────────────────────────────────────

/** The SMTP sink, in a process of its own (this module, with `--smtp-sink`). */
export function startSink(): Promise<SmtpSink> {
  return startSmtpSink(import.meta.url);
}

// Forked with `--child JSON` (a server) or `--smtp-sink` (the sink); imported by the bench otherwise.
if (process.argv[1]?.endsWith('post-latency-server.ts')) {
  onCleanup(() => {}); // install the signal handlers before anything starts
  const childFlag = process.argv.indexOf('--child');
  if (process.argv.includes('--smtp-sink')) await smtpSinkMain();
  else if (childFlag >= 0 && process.argv[childFlag + 1] !== undefined) {
    const config = JSON.parse(process.argv[childFlag + 1]!) as ChildConfig;
    await childMain(() => (config.mode === 'pattern' ? startPatternServer(config) : startSyncServer(config)));
  }
}
