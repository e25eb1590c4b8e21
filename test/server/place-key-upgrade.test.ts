/**
 * A data folder written before the zip geocoder's place key left out the town and the state: the
 * server and `leedz seed` both open it with the geocoder's rule, so its leedz are re-keyed and an old
 * leed still blocks its slot (docs/marketplace.md, Conflicts).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { resolveServerConfig } from '../../src/server/config.js';
import { wireMarketplace } from '../../src/server/marketplace-wiring.js';
import { seedDataFolder } from '../../src/server/seed-command.js';
import { aLeed, aUser } from '../helpers/builders.js';
import { asBeforeRekeying } from '../helpers/store-upgrade.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('a data folder from before the street-and-zip place key', () => {
  let dir: ReturnType<typeof tempDir>;
  const old = aLeed({ location: '123 Main Street, Springfield, IL 62701', placeKey: '123 main st springfield il 62701' });

  beforeEach(async () => {
    dir = tempDir('leedz-upgrade-');
    // As the release before left it: the leed keyed by its whole address, one migration to go.
    const store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
    await store.addTrades([{ name: 'dj' }]);
    await store.createUser(aUser({ username: 'pat' }), []);
    await store.insertLeed(old, []);
    asBeforeRekeying(store.db);
    store.close();
  });

  afterEach(() => dir.cleanup());

  it('the server re-keys it when it opens the store', async () => {
    const wiring = wireMarketplace({ dataDir: dir.path, durability: 'process-crash', publicUrl: 'http://localhost', adminEmail: 'ops@example.com', mailFrom: 'leedz@example.com', log: () => {} });
    try {
      expect((await wiring.store.getLeed('dj', old.id))?.placeKey).toBe('123 main st 62701');
    } finally {
      await wiring.close();
    }
  });

  it('`leedz seed` re-keys it too', async () => {
    await seedDataFolder(resolveServerConfig({ LEEDZ_DATA_DIR: dir.path }), { users: 1, leedz: 0, seed: 1 });
    const store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
    try {
      expect((await store.getLeed('dj', old.id))?.placeKey).toBe('123 main st 62701');
    } finally {
      store.close();
    }
  });
});
