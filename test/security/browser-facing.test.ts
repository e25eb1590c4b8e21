/**
 * Issue 8, item 12: what the server owes the browser next to it. Any page the developer has open can
 * send requests to 127.0.0.1, so the server refuses a foreign `Host` (DNS rebinding), state changes
 * from another origin or in a form's content type, and bodies that grow without end; and its pages
 * tell the browser not to sniff, frame or run foreign scripts. Real HTTP against a real server (the
 * `Host` header through node:http, since fetch sets it itself).
 */
import { LambdaClient, LambdaServiceException, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardBrowserRequests } from '../../src/server/browser-guards.js';
import { rawRequest } from '../helpers/raw-http.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

let t: TestServer;
let port: number;
/** The session token of a signed-in vendor: the victim of the cross-origin tests. */
let session: string;

beforeAll(async () => {
  t = await startTestServer();
  port = Number(new URL(t.url).port);
  await t.server.marketplace!.store.addTrades([{ name: 'caricatures' }]);
  ({ token: session } = await t.signIn('victim@example.com'));
});

afterAll(async () => {
  await t?.close();
});

/** A page served on another port of the same machine (a dev server, say): same site, another origin. */
const otherOrigin = () => `http://127.0.0.1:${port === 65_535 ? port - 1 : port + 1}`;

const postedLeedz = () => t.server.runtime.listInvocations({ function: 'addLeed' }).length;

/**
 * POST an endless body (up to 200 MB, in 64 KB chunks, streamed with `duplex: 'half'`) and report
 * how the server answered and how much of the body it made the client produce: the chunks pulled
 * from the stream in all, and how many more were pulled between `settleMs` and `2 × settleMs` after
 * the response (none, once the server has stopped reading).
 */
async function streamHugeBody(path: string, headers: Record<string, string>, settleMs = 300) {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const totalChunks = (200 * 1024 * 1024) / chunk.byteLength;
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled === totalChunks) return controller.close();
      pulled += 1;
      controller.enqueue(chunk);
    },
  });
  const upload = new AbortController();
  const startedAt = performance.now();
  try {
    const response = await fetch(`${t.url}${path}`, { method: 'POST', headers, body, duplex: 'half', signal: upload.signal } as RequestInit & { duplex: 'half' });
    const elapsedMs = performance.now() - startedAt;
    const text = await response.text();
    // The upload stalls once the server stops reading: a moment later the client has produced no more.
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const pulledSoonAfter = pulled;
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body: parsed, elapsedMs, pulled, totalChunks, pulledBytes: pulled * chunk.byteLength, pulledLater: pulled - pulledSoonAfter };
  } finally {
    upload.abort();
  }
}

