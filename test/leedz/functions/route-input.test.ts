/**
 * What `leedz invoke NAME --help`, `GET /local/functions/NAME` and the console's Send tab show of an
 * HTTP function (src/leedz/functions/route-input.ts): an example each function takes as it is — query
 * values as text, a caller where the route has a session — and a store's refusal that a handler does
 * not answer itself is the API's 404, not a function error.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../../src/adapters/store/sqlite/sqlite-store.js';
import { httpRequestSchema } from '../../../src/leedz/functions/http.js';
import { ROUTES } from '../../../src/leedz/functions/routes.js';
import { createMarketplace, type Marketplace } from '../../../src/leedz/marketplace.js';
import { aUser } from '../../helpers/builders.js';
import { callFunction } from '../../helpers/call-function.js';
import { localDeps } from '../../helpers/local-deps.js';
import { tempDir } from '../../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
let marketplace: Marketplace;

beforeEach(() => {
  dir = tempDir('leedz-route-input-');
  store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
  // Before the API reference's example dates (a post must start in the future).
  marketplace = createMarketplace(localDeps(store, dir.path, { now: () => new Date('2026-12-01T12:00:00Z') }));
});

afterEach(() => {
  store.close();
  dir.cleanup();
});

const exampleOf = (name: string) => marketplace.functions.find((fn) => fn.name === name)!.describeInput()[0]!.example as Record<string, any>;

describe('an HTTP function’s described input', () => {
  it.each(ROUTES.map((route) => [route.function, route] as const))('%s: its example is a request the edge could hand it, as its route takes it', (name, route) => {
    const example = exampleOf(name);
    // The function's own input: query values are text, as they arrive.
    expect(httpRequestSchema.safeParse(example).error?.issues ?? []).toEqual([]);
    for (const value of Object.values(example.query ?? {})) expect(typeof value).toBe('string');
    // The route's own rules on what it takes.
    if (route.query !== undefined) expect(route.query.safeParse(example.query ?? {}).error?.issues ?? [], 'query').toEqual([]);
    if (route.body !== undefined) expect(route.body.safeParse(example.body).error?.issues ?? [], 'body').toEqual([]);
    // A route with a session is called as someone; one without is not.
    expect(example.caller !== undefined).toBe(route.auth === 'session' || route.auth === 'optional');
  });

  it('runs: a post of the example, as the vendor it names, is created', async () => {
    await store.addTrades([{ name: 'dj' }]);
    await store.createUser(aUser({ username: 'pat', email: 'pat@example.com' }), []);
    const posted = await callFunction(marketplace, 'addLeed', exampleOf('addLeed'), []);
    expect(posted).toMatchObject({ status: 201, body: { trade: 'dj', title: 'Wedding needs a DJ' } });
    const upcoming = await callFunction(marketplace, 'upcomingLeedz', exampleOf('upcomingLeedz'), []);
    expect(upcoming.status).toBe(200);
  });

  it('describes a query’s number as text holding one (JSON Schema’s contentSchema)', () => {
    const upcoming = marketplace.functions.find((fn) => fn.name === 'upcomingLeedz')!.describeInput()[0]!;
    const query = (upcoming.schema as any).properties.query.properties;
    expect(query.limit).toEqual({ type: 'string', contentMediaType: 'application/json', contentSchema: { type: 'integer', minimum: 1, maximum: 1000 } });
    expect(query.from.type).toBe('string');
  });
});

describe('a store’s refusal a handler does not answer itself', () => {
  it('is the API’s 404 (a caller whose user does not exist), not a function error', async () => {
    const caller = { username: 'nobody', email: 'nobody@example.com' };
    expect(await callFunction(marketplace, 'updateMe', { caller, body: { zip: '62701' } }, [])).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await callFunction(marketplace, 'newCalendarFeed', { caller }, [])).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
  });
});
