/**
 * Parity 8b — a crash of the server in the middle of a fan-out, with SMTP configured: every
 * subscriber gets the email, a copy sent twice carries the same Message-ID, and the copies are few.
 *
 * What AWS does: the event that was running is delivered again
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html: a function may
 * receive the same event more than once), so an email handed to the mail server just before the crash,
 * whose idempotency record was not yet written, is sent again. No mail system can make that window
 * zero; the framework narrows it to the emails in flight when the process died — at most the batch's
 * send concurrency (`SEND_CONCURRENCY`) per batch that was running — and gives each email a
 * Message-ID derived from its key, so a mail client shows the copies as one message (RFC 5322 §3.6.4).
 *
 * The crash is real: the server runs in a child process and is killed with SIGKILL; the SMTP server
 * (smtp-server, on loopback) runs in this process and outlives it.
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createZipGeocoder } from '../../src/adapters/geocoder/zip/zip-geocoder.js';
import { createSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { SEND_CONCURRENCY } from '../../src/leedz/controllers/email-helper.js';
import { readRuntimeCredentials } from '../../src/runtime/credentials.js';
import { signedFetch } from '../../src/server/signed-fetch.js';
import { startLoopbackSmtpServer, type LoopbackSmtpServer } from '../helpers/loopback-smtp-server.js';
import { newLeedBody, signInTokenOf } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { freePort } from '../../src/server/emulators.js';

const SUBSCRIBERS = 500;
/** Kill once this many alerts have reached the SMTP server: well into the fan-out, far from its end. */
const KILL_AFTER = 100;
const entry = join(import.meta.dirname, '../../src/server/leedz.ts');

let dir: ReturnType<typeof tempDir> | undefined;
let smtp: LoopbackSmtpServer | undefined;
const children: ChildProcess[] = [];

/** Socket errors of SMTP sessions the kill cut off (ECONNRESET), which smtp-server emits on the server. */
let cutOff: Error[] = [];

beforeEach(() => {
  cutOff = [];
  // test/helpers/loopback-smtp-server.ts listens for 'error' only until it is listening, so a client
  // killed mid-transaction would surface as an uncaught exception: keep those errors here instead.
  vi.spyOn(SMTPServer.prototype as unknown as { _onError(error: Error): void }, '_onError').mockImplementation((error) => void cutOff.push(error));
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.length = 0;
  await smtp?.close();
  dir?.cleanup();
});


function serve(dataDir: string, port: number, smtpUrl: string): { child: ChildProcess; output: () => string; exited: Promise<unknown> } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'serve', '--port', String(port), '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.01', SMTP_URL: smtpUrl, MAIL_FROM: 'The Leedz <no-reply@leedz.test>' },
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

/** Poll `probe` until it answers; `what` (evaluated on timeout, so it may show the server's output) names what was awaited. */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await probe().catch((error: unknown) => void (last = error));
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}${last === undefined ? '' : ` (last error: ${String(last)})`}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A header of a raw message (unfolded). */
function header(raw: Buffer, name: string): string | undefined {
  const head = raw.toString('utf8').split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
}

