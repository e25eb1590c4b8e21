/**
 * Issue 8, item 10: the operations console and the dev outbox (which holds every sign-in link) need
 * the operator's session, opened by a one-time link that the server prints (or `leedz console-url`
 * asks for). Marketplace users never see operator data. Real HTTP against a real server.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_COOKIE } from '../../src/runtime/operator-sessions.js';
import { resolveServerConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/serve.js';
import { openConsoleLink } from '../helpers/console-link.js';
import { runLeedz } from '../helpers/leedz-cli.js';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t?.close();
});


/** A signed-in operator's cookie header (`leedz_operator=…`). */
async function operatorCookie(): Promise<string> {
  const { cookie } = await openConsoleLink(t.server.consoleUrl());
  if (cookie === undefined) throw new Error('the console link set no operator cookie');
  return cookie;
}

/** A dead letter to replay: an event for a route emailHelper does not have fails at once, without retries. */
async function makeDeadLetter(): Promise<void> {
  const lambda = new LambdaClient({ endpoint: t.url, region: 'local', credentials: { ...t.server.credentials } });
  try {
    await lambda.send(new InvokeCommand({ FunctionName: 'emailHelper', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ function: 'noSuchRoute' })) }));
  } finally {
    lambda.destroy();
  }
  await t.settle();
}

const unreplayed = () => t.server.runtime.listDeadLetters().filter((letter) => letter.replayedAs === null).length;

describe('without an operator session', () => {
  it('GET /console is a 401 page that tells how to get a sign-in link', async () => {
    const response = await fetch(`${t.url}/console`);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    // The command names this server's address and data folder: pasted as it is, it reaches this server.
    expect(await response.text()).toContain(`npm run leedz -- console-url --endpoint ${t.url} --data ${t.dataDir}`);
  });

  it('GET /api/dev/outbox is a 401, and shows no email', async () => {
    await t.api('POST', '/api/auth/login', { body: { email: 'someone@example.com' } });
    await t.settle();
    const response = await fetch(`${t.url}/api/dev/outbox`);
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(text).not.toContain('someone@example.com');
    // The marketplace's API refuses in its own shape, the operator's endpoints included (docs/marketplace.md, Errors).
    expect(JSON.parse(text)).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.stringContaining('console-url') } });
    const moderation = await fetch(`${t.url}/api/ops/reports`);
    expect(moderation.status).toBe(401);
    expect(((await moderation.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });
});

describe('the one-time console link', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and redirects to /console without the token', async () => {
    const { response, setCookie } = await openConsoleLink(t.server.consoleUrl());
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/console');
    expect(setCookie).toBeDefined();
    const attributes = setCookie!.split(';').map((part) => part.trim().toLowerCase());
    expect(attributes).toContain('httponly');
    expect(attributes).toContain('samesite=strict');
    expect(attributes).toContain('path=/');
  });

  it('works once: a second use is the 401 sign-in page, and sets no cookie', async () => {
    const link = t.server.consoleUrl();
    expect((await openConsoleLink(link)).cookie).toBeDefined();
    const again = await openConsoleLink(link);
    expect(again.response.status).toBe(401);
    expect(again.cookie).toBeUndefined();
    expect(await again.response.text()).toContain('This console link was used already, has expired, or is from before the server restarted.');
  });

  it('opened again in a browser that is signed in already, it goes on to the console', async () => {
    const link = t.server.consoleUrl();
    const { cookie } = await openConsoleLink(link);
    const again = await fetch(link, { redirect: 'manual', headers: { cookie: cookie! } });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/console');
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  // A security probe opened a link with `curl -I` and became the operator: a link preview, a mail or
  // chat scanner or a prefetch would too. Only the page's button, a POST from the page, spends it.
  it('opened by GET or HEAD (a link preview, a scanner), it shows its button and spends nothing', async () => {
    const link = t.server.consoleUrl();
    const head = await fetch(link, { method: 'HEAD', redirect: 'manual' });
    const page = await fetch(link, { redirect: 'manual' });
    expect([head.status, page.status]).toEqual([200, 200]);
    expect([...head.headers.getSetCookie(), ...page.headers.getSetCookie()]).toEqual([]);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(await page.text()).toMatch(/<form method="post" action="\/console">[\s\S]*<button type="submit">Sign in to the console<\/button>/);

    expect((await openConsoleLink(link)).cookie).toBeDefined();
  });

  it("its button works only from the console's own page: another origin, or none, is a 403 and spends nothing", async () => {
    const link = t.server.consoleUrl();
    const token = new URL(link).searchParams.get('token')!;
    const post = (origin?: string) =>
      fetch(`${t.url}/console`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(origin === undefined ? {} : { origin }) }, body: `token=${token}` });
    for (const refused of [await post('https://evil.example'), await post()]) {
      expect(refused.status).toBe(403);
      expect(refused.headers.getSetCookie()).toEqual([]);
    }
    expect((await openConsoleLink(link)).cookie).toBeDefined();
  });

  it('a made-up token opens nothing', async () => {
    const { response, cookie } = await openConsoleLink(`${t.url}/console?token=${'A'.repeat(43)}`);
    expect(response.status).toBe(401);
    expect(cookie).toBeUndefined();
  });
});

