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
 * read-only connections. The servers, the client and the watchers are in bench/post-latency-server.ts,
 * phases 2 and 3 in bench/post-latency-fan-out.ts.
 *
 * @example
 * npx tsx bench/post-latency.ts
 * npx tsx bench/post-latency.ts --phases fan-out,backlog
 * npx tsx bench/post-latency.ts --subscribers 0,1000 --posts 50 --phases posts
 * npx tsx bench/post-latency.ts --quick
 */
import { cpus, loadavg } from 'node:os';
import { SEND_CONCURRENCY } from '../src/leedz/controllers/email-helper.js';
import type { SmtpSink } from './child-process.js';
import { fmtInt, fmtMs, fmtRate, fmtRatio, fmtSeconds, intArg, loadNote, log, onCleanup, parseBenchArgs, printTable, progressReporter, summarize, writeResult, type Summary } from './lib.js';
import { failures, fanOut, reportBacklog, reportFanOut, runBacklogPhase, runFanOutPhase, type BacklogResult, type FanOut, type FanOutResult } from './post-latency-fan-out.js';
import {
  outboxWatcher,
  Poster,
  sleepUntil,
  startSink,
  TRADE,
  WARMUP_POSTS,
  WARMUP_TRADE,
  withServer,
  type ChildConfig,
  type Mode,
  type Ready,
  type Settings,
  type Target,
} from './post-latency-server.js';

const NAME = 'post-latency';
const PHASES = ['posts', 'fan-out', 'backlog'] as const;
type Phase = (typeof PHASES)[number];
/** The server allows 30 sign-in requests per client in 15 minutes; the poster's own sign-in is one. */
const MAX_SIGN_INS = 25;

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

// ── report ──────────────────────────────────────────────────────────────────

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
    `Sync chain: validate, geocode, insert, every subscriber, radius filter, render, SMTP (${SEND_CONCURRENCY} in flight, the SMTP mailer's pool of 8 pipelined connections), bookkeeping, then 201; posts per N: ${settings.subscribers.map((n) => `${fmtInt(n)} → ${sync.get(n)?.posts.count ?? '—'}`).join(', ')}.`,
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
    },
    details: ['Each server runs in a fresh child process (bench/post-latency-server.ts) with its own temp data dir; the SMTP sink runs in another.'],
  });

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
  const sink = await startSink();
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