describe('Host (DNS rebinding)', () => {
  const paths = [
    { name: 'the marketplace page', method: 'GET', path: '/' },
    { name: 'the API', method: 'GET', path: '/api/trades' },
    { name: 'the Invoke API', method: 'POST', path: '/2015-03-31/functions/getTrades/invocations', body: '{}' },
    { name: 'the runtime’s JSON', method: 'GET', path: '/local/invocations' },
  ];

  it.each(paths)('a request for $name under a foreign name (Host: evil.example) is a 421', async ({ method, path, body }) => {
    const response = await rawRequest(`${t.url}${path}`, { method, headers: { host: 'evil.example' }, ...(body === undefined ? {} : { body }) });
    expect(response.status).toBe(421);
    expect(response.text).not.toContain('<script');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('each surface refuses in the shape its clients read: Lambda’s error shape, the runtime’s and the API’s JSON', async () => {
    const refused = (method: string, path: string) => rawRequest(`${t.url}${path}`, { method, headers: { host: 'evil.example' }, ...(method === 'POST' ? { body: '{}' } : {}) });
    const invoke = await refused('POST', '/2015-03-31/functions/getTrades/invocations');
    expect(invoke.headers['content-type']).toMatch(/^application\/json/);
    expect(invoke.headers['x-amzn-errortype']).toBe('MisdirectedRequestException');
    expect(JSON.parse(invoke.text)).toEqual({ Type: 'User', message: expect.stringContaining('not to "evil.example"') });
    expect(JSON.parse((await refused('GET', '/local/invocations')).text)).toEqual({ message: expect.stringContaining('evil.example') });
    expect(JSON.parse((await refused('GET', '/api/trades')).text)).toEqual({ error: { code: 'MISDIRECTED', message: expect.stringContaining('evil.example') } });
  });

  it('the JS SDK, sent under a name the server does not answer to, raises a typed exception (not a SyntaxError)', async () => {
    const lambda = new LambdaClient({ endpoint: t.url, region: 'local', credentials: { ...t.server.credentials }, maxAttempts: 1 });
    // What a name that resolves to this machine (an /etc/hosts entry) would send.
    lambda.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers.host = `vm.internal:${port}`;
        return next(args);
      },
      { step: 'finalizeRequest', name: 'foreignHost', priority: 'low' },
    );
    try {
      const error = await lambda.send(new ListFunctionsCommand({})).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LambdaServiceException);
      expect(error).toMatchObject({ name: 'MisdirectedRequestException', $metadata: { httpStatusCode: 421 } });
    } finally {
      lambda.destroy();
    }
  });

  it.each(['evil.example:80', 'evil.example:<port>', '127.0.0.1.nip.io:<port>', 'localhost.evil.example:<port>'])('Host "%s" is refused with a 421', async (host) => {
    const response = await rawRequest(`${t.url}/api/trades`, { headers: { host: host.replace('<port>', String(port)) } });
    expect(response.status).toBe(421);
  });

  it('the server’s own names pass: 127.0.0.1:<port>, localhost:<port>, LOCALHOST, [::1]:<port>', async () => {
    // The server listens on 127.0.0.1 only; a request naming [::1] still tests the guard's parsing of the IPv6 form.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`, 'localhost']) {
      const response = await rawRequest(`${t.url}/api/trades`, { headers: { host } });
      expect(response.status, host).toBe(200);
    }
  });

  it('with a public URL configured, its host passes too, and other names still do not', async () => {
    const app = new Hono();
    app.use('*', guardBrowserRequests({ publicUrl: 'https://leedz.example.com' }));
    app.get('/', (c) => c.text('ok'));
    expect((await app.request('/', { headers: { host: 'leedz.example.com' } })).status).toBe(200);
    expect((await app.request('/', { headers: { host: 'LEEDZ.example.com:443' } })).status).toBe(200);
    expect((await app.request('/', { headers: { host: 'evil.example' } })).status).toBe(421);
    // No Host at all (an HTTP/1.0 request, say): refused too.
    expect((await app.request('/')).status).toBe(421);
  });
});

