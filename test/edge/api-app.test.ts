/**
 * What the HTTP edge (src/edge/api-app.ts) refuses before any function runs, and the words of the
 * API's refusals, driven over HTTP against an in-process server (docs/marketplace.md, Errors): a
 * parameter or field the operation does not take is named, a parameter is given once, numbers in
 * the query are plain decimal, and text is valid Unicode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../src/edge/api-app.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

let t: TestServer;
let token: string;
let leedPath: string;

const RANGE = 'from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z';

beforeAll(async () => {
  t = await startTestServer();
  await t.server.marketplace!.store.addTrades([{ name: 'caricatures' }, { name: 'dj' }]);
  ({ token } = await t.signIn('edge@example.com'));
  const posted = await t.api('POST', '/api/leedz', { token, body: newLeedBody() });
  leedPath = `/api/leedz/caricatures/${posted.body.id}`;
  await t.settle();
});

afterAll(async () => {
  await t?.close();
});

/** The 400's `fields` as `{path: message}`. */
function refused(response: { status: number; body: any }): Record<string, string> {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.body.error.code).toBe('VALIDATION');
  return Object.fromEntries((response.body.error.fields as { path: string; message: string }[]).map((f) => [f.path, f.message]));
}

/** Everything a refused request could have changed. */
function snapshot(): string {
  const db = t.server.marketplace!.store.db;
  return JSON.stringify(['users', 'leedz', 'reports', 'calendar_feeds', 'outbox'].map((table) => db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()));
}

