/**
 * Redeeming a sign-in link when what follows the spent link fails (the identity provider throttled):
 * the person is told to ask for a new link (503), never shown a fault, and the failure is logged.
 * Driven in-process over the local adapters (SQLite, the local identity).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalIdentity } from '../../../src/adapters/identity/local/local-identity.js';
import { createSqliteStore, type SqliteStore } from '../../../src/adapters/store/sqlite/sqlite-store.js';
import { createMarketplace, type Marketplace } from '../../../src/leedz/marketplace.js';
import type { Identity } from '../../../src/leedz/ports.js';
import { aUser } from '../../helpers/builders.js';
import { callFunction } from '../../helpers/call-function.js';
import { localDeps } from '../../helpers/local-deps.js';
import { tempDir } from '../../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
let identity: Identity;
let marketplace: Marketplace;
/** When set, issuing a session fails with this error (Cognito's admin API throttled, say). */
let identityDown: Error | undefined;
let logged: string[];

beforeEach(async () => {
  dir = tempDir('leedz-sign-in-');
  store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
  identityDown = undefined;
  logged = [];
  const local = createLocalIdentity({ db: store.db, keyDir: join(dir.path, 'keys') });
  identity = {
    ...local,
    async issueSession(user) {
      if (identityDown !== undefined) throw identityDown;
      return local.issueSession(user);
    },
  };
  marketplace = createMarketplace(localDeps(store, dir.path, { identity }));
  await store.createUser(aUser({ username: 'pat', email: 'pat@example.com' }), []);
});

afterEach(() => {
  store.close();
  dir.cleanup();
});

const redeem = (token: string) => callFunction(marketplace, 'authCallback', { body: { token } }, logged);

describe('redeeming a sign-in link', () => {
  it('when the session cannot be issued, answers 503 telling to ask for a new link, logs why, and the spent link stays spent', async () => {
    const token = await identity.issueLoginToken('pat@example.com');
    identityDown = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
    const failed = await redeem(token);
    expect(failed.status).toBe(503);
    expect(failed.body.error).toEqual({ code: 'UNAVAILABLE', message: expect.stringContaining('ask for a new sign-in link') });
    expect(logged).toEqual([expect.stringContaining('TooManyRequestsException: Rate exceeded')]);

    identityDown = undefined;
    expect((await redeem(token)).body.error.code).toBe('LINK_USED_OR_EXPIRED');
    const fresh = await redeem(await identity.issueLoginToken('pat@example.com'));
    expect(fresh.status).toBe(200);
    expect(fresh.body.user).toMatchObject({ username: 'pat' });
  });
});
