/**
 * Phases 2 and 3 of bench/post-latency.ts: the fan-out of one post, in emails/s, into the outbox
 * alone and into a local SMTP sink; and the sign-in email's latency while a backlog of fan-outs
 * (30 posts × 10,000 subscribers) waits in the runtime's queue.
 *
 * @example
 * const { results } = await runFanOutPhase(sink, settings);
 * reportFanOut(results, settings);
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { SmtpSink } from './child-process.js';
import { fmtInt, fmtMs, fmtRate, fmtRatio, fmtSeconds, log, printTable, progressReporter, summarize, type Summary } from './lib.js';
import {
  outboxWatcher,
  Poster,
  runtimeWatcher,
  sleepUntil,
  TRADE,
  WARMUP_POSTS,
  WARMUP_TRADE,
  withServer,
  type ChildConfig,
  type Ready,
  type Settings,
  type Target,
} from './post-latency-server.js';

const NAME = 'post-latency';

// ── the fan-out of one post ─────────────────────────────────────────────────

export interface FanOut {
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
export async function fanOut(poster: Poster, config: ChildConfig, ready: Ready, sink: SmtpSink | undefined, timeoutMs: number, label: string): Promise<FanOut> {
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

// ── phase 2: fan-out into the outbox, and into SMTP ─────────────────────────

export interface FanOutResult {
  sink: 'outbox' | 'smtp';
  subscribers: number;
  fanOut: FanOut;
}

export async function runFanOutPhase(sink: SmtpSink, settings: Settings): Promise<{ results: FanOutResult[]; failed: boolean }> {
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

export interface SignIn {
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

export interface BacklogResult {
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

export async function runBacklogPhase(sink: SmtpSink, settings: Settings): Promise<{ result: BacklogResult | undefined; failed: boolean }> {
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

/** Failed attempts of the fan-out's invocations, and dead letters: `0`, or `64, 12 DLQ`. */
export function failures(f: FanOut): string {
  const total = Object.values(f.failedAttempts).reduce((a, b) => a + b, 0);
  return f.deadLetters > 0 ? `${fmtInt(total)}, ${fmtInt(f.deadLetters)} DLQ` : fmtInt(total);
}

const FAN_OUT_TARGETS = { outbox: 10_000, smtp: 3_000 } as const;

export function reportFanOut(results: FanOutResult[], settings: Settings): Target[] {
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

export function reportBacklog(result: BacklogResult): Target[] {
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
