import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineFunction } from '../../src/framework/define.js';
import { httpRequestSchema } from '../../src/leedz/functions/http.js';
import { createHttpHandler, toApiGatewayResult, toHttpRequest } from '../../src/lambda/http-handler.js';
import { apiEvent, lambdaContext, localMarketplace, recordingTransport, type LocalMarketplace } from './fakes.js';

let m: LocalMarketplace;
let transport: ReturnType<typeof recordingTransport>;

beforeEach(async () => {
  m = await localMarketplace();
  transport = recordingTransport();
});
afterEach(() => m.close());

/** Run the function `name` as its Lambda would: an API Gateway v2 event in, a structured response out. */
function call(name: string, event: ReturnType<typeof apiEvent>): Promise<APIGatewayProxyStructuredResultV2> {
  return createHttpHandler(m.deployable(name), transport)(event, lambdaContext(name));
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

  it('decodes a base64 body: login answers 202 and hands the magic link to emailHelper with Event', async () => {
    const result = await call('login', apiEvent('login.json'));
    expect(result.statusCode).toBe(202);
    expect(json(result)).toMatchObject({ sent: true });
    expect(transport.calls).toEqual([
      {
        functionName: 'emailHelper',
        type: 'Event',
        payload: expect.objectContaining({ function: 'magicLink', email: 'pat@example.com', link: expect.stringMatching(/^https:\/\/r4nd0m1d\.execute-api\.us-east-1\.amazonaws\.com\/api\/auth\/callback\?token=/) }),
      },
    ]);
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
    expect(body).toEqual({ id: expect.stringMatching(/^l_/), trade: 'dj', title: 'Wedding reception needs a DJ', price: 2500 });
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
    const request = toHttpRequest(apiEvent('get-leed-with-cookie.json', { LEED_ID: 'l_1' }));
    expect(request).toMatchObject({ params: { trade: 'dj', id: 'l_1' }, url: 'https://r4nd0m1d.execute-api.us-east-1.amazonaws.com/api/leedz/dj/l_1' });
    expect(toHttpRequest(apiEvent('search-leedz.json'))).toMatchObject({
      query: { trades: 'dj,caricatures', from: '2030-06-01T00:00:00Z', to: '2030-06-30T23:59:59Z' },
      url: 'https://r4nd0m1d.execute-api.us-east-1.amazonaws.com/api/leedz?trades=dj&trades=caricatures&from=2030-06-01T00%3A00%3A00Z&to=2030-06-30T23%3A59%3A59Z',
    });
  });

  it('forwards only the headers a function may see', () => {
    const event = apiEvent('add-leed.json', { SESSION: 'abc' });
    event.headers['x-square-hmacsha256-signature'] = 'c2lnbmF0dXJl';
    const request = toHttpRequest(event);
    expect(request).toMatchObject({ token: 'abc', headers: { accept: 'application/json', 'x-square-hmacsha256-signature': 'c2lnbmF0dXJl' } });
    expect(Object.keys((request as { headers: object }).headers).sort()).toEqual(['accept', 'x-square-hmacsha256-signature']);
    expect(httpRequestSchema.safeParse(request).success).toBe(true);
  });

  it('answers 400 naming the body for JSON that does not parse, before the function runs', async () => {
    const event = { ...apiEvent('add-leed.json', { SESSION: 'abc' }), body: '{"trade": "dj",' };
    const result = await call('addLeed', event);
    expect(result.statusCode).toBe(400);
    expect(json(result).error).toMatchObject({ code: 'VALIDATION', fields: [{ path: '(body)', message: 'must be JSON' }] });
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
      const result = await createHttpHandler(broken, transport)(apiEvent('get-trades.json'), lambdaContext('broken'));
      expect(result.statusCode).toBe(500);
      expect(result.body).not.toContain('hunter2');
      expect(json(result).error.code).toBe('INTERNAL');
    } finally {
      console.error = original;
    }
    expect(String(errors[0])).toContain('hunter2');
  });

  it('sends no body for 204 and 303, and keeps other headers', () => {
    expect(toApiGatewayResult({ status: 204 })).toEqual({ statusCode: 204, headers: {} });
    expect(toApiGatewayResult({ status: 303, headers: { Location: '/', 'Set-Cookie': 'a=b' }, body: { token: 't' } })).toEqual({
      statusCode: 303,
      headers: { location: '/' },
      cookies: ['a=b'],
    });
    expect(toApiGatewayResult({ status: 429, headers: { 'retry-after': '900' }, body: { error: {} } })).toMatchObject({
      statusCode: 429,
      headers: { 'retry-after': '900', 'content-type': 'application/json; charset=utf-8' },
      body: '{"error":{}}',
      isBase64Encoded: false,
    });
  });
});
