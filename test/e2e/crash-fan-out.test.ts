import { readRuntimeCredentials } from '../../src/runtime/credentials.js';
import { signedFetch } from '../../src/server/signed-fetch.js';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createZipGeocoder } from '../../src/adapters/geocoder/zip/zip-geocoder.js';
import { createSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { newLeedBody, signInTokenOf } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { freePort } from '../../src/server/emulators.js';

const SUBSCRIBERS = 2000;
const entry = join(import.meta.dirname, '../../src/server/leedz.ts');

let dir: ReturnType<typeof tempDir> | undefined;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  dir?.cleanup();
});


function serve(dataDir: string, port: number): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'serve', '--port', String(port), '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.01' },
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return { child, output: () => output };
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('crash during a fan-out', () => {
  it('after kill -9 of the server mid fan-out to 2,000 subscribers and a restart, every subscriber has exactly one email', async () => {
    dir = tempDir('leedz-fanout-crash-');
    const store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
    const point = await createZipGeocoder().zipPoint('62702');
    await store.addTrades([{ name: 'dj' }]);
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const username = `sub${String(i).padStart(4, '0')}`;
      await store.createUser({ username, email: `${username}@example.com`, createdAt: new Date().toISOString() }, []);
      await store.updateUser(username, { zip: '62702', point: point ?? null, radius: 50, subscriptions: ['dj'] });
    }
    store.close();

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const keys = join(dir.path, 'keys');
    // The runtime's JSON and the dev outbox answer the operator only: sign with the server's own credentials.
    const json = async (path: string, init?: { method: string; headers: Record<string, string>; body: string }) => {
      const operatorOnly = path.startsWith('/local/') || path.startsWith('/api/dev/');
      const response = operatorOnly
        ? await signedFetch(`${base}${path}`, { method: 'GET' }, readRuntimeCredentials(keys)!)
        : await fetch(`${base}${path}`, init);
      return { status: response.status, body: (await response.json()) as any };
    };
    const newLeedEmails = async () => (await json('/api/dev/outbox?kind=new-leed&limit=1')).body.total as number;

    const first = serve(dir.path, port);
    await until(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 60_000, `the server to start (${first.output()})`);
    await json('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'dj-poster@example.com' }) });
    const token = await until(async () => {
      const { body } = await json('/api/dev/outbox?kind=magic-link&to=dj-poster@example.com');
      return signInTokenOf(body.emails[0]?.text ?? '');
    }, 30_000, 'the magic link');
    const session = await json('/api/auth/callback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    const posted = await json('/api/leedz', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.body.token}` },
      body: JSON.stringify(newLeedBody({ trade: 'dj' })),
    });
    expect(posted.status).toBe(201);

    // Watch the database itself (faster than HTTP) and kill as soon as the fan-out is under way.
    const reader = new Database(join(dir.path, 'leedz.db'), { readonly: true });
    const stored = () => (reader.prepare("SELECT COUNT(*) AS n FROM email_outbox WHERE kind = 'new-leed'").get() as { n: number }).n;
    const deadline = Date.now() + 60_000;
    while (stored() < 50) {
      if (Date.now() > deadline) throw new Error('the fan-out never started');
      await new Promise((resolve) => setImmediate(resolve));
    }
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    const atKill = stored();
    reader.close();
    // The kill really landed mid fan-out.
    expect(atKill).toBeLessThan(SUBSCRIBERS);

    const second = serve(dir.path, port);
    await until(async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined), 60_000, `the server to restart (${second.output()})`);
    // Batches that were running hold their email keys until the crashed attempt's timeout; then they finish.
    await until(async () => ((await newLeedEmails()) >= SUBSCRIBERS ? true : undefined), 120_000, 'every subscriber to be emailed');
    await until(async () => {
      const { body } = await json('/local/invocations?state=queued&limit=1');
      const running = await json('/local/invocations?state=running&limit=1');
      return body.length === 0 && running.body.length === 0 ? true : undefined;
    }, 120_000, 'the queue to drain');

    const { body } = await json(`/api/dev/outbox?kind=new-leed&limit=${SUBSCRIBERS * 2}`);
    expect(body.total).toBe(SUBSCRIBERS);
    const perRecipient = new Map<string, number>();
    for (const email of body.emails as { to: string }[]) perRecipient.set(email.to, (perRecipient.get(email.to) ?? 0) + 1);
    expect(perRecipient.size).toBe(SUBSCRIBERS);
    expect([...perRecipient.values()].every((n) => n === 1)).toBe(true);
    second.child.kill('SIGTERM');
  }, 300_000);
});
