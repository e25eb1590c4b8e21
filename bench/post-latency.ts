/**
 * Posting a leed, and what follows it. Three phases, each on the real server (`startServer`, temp
 * data dir, `LEEDZ_SEED=false`) in a fresh child process:
 *
 * 1. **posts**: how long a client waits for `POST /api/leedz` when the posted trade has N
 *    subscribers (0, 100, 1,000, 10,000; all within range), on the pattern (the post answers after
 *    the store commit; the fan-out runs afterwards in the controllers) and on **a synchronous chain**
 *    (a small hono route on the same adapters that awaits the same work — validate, geocode, insert,
 *    every subscriber, radius filter, render, SMTP, bookkeeping — before it answers). Per N: one post
 *    alone, then the time to its last email; then P posts, one every `--interval` ms, while the
 *    fan-outs of the earlier ones run (p50/p99). The synchronous chain: S posts one after another.
 * 2. **fan-out**: one post to N subscribers (10,000), and the emails/s of its fan-out into the outbox
 *    alone (no `SMTP_URL`) and into a local SMTP sink (`SMTP_URL` set; every email also stored).
 * 3. **backlog**: P posts × N subscribers (30 × 10,000 = 300,000 emails) queued at once, then K
 *    sign-ins (`POST /api/auth/login`, one every `--sign-in-interval` ms): the time from each request
 *    to its magic-link email in the outbox, and how much of the backlog was still to send.
 *
 * The SMTP sink (discards every message) runs in a process of its own, and the client (undici, one
 * keep-alive connection) in this one; the outbox and the runtime's log are read from here through
 * read-only connections.
 *
 * @example
 * npx tsx bench/post-latency.ts
 * npx tsx bench/post-latency.ts --phases fan-out,backlog
 * npx tsx bench/post-latency.ts --subscribers 0,1000 --posts 50 --phases posts
 * npx tsx bench/post-latency.ts --quick
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { childMain, forkChild, smtpSinkMain, startSmtpSink, type SmtpSink } from './child-process.js';
import {
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
  summarize,
  writeResult,
  type Summary,
} from './lib.js';
import { SEND_CONCURRENCY } from '../src/leedz/controllers/email-helper.js';
import { outboxWatcher, Poster, runtimeWatcher, startPatternServer, startSyncServer, TRADE, WARMUP_TRADE, type ChildConfig, type Mode, type Ready } from './post-latency-server.js';

const NAME = 'post-latency';
const WARMUP_POSTS = 5;
const PHASES = ['posts', 'fan-out', 'backlog'] as const;
type Phase = (typeof PHASES)[number];
/** The server allows 30 sign-in requests per client in 15 minutes; the poster's own sign-in is one. */
const MAX_SIGN_INS = 25;

