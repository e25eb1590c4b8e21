import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchQuerySchema } from '../../src/leedz/functions/search-leedz.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

/**
 * Property-based: whatever a client sends to any route's body or query, the answer is never a 5xx;
 * a refusal is a 400 that names the fields; and stored data is unchanged.
 */

let t: TestServer;
let token: string;
let leedPath: string;

const RUNS = Number(process.env.LEEDZ_FC_RUNS ?? 60);

beforeAll(async () => {
  t = await startTestServer();
  await t.server.marketplace!.store.addTrades([{ name: 'caricatures' }, { name: 'dj' }]);
  ({ token } = await t.signIn('fuzzer@example.com'));
  const posted = await t.api('POST', '/api/leedz', { token, body: newLeedBody() });
  leedPath = `/api/leedz/caricatures/${posted.body.id}`;
  await t.settle();
});

afterAll(async () => {
  await t?.close();
});

/** Everything a bad request could have changed: the store's tables and the emails. */
function snapshot(): string {
  const db = t.server.marketplace!.store.db;
  const tables = ['trades', 'users', 'subscriptions', 'leedz', 'outbox', 'stats', 'applied_bookkeeping', 'email_outbox', 'local_checkouts'];
  return JSON.stringify(tables.map((table) => db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()));
}

async function expectRefused(method: string, path: string, body: unknown, field?: string): Promise<void> {
  const before = snapshot();
  const response = await t.api(method, path, { token, raw: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  expect(response.status, JSON.stringify({ body, response: response.body })).toBe(400);
  expect(response.body.error.code).toBe('VALIDATION');
  const fields = response.body.error.fields as { path: string; message: string }[];
  expect(fields.length).toBeGreaterThan(0);
  for (const f of fields) {
    expect(typeof f.path).toBe('string');
    expect(f.message.length).toBeGreaterThan(0);
  }
  if (field !== undefined) expect(fields.some((f) => f.path === field || f.path.startsWith(`${field}.`)), JSON.stringify(fields)).toBe(true);
  expect(snapshot()).toBe(before);
}

/** Values of every JSON kind; most are wrong for any particular field. */
const anyJson = fc.jsonValue({ maxDepth: 2 });

/**
 * Text over `max` characters once trimmed, as the API trims text before it checks its length: a long
 * string that is mostly blank would be a valid value.
 */
const overLong = (max: number, upTo: number) => fc.string({ minLength: max + 1, maxLength: upTo }).filter((s) => s.trim().length > max);

/**
 * A bad value for each field of a new leed, so the refusal must name exactly that field. A blank
 * string is no bad value of an optional field (`price`, `visibility`): it counts as absent.
 */
const badLeedField = fc.oneof(
  fc.record({ field: fc.constant('title'), value: fc.oneof(overLong(120, 200), fc.integer(), fc.constant(null)) }),
  fc.record({ field: fc.constant('price'), value: fc.oneof(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 10_001 }), fc.integer({ max: -1 }), fc.double({ min: 100.01, max: 9999.99, noInteger: true, noNaN: true }), fc.string().filter((s) => s.trim() !== '')) }),
  fc.record({ field: fc.constant('start'), value: fc.oneof(fc.string({ maxLength: 30 }), fc.constant('2020-01-01T00:00:00Z'), fc.integer()) }),
  fc.record({ field: fc.constant('location'), value: fc.oneof(fc.string({ maxLength: 40 }).filter((s) => !/\d{5}\s*$/.test(s)), fc.constant('123 Main Street'), fc.integer()) }),
  fc.record({ field: fc.constant('clientPhone'), value: fc.oneof(fc.string({ minLength: 1, maxLength: 9 }).filter((s) => s.trim().length > 0), fc.constant('555-1234'), fc.integer()) }),
  fc.record({ field: fc.constant('clientEmail'), value: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('@') && s.trim().length > 0), fc.integer()) }),
  fc.record({ field: fc.constant('details'), value: fc.oneof(overLong(1000, 1100), fc.array(fc.string())) }),
  fc.record({ field: fc.constant('trade'), value: fc.oneof(fc.constant('DJ'), fc.integer(), fc.constant(null)) }),
  fc.record({ field: fc.constant('visibility'), value: fc.oneof(fc.string().filter((s) => s.trim() !== ''), fc.constant({ location: 'maybe' }), fc.constant({ nonsense: 'hidden' })) }),
  fc.record({ field: fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !['trade', 'title', 'location', 'start', 'end', 'price', 'clientEmail', 'clientPhone', 'details', 'requirements', 'visibility', '__proto__'].includes(k)), value: anyJson }),
);