describe('a parameter or field the operation does not take', () => {
  it('is refused with 400 naming each query parameter, on every operation without a query', async () => {
    expect(refused(await t.api('GET', '/api/me/leedz?status=sold&limit=1', { token }))).toEqual({
      status: 'is not a parameter of this request',
      limit: 'is not a parameter of this request',
    });
    expect(refused(await t.api('GET', '/api/trades?limit=1&sort=name'))).toEqual({ limit: 'is not a parameter of this request', sort: 'is not a parameter of this request' });
    expect(refused(await t.api('GET', '/api/users/edge?fields=email'))).toEqual({ fields: 'is not a parameter of this request' });
    expect(refused(await t.api('DELETE', `${leedPath}/checkout?buyer=bob`, { token }))).toEqual({ buyer: 'is not a parameter of this request' });
    // Without one, each answers as before.
    expect((await t.api('GET', '/api/me/leedz', { token })).status).toBe(200);
    expect((await t.api('GET', '/api/trades')).status).toBe(200);
  });

  it('is refused with 400 naming each field of a JSON body, on every operation without a body; no body, or {}, is still fine', async () => {
    const before = snapshot();
    expect(refused(await t.api('POST', '/api/me/calendar', { token, body: { token: 'x' } }))).toEqual({ token: 'is not a field of this request' });
    expect(refused(await t.api('POST', '/api/auth/logout', { body: { everywhere: true } }))).toEqual({ everywhere: 'is not a field of this request' });
    expect(refused(await t.api('POST', `${leedPath}/checkout`, { token, body: { price: 0 } }))).toEqual({ price: 'is not a field of this request' });
    expect(snapshot()).toBe(before);
    expect((await t.api('POST', '/api/me/calendar', { token })).status).toBe(201);
    expect((await t.api('POST', '/api/me/calendar', { token, body: {} })).status).toBe(201);
    expect((await t.api('POST', '/api/auth/logout', { body: {} })).status).toBe(204);
  });

  it('does not touch what a route takes as it comes: the one-click unsubscribe form', async () => {
    // A form body is the route's own; a bad token is the function's 400, about the token, not the body.
    const oneClick = await t.api('POST', '/api/unsubscribe?token=nope', { raw: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(refused(oneClick)).toEqual({ token: 'is not a token this marketplace signed' });
  });
});

describe('the query', () => {
  it('refuses a parameter given more than once, naming it, instead of reading the first', async () => {
    const fields = refused(await t.api('GET', `/api/leedz?trades=dj&trades=caricatures&${RANGE}`));
    expect(Object.keys(fields)).toEqual(['trades']);
    expect(fields.trades).toMatch(/given more than once/);
    expect((await t.api('GET', `/api/leedz?trades=dj,caricatures&${RANGE}`)).status).toBe(200);
  });

  it('reads numbers in plain decimal only: 0x10, 1e1, " 5" and an empty value are refused, in the parameter’s own words', async () => {
    const near = `trades=dj&${RANGE}&zip=62701`;
    for (const radius of ['0x10', '1e1', '%205', '']) {
      expect(refused(await t.api('GET', `/api/leedz?${near}&radius=${radius}`))).toEqual({ radius: 'must be a number of miles' });
    }
    for (const limit of ['0x10', '']) {
      expect(refused(await t.api('GET', `/api/leedz?trades=dj&${RANGE}&limit=${limit}`))).toEqual({ limit: 'must be a number in plain decimal digits, like 25' });
    }
    expect(refused(await t.api('GET', `/api/leedz?trades=dj&${RANGE}&perDay=0x10`))).toEqual({ perDay: 'must be a whole number from 1 to 100' });
    expect(refused(await t.api('GET', '/api/trades/dj/leedz?limit=0x10')).limit).toMatch(/number/);
    expect((await t.api('GET', `/api/leedz?${near}&radius=16`)).status).toBe(200);
    expect((await t.api('GET', `/api/leedz?${near}&radius=2.5`)).status).toBe(200);
  });
});

describe('refusals are worded in the API’s words, never zod’s', () => {
  it('a number out of range, and a path parameter over 64 characters', async () => {
    expect(refused(await t.api('GET', `/api/leedz?trades=dj&${RANGE}&limit=0`))).toEqual({ limit: 'must be a whole number from 1 to 5,000' });
    expect(refused(await t.api('GET', `/api/leedz/dj/${'x'.repeat(65)}`))).toEqual({ id: 'must be at most 64 characters' });
    expect(refused(await t.api('GET', `/api/users/${'x'.repeat(65)}`))).toEqual({ username: 'must be at most 64 characters' });
  });

  it('a report’s reason holds no control character, as a leed’s text does not (it reaches the admin’s email)', async () => {
    expect(refused(await t.api('POST', `${leedPath}/report`, { token, body: { reason: 'Fake\u202e gig' } }))).toEqual({ reason: 'must not contain control characters' });
  });

  it('a value of the wrong type is said to be so, not to be missing', async () => {
    expect(refused(await t.api('POST', `${leedPath}/report`, { token, body: { reason: 5 } }))).toEqual({ reason: 'must be text' });
    expect(refused(await t.api('POST', `${leedPath}/report`, { token, body: {} }))).toEqual({ reason: 'is required' });
    expect(refused(await t.api('POST', '/api/auth/callback', { body: { token: 5 } }))).toEqual({ token: 'must be text' });
    expect(refused(await t.api('POST', '/api/auth/callback', { body: {} }))).toEqual({ token: 'is required' });
    expect(refused(await t.api('PATCH', '/api/me', { token, body: { subscriptions: null } }))).toEqual({ subscriptions: 'must be a list of trades, like ["dj"]' });
  });

  it('sign in: the email is trimmed as every text field is; none at all is "required"', async () => {
    const padded = await t.api('POST', '/api/auth/login', { body: { email: '  dave@example.com  ' } });
    expect(padded.status, JSON.stringify(padded.body)).toBe(202);
    expect(padded.body.message).toBe('a sign-in link is on its way to dave@example.com');
    expect(refused(await t.api('POST', '/api/auth/login', { body: {} }))).toEqual({ email: 'is required' });
    expect(refused(await t.api('POST', '/api/auth/login', { raw: '' }))).toEqual({ email: 'is required' });
    expect(refused(await t.api('POST', '/api/auth/login', { body: { email: 5 } }))).toEqual({ email: 'must be text' });
    expect(refused(await t.api('POST', '/api/auth/login', { body: { email: 'dave' } }))).toEqual({ email: 'must be a valid email address' });
  });

  it('a website must be https, name no user before its host, and name a domain, and says which it is not', async () => {
    const website = async (value: string) => t.api('PATCH', '/api/me', { token, body: { website: value } });
    expect(refused(await website('http://x.example.com'))).toEqual({ website: 'must be a web address starting with https://' });
    expect(refused(await website('https://evil.example@good.example/'))).toEqual({ website: 'must not have a user name or password before the site (user@…)' });
    expect(refused(await website('https://127.0.0.1/'))).toEqual({ website: 'must name the site by its domain, not an IP address' });
    expect((await website('https://good.example/')).body.website).toBe('https://good.example/');
  });
});

describe('text that is not valid Unicode', () => {
  it('a lone surrogate anywhere in a body is a 400 naming where, and nothing is stored', async () => {
    const before = snapshot();
    const title = await t.api('POST', '/api/leedz', { token, raw: JSON.stringify(newLeedBody()).replace('"Birthday', '"\\udc00Birthday'), headers: { 'content-type': 'application/json' } });
    expect(refused(title)).toEqual({ title: 'must be valid Unicode text (a lone surrogate \\udc00)' });
    const reason = await t.api('POST', `${leedPath}/report`, { token, raw: '{"reason": "x\\ud800x"}', headers: { 'content-type': 'application/json' } });
    expect(refused(reason)).toEqual({ reason: 'must be valid Unicode text (a lone surrogate \\ud800)' });
    expect(snapshot()).toBe(before);
  });

  it('parseJsonBody names the path of a key or value at any depth, and takes a surrogate pair', () => {
    const parse = (text: string) => parseJsonBody(new TextEncoder().encode(text));
    const fieldsOf = (text: string) => {
      const parsed = parse(text);
      if (!('status' in parsed)) throw new Error(`expected a refusal of ${text}`);
      expect(parsed.status).toBe(400);
      return (parsed.body as { error: { fields: { path: string; message: string }[] } }).error.fields;
    };
    expect(fieldsOf('{"visibility": {"details": ["ok", "\\uDC00"]}}')).toEqual([{ path: 'visibility.details.1', message: 'must be valid Unicode text (a lone surrogate \\udc00)' }]);
    expect(fieldsOf('{"a\\ud800": 1}')).toEqual([{ path: 'a\\ud800', message: 'must be valid Unicode text (a lone surrogate \\ud800)' }]);
    expect(fieldsOf('"\\ude00"')).toEqual([{ path: '(body)', message: 'must be valid Unicode text (a lone surrogate \\ude00)' }]);
    expect(parse('{"title": "smile \\ud83d\\ude00", "path": "C:\\\\udc00"}')).toEqual({ raw: '{"title": "smile \\ud83d\\ude00", "path": "C:\\\\udc00"}', body: { title: 'smile 😀', path: 'C:\\udc00' } });
  });
});

describe('the OpenAPI document', () => {
  it('lists 400 for every operation, and no 403 for the one-click unsubscribe, which checks no Origin', async () => {
    const document = (await t.api('GET', '/api/openapi.json')).body;
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)) {
      for (const [method, operation] of Object.entries(operations)) expect(Object.keys(operation.responses), `${method} ${path}`).toContain('400');
    }
    expect(Object.keys(document.paths['/api/unsubscribe'].post.responses)).not.toContain('403');
    expect(Object.keys(document.paths['/api/me/calendar'].post.responses)).toContain('403');
  });
});