describe('with the operator’s cookie', () => {
  it('opens the console, the invocation log and the dev outbox', async () => {
    const cookie = await operatorCookie();
    const page = await fetch(`${t.url}/console`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const invocations = await fetch(`${t.url}/local/invocations?limit=5`, { headers: { cookie } });
    expect(invocations.status).toBe(200);
    expect(await invocations.json()).toEqual(expect.any(Array));
    const outbox = await fetch(`${t.url}/api/dev/outbox`, { headers: { cookie } });
    expect(outbox.status).toBe(200);
    expect(await outbox.json()).toMatchObject({ emails: expect.any(Array), total: expect.any(Number) });
    // A filter it cannot apply is a 400 naming it, not a silent default.
    const bad = await fetch(`${t.url}/api/dev/outbox?kind=magic_link&limit=0`, { headers: { cookie } });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toEqual({
      code: 'VALIDATION',
      message: 'invalid limit, kind',
      fields: [
        { path: 'limit', message: 'must be a whole number from 1 to 10000' },
        { path: 'kind', message: 'must be one of new-leed, changed, withdrawn, receipt, sold, refund, report, taken-down, magic-link' },
      ],
    });
  });

  it('replays dead letters only from the console’s own page: a foreign or missing Origin is a 403, the same Origin a 200', async () => {
    const cookie = await operatorCookie();
    await makeDeadLetter();
    const waiting = unreplayed();
    expect(waiting).toBeGreaterThan(0);
    const replayAll = (headers: Record<string, string>) => fetch(`${t.url}/local/dead-letters/replay-all`, { method: 'POST', headers: { cookie, ...headers } });

    const port = Number(new URL(t.url).port);
    const foreign = await replayAll({ origin: `http://127.0.0.1:${port === 65_535 ? port - 1 : port + 1}` });
    expect(foreign.status).toBe(403);
    const noOrigin = await replayAll({});
    expect(noOrigin.status).toBe(403);
    expect(unreplayed()).toBe(waiting);

    const own = await replayAll({ origin: t.url });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { replayed: string[] }).replayed).toHaveLength(waiting);
    await t.settle();
  });

  it('sends bodies of at most 6 MB, as a signed request may: a larger one is a 413, read no further', async () => {
    const cookie = await operatorCookie();
    const tooLarge = JSON.stringify({ type: 'RequestResponse', payload: { pad: 'x'.repeat(7 * 1024 * 1024) }, action: 'dismiss' });
    for (const path of ['/local/invoke/getTrades', '/api/ops/reports/1/resolve']) {
      const response = await fetch(`${t.url}${path}`, { method: 'POST', headers: { cookie, origin: t.url, 'content-type': 'application/json' }, body: tooLarge });
      expect([path, response.status]).toEqual([path, 413]);
    }
    const small = await fetch(`${t.url}/local/invoke/getTrades`, { method: 'POST', headers: { cookie, origin: t.url, 'content-type': 'application/json' }, body: JSON.stringify({ type: 'RequestResponse', payload: {} }) });
    expect(small.status).toBe(200);
  });

  it('signs out on the server: the same cookie then opens nothing, and only the console’s own page can sign it out', async () => {
    const cookie = await operatorCookie();
    const signOut = (headers: Record<string, string>) => fetch(`${t.url}/local/sign-out`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers } });
    expect((await signOut({ origin: 'http://evil.example' })).status).toBe(403);
    expect((await fetch(`${t.url}/local/invocations?limit=1`, { headers: { cookie } })).status).toBe(200);

    const signedOut = await signOut({ origin: t.url });
    expect(signedOut.status).toBe(200);
    expect(await signedOut.json()).toEqual({ signedOut: true });
    expect(signedOut.headers.getSetCookie().find((line) => line.startsWith(`${OPERATOR_COOKIE}=`))).toMatch(/Max-Age=0/i);
    // A copy of the cookie kept elsewhere is worth nothing now.
    expect((await fetch(`${t.url}/local/invocations?limit=1`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${t.url}/console`, { headers: { cookie } })).status).toBe(401);
  });

  it('does not stand in for the runtime’s signature on Lambda’s API', async () => {
    const cookie = await operatorCookie();
    const response = await fetch(`${t.url}/2015-03-31/functions/getTrades/invocations`, { method: 'POST', headers: { cookie, origin: t.url }, body: '{}' });
    expect(response.status).toBe(403);
    expect(response.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
  });
});

describe('a marketplace user', () => {
  it('signed in, opens neither the console nor the outbox with the session cookie (401)', async () => {
    const { token } = await t.signIn('vendor@example.com');
    const headers = { cookie: `leedz_session=${token}` };
    const page = await fetch(`${t.url}/console`, { headers });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('console-url');
    for (const path of ['/api/dev/outbox', '/local/invocations']) {
      const response = await fetch(`${t.url}${path}`, { headers });
      expect(response.status).toBe(401);
      expect(await response.text()).not.toContain('vendor@example.com');
    }
  });

  it('signed in, opens neither with the bearer token: it is no AWS signature (403 IncompleteSignatureException)', async () => {
    const { token } = await t.signIn('bearer@example.com');
    const headers = { authorization: `Bearer ${token}` };
    expect((await fetch(`${t.url}/console`, { headers })).status).toBe(401);
    for (const path of ['/api/dev/outbox', '/api/ops/reports', '/local/invocations']) {
      const response = await fetch(`${t.url}${path}`, { headers });
      expect(response.status).toBe(403);
      expect(response.headers.get('x-amzn-errortype')).toBe('IncompleteSignatureException');
      const text = await response.text();
      expect(text).not.toContain('"emails"');
      if (!path.startsWith('/api/')) continue;
      // The API's own shape, and the session's token is not quoted back to be kept in some log.
      expect(JSON.parse(text)).toEqual({ error: { code: 'FORBIDDEN', message: expect.stringMatching(/^IncompleteSignatureException: the Authorization header is no AWS Signature V4/) } });
      expect(text).not.toContain(token);
    }
  });
});

describe('`leedz console-url`', () => {
  it('signs its request with the runtime’s credentials and prints a link that opens the console', async () => {
    const printed = await runLeedz(['console-url', '--data', t.dataDir, '--endpoint', t.url]);
    expect(printed.code, printed.stderr).toBe(0);
    const link = printed.stdout.trim();
    expect(link).toMatch(new RegExp(`^${t.url.replaceAll('.', '\\.')}/console\\?token=[A-Za-z0-9_-]{43}$`));
    const { response, cookie } = await openConsoleLink(link);
    expect(response.status).toBe(303);
    const page = await fetch(`${t.url}/console`, { headers: { cookie: cookie! } });
    expect(page.status).toBe(200);
  });

  it('is refused to anyone without the credentials: POST /local/console-link unsigned is a 401', async () => {
    const response = await fetch(`${t.url}/local/console-link`, { method: 'POST' });
    expect(response.status).toBe(401);
    expect(await response.text()).not.toContain('token=');
  });
});

describe('a restart', () => {
  it('spends the links the last run printed and no one opened, and keeps the sessions it opened', async () => {
    const dir = tempDir('leedz-restart-');
    const config = resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false' });
    const first = await startServer(config);
    const unopened = new URL(first.consoleUrl()).searchParams.get('token')!;
    const { cookie } = await openConsoleLink(first.consoleUrl());
    await first.close();
    const second = await startServer(config);
    try {
      const stale = await openConsoleLink(`${second.url}/console?token=${unopened}`);
      expect(stale.response.status).toBe(401);
      expect(stale.setCookie).toBeUndefined();
      expect((await fetch(`${second.url}/console`, { headers: { cookie: cookie! } })).status).toBe(200);
      // This run's own link still works.
      expect((await openConsoleLink(second.consoleUrl())).response.status).toBe(303);
    } finally {
      await second.close();
      dir.cleanup();
    }
  });
});
