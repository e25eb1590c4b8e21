/**
 * Issue 8, item 11: no secret at rest or in the log. A user signs in through the magic link, uses the
 * API with the session token, posts a leed; then the data folder is searched the way someone holding
 * a copy of it would search it: every file as bytes (SQLite's `-wal` and `-shm` included) and every
 * row of both databases.
 *
 * - The session JWT is nowhere (the HTTP edge verifies it and hands functions the caller only).
 * - The magic link's token is only in the email that carries it (`email_outbox` of leedz.db, the
 *   recipient's copy): never in runtime.db (queue and invocation log).
 * - The operator's console link and session cookie are kept as hashes only.
 * - Files are 0600, folders 0700.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDACTED } from '../../src/runtime/redact.js';
import { resolveServerConfig } from '../../src/server/config.js';
import { startServer } from '../../src/server/serve.js';
import { signedFetch } from '../../src/server/signed-fetch.js';
import { entriesUnder, filesContaining, tablesContaining } from '../helpers/data-folder.js';
import { openConsoleLink } from '../helpers/console-link.js';
import { newLeedBody, signInTokenOf, startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const EMAIL = 'pat@example.com';
/** The client's contact of the leed posted: hidden until bought, and what a buyer pays for. */
const CLIENT = { email: 'hidden.client@example.com', newEmail: 'second.client@example.com', typo: 'typo.client@example.com', phone: '(555) 010-2288', digits: '5550102288' };
/** The leed's location, hidden (the default) until it is bought. */
const LOCATION = '77 Quiet Hollow Road, Springfield, IL 62701';

let t: TestServer;
/** The session JWT the callback returned. */
let jwt: string;
/** The sign-in token of the magic link, as the email carries it. */
let magicToken: string;
/** The operator's one-time console link token and the session cookie it opened. */
let consoleToken: string;
let operatorSession: string;
/** A sign-in link's token, sent under a misspelt name (refused) and never spent. */
let unspentToken: string;
/** An unsubscribe link's token in the shape the links carry, sent in a one-click POST's body instead of its query (refused). */
const UNSUBSCRIBE_TOKEN = 'cGF0.Y2FyaWNhdHVyZXM.Zm9yZ2VkLWJ1dC1zZWNyZXQ';

