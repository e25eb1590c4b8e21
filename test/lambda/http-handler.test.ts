import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineFunction } from '../../src/framework/define.js';
import { httpRequestSchema } from '../../src/leedz/functions/http.js';
import { createHttpHandler } from '../../src/lambda/http-handler.js';
import { API_FRONT_FUNCTION } from '../../src/leedz/functions/routes.js';
import { apiEvent, catchAllEvent, lambdaContext, localMarketplace, recordingTransport, type LocalMarketplace } from './fakes.js';

let m: LocalMarketplace;
let transport: ReturnType<typeof recordingTransport>;

beforeEach(async () => {
  m = await localMarketplace();
  transport = recordingTransport();
});
afterEach(() => m.close());

/** Run the function `name` as its Lambda would: an API Gateway v2 event in, a structured response out. */
function call(name: string, event: ReturnType<typeof apiEvent>): Promise<APIGatewayProxyStructuredResultV2> {
  return createHttpHandler(m.deployable(name), transport, m.deps.identity)(event, lambdaContext(name));
}

function json(result: APIGatewayProxyStructuredResultV2): any {
  expect(result.headers?.['content-type']).toBe('application/json; charset=utf-8');
  return JSON.parse(result.body ?? '');
}

/** A session for a user created through the magic link, as the local identity issues it. */
async function signIn(email = 'pat@example.com'): Promise<string> {
  const token = await m.deps.identity.issueLoginToken(email);
  const result = await call('authCallback', apiEvent('auth-callback.json', { TOKEN: encodeURIComponent(token) }));
  return json(result).token as string;
}