describe('state-changing API requests', () => {
  it('POST /api/leedz with a valid session cookie and JSON, from another origin, is a 403 and stores nothing', async () => {
    const before = postedLeedz();
    const response = await fetch(`${t.url}/api/leedz`, {
      method: 'POST',
      headers: { origin: otherOrigin(), cookie: `leedz_session=${session}`, 'content-type': 'application/json' },
      body: JSON.stringify(newLeedBody()),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(postedLeedz()).toBe(before);
    expect((await t.api('GET', '/api/me', { token: session })).body.posted).toBe(0);
  });

  it('the same with the bearer token: a foreign Origin is refused whatever the credential', async () => {
    const response = await t.api('POST', '/api/leedz', { token: session, body: newLeedBody(), headers: { origin: otherOrigin() } });
    expect(response.status).toBe(403);
    expect((await t.api('GET', '/api/me', { token: session })).body.posted).toBe(0);
  });

  it('a form’s content type (text/plain) is a 415 and stores nothing, even from the server’s own origin', async () => {
    const before = postedLeedz();
    const response = await fetch(`${t.url}/api/leedz`, {
      method: 'POST',
      headers: { origin: t.url, cookie: `leedz_session=${session}`, 'content-type': 'text/plain' },
      body: JSON.stringify(newLeedBody()),
    });
    expect(response.status).toBe(415);
    expect(postedLeedz()).toBe(before);
  });

  it('from the server’s own origin, with JSON, the same post is accepted (201)', async () => {
    const response = await fetch(`${t.url}/api/leedz`, {
      method: 'POST',
      headers: { origin: t.url, cookie: `leedz_session=${session}`, 'content-type': 'application/json' },
      body: JSON.stringify(newLeedBody()),
    });
    expect(response.status).toBe(201);
    await t.settle();
  });

  it('a 200 MB chunked body is refused with a 413 at once: the server reads a few MB at most and its memory barely grows', async () => {
    const loginsBefore = t.server.runtime.listInvocations({ function: 'login' }).length;
    const rssBefore = process.memoryUsage().rss;
    const upload = await streamHugeBody('/api/auth/login', { 'content-type': 'application/json' });
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    console.log(
      `200 MB chunked body: 413 after ${upload.elapsedMs.toFixed(0)} ms, ${upload.pulled} of ${upload.totalChunks} chunks of 64 KB pulled (${(upload.pulledBytes / 2 ** 20).toFixed(1)} MB), RSS +${rssGrowthMb.toFixed(1)} MB`,
    );

    expect(upload.status).toBe(413);
    expect(upload.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(upload.elapsedMs).toBeLessThan(3000);
    expect(upload.pulled).toBeLessThan(upload.totalChunks);
    expect(upload.pulledBytes).toBeLessThan(32 * 2 ** 20);
    expect(upload.pulledLater).toBeLessThanOrEqual(1);
    expect(rssGrowthMb).toBeLessThan(32);
    // Nothing reached the function.
    expect(t.server.runtime.listInvocations({ function: 'login' }).length).toBe(loginsBefore);
  });

  it.each<{ name: string; path: string; headers: Record<string, string>; status: number }>([
    { name: 'to the Invoke API, unsigned', path: '/2015-03-31/functions/login/invocations', headers: {}, status: 403 },
    { name: 'to /local, unauthenticated', path: '/local/dead-letters/replay-all', headers: {}, status: 401 },
    { name: 'as text/plain', path: '/api/leedz', headers: { 'content-type': 'text/plain' }, status: 415 },
    { name: 'from a foreign Origin', path: '/api/leedz', headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:1' }, status: 403 },
  ])('a 200 MB chunked body $name is refused before it is read ($status)', async ({ path, headers, status }) => {
    const upload = await streamHugeBody(path, headers, 100);
    expect(upload.status).toBe(status);
    expect(upload.elapsedMs).toBeLessThan(3000);
    expect(upload.pulledBytes).toBeLessThan(32 * 2 ** 20);
  });
});

// A security probe found a session token sent as a query parameter (`?token=`, `?access_token=`)
// stored in the invocation log of the routes that take a query: the function refused it, but ran.
describe('a session token sent in the query string', () => {
  it.each([
    ['/api/leedz?trades=caricatures&from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z&token=', 'token'],
    ['/api/trades/caricatures/leedz?access_token=', 'access_token'],
  ])('%s… is refused at the edge (400 naming it), and is nowhere in the invocation log', async (path, name) => {
    const before = t.server.runtime.listInvocations({ limit: 10_000 }).length;

    const response = await fetch(`${t.url}${path}${session}`);

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { fields: { path: string }[] } }).error.fields.map((f) => f.path)).toEqual([name]);
    expect(t.server.runtime.listInvocations({ text: session.slice(0, 60) })).toEqual([]);
    expect(t.server.runtime.listInvocations({ limit: 10_000 }).length).toBe(before);
  });
});

describe('CORS', () => {
  it.each(['/api/leedz', '/local/invocations', '/2015-03-31/functions/login/invocations'])('a preflight from another origin to %s is granted nothing', async (path) => {
    const response = await fetch(`${t.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin: otherOrigin(), 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    const granted: string[] = [];
    response.headers.forEach((_value, name) => {
      if (name.startsWith('access-control-')) granted.push(name);
    });
    expect(granted).toEqual([]);
  });
});

describe('page headers', () => {
  const pages = [
    { name: 'the marketplace', path: '/', status: 200 },
    { name: 'the console’s sign-in page', path: '/console', status: 401 },
    { name: 'the API reference', path: '/api/docs', status: 200 },
    { name: 'a page that does not exist (the app’s own “Page not found”)', path: '/nonexistent-page', status: 404 },
  ];

  it.each(pages)('$name carries a CSP with frame-ancestors \'none\', nosniff and X-Frame-Options: DENY', async ({ path, status }) => {
    const response = await fetch(`${t.url}${path}`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy.split(';').map((directive) => directive.trim())).toEqual(expect.arrayContaining(["frame-ancestors 'none'", "script-src 'self'", "object-src 'none'"]));
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('a page that does not exist is the app’s page for a browser, and a plain 404 for anything else', async () => {
    const browser = await fetch(`${t.url}/nonexistent-page`, { headers: { accept: 'text/html' } });
    expect(browser.status).toBe(404);
    expect(await browser.text()).toMatch(/<script[^>]+src="\/assets\/app-/);
    for (const [path, accept] of [['/nonexistent-page', '*/*'], ['/assets/missing.js', 'text/html'], ['/api/nothing-here', 'text/html']] as const) {
      const other = await fetch(`${t.url}${path}`, { headers: { accept } });
      expect(other.status).toBe(404);
      expect(other.headers.get('content-type')).not.toMatch(/^text\/html/);
    }
  });

  it.each([
    { name: 'an API answer', path: '/api/trades', status: 200 },
    { name: 'an API refusal', path: '/api/me', status: 401 },
    { name: 'the runtime’s 401', path: '/local/invocations', status: 401 },
    { name: 'Lambda’s 403', path: '/2015-03-31/functions/', status: 403 },
  ])('JSON ($name) carries X-Content-Type-Options: nosniff', async ({ path, status }) => {
    const response = await fetch(`${t.url}${path}`);
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