beforeAll(async () => {
  t = await startTestServer();
  await t.server.marketplace!.store.addTrades([{ name: 'caricatures' }]);
  ({ token: jwt } = await t.signIn(EMAIL));
  const [email] = t.server.marketplace!.outbox.listEmails({ to: EMAIL, kind: 'magic-link', limit: 1 });
  // The link carries it after `token=`, in the query (`/api/auth/callback?token=…`) or the fragment (`/signin/confirm#token=…`).
  magicToken = decodeURIComponent(/https?:\/\/\S+[?#&]token=([A-Za-z0-9_%.~-]+)/.exec(email!.text)![1]!);
  expect(magicToken.length).toBeGreaterThanOrEqual(16);

  const bearer = { token: jwt };
  expect((await t.api('GET', '/api/me', bearer)).status).toBe(200);
  expect((await t.api('PATCH', '/api/me', { ...bearer, body: { subscriptions: ['caricatures'], zip: '62701' } })).status).toBe(200);
  const posted = await t.api('POST', '/api/leedz', { ...bearer, body: newLeedBody({ clientEmail: CLIENT.email, clientPhone: CLIENT.phone, location: LOCATION }) });
  expect(posted.status).toBe(201);
  const own = await t.api('GET', `/api/leedz/caricatures/${posted.body.id}`, bearer);
  expect(own.body).toMatchObject({ clientEmail: CLIENT.email, clientPhone: CLIENT.digits });
  // The creator's view, and every answer with what is the caller's own, is for the caller alone.
  expect(own.headers.get('cache-control')).toBe('private, no-store');
  expect((await t.api('GET', '/api/me', bearer)).headers.get('cache-control')).toBe('private, no-store');
  const edited = await t.api('PATCH', `/api/leedz/caricatures/${posted.body.id}`, { ...bearer, body: { title: 'Birthday party needs two caricature artists', clientEmail: CLIENT.newEmail } });
  expect(edited.status).toBe(200);
  expect(edited.headers.get('cache-control')).toBe('private, no-store');
  // What a stranger sees of the leed may be cached; it holds no contact.
  const seen = await t.api('GET', `/api/leedz/caricatures/${posted.body.id}`);
  expect(seen.body.clientEmail).toBeUndefined();
  expect(seen.headers.get('cache-control')).toBeNull();
  // A field under a misspelt name is refused, its value still in the request: the log must not keep it either.
  expect((await t.api('POST', '/api/leedz', { ...bearer, body: newLeedBody({ clientEmail: undefined, clientemail: CLIENT.typo }) })).status).toBe(400);
  expect((await t.api('POST', '/api/auth/login', { body: { email: 'sam@example.com' } })).status).toBe(202);
  await t.settle();
  unspentToken = signInTokenOf(t.server.marketplace!.outbox.listEmails({ to: 'sam@example.com', kind: 'magic-link', limit: 1 })[0]!.text)!;
  expect((await t.api('POST', '/api/auth/callback', { body: { tokne: unspentToken } })).status).toBe(400);
  // A one-click unsubscribe whose token came in the form body, not the query: refused, and not logged either.
  const oneClick = await fetch(`${t.url}/api/unsubscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `List-Unsubscribe=One-Click&token=${UNSUBSCRIBE_TOKEN}`,
  });
  expect(oneClick.status).toBe(400);
  // The browser's way: the session cookie instead of the header.
  expect((await t.api('GET', '/api/me', { headers: { cookie: `leedz_session=${jwt}` } })).status).toBe(200);

  const link = new URL(t.server.consoleUrl());
  consoleToken = link.searchParams.get('token')!;
  const opened = await openConsoleLink(link.href);
  operatorSession = /leedz_operator=([^;]+)/.exec(opened.setCookie!)![1]!;
  expect((await fetch(`${t.url}/local/invocations`, { headers: { cookie: `leedz_operator=${operatorSession}` } })).status).toBe(200);
  await t.settle();
});

afterAll(async () => {
  await t?.close();
});

/** Every key of a JSON value, with the value under it, at any depth. */
function* entriesDeep(value: unknown): Generator<[string, unknown]> {
  if (value === null || typeof value !== 'object') return;
  for (const [key, inner] of Object.entries(value)) {
    yield [key, inner];
    yield* entriesDeep(inner);
  }
}

/** What `stat` says of the data folder: files 0600, folders 0700 (the folder itself included). */
function expectPrivate(dataDir: string): void {
  expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  const entries = entriesUnder(dataDir);
  expect(entries.map((entry) => entry.path)).toEqual(expect.arrayContaining(['runtime.db', 'leedz.db', 'keys', join('keys', 'runtime-credentials.json')]));
  const wrong = entries.filter((entry) => entry.mode !== (entry.directory ? 0o700 : 0o600)).map((entry) => `${entry.path} ${entry.mode.toString(8)}`);
  expect(wrong).toEqual([]);
}

describe('while the server runs', () => {
  it('the invocation log served with payloads shows "[redacted]" for the callback’s token, and no token, cookie or authorization anywhere', async () => {
    const response = await signedFetch(`${t.url}/local/invocations?withPayload=true&limit=10000`, { method: 'GET' }, t.server.credentials);
    expect(response.status).toBe(200);
    const invocations = (await response.json()) as { function: string; payload: unknown }[];
    const callbacks = invocations.filter((invocation) => invocation.function === 'authCallback');
    expect(callbacks).toHaveLength(2);
    // The token arrives in the query (GET ?token=) or the body (POST {token}), or misspelt; either way the log has "[redacted]".
    const callbackTokens = callbacks.flatMap((callback) => [...entriesDeep(callback.payload)].filter(([key]) => /^tok/.test(key)).map(([key, value]) => [key, value]));
    expect(callbackTokens.sort()).toEqual([['token', REDACTED], ['tokne', REDACTED]]);

    // Any field that could carry a credential holds "[redacted]" or is absent.
    const credentialFields = invocations.flatMap((invocation) =>
      [...entriesDeep(invocation.payload)].filter(([key]) => /^(token|authorization|cookie|set-cookie)$/i.test(key)).map(([key, value]) => ({ function: invocation.function, key, value })),
    );
    expect(credentialFields).toEqual([{ function: 'authCallback', key: 'token', value: REDACTED }]);
    // Session routes were called (and logged), with the caller's identity only.
    expect(invocations.filter((invocation) => invocation.function === 'getMe')).toHaveLength(3);
    for (const invocation of invocations.filter((i) => ['getMe', 'updateMe', 'addLeed', 'editLeed'].includes(i.function))) {
      expect(invocation.payload).toMatchObject({ caller: { email: EMAIL } });
    }

    // Nor in any other field, under any name (a URL, a raw body): where each secret is, if anywhere.
    const holding = (secret: string) =>
      invocations.flatMap((invocation) =>
        [...entriesDeep(invocation)].filter(([, value]) => typeof value === 'string' && value.includes(secret)).map(([key]) => `${invocation.function}: ${key}`),
      );
    expect(holding(jwt), 'the session JWT is in the invocation log').toEqual([]);
    expect(holding(magicToken), 'the magic-link token is in the invocation log').toEqual([]);
    // A client's contact, sent to addLeed and editLeed and shown to the creator by getLeed: in no request, no answer.
    for (const secret of [CLIENT.email, CLIENT.newEmail, CLIENT.digits, CLIENT.typo]) expect(holding(secret), `${secret} is in the invocation log`).toEqual([]);
    expect(holding(unspentToken), 'a sign-in token sent misspelt is in the invocation log').toEqual([]);
    expect(holding(UNSUBSCRIBE_TOKEN), 'an unsubscribe token sent in the body is in the invocation log').toEqual([]);
    expect(invocations.filter((invocation) => invocation.function === 'unsubscribe')).toHaveLength(1);
    // Nor the hidden location a buyer pays for.
    expect(holding('Quiet Hollow'), 'the hidden location is in the invocation log').toEqual([]);
  });

  it.skipIf(process.platform === 'win32')('every file of the data folder is 0600 and every folder 0700', () => {
    expectPrivate(t.dataDir);
  });
});

describe('after the server is closed, in every file of the data folder', () => {
  beforeAll(async () => {
    await t.server.close();
  });

  it('the session JWT appears nowhere, whole or its signature alone', () => {
    expect(filesContaining(t.dataDir, jwt)).toEqual([]);
    expect(filesContaining(t.dataDir, jwt.split('.')[2]!)).toEqual([]);
  });

  it('the magic-link token is not in runtime.db, runtime.db-wal or runtime.db-shm (raw bytes)', () => {
    expect(filesContaining(t.dataDir, magicToken).filter((path) => path.startsWith('runtime.db'))).toEqual([]);
  });

  it('the operator’s console link and session are not there either (kept as hashes)', () => {
    expect(filesContaining(t.dataDir, consoleToken)).toEqual([]);
    expect(filesContaining(t.dataDir, operatorSession)).toEqual([]);
  });

  it.skipIf(process.platform === 'win32')('files are still 0600 and folders 0700', () => {
    expectPrivate(t.dataDir);
  });

  // Last: opening a database with SQLite may write its -shm file.
  it('row by row: the magic-link token is only in leedz.db’s email_outbox (the recipient’s email), the JWT in no table', () => {
    const runtimeDb = join(t.dataDir, 'runtime.db');
    const leedzDb = join(t.dataDir, 'leedz.db');
    expect(tablesContaining(runtimeDb, magicToken)).toEqual([]);
    expect(tablesContaining(leedzDb, magicToken)).toEqual(['email_outbox']);
    expect(tablesContaining(runtimeDb, jwt)).toEqual([]);
    expect(tablesContaining(leedzDb, jwt)).toEqual([]);
    // The client's contact is the leed's (leedz.db), never the log's.
    for (const secret of [CLIENT.email, CLIENT.newEmail, CLIENT.digits]) expect(tablesContaining(runtimeDb, secret), secret).toEqual([]);
    expect(tablesContaining(leedzDb, CLIENT.newEmail)).toContain('leedz');
    // The raw search agrees: outside runtime.db, only leedz.db's own files hold the email.
    expect(filesContaining(t.dataDir, magicToken).every((path) => path.startsWith('leedz.db'))).toBe(true);
  });
});

describe('a data folder left readable by others (made before this version, or by hand)', () => {
  it.skipIf(process.platform === 'win32')('is made private when the server starts: files 0600, folders 0700', async () => {
    const dir = tempDir('leedz-loose-');
    try {
      chmodSync(dir.path, 0o755);
      mkdirSync(join(dir.path, 'keys'), { mode: 0o755 });
      chmodSync(join(dir.path, 'keys'), 0o755);
      // An empty file is a new database to SQLite.
      closeSync(openSync(join(dir.path, 'leedz.db'), 'w', 0o644));
      chmodSync(join(dir.path, 'leedz.db'), 0o644);
      closeSync(openSync(join(dir.path, 'keys', 'old-copy.json'), 'w', 0o644));
      chmodSync(join(dir.path, 'keys', 'old-copy.json'), 0o644);
      const server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.001' }));
      try {
        expectPrivate(dir.path);
      } finally {
        await server.close();
      }
      expectPrivate(dir.path);
    } finally {
      dir.cleanup();
    }
  });
});