describe('API Gateway v2 entry of a request-response function', () => {
  it('answers GET /api/trades with 200 and the trades as JSON', async () => {
    const result = await call('getTrades', apiEvent('get-trades.json'));
    expect(result.statusCode).toBe(200);
    expect(json(result).trades.map((t: { name: string }) => t.name).sort()).toEqual(['caricatures', 'dj']);
    expect(result.cookies).toBeUndefined();
  });

  it('answers what API Gateway’s catch-all route brings (no operation there) with the API’s own 404 or 405, as the local server does', async () => {
    const fallback = (method: string, path: string) => call(API_FRONT_FUNCTION, catchAllEvent(method, path));
    const missing = await fallback('GET', '/api/nope');
    expect(missing.statusCode).toBe(404);
    expect(json(missing)).toEqual({ error: { code: 'NOT_FOUND', message: "no operation GET /api/nope: the API's operations are listed at /api/docs" } });
    // A path another function serves, with a method none takes.
    const wrongMethod = await fallback('PUT', '/api/me');
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers?.allow).toBe('GET, PATCH');
    expect(json(wrongMethod).error).toEqual({ code: 'METHOD_NOT_ALLOWED', message: '/api/me takes GET, PATCH, not PUT' });
    // A trailing slash is another path (no route takes it): a 404 that names the path meant, not a 405 that contradicts itself.
    const slashed = await fallback('GET', '/api/me/');
    expect(slashed.statusCode).toBe(404);
    expect(json(slashed).error).toEqual({ code: 'NOT_FOUND', message: 'no operation GET /api/me/: /api/me (no trailing slash) takes GET, PATCH' });
    expect(transport.calls).toEqual([]);
  });

  it('serves the API reference and the OpenAPI document from the front function, naming the site the API is served from', async () => {
    const publicUrl = 'https://d111111abcdef8.cloudfront.net';
    const front = createHttpHandler(m.deployable(API_FRONT_FUNCTION), transport, m.deps.identity, { allowedOrigins: [publicUrl], publicUrl });
    const get = (path: string) => front(catchAllEvent('GET', path), lambdaContext(API_FRONT_FUNCTION));
    const answer = await get('/api/openapi.json');
    expect(answer.headers?.['content-type']).toMatch(/^application\/json/);
    const document = JSON.parse(answer.body ?? '');
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([expect.objectContaining({ url: publicUrl })]);
    const page = await get('/api/docs');
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toMatch(/^text\/html/);
    expect(page.headers?.['content-security-policy']).toMatch(/style-src 'self' 'sha256-/);
    expect(page.body).toContain('<section id="searchLeedz"');
    // Another API function has no reference: only the front function is given what no route matches.
    expect((await createHttpHandler(m.deployable('getStats'), transport, m.deps.identity, { publicUrl })(catchAllEvent('GET', '/api/docs'), lambdaContext('getStats'))).statusCode).toBe(404);
  });

  it('decodes a base64 body: login answers 202 and hands the sign-in email to emailHelper with Event, with no token in it', async () => {
    const result = await call('login', apiEvent('login.json'));
    expect(result.statusCode).toBe(202);
    expect(json(result)).toMatchObject({ sent: true });
    expect(transport.calls).toEqual([
      {
        functionName: 'emailHelper',
        type: 'Event',
        payload: expect.objectContaining({ function: 'magicLink', email: 'pat@example.com', request: 'c6af9ac6-7b61-11e6-9a41-93e812345678' }),
      },
    ]);
    expect(JSON.stringify(transport.calls)).not.toMatch(/token/i);
    // The envelope carries this invocation as its parent: the request id Lambda gave it.
    expect(transport.calls[0]!.payload._meta).toMatchObject({ parentId: 'c6af9ac6-7b61-11e6-9a41-93e812345678', hop: 1 });
  });

  it('returns the session cookie of the callback in `cookies`, not in a set-cookie header', async () => {
    const token = await m.deps.identity.issueLoginToken('pat@example.com');
    const result = await call('authCallback', apiEvent('auth-callback.json', { TOKEN: encodeURIComponent(token) }));
    expect(result.statusCode).toBe(200);
    const body = json(result);
    expect(body.user).toMatchObject({ email: 'pat@example.com', username: 'pat' });
    expect(result.cookies).toEqual([expect.stringMatching(new RegExp(`^leedz_session=${body.token}; Path=/; HttpOnly`))]);
    // As long as the token lasts, and only over https (the public URL here is the API's https URL).
    const claims = JSON.parse(Buffer.from((body.token as string).split('.')[1]!, 'base64url').toString('utf8')) as { exp: number; iat: number };
    expect(result.cookies![0]).toContain(`; Max-Age=${claims.exp - claims.iat};`);
    expect(result.cookies![0]).toMatch(/; Secure$/);
    expect(Object.keys(result.headers ?? {})).not.toContain('set-cookie');
    // The new user's bookkeeping was committed with it, for the relay.
    expect((await m.store.pendingOutbox(10)).map((message) => message.target)).toEqual(['bookkeeping']);
  });

  it('reads the bearer token of a session route: GET /api/me', async () => {
    const session = await signIn();
    const result = await call('getMe', apiEvent('get-me.json', { SESSION: session }));
    expect(result.statusCode).toBe(200);
    expect(json(result)).toMatchObject({ username: 'pat', email: 'pat@example.com' });
  });

  it('without a valid token a session function answers 401', async () => {
    const result = await call('getMe', apiEvent('get-me.json', { SESSION: 'not-a-token' }));
    expect(result.statusCode).toBe(401);
    expect(json(result).error.code).toBe('UNAUTHENTICATED');
  });

  it('posts a leed: 201, with its fan-out and counters committed to the outbox for the relay', async () => {
    const session = await signIn();
    const result = await call('addLeed', apiEvent('add-leed.json', { SESSION: session }));
    expect(result.statusCode).toBe(201);
    const body = json(result);
    expect(body).toMatchObject({ id: expect.stringMatching(/^l_/), trade: 'dj', title: 'Wedding reception needs a DJ', price: 2500 });
    const pending = await m.store.pendingOutbox(10);
    expect(pending.map((message) => [message.target, message.payload.function])).toEqual(
      expect.arrayContaining([
        ['emailHelper', 'notifyUsers'],
        ['bookkeeping', 'leedPosted'],
      ]),
    );
  });

  it('reads the session from the cookies of payload 2.0 (`event.cookies`) on a route without an authorizer', async () => {
    const session = await signIn();
    const posted = json(await call('addLeed', apiEvent('add-leed.json', { SESSION: session })));
    const result = await call('getLeed', apiEvent('get-leed-with-cookie.json', { SESSION: session, LEED_ID: posted.id }));
    expect(result.statusCode).toBe(200);
    // The creator sees every field, the location included; an anonymous caller would not.
    expect(json(result)).toMatchObject({ id: posted.id, location: '123 Main Street, Springfield, IL 62701' });
    const anonymous = await call('getLeed', { ...apiEvent('get-leed-with-cookie.json', { LEED_ID: posted.id }), cookies: ['theme=dark'] });
    expect(json(anonymous).location).toBeUndefined();
  });

  it('passes path parameters and comma-joined query parameters as API Gateway gives them', async () => {
    const session = await signIn();
    const posted = json(await call('addLeed', apiEvent('add-leed.json', { SESSION: session })));
    const result = await call('searchLeedz', apiEvent('search-leedz.json'));
    expect(result.statusCode).toBe(200);
    expect(json(result).leedz.map((leed: { id: string }) => leed.id)).toEqual([posted.id]);
    // A parameter given twice is refused on AWS as locally (the same edge), never read as its first value.
    const repeated = apiEvent('search-leedz.json');
    repeated.rawQueryString = repeated.rawQueryString.replace('trades=dj%2Ccaricatures', 'trades=dj&trades=caricatures');
    const refused = await call('searchLeedz', repeated);
    expect(refused.statusCode).toBe(400);
    expect(json(refused).error.fields).toEqual([{ path: 'trades', message: 'is given more than once (2 times): send it once' }]);
  });

  it('hands the function the verified caller, the headers it may see and the client’s address — never the token', async () => {
    const seen: unknown[] = [];
    const probe = defineFunction('probe', {
      input: httpRequestSchema,
      handler: (request) => {
        seen.push(request);
        return { status: 200, body: {} };
      },
    });
    const session = await signIn();
    const event = apiEvent('add-leed.json', { SESSION: session });
    event.headers['x-square-hmacsha256-signature'] = 'c2lnbmF0dXJl';
    event.routeKey = 'POST /api/leedz';
    const result = await createHttpHandler({ ...probe, name: 'addLeed' }, transport, m.deps.identity)(event, lambdaContext('addLeed'));
    expect(result.statusCode).toBe(200);
    expect(seen[0]).toMatchObject({
      caller: { email: 'pat@example.com', username: 'pat' },
      headers: { accept: 'application/json', 'x-square-hmacsha256-signature': 'c2lnbmF0dXJl' },
      sourceIp: event.requestContext.http.sourceIp,
      url: 'https://r4nd0m1d.execute-api.us-east-1.amazonaws.com/api/leedz',
    });
    expect(Object.keys((seen[0] as { headers: object }).headers).sort()).toEqual(['accept', 'x-square-hmacsha256-signature']);
    expect(JSON.stringify(seen[0])).not.toContain(session);
  });

  it('refuses a body that is not JSON by content type (415), and a post from another site’s page (403), before the function runs', async () => {
    const session = await signIn();
    const form = apiEvent('add-leed.json', { SESSION: session });
    form.headers['content-type'] = 'application/x-www-form-urlencoded';
    expect((await call('addLeed', form)).statusCode).toBe(415);
    const crossSite = apiEvent('add-leed.json', { SESSION: session });
    crossSite.headers.origin = 'https://evil.example';
    const refused = await call('addLeed', crossSite);
    expect(refused.statusCode).toBe(403);
    expect(json(refused).error.code).toBe('FORBIDDEN');
    expect(await m.store.pendingOutbox(10)).toEqual([expect.objectContaining({ target: 'bookkeeping' })]);
  });

  it('answers 400 naming the body for JSON that does not parse, before the function runs', async () => {
    const event = { ...apiEvent('add-leed.json', { SESSION: 'abc' }), body: '{"trade": "dj",' };
    const result = await call('addLeed', event);
    expect(result.statusCode).toBe(400);
    expect(json(result).error).toMatchObject({ code: 'VALIDATION', fields: [{ path: '(body)', message: 'must be JSON' }] });
  });

  it('answers 400 naming the body for JSON nested deeper than 32 levels, before it is parsed or the function runs', async () => {
    const deep = `{"trade":${'['.repeat(30_000)}${']'.repeat(30_000)}}`;
    const result = await call('addLeed', { ...apiEvent('add-leed.json', { SESSION: 'abc' }), body: deep });
    expect(result.statusCode).toBe(400);
    expect(json(result).error).toMatchObject({ code: 'VALIDATION', fields: [{ path: '(body)', message: 'must nest at most 32 levels deep' }] });
    // 20 levels pass the edge: the function refuses the fields themselves.
    const session = await signIn();
    const shallow = await call('addLeed', { ...apiEvent('add-leed.json', { SESSION: session }), body: `{"trade":${'['.repeat(20)}${']'.repeat(20)}}` });
    expect(shallow.statusCode).toBe(400);
    expect(json(shallow).error.fields.map((f: { path: string }) => f.path)).toContain('trade');
  });

  it('logs a session check that could not reach the identity provider (the client gets a 503)', async () => {
    const unreachable = { verifySession: () => Promise.reject(new Error('JWKS at https://cognito-idp.example/keys unreachable')) };
    const lines: unknown[] = [];
    const original = console.error;
    console.error = (line: unknown) => lines.push(line);
    try {
      const result = await createHttpHandler(m.deployable('getMe'), transport, unreachable)(apiEvent('get-me.json', { SESSION: 'a-token' }), lambdaContext('getMe'));
      expect(result.statusCode).toBe(503);
    } finally {
      console.error = original;
    }
    expect(lines.map(String)).toEqual([expect.stringContaining('session check failed: JWKS at https://cognito-idp.example/keys unreachable')]);
  });

  it('answers 413 for a body over 64 KB', async () => {
    const event = { ...apiEvent('add-leed.json', { SESSION: 'abc' }), body: JSON.stringify({ details: 'x'.repeat(70_000) }) };
    const result = await call('addLeed', event);
    expect(result.statusCode).toBe(413);
    expect(json(result).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('turns a thrown error into a 500 that tells the client nothing of it', async () => {
    const broken = defineFunction('broken', {
      input: httpRequestSchema,
      handler: () => {
        throw new Error('the database password is hunter2');
      },
    });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (line: unknown) => errors.push(line);
    try {
      const result = await createHttpHandler({ ...broken, name: 'getTrades' }, transport, m.deps.identity)(apiEvent('get-trades.json'), lambdaContext('getTrades'));
      expect(result.statusCode).toBe(500);
      expect(result.body).not.toContain('hunter2');
      expect(json(result).error.code).toBe('INTERNAL');
    } finally {
      console.error = original;
    }
    expect(String(errors[0])).toContain('hunter2');
  });

  it('sends no body for a 204, and a function’s set-cookie goes in `cookies` with its other headers kept', async () => {
    const session = await signIn();
    const logout = await call('logout', { ...apiEvent('get-me.json', { SESSION: session }), routeKey: 'POST /api/auth/logout', rawPath: '/api/auth/logout', requestContext: { ...apiEvent('get-me.json').requestContext, http: { ...apiEvent('get-me.json').requestContext.http, method: 'POST', path: '/api/auth/logout' } }, headers: { ...apiEvent('get-me.json', { SESSION: session }).headers, 'content-type': 'application/json' } });
    expect(logout.statusCode).toBe(204);
    expect(logout.body ?? '').toBe('');
    expect(logout.cookies).toEqual([expect.stringMatching(/^leedz_session=; /)]);
  });
});