interface Settings {
  phases: Phase[];
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

/** Run `use` against a fresh server child (its own temp data dir), then stop it (it exits without waiting for queued emails). */
async function withServer<T>(config: Omit<ChildConfig, 'dataDir'>, label: string, settings: Settings, use: (ready: Ready, config: ChildConfig) => Promise<T>): Promise<T> {
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

// ── the fan-out of one post ─────────────────────────────────────────────────

interface FanOut {
  postMs: number;
  /** Emails of its fan-out stored in the outbox, and accepted by the SMTP server (null: no SMTP). */
  emails: number;
  smtpAccepted: number | null;
  /** Whether all N arrived (false: the runtime gave up on some batches, or the timeout passed). */
  complete: boolean;
  lastStoredMs: number;
  lastSmtpMs: number | null;
  emailsPerSecond: number;
  /** Failed attempts of the fan-out's invocations, by error type (e.g. Sandbox.Timedout). */
  failedAttempts: Record<string, number>;
  deadLetters: number;
}

/** Post once; wait for the last email of its fan-out in the outbox (and at the SMTP sink), or until the runtime has nothing left to run. */
async function fanOut(poster: Poster, config: ChildConfig, ready: Ready, sink: SmtpSink | undefined, timeoutMs: number, label: string): Promise<FanOut> {
  const n = config.subscribers;
  const watcher = outboxWatcher(ready.dbPath);
  const runtime = runtimeWatcher(join(config.dataDir, 'runtime.db'));
  try {
    const smtpBefore = sink === undefined ? 0 : (await sink.stats()).count;
    const smtpCount = async () => (sink === undefined ? n : (await sink.stats()).count - smtpBefore);
    const post = await poster.post(TRADE);
    const progress = progressReporter(`${label} fan-out`, Math.max(1, n), 10);
    const deadline = performance.now() + timeoutMs;
    let stored = watcher.ofLeed(post.id);
    let smtp = await smtpCount();
    let idleSince: number | undefined;
    let complete = true;
    while (stored.n < n || smtp < n) {
      if (performance.now() > deadline) {
        complete = false;
        log(`  [${label}] fan-out not done after ${fmtMs(timeoutMs)}: ${fmtInt(stored.n)} stored${sink === undefined ? '' : `, ${fmtInt(smtp)} accepted by SMTP`}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, n > 1000 ? 50 : 5));
      stored = watcher.ofLeed(post.id);
      smtp = await smtpCount();
      if (n > 0) progress(Math.min(stored.n, smtp));
      if (runtime.pending() > 0) idleSince = undefined;
      else if (idleSince === undefined) idleSince = performance.now();
      else if (performance.now() - idleSince > 2000) {
        complete = false;
        log(`  [${label}] the runtime has nothing left to run, but only ${fmtInt(stored.n)} of ${fmtInt(n)} emails were stored`);
        break;
      }
    }
    const lastStoredMs = stored.last === null ? Number.NaN : Date.parse(stored.last) - post.sentAt;
    const lastSmtpMs = sink === undefined ? null : smtp === 0 ? Number.NaN : (await sink.stats()).lastAt - post.sentAt;
    const failedAttempts = runtime.failedAttempts();
    const deadLetters = runtime.deadLetters();
    if (Object.keys(failedAttempts).length > 0) log(`  [${label}] failed attempts during the fan-out: ${JSON.stringify(failedAttempts)}; dead letters: ${deadLetters}`);
    return {
      postMs: post.ms,
      emails: stored.n,
      smtpAccepted: sink === undefined ? null : smtp,
      complete,
      lastStoredMs,
      lastSmtpMs,
      emailsPerSecond: n === 0 ? Number.NaN : stored.n / (Math.max(lastStoredMs, lastSmtpMs ?? 0) / 1000),
      failedAttempts,
      deadLetters,
    };
  } finally {
    runtime.close();
    watcher.close();
  }
}

// ── phase 1: posts, the pattern and the synchronous chain ───────────────────

interface PatternResult {
  mode: 'pattern';
  subscribers: number;
  setupMs: number;
  /** The post made alone, and its fan-out. */
  alone: FanOut;
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

type PostsResult = PatternResult | SyncResult;

async function sleepUntil(at: number): Promise<void> {
  const wait = at - performance.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

async function runPattern(config: ChildConfig, ready: Ready, sink: SmtpSink, settings: Settings): Promise<PatternResult> {
  const poster = new Poster(ready.url, ready.token);
  const watcher = outboxWatcher(ready.dbPath);
  try {
    for (let i = 0; i < WARMUP_POSTS; i++) await poster.post(WARMUP_TRADE);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const alone = await fanOut(poster, config, ready, sink, settings.fanOutTimeoutMs, `pattern N=${fmtInt(config.subscribers)}`);
    // Let the runtime finish its bookkeeping of the fan-out before the next phase.
    await new Promise((resolve) => setTimeout(resolve, 300));

    // P posts at a steady pace while the fan-outs of the earlier ones run.
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
      subscribers: config.subscribers,
      setupMs: ready.setupMs,
      alone,
      posts: summarize(latencies),
      intervalMs: settings.intervalMs,
      background: { emails: emailsAfter - emailsBefore, ms: phaseMs },
    };
  } finally {
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

/** Posts of the synchronous chain at N: `syncPosts`, fewer when that would send more than the budget (at least 3). */
function syncPostsFor(n: number, settings: Settings): number {
  if (n === 0) return settings.syncPosts;
  return Math.min(settings.syncPosts, Math.max(3, Math.floor(settings.syncEmailBudget / n)));
}

async function runPostsPhase(sink: SmtpSink, settings: Settings): Promise<{ results: PostsResult[]; failed: boolean }> {
  const results: PostsResult[] = [];
  let failed = false;
  for (const n of settings.subscribers) {
    for (const mode of settings.modes) {
      log(`\n[${NAME}] posts: ${mode}, N = ${fmtInt(n)}`);
      try {
        const config = { mode, subscribers: n, smtpUrl: sink.url, poolSize: settings.poolSize };
        results.push(
          await withServer(config, `${mode}-${n}`, settings, (ready, full): Promise<PostsResult> =>
            mode === 'pattern' ? runPattern(full, ready, sink, settings) : runSync(full, ready, sink, syncPostsFor(n, settings)),
          ),
        );
      } catch (error) {
        failed = true;
        log(`  [${mode} N=${n}] failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  return { results, failed };
}

// ── phase 2: fan-out into the outbox, and into SMTP ─────────────────────────

interface FanOutResult {
  sink: 'outbox' | 'smtp';
  subscribers: number;
  fanOut: FanOut;
}

async function runFanOutPhase(sink: SmtpSink, settings: Settings): Promise<{ results: FanOutResult[]; failed: boolean }> {
  const results: FanOutResult[] = [];
  let failed = false;
  const n = settings.fanOutSubscribers;
  for (const target of ['outbox', 'smtp'] as const) {
    log(`\n[${NAME}] fan-out: ${fmtInt(n)} subscribers, into ${target === 'outbox' ? 'the outbox (no SMTP_URL)' : 'the outbox and the SMTP sink'}`);
    try {
      const config = { mode: 'pattern' as const, subscribers: n, smtpUrl: target === 'smtp' ? sink.url : undefined, poolSize: settings.poolSize };
      const fanned = await withServer(config, `fan-out-${target}-${n}`, settings, async (ready, full) => {
        const poster = new Poster(ready.url, ready.token);
        try {
          for (let i = 0; i < WARMUP_POSTS; i++) await poster.post(WARMUP_TRADE);
          await new Promise((resolve) => setTimeout(resolve, 300));
          return await fanOut(poster, full, ready, target === 'smtp' ? sink : undefined, settings.fanOutTimeoutMs, `${target} N=${fmtInt(n)}`);
        } finally {
          await poster.close();
        }
      });
      log(`  ${fmtInt(fanned.emails)} emails in ${fmtMs(Math.max(fanned.lastStoredMs, fanned.lastSmtpMs ?? 0))}: ${fmtRate(fanned.emailsPerSecond)}`);
      results.push({ sink: target, subscribers: n, fanOut: fanned });
    } catch (error) {
      failed = true;
      log(`  [fan-out ${target}] failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { results, failed };
}

// ── phase 3: sign-ins during a backlog ──────────────────────────────────────

interface SignIn {
  /** Seconds after the backlog was queued that the request was sent. */
  atSeconds: number;
  /** The login request's own answer (202). */
  requestMs: number;
  /** From sending the request to its magic-link email stored in the outbox (NaN: it never came). */
  latencyMs: number;
  /** New-leed emails of the backlog still to be stored when the request was sent, and when its email arrived. */
  backlogAtSend: number;
  backlogAtArrival: number | null;
}

interface BacklogResult {
  posts: number;
  subscribers: number;
  sink: 'outbox' | 'smtp';
  /** Emails queued: posts × subscribers. */
  emails: number;
  /** Time to make the posts, and until the backlog stopped growing in the runtime's queue. */
  postingMs: number;
  queuedEvents: number;
  signIns: SignIn[];
  latency: Summary;
}

async function runBacklogPhase(sink: SmtpSink, settings: Settings): Promise<{ result: BacklogResult | undefined; failed: boolean }> {
  const { posts, subscribers, signIns, intervalMs, timeoutMs } = settings.backlog;
  const emails = posts * subscribers;
  log(`\n[${NAME}] backlog: ${posts} posts × ${fmtInt(subscribers)} subscribers = ${fmtInt(emails)} emails, then ${signIns} sign-ins, one every ${fmtMs(intervalMs)}`);
  try {
    const config = { mode: 'pattern' as const, subscribers, smtpUrl: settings.backlog.sink === 'smtp' ? sink.url : undefined, poolSize: settings.poolSize };
    const result = await withServer(config, `backlog-${posts}x${subscribers}`, settings, async (ready, full): Promise<BacklogResult> => {
      const poster = new Poster(ready.url, ready.token);
      const watcher = outboxWatcher(ready.dbPath);
      const runtime = runtimeWatcher(join(full.dataDir, 'runtime.db'));
      try {
        for (let i = 0; i < WARMUP_POSTS; i++) await poster.post(WARMUP_TRADE);
        const postingStart = performance.now();
        const ids: string[] = [];
        for (let i = 0; i < posts; i++) ids.push((await poster.post(TRADE)).id);
        // Queued: once the runtime's queue stops growing (each post's plan has fanned out into batches).
        let queued = runtime.pending();
        for (let quietSince = performance.now(); performance.now() - quietSince < 1000 && performance.now() - postingStart < 30_000; ) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          const now = runtime.pending();
          if (now > queued) quietSince = performance.now();
          queued = Math.max(queued, now);
        }
        const postingMs = performance.now() - postingStart;
        const backlogLeft = () => emails - ids.reduce((sum, id) => sum + watcher.ofLeed(id).n, 0);
        log(`  ${posts} posts answered and ${fmtInt(queued)} Event invocations queued in ${fmtSeconds(postingMs)}; ${fmtInt(backlogLeft())} emails still to send`);

        const queuedAt = performance.now();
        const pending = Array.from({ length: signIns }, async (_, k): Promise<SignIn> => {
          await sleepUntil(queuedAt + k * intervalMs);
          const email = `signin${k + 1}@example.com`;
          const atSeconds = (performance.now() - queuedAt) / 1000;
          const backlogAtSend = backlogLeft();
          const sent = await poster.signIn(email);
          const deadline = performance.now() + timeoutMs;
          for (;;) {
            const storedAt = watcher.magicLinkAt(email);
            if (storedAt !== undefined) {
              const latencyMs = storedAt - sent.sentAt;
              const backlogAtArrival = backlogLeft();
              log(`  sign-in ${k + 1}: ${fmtMs(latencyMs)} (sent with ${fmtInt(backlogAtSend)} emails to go, arrived with ${fmtInt(backlogAtArrival)})`);
              return { atSeconds, requestMs: sent.ms, latencyMs, backlogAtSend, backlogAtArrival };
            }
            if (performance.now() > deadline) {
              log(`  sign-in ${k + 1}: no email after ${fmtMs(timeoutMs)}`);
              return { atSeconds, requestMs: sent.ms, latencyMs: Number.NaN, backlogAtSend, backlogAtArrival: null };
            }
            await new Promise((resolve) => setTimeout(resolve, 25));
          }
        });
        const done = await Promise.all(pending);
        const arrived = done.filter((s) => Number.isFinite(s.latencyMs)).map((s) => s.latencyMs);
        return { posts, subscribers, sink: settings.backlog.sink, emails, postingMs, queuedEvents: queued, signIns: done, latency: summarize(arrived) };
      } finally {
        runtime.close();
        watcher.close();
        await poster.close();
      }
    });
    return { result, failed: result.signIns.some((s) => !Number.isFinite(s.latencyMs)) };
  } catch (error) {
    log(`  [backlog] failed: ${error instanceof Error ? error.message : String(error)}`);
    return { result: undefined, failed: true };
  }
}

// ── report ──────────────────────────────────────────────────────────────────

interface Target {
  name: string;
  value: number | null;
  met: boolean | null;
  text: string;
}

/** Failed attempts of the fan-out's invocations, and dead letters: `0`, or `64, 12 DLQ`. */
function failures(f: FanOut): string {
  const total = Object.values(f.failedAttempts).reduce((a, b) => a + b, 0);
  return f.deadLetters > 0 ? `${fmtInt(total)}, ${fmtInt(f.deadLetters)} DLQ` : fmtInt(total);
}

function reportPosts(results: PostsResult[], settings: Settings): Target[] {
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
      p && n > 0 ? fmtMs(p.alone.lastSmtpMs ?? Number.NaN) : '—',
      p && n > 0 ? (p.alone.complete ? fmtRate(p.alone.emailsPerSecond) : `only ${fmtInt(p.alone.emails)}`) : '—',
      p ? failures(p.alone) : '—',
      s ? String(s.posts.count) : '—',
      s ? fmtMs(s.posts.p50) : '—',
      s ? fmtMs(s.posts.p99) : '—',
      s && n > 0 ? fmtRate(n / (s.posts.p50 / 1000)) : '—',
      p && s ? fmtRatio(s.posts.p50 / p.posts.p50) : '—',
    ];
  });

  const targets: Target[] = [];
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
    `Pattern: the real server (LEEDZ_POOL_SIZE ${settings.poolSize ?? '16, the default'}, SMTP_URL at the sink); ${settings.posts} posts per N, one every ${settings.intervalMs} ms, while the fan-outs of the earlier posts run in the same process (their own P × N emails are not waited for).`,
    `"alone": one post on an idle server, then the time from sending it until the last email of its fan-out was stored in the outbox / accepted by the SMTP server; "fan-out" = emails ÷ the later of the two ("only K": K of N emails ever arrived).`,
    `"failed attempts": attempts of the fan-out's invocations that failed (retried after 60 s and 120 s as on Lambda; "DLQ": dead-lettered after the last) — ${[...pattern.values()].filter((p) => Object.keys(p.alone.failedAttempts).length > 0).map((p) => `N = ${fmtInt(p.subscribers)}: ${Object.entries(p.alone.failedAttempts).map(([type, count]) => `${fmtInt(count)} ${type}`).join(', ')}`).join('; ') || 'none'}.`,
    `Sync chain: validate, geocode, insert, every subscriber, radius filter, render, SMTP (${SEND_CONCURRENCY} in flight, pool of 5 connections), bookkeeping, then 201; posts per N: ${settings.subscribers.map((n) => `${fmtInt(n)} → ${sync.get(n)?.posts.count ?? '—'}`).join(', ')}.`,
    `Every post has its own street number and hour (no conflicts); all subscribers are within their 50-mile radius of every post; ${WARMUP_POSTS} warm-up posts on a trade without subscribers first.`,
    ...[...pattern.values()].filter((p) => p.subscribers > 0).map((p) => `pattern N = ${fmtInt(p.subscribers)}: ${fmtInt(p.background.emails)} new-leed emails stored during the ${p.posts.count} posts (${fmtRate(p.background.emails / (p.background.ms / 1000))} in the background).`),
    '',
    ...targets.map((t) => t.text),
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

const FAN_OUT_TARGETS = { outbox: 10_000, smtp: 3_000 } as const;

function reportFanOut(results: FanOutResult[], settings: Settings): Target[] {
  const targets = results.map((r): Target => {
    const goal = FAN_OUT_TARGETS[r.sink];
    const value = r.fanOut.complete ? r.fanOut.emailsPerSecond : Number.NaN;
    const met = Number.isFinite(value) ? value >= goal : false;
    const where = r.sink === 'outbox' ? 'into the outbox' : 'to the SMTP sink';
    return { name: `fan-out ${where} at ${fmtInt(r.subscribers)} subscribers ≥ ${fmtInt(goal)}/s`, value: Number.isFinite(value) ? value : null, met, text: `Target: fan-out ${where} at ${fmtInt(r.subscribers)} subscribers ≥ ${fmtRate(goal)}: ${fmtRate(value)} (${fmtRatio(value / goal)} of it) — ${met ? 'MET' : 'NOT MET'}` };
  });
  printTable({
    title: `Fan-out: one post to ${fmtInt(settings.fanOutSubscribers)} subscribers, emails/s (${process.version}, ${cpus().length} cores)`,
    columns: [
      { header: 'into' },
      { header: 'subscribers', align: 'right' },
      { header: 'post', align: 'right' },
      { header: 'stored', align: 'right' },
      { header: 'accepted by SMTP', align: 'right' },
      { header: 'last stored', align: 'right' },
      { header: 'last SMTP', align: 'right' },
      { header: 'emails/s', align: 'right' },
      { header: 'target', align: 'right' },
      { header: '× target', align: 'right' },
      { header: 'failed attempts', align: 'right' },
    ],
    rows: results.map((r) => [
      r.sink === 'outbox' ? 'outbox only (no SMTP_URL)' : 'outbox + SMTP sink',
      fmtInt(r.subscribers),
      fmtMs(r.fanOut.postMs),
      fmtInt(r.fanOut.emails),
      r.fanOut.smtpAccepted === null ? '—' : fmtInt(r.fanOut.smtpAccepted),
      fmtMs(r.fanOut.lastStoredMs),
      r.fanOut.lastSmtpMs === null ? '—' : fmtMs(r.fanOut.lastSmtpMs),
      r.fanOut.complete ? fmtRate(r.fanOut.emailsPerSecond) : `only ${fmtInt(r.fanOut.emails)}`,
      fmtRate(FAN_OUT_TARGETS[r.sink]),
      fmtRatio(r.fanOut.emailsPerSecond / FAN_OUT_TARGETS[r.sink]),
      failures(r.fanOut),
    ]),
    notes: [
      `One post (after ${WARMUP_POSTS} warm-up posts on a trade without subscribers) on an idle server (LEEDZ_POOL_SIZE ${settings.poolSize ?? '16, the default'}); emails/s = N ÷ (post sent → the last of its emails stored, and accepted by the SMTP sink when there is one).`,
      'The SMTP sink: smtp-server in a process of its own, no auth, no STARTTLS, every message discarded after it is read.',
      '',
      ...targets.map((t) => t.text),
    ],
  });
  return targets;
}

function reportBacklog(result: BacklogResult): Target[] {
  const ok = Number.isFinite(result.latency.max) && result.latency.count === result.signIns.length;
  const target: Target = {
    name: `sign-in email within 1 s during a ${fmtInt(result.emails)}-email backlog (max)`,
    value: ok ? result.latency.max : null,
    met: ok ? result.latency.max <= 1000 : false,
    text: `Target: a sign-in email within 1 s during a ${fmtInt(result.emails)}-email backlog: p50 ${fmtMs(result.latency.p50)}, max ${fmtMs(result.latency.max)}${ok ? '' : ` (${result.signIns.length - result.latency.count} never arrived)`} — ${ok && result.latency.max <= 1000 ? 'MET' : 'NOT MET'}`,
  };
  printTable({
    title: `Sign-in during a backlog: ${result.posts} posts × ${fmtInt(result.subscribers)} subscribers = ${fmtInt(result.emails)} emails queued, then POST /api/auth/login → the magic-link email in the outbox (${process.version}, ${cpus().length} cores)`,
    columns: [
      { header: 'sign-in', align: 'right' },
      { header: 'sent at', align: 'right' },
      { header: 'login answered', align: 'right' },
      { header: 'email after', align: 'right' },
      { header: 'backlog at send', align: 'right' },
      { header: 'backlog at arrival', align: 'right' },
    ],
    rows: result.signIns.map((s, i) => [
      String(i + 1),
      `${s.atSeconds.toFixed(1)} s`,
      fmtMs(s.requestMs),
      Number.isFinite(s.latencyMs) ? fmtMs(s.latencyMs) : 'never',
      `${fmtInt(s.backlogAtSend)} emails`,
      s.backlogAtArrival === null ? '—' : `${fmtInt(s.backlogAtArrival)} emails`,
    ]),
    notes: [
      `The real server (${result.sink === 'smtp' ? 'SMTP_URL at the sink' : 'outbox only, no SMTP_URL'}); ${result.posts} posts to a trade with ${fmtInt(result.subscribers)} subscribers, answered and fanned out into ${fmtInt(result.queuedEvents)} queued Event invocations in ${fmtSeconds(result.postingMs)};`,
      '  then the sign-ins, each for its own address; "email after": from sending the login request to its email stored in the outbox (created_at, polled every 25 ms);',
      '  "backlog": new-leed emails of those posts not yet stored. The server is stopped once the last sign-in email arrived (the rest of the backlog is not waited for).',
      `Sign-in email: p50 ${fmtMs(result.latency.p50)}, max ${fmtMs(result.latency.max)} over ${result.latency.count} sign-ins.`,
      '',
      target.text,
    ],
  });
  return [target];
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: NAME,
    summary:
      'Client-observed p50/p99 of POST /api/leedz with N subscribers of the posted trade, on the real server (the asynchronous controller pattern)\n' +
      'and on a synchronous chain; the fan-out emails/s into the outbox and into an SMTP sink; a sign-in email\'s latency during a large backlog.',
    options: {
      phases: { type: 'string', default: PHASES.join(','), valueName: 'LIST', description: `comma-separated phases: ${PHASES.join(', ')}` },
      subscribers: { type: 'string', default: '0,100,1000,10000', valueName: 'LIST', description: 'posts: comma-separated N (subscribers of the posted trade)' },
      posts: { type: 'string', default: '30', valueName: 'P', description: 'posts: measured posts per N for the pattern' },
      'sync-posts': { type: 'string', default: '30', valueName: 'S', description: 'posts: posts per N for the synchronous chain (at most)' },
      'sync-email-budget': { type: 'string', default: '10000', valueName: 'E', description: 'posts: fewer sync posts at large N: min(S, max(3, E ÷ N))' },
      interval: { type: 'string', default: '100', valueName: 'MS', description: 'posts: the pattern gets one post every MS milliseconds' },
      modes: { type: 'string', default: 'pattern,sync', valueName: 'LIST', description: 'posts: pattern, sync or both' },
      'fan-out-subscribers': { type: 'string', default: '10000', valueName: 'N', description: 'fan-out: subscribers of the posted trade' },
      'fan-out-timeout': { type: 'string', default: '600', valueName: 'S', description: 'seconds to wait for one fan-out' },
      'backlog-posts': { type: 'string', default: '30', valueName: 'P', description: 'backlog: posts queued at once' },
      'backlog-subscribers': { type: 'string', default: '10000', valueName: 'N', description: 'backlog: subscribers of their trade' },
      'backlog-sink': { type: 'string', default: 'outbox', valueName: 'outbox|smtp', description: 'backlog: the server sends by SMTP too, or not' },
      'sign-ins': { type: 'string', default: '5', valueName: 'K', description: `backlog: sign-ins (at most ${MAX_SIGN_INS})` },
      'sign-in-interval': { type: 'string', default: '2000', valueName: 'MS', description: 'backlog: one sign-in every MS milliseconds' },
      'sign-in-timeout': { type: 'string', default: '1200', valueName: 'S', description: 'backlog: seconds to wait for one sign-in email' },
      'pool-size': { type: 'string', valueName: 'K', description: "the server's LEEDZ_POOL_SIZE (Event invocations at once; default: the server's, 16)" },
      'cpu-prof': { type: 'string', valueName: 'DIR', description: 'write V8 CPU profiles of each server child to DIR/<label>/' },
      child: { type: 'string', valueName: 'JSON', description: '(internal) run a server in this process' },
      'smtp-sink': { type: 'string', valueName: 'JSON', description: '(internal) run the SMTP sink in this process' },
    },
    details: ['Each server runs in a fresh child process with its own temp data dir; the SMTP sink runs in another.'],
  });
  if (args['smtp-sink'] !== undefined) return smtpSinkMain();
  if (args.child !== undefined) {
    const config = JSON.parse(args.child) as ChildConfig;
    return childMain(() => (config.mode === 'pattern' ? startPatternServer(config) : startSyncServer(config)));
  }

  const quick = args.quick;
  const phases = args.phases.split(',').map((p) => p.trim()) as Phase[];
  const modes = args.modes.split(',').map((m) => m.trim()) as Mode[];
  for (const phase of phases) if (!PHASES.includes(phase)) fail(`--phases: unknown phase "${phase}" (${PHASES.join(', ')})`);
  for (const mode of modes) if (mode !== 'pattern' && mode !== 'sync') fail(`--modes: unknown mode "${mode}" (pattern, sync)`);
  const backlogSink = args['backlog-sink'];
  if (backlogSink !== 'outbox' && backlogSink !== 'smtp') fail(`--backlog-sink: expected outbox or smtp, got "${backlogSink}"`);
  const signIns = quick ? 3 : intArg(args['sign-ins'], 'sign-ins');
  if (signIns > MAX_SIGN_INS) fail(`--sign-ins: at most ${MAX_SIGN_INS} (the server's per-client sign-in limit)`);
  const settings: Settings = {
    phases,
    subscribers: (quick ? '0,100,1000' : args.subscribers).split(',').map((s) => (s.trim() === '0' ? 0 : intArg(s, 'subscribers'))),
    posts: quick ? 10 : intArg(args.posts, 'posts'),
    syncPosts: quick ? 5 : intArg(args['sync-posts'], 'sync-posts'),
    syncEmailBudget: quick ? 3000 : intArg(args['sync-email-budget'], 'sync-email-budget'),
    intervalMs: intArg(args.interval, 'interval'),
    fanOutTimeoutMs: intArg(args['fan-out-timeout'], 'fan-out-timeout') * 1000,
    modes,
    fanOutSubscribers: quick ? 1000 : intArg(args['fan-out-subscribers'], 'fan-out-subscribers'),
    backlog: {
      posts: quick ? 3 : intArg(args['backlog-posts'], 'backlog-posts'),
      subscribers: quick ? 1000 : intArg(args['backlog-subscribers'], 'backlog-subscribers'),
      signIns,
      intervalMs: quick ? 200 : intArg(args['sign-in-interval'], 'sign-in-interval'),
      timeoutMs: intArg(args['sign-in-timeout'], 'sign-in-timeout') * 1000,
      sink: backlogSink,
    },
    quick,
    cpuProfDir: args['cpu-prof'],
    poolSize: args['pool-size'] === undefined ? undefined : intArg(args['pool-size'], 'pool-size'),
  };

  const started = performance.now();
  const loads: Record<string, { before: number; after: number }> = {};
  const measured = async <T>(phase: Phase, run: () => Promise<T>): Promise<T> => {
    const before = loadavg()[0]!;
    try {
      return await run();
    } finally {
      loads[phase] = { before, after: loadavg()[0]! };
    }
  };
  const sink = await startSmtpSink(import.meta.url);
  let posts: { results: PostsResult[]; failed: boolean } | undefined;
  let fanOuts: { results: FanOutResult[]; failed: boolean } | undefined;
  let backlog: { result: BacklogResult | undefined; failed: boolean } | undefined;
  try {
    if (phases.includes('posts')) posts = await measured('posts', () => runPostsPhase(sink, settings));
    if (phases.includes('fan-out')) fanOuts = await measured('fan-out', () => runFanOutPhase(sink, settings));
    if (phases.includes('backlog')) backlog = await measured('backlog', () => runBacklogPhase(sink, settings));
  } finally {
    await sink.stop();
  }
  const totalMs = performance.now() - started;
  const targets: Target[] = [];
  const withLoad = (phase: Phase, report: () => Target[]) => {
    const found = report();
    const load = loads[phase]!;
    process.stdout.write(`${loadNote(load.before, load.after)}\n`);
    targets.push(...found);
  };
  if (posts) withLoad('posts', () => reportPosts(posts.results, settings));
  if (fanOuts) withLoad('fan-out', () => reportFanOut(fanOuts.results, settings));
  if (backlog?.result) withLoad('backlog', () => reportBacklog(backlog.result!));
  process.stdout.write(`\nTotal ${fmtSeconds(totalMs)}.\n`);
  const path = writeResult(NAME, {
    settings: { ...settings, cpus: cpus().length },
    loadAverage1m: loads,
    targets,
    totalMs,
    posts: posts?.results ?? null,
    fanOut: fanOuts?.results ?? null,
    backlog: backlog?.result ?? null,
  });
  log(`[${NAME}] results: ${path}`);
  if (posts?.failed || fanOuts?.failed || backlog?.failed) process.exitCode = 1;
}

function fail(message: string): never {
  log(message);
  process.exit(2);
}

onCleanup(() => {}); // install the signal handlers before anything starts
try {
  await main();
} catch (error) {
  log(`[${NAME}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
