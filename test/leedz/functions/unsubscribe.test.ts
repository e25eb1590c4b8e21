/**
 * `POST /api/unsubscribe?token=…`: one trade off a vendor's subscriptions, whatever else changes the
 * list meanwhile. A race probe on DynamoDB found two links clicked at once each writing back the list
 * as it had read it, so one trade came back; the same race in-process here, on SQLite.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSqliteStore, type SqliteStore } from '../../../src/adapters/store/sqlite/sqlite-store.js';
import { unsubscribeToken } from '../../../src/leedz/emails/unsubscribe.js';
import type { HttpRequest, HttpResult } from '../../../src/leedz/functions/http.js';
import { createMarketplace, type Marketplace } from '../../../src/leedz/marketplace.js';
import { aUser } from '../../helpers/builders.js';
import { callFunction } from '../../helpers/call-function.js';
import { localDeps } from '../../helpers/local-deps.js';
import { tempDir } from '../../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
let marketplace: Marketplace;

beforeEach(async () => {
  dir = tempDir('leedz-unsubscribe-');
  store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
  marketplace = createMarketplace(localDeps(store, dir.path));
  await store.addTrades([{ name: 'dj' }, { name: 'magic' }, { name: 'juggling' }]);
  await store.createUser(aUser({ username: 'sam' }), []);
  await store.updateUser('sam', { subscriptions: ['dj', 'magic', 'juggling'] });
});

afterEach(() => {
  store.close();
  dir.cleanup();
});

function call(name: string, request: Partial<HttpRequest>): Promise<HttpResult & { body: any }> {
  return callFunction(marketplace, name, request, []);
}

async function unsubscribeLink(trade: string): Promise<Partial<HttpRequest>> {
  return { query: { token: unsubscribeToken(await store.unsubscribeSecret(), { username: 'sam', trade }) } };
}

it('takes each trade off when the links of two trades are clicked at once', async () => {
  const links = [await unsubscribeLink('dj'), await unsubscribeLink('magic')];

  const answers = await Promise.all(links.map((link) => call('unsubscribe', link)));

  expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
  expect((await store.getUser('sam'))?.subscriptions).toEqual(['juggling']);
  expect(await store.listSubscribers('dj', null, 10)).toEqual([]);
  expect(await store.listSubscribers('magic', null, 10)).toEqual([]);
});

it('keeps what a profile change racing an unsubscribe writes: the trade it adds, and not the trade it drops', async () => {
  await store.updateUser('sam', { subscriptions: ['dj', 'magic'] });
  const link = await unsubscribeLink('dj');

  const [unsubscribed, patched] = await Promise.all([
    call('unsubscribe', link),
    call('updateMe', { caller: { username: 'sam', email: 'sam@example.com' }, body: { subscriptions: ['magic', 'juggling'] } }),
  ]);

  expect([unsubscribed.status, patched.status]).toEqual([200, 200]);
  // In either order: the change drops dj and adds juggling, and the unsubscribe drops dj.
  expect((await store.getUser('sam'))?.subscriptions).toEqual(['magic', 'juggling']);
});
