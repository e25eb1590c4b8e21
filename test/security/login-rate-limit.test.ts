/**
 * Issue 8, item 12 (last part): the sign-in link's rate limit counts the mailbox (`a+1@x`, `A@x` and
 * `a@x` are one inbox) and the client's address, and is kept in the store, so a restart does not
 * reset it. The limits are the defaults (src/leedz/deps.ts): 5 links per mailbox and 30 per client
 * address in a 15-minute window. The marketplace's clock is frozen, so every request of the test falls
 * in one window whatever the wall clock does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/leedz/deps.js';
import { resolveServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { rawRequest } from '../helpers/raw-http.js';

const PER_MAILBOX = DEFAULT_SETTINGS.loginRequestsPer15Minutes;
const PER_CLIENT = DEFAULT_SETTINGS.loginRequestsPerClientPer15Minutes;
const frozen = new Date();
const now = () => frozen;

let t: TestServer;
let restarted: RunningServer | undefined;

beforeAll(async () => {
  t = await startTestServer({ now });
});

afterAll(async () => {
  await restarted?.close();
  await t?.close();
});

/** Ask for a sign-in link, from 127.0.0.1 or, with `from`, another loopback address (another client). */
async function askForLink(url: string, email: string, from?: string): Promise<{ status: number; retryAfter: string | null; message: string }> {
  const response = await rawRequest(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', host: new URL(url).host },
    body: JSON.stringify({ email }),
    ...(from === undefined ? {} : { localAddress: from }),
  });
  const body = JSON.parse(response.text) as { error?: { message: string }; message?: string };
  const retryAfter = response.headers['retry-after'];
  return { status: response.status, retryAfter: typeof retryAfter === 'string' ? retryAfter : null, message: body.error?.message ?? body.message ?? '' };
}

function expectRateLimited(answer: Awaited<ReturnType<typeof askForLink>>, what: RegExp): void {
  expect(answer.status).toBe(429);
  expect(Number(answer.retryAfter)).toBeGreaterThan(0);
  expect(Number(answer.retryAfter)).toBeLessThanOrEqual(15 * 60);
  expect(answer.message).toMatch(what);
}

describe('sign-in links', () => {
  // Requests from this test's client so far (the per-client count).
  let sent = 0;

  it(`${PER_MAILBOX} links for ann@example.com are accepted; then ann+1@example.com and ANN@example.com get 429 with Retry-After`, async () => {
    for (let i = 0; i < PER_MAILBOX; i++) {
      expect((await askForLink(t.url, 'ann@example.com')).status).toBe(202);
      sent += 1;
    }
    expectRateLimited(await askForLink(t.url, 'ann+1@example.com'), /this address/);
    expectRateLimited(await askForLink(t.url, 'ANN@example.com'), /this address/);
    sent += 2;
    await t.settle();
    // Only the accepted requests were emailed, each once.
    expect(t.server.marketplace!.outbox.countEmails({ kind: 'magic-link' })).toBe(PER_MAILBOX);
  });

  it(`other addresses are accepted until the client has asked ${PER_CLIENT} times; then any address gets 429`, async () => {
    const sentBefore = sent;
    let accepted = 0;
    for (let i = 0; accepted <= PER_CLIENT; i++) {
      const answer = await askForLink(t.url, `someone${i}@example.com`);
      sent += 1;
      if (answer.status !== 202) {
        expectRateLimited(answer, /network address/);
        break;
      }
      accepted += 1;
    }
    // The refused requests counted too: ann's 5 accepted and 2 refused, then these.
    expect(accepted).toBe(PER_CLIENT - sentBefore);
    expectRateLimited(await askForLink(t.url, 'nobody-yet@example.com'), /network address/);
  });

  // A security probe found a client past its own limit still spending other people's mailbox budgets:
  // six refused requests for victim+spam@… locked victim@… out of signing in, from any address.
  it("a client past its own limit spends no one's mailbox budget: the address it names still gets its links from elsewhere", async () => {
    for (let i = 0; i < PER_MAILBOX + 1; i++) expectRateLimited(await askForLink(t.url, 'victim+spam@example.com'), /network address/);
    sent += PER_MAILBOX + 1;

    expect((await askForLink(t.url, 'victim@example.com', '127.0.0.2')).status).toBe(202);
  });

  it('a client cannot claim another address: X-Forwarded-For buys no fresh budget', async () => {
    const response = await fetch(`${t.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.7' },
      body: JSON.stringify({ email: 'spoofer@example.com' }),
    });
    expect(response.status).toBe(429);
  });

  it('the limits survive a restart on the same data folder', async () => {
    const config = resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: t.dataDir, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.001' });
    await t.server.close();
    restarted = await startServer(config, { now });
    expectRateLimited(await askForLink(restarted.url, 'ann+2@example.com', '127.0.0.3'), /this address/);
    expectRateLimited(await askForLink(restarted.url, 'fresh@example.com'), /network address/);
  });
});