describe('kill -9 of the server mid fan-out, with SMTP configured', () => {
  it('every subscriber receives the alert; all copies to one recipient share one Message-ID; duplicates ≤ SEND_CONCURRENCY per running batch', async () => {
    dir = tempDir('leedz-smtp-crash-');
    smtp = await startLoopbackSmtpServer();
    const store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
    const point = await createZipGeocoder().zipPoint('62702');
    await store.addTrades([{ name: 'dj' }]);
    const subscribers: string[] = [];
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const username = `sub${String(i).padStart(3, '0')}`;
      await store.createUser({ username, email: `${username}@example.com`, createdAt: new Date().toISOString() }, []);
      await store.updateUser(username, { zip: '62702', point: point ?? null, radius: 50, subscriptions: ['dj'] });
      subscribers.push(`${username}@example.com`);
    }
    store.close();

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const keys = join(dir.path, 'keys');
    const operator = async (path: string) => (await signedFetch(`${base}${path}`, { method: 'GET' }, readRuntimeCredentials(keys)!)).json() as Promise<any>;
    const alerts = () => smtp!.messages.filter((m) => header(m.raw, 'Subject')?.startsWith('New Leed: '));

    const bootStarted = Date.now();
    const first = serve(dir.path, port, smtp.url);
    await until(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 90_000, () => `the server to start (${first.output().slice(-2000)})`);
    const bootMs = Date.now() - bootStarted;
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'poster@example.com' }) });
    expect(login.status).toBe(202);
    const token = await until(async () => {
      const { emails } = await operator('/api/dev/outbox?kind=magic-link&to=poster@example.com');
      return signInTokenOf(emails[0]?.text ?? '');
    }, 30_000, () => `the sign-in link (${first.output().slice(-2000)})`);
    const callback = await fetch(`${base}/api/auth/callback`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    expect(callback.status).toBe(200);
    const session = (await callback.json()) as { token: string };
    const posted = await fetch(`${base}/api/leedz`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
      body: JSON.stringify(newLeedBody({ trade: 'dj' })),
    });
    expect(posted.status).toBe(201);

    const fanOutStarted = Date.now();
    await until(async () => (alerts().length >= KILL_AFTER ? true : undefined), 60_000, () => `the fan-out to reach the SMTP server (${first.output().slice(-2000)})`);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = alerts().length;
    expect(atKill).toBeLessThan(SUBSCRIBERS);

    // The batches that were running when the process died: each may resend what it had in flight.
    const runtimeDb = new Database(join(dir.path, 'runtime.db'), { readonly: true });
    const running = (
      runtimeDb
        .prepare(`SELECT COUNT(*) AS n FROM invocations WHERE function = 'emailHelper' AND state = 'running' AND json_extract(payload, '$.function') = 'notifyBatch'`)
        .get() as { n: number }
    ).n;
    runtimeDb.close();
    expect(running).toBeGreaterThan(0);

    const restartedAt = Date.now();
    const second = serve(dir.path, port, smtp.url);
    await until(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 90_000, () => `the server to restart (${second.output().slice(-2000)})`);
    await until(async () => {
      const queued = await operator('/local/invocations?state=queued&limit=1');
      const busy = await operator('/local/invocations?state=running&limit=1');
      const outbox = await operator('/api/dev/outbox?kind=new-leed&limit=1');
      return queued.length === 0 && busy.length === 0 && outbox.total >= SUBSCRIBERS ? true : undefined;
    }, 120_000, () => `the fan-out to finish after the restart (${second.output().slice(-2000)})`);
    const recoveredMs = Date.now() - restartedAt;
    second.child.kill('SIGTERM');
    await second.exited;

    const received = alerts();
    const byRecipient = new Map<string, Set<string>>();
    for (const message of received) {
      for (const to of message.envelope.to) {
        const ids = byRecipient.get(to) ?? new Set<string>();
        ids.add(header(message.raw, 'Message-ID') ?? '(none)');
        byRecipient.set(to, ids);
      }
    }
    expect(subscribers.filter((email) => !byRecipient.has(email))).toEqual([]);
    expect([...byRecipient.keys()].sort()).toEqual([...subscribers].sort());
    // Every copy to one recipient carries the same Message-ID, and it is a real one.
    expect([...byRecipient.entries()].filter(([, ids]) => ids.size !== 1)).toEqual([]);
    expect([...byRecipient.values()].every((ids) => /^<[0-9a-f]{32}@leedz\.test>$/.test([...ids][0]!))).toBe(true);

    const duplicates = received.length - SUBSCRIBERS;
    const bound = running * SEND_CONCURRENCY;
    console.log(
      `SMTP crash: killed with ${atKill}/${SUBSCRIBERS} alerts delivered, ${running} batches running; duplicates after restart: ${duplicates} (bound ${bound} = ${running} × SEND_CONCURRENCY ${SEND_CONCURRENCY}); ` +
        `boot ${bootMs} ms, fan-out to kill ${restartedAt - fanOutStarted} ms, restart to done ${recoveredMs} ms; SMTP sessions cut off by the kill: ${cutOff.length}`,
    );
    expect(duplicates).toBeGreaterThanOrEqual(0);
    expect(duplicates).toBeLessThanOrEqual(bound);
  }, 300_000);
});
