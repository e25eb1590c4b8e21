/**
 * Bulk mail on the AWS wiring (the `aws-local` profile: the DynamoDB store, the SES mailer against
 * aws-ses-v2-local, Cognito sessions): an alert reaches SES with its one-click unsubscribe headers,
 * the link's POST ends the subscription in DynamoDB without a session, and SES's bounce and complaint
 * events — handed to emailHelper as EventBridge hands them on AWS — stop the alerts to those
 * addresses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveServerConfig } from '../../src/server/config.js';
import type { SesLocalEmail } from '../../src/server/emulators.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { requireJava } from '../helpers/dynamodb-local.js';
import { newLeedBody, signInTokenOf } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const hasJava = requireJava();
let server: RunningServer;
const dir = tempDir('leedz-aws-local-email-');

beforeAll(async () => {
  if (!hasJava) return;
  server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.001', LEEDZ_PROFILE: 'aws-local' }));
  await server.awsLocal!.store.addTrades([{ name: 'dj' }, { name: 'magic' }]);
}, 180_000);

afterAll(async () => {
  await server?.close();
  dir.cleanup();
}, 60_000);

async function api(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) });
  const text = await response.text();
  return { status: response.status, body: text.length === 0 ? undefined : (JSON.parse(text) as any) };
}

async function settle(): Promise<void> {
  const aws = server.awsLocal!;
  for (let round = 0; round < 100; round++) {
    await aws.relay.relayOnce();
    await server.runtime.drain({ timeoutMs: 120_000 });
    if ((await aws.store.pendingOutbox(1)).length === 0) return void (await server.runtime.drain({ timeoutMs: 120_000 }));
  }
  throw new Error('settle: the outbox never emptied');
}

/** What aws-ses-v2-local keeps of an email, with the header fields SendEmail was given. */
type Sent = SesLocalEmail & { headers?: { name: string; value: string }[] };
const sentTo = async (to: string): Promise<Sent[]> => ((await server.awsLocal!.emulators.ses.emails()) as Sent[]).filter((e) => e.destination.to.includes(to));
const alertsTo = async (to: string) => (await sentTo(to)).filter((e) => e.subject.startsWith('New Leed'));

async function signIn(email: string): Promise<string> {
  expect((await api('POST', '/api/auth/login', { body: { email } })).status).toBe(202);
  await settle();
  const token = signInTokenOf((await sentTo(email)).map((e) => e.body.text ?? '').join('\n'));
  const callback = await api('POST', '/api/auth/callback', { body: { token } });
  expect(callback.status).toBe(200);
  await settle();
  return callback.body.token as string;
}

describe.skipIf(!hasJava)('bulk mail on the aws-local profile', () => {
  it('one-click unsubscribe through SES and DynamoDB, and SES bounce and complaint events suppress addresses', async () => {
    const subscribers = ['pat@example.com', 'bounced@example.com', 'angry@example.com'];
    const sessions = new Map<string, string>();
    for (const email of subscribers) {
      const token = await signIn(email);
      sessions.set(email, token);
      expect((await api('PATCH', '/api/me', { token, body: { subscriptions: ['dj', 'magic'], zip: '62702' } })).status).toBe(200);
    }
    const poster = await signIn('poster@example.com');
    let street = 10;
    const post = async () => {
      expect((await api('POST', '/api/leedz', { token: poster, body: newLeedBody({ trade: 'dj', location: `${street++} Elm Avenue, Springfield, IL 62704` }) })).status).toBe(201);
      await settle();
    };

    await post();
    const [alert] = await alertsTo('pat@example.com');
    const header = (name: string) => alert!.headers?.find((h) => h.name === name)?.value;
    expect(header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const url = /^<(.+)>$/.exec(header('List-Unsubscribe') ?? '')?.[1];
    expect(url).toMatch(/\/api\/unsubscribe\?token=/);

    // The mail app's one-click POST: no cookie, no session; the subscription ends in DynamoDB.
    const clicked = await fetch(url!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(clicked.status).toBe(200);
    expect((await api('GET', '/api/me', { token: sessions.get('pat@example.com')! })).body.subscriptions).toEqual(['magic']);

    // SES reports a hard bounce and a complaint (EventBridge's detail, as the stack's rule passes it).
    const feedback = (event: unknown) => server.runtime.invoke('emailHelper', { function: 'mailFeedback', event }, 'RequestResponse');
    await feedback({ eventType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'bounced@example.com', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] } });
    await feedback({ eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'angry@example.com' }], complaintFeedbackType: 'abuse' } });
    expect(await server.awsLocal!.store.getSuppression('bounced@example.com')).toMatchObject({ reason: 'bounce' });

    await post();
    expect(await alertsTo('pat@example.com')).toHaveLength(1);
    expect(await alertsTo('bounced@example.com')).toHaveLength(1);
    expect(await alertsTo('angry@example.com')).toHaveLength(1);
  }, 240_000);
});