describe('bad input never breaks anything', () => {
  it('POST /api/leedz: any body that is not an object is a 400 and stores nothing', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(anyJson.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)), fc.constant({})), (body) => expectRefused('POST', '/api/leedz', body)), { numRuns: RUNS });
  });

  it('POST /api/leedz: one bad field is a 400 naming that field, and stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(badLeedField, async ({ field, value }) => {
        await expectRefused('POST', '/api/leedz', { ...newLeedBody({ location: '900 Walnut Street, Springfield, IL 62704' }), [field]: value }, field);
      }),
      { numRuns: RUNS },
    );
  });

  it('PATCH /api/leedz/{trade}/{id}: one bad field is a 400 naming it, and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(badLeedField.filter(({ field }) => field !== 'trade'), async ({ field, value }) => {
        await expectRefused('PATCH', leedPath, { [field]: value }, field);
      }),
      { numRuns: RUNS },
    );
  });

  it('PATCH /api/leedz/{trade}/{id} and PATCH /api/me: a body that is not an object is a 400 about the body, not an empty change', async () => {
    const notAnObject = fc.oneof(fc.constant(null), fc.constant([]), fc.array(anyJson, { maxLength: 3 }), fc.string(), fc.integer(), fc.boolean());
    await fc.assert(
      fc.asyncProperty(notAnObject, fc.constantFrom(leedPath, '/api/me'), async (body, path) => {
        await expectRefused('PATCH', path, body, '(body)');
      }),
      { numRuns: RUNS },
    );
  });

  it('PATCH /api/me: bad profile fields are a 400 naming them', async () => {
    const badProfile = fc.oneof(
      fc.record({ field: fc.constant('zip'), value: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }).filter((s) => !/^\d{5}$/.test(s.trim()) && s.trim() !== '')) }),
      fc.record({ field: fc.constant('radius'), value: fc.oneof(fc.integer().filter((n) => ![5, 10, 20, 35, 50, 80, 100].includes(n)), fc.string()) }),
      fc.record({ field: fc.constant('subscriptions'), value: fc.oneof(fc.array(fc.constantFrom('dj', 'caricatures', 'a', 'b', 'c', 'd', 'e', 'f'), { minLength: 7, maxLength: 9 }).filter((a) => new Set(a).size > 6), fc.string(), fc.constant(['no such trade'])) }),
      fc.record({ field: fc.constant('about'), value: fc.oneof(overLong(350, 400), fc.integer()) }),
      fc.record({ field: fc.constant('website'), value: fc.oneof(fc.constant('javascript:alert(1)'), fc.constant('not a url'), fc.integer()) }),
      fc.record({ field: fc.constantFrom('email', 'badges', 'posted', 'username', 'paymentsConnected'), value: anyJson }),
    );
    await fc.assert(fc.asyncProperty(badProfile, ({ field, value }) => expectRefused('PATCH', '/api/me', { [field]: value }, field)), { numRuns: RUNS });
  });

  it('PATCH /api/me: an unknown zip is named in the same answer as the other bad fields, not after they are fixed', async () => {
    const before = snapshot();
    const answer = await t.api('PATCH', '/api/me', { token, body: { website: 'not a url', zip: '99999', about: 'x'.repeat(400) } });
    expect(answer.status).toBe(400);
    expect((answer.body.error.fields as { path: string }[]).map((f) => f.path).sort()).toEqual(['about', 'website', 'zip']);
    expect(answer.body.error.fields).toContainEqual({ path: 'zip', message: 'is not a known US zip code' });
    expect(snapshot()).toBe(before);
  });

  it('POST report, login: bad bodies are 400s naming the field', async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.constant(''), overLong(1000, 1100), fc.integer(), fc.constant(null)), (reason) => expectRefused('POST', `${leedPath}/report`, { reason }, 'reason')), { numRuns: Math.ceil(RUNS / 2) });
    await fc.assert(fc.asyncProperty(fc.oneof(fc.string({ maxLength: 30 }).filter((s) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(s)), fc.integer()), (email) => expectRefused('POST', '/api/auth/login', { email }, 'email')), { numRuns: Math.ceil(RUNS / 2) });
  });

  it('GET /api/leedz: any query is answered without a 5xx; a refusal names the parameters', async () => {
    const query = fc.dictionary(fc.constantFrom('trades', 'from', 'to', 'zip', 'radius', 'limit', 'perDay', 'x'), fc.oneof(fc.string({ maxLength: 30 }), fc.constant('2026-13-40T99:00:00Z'), fc.constant('99999'), fc.constant('-5')), { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(query, async (params) => {
        const response = await t.api('GET', `/api/leedz?${new URLSearchParams(params)}`);
        expect(response.status, JSON.stringify({ params, body: response.body })).toBeLessThan(500);
        if (response.status === 400) {
          const fields = response.body.error.fields as { path: string }[];
          expect(fields.length).toBeGreaterThan(0);
          // Each refusal names a parameter that was sent, or one the search takes (required, or the other of zip and radius;
          // `trades.0`: its first trade), never the request as a whole.
          for (const field of fields) expect([...Object.keys(params), ...Object.keys(searchQuerySchema.shape)]).toContain(field.path.split('.')[0]);
        } else expect(response.status).toBe(200);
      }),
      { numRuns: RUNS },
    );
  });

  it('a query parameter the search does not take is named, with the one it most likely meant', async () => {
    const response = await t.api('GET', '/api/leedz?trade=dj&from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00Z');
    expect(response.status).toBe(400);
    expect(response.body.error.fields).toContainEqual({ path: 'trade', message: 'is not a parameter of this request; did you mean "trades"?' });
    expect(response.body.error.message).toBe('invalid trades, trade');
    // A parameter left out is "required", in the words every other refusal uses.
    const bare = await t.api('GET', '/api/leedz?trades=dj');
    expect(bare.body.error.fields).toEqual([
      { path: 'from', message: 'is required' },
      { path: 'to', message: 'is required' },
    ]);
  });

  it('bodies that are not JSON, or too large, are refused without a 5xx', async () => {
    const before = snapshot();
    const notJson = await t.api('POST', '/api/leedz', { token, raw: '{"title": ', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    const huge = await t.api('POST', '/api/leedz', { token, raw: JSON.stringify({ title: 'x'.repeat(200_000) }), headers: { 'content-type': 'application/json' } });
    expect(huge.status).toBe(413);
    const path = await t.api('GET', `/api/leedz/${'x'.repeat(100)}/${'y'.repeat(100)}`);
    expect(path.status).toBe(400);
    expect(snapshot()).toBe(before);
  });
});
