/**
 * The AWS wiring end to end on one machine: the server with the `aws-local` profile (DynamoDB Local,
 * aws-ses-v2-local, cognito-local, and the Lambda transport over the server's own Invoke API), and
 * the marketplace flow over HTTP: sign in by the magic link read from SES, subscribe, a second user
 * posts a leed (fan-out emails arrive in SES), buy it through the local checkout (receipts in SES).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import type { SesLocalEmail } from '../../src/server/emulators.js';
import { requireJava } from '../helpers/dynamodb-local.js';
import { newLeedBody, signInTokenOf } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const hasJava = requireJava();
if (!hasJava) console.warn('aws-local e2e skipped: Java is missing (LEEDZ_SKIP_JAVA=1); DynamoDB Local needs it');

/** Requests the server received on the Invoke API: function name and invocation type. */
const invokeRequests: { function: string; type: string }[] = [];
const onRequest = (message: unknown) => {
  const { request } = message as { request: IncomingMessage };
  const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '');
  if (match?.[1] !== undefined) invokeRequests.push({ function: decodeURIComponent(match[1]), type: String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse') });
};

let server: RunningServer;
const dir = tempDir('leedz-aws-local-');

beforeAll(async () => {
  if (!hasJava) return;
  subscribe('http.server.request.start', onRequest);
  const config = resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.001', LEEDZ_PROFILE: 'aws-local' });
  server = await startServer(config);
  await server.awsLocal!.store.addTrades([{ name: 'caricatures' }, { name: 'dj' }]);
}, 180_000);

afterAll(async () => {
  unsubscribe('http.server.request.start', onRequest);
  await server?.close();
  dir.cleanup();
}, 60_000);

async function api(method: string, path: string, options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body = options.raw;
  if (options.body !== undefined) body = JSON.stringify(options.body);
  if ((method === 'POST' || method === 'PATCH') && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = text.length === 0 ? undefined : JSON.parse(text);
  } catch {
    // an HTML page
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** Wait until the outbox relay has nothing pending and the runtime's queue is empty. */
async function settle(): Promise<void> {
  const aws = server.awsLocal!;
  for (let round = 0; round < 100; round++) {
    await aws.relay.relayOnce();
    await server.runtime.drain({ timeoutMs: 120_000 });
    if ((await aws.store.pendingOutbox(1)).length === 0) {
      await server.runtime.drain({ timeoutMs: 120_000 });
      return;
    }
  }
  throw new Error('settle: the outbox never emptied');
}

async function sesEmails(to: string): Promise<SesLocalEmail[]> {
  return (await server.awsLocal!.emulators.ses.emails()).filter((e) => e.destination.to.includes(to));
}

async function signIn(email: string): Promise<{ token: string; username: string }> {
  const login = await api('POST', '/api/auth/login', { body: { email } });
  expect(login.status).toBe(202);
  await settle();
  const emails = await sesEmails(email);
  const text = emails.map((e) => `${e.body.text ?? ''} ${e.body.html ?? ''}`).join('\n');
  const token = signInTokenOf(text);
  if (token === undefined) throw new Error(`no magic link for ${email} in aws-ses-v2-local's store`);
  const callback = await api('POST', '/api/auth/callback', { body: { token } });
  expect(callback.status).toBe(200);
  await settle();
  return { token: callback.body.token as string, username: callback.body.user.username as string };
}

describe.skipIf(!hasJava)('the aws-local profile', () => {
  it('runs the marketplace on DynamoDB Local, SES, Cognito and the Lambda transport', async () => {
    expect(server.awsLocal?.sesUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.marketplace).toBeUndefined();

    // Sign in by the magic link that went through SES; the session is a Cognito ID token.
    const subscriber = await signIn('subscriber@example.com');
    expect(subscriber.token.split('.')).toHaveLength(3);
    const me = await api('PATCH', '/api/me', { token: subscriber.token, body: { subscriptions: ['dj'], zip: '62702' } });
    expect(me.status).toBe(200);

    // A second user posts a leed: the fan-out email reaches the subscriber through SES.
    const seller = await signIn('seller@example.com');
    const requestsBefore = invokeRequests.length;
    const posted = await api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', location: '9 Elm Avenue, Springfield, IL 62704' }) });
    expect(posted.status).toBe(201);
    await settle();
    const newLeed = (await sesEmails('subscriber@example.com')).filter((e) => e.body.html?.includes(posted.body.id) ?? false);
    expect(newLeed).toHaveLength(1);
    expect(newLeed[0]!.subject).toBe('New Leed: Birthday party needs a caricature artist');
    expect(await sesEmails('seller@example.com').then((es) => es.filter((e) => e.subject.startsWith('New Leed')))).toHaveLength(0);

    // The hand-offs went through the Lambda transport, i.e. HTTP requests on the Invoke API, as Events.
    const handOffRequests = invokeRequests.slice(requestsBefore);
    expect(handOffRequests).toEqual(expect.arrayContaining([
      { function: 'emailHelper', type: 'Event' },
      { function: 'bookkeeping', type: 'Event' },
    ]));
    const [addLeed] = server.runtime.listInvocations({ function: 'addLeed', limit: 1 });
    const handedOff = server.runtime.listInvocations({ parentId: addLeed!.id, limit: 10 });
    expect(handedOff.map((i) => i.function).sort()).toEqual(['bookkeeping', 'emailHelper']);
    expect(handedOff.every((i) => i.type === 'Event' && i.outcome === 'Success')).toBe(true);

    // Buy it through the local checkout page's Pay button (which posts the signed webhook).
    const buyer = await signIn('buyer@example.com');
    const path = `/api/leedz/dj/${posted.body.id}`;
    const checkout = await api('POST', `${path}/checkout`, { token: buyer.token });
    expect(checkout.status).toBe(200);
    const page = await api('GET', new URL(checkout.body.checkoutUrl).pathname);
    expect(page.status).toBe(200);
    const pay = await api('POST', `${new URL(checkout.body.checkoutUrl).pathname}/complete`);
    expect(pay.status).toBe(303);
    await settle();

    const sold = await api('GET', path, { token: seller.token });
    expect(sold.body).toMatchObject({ status: 'sold', buyer: buyer.username });
    const receipts = (await sesEmails('buyer@example.com')).filter((e) => e.body.text?.includes('9 Elm Avenue') ?? false);
    expect(receipts).toHaveLength(1);
    expect((await sesEmails('seller@example.com')).some((e) => e.body.text?.includes(posted.body.id) || e.subject.toLowerCase().includes('sold'))).toBe(true);

    // The sale's controller invocations went over HTTP too.
    const eventRequests = invokeRequests.filter((r) => r.type === 'Event');
    expect(eventRequests.filter((r) => r.function === 'emailHelper').length).toBeGreaterThanOrEqual(2);
    expect(eventRequests.filter((r) => r.function === 'bookkeeping').length).toBeGreaterThanOrEqual(2);
  }, 180_000);
});
