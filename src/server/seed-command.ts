/** `leedz seed`: demo data written straight into the data folder's store (a running server may share it). */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { createZipGeocoder, zipGeocoderPlaceKey } from '../adapters/geocoder/zip/zip-geocoder.js';
import { createSqliteStore } from '../adapters/store/sqlite/sqlite-store.js';
import { UsageError } from './cli-support.js';
import type { ServerConfig } from './config.js';
import { prepareDataDir } from './data-dir.js';
import { seedMarketplace, type SeedOptions, type SeedResult } from './seed.js';

/**
 * Seed the data folder's `leedz.db`, making the folder as the server does (src/server/data-dir.ts).
 *
 * @example
 * await seedDataFolder(resolveServerConfig(process.env), { users: 40, leedz: 150, seed: 42 });
 */
export async function seedDataFolder(config: ServerConfig, options: SeedOptions): Promise<SeedResult> {
  const path = join(config.dataDir, 'leedz.db');
  // `--users 0` posts the leedz as the demo vendors an earlier seed added: a folder without them is
  // refused before anything is written to it.
  const needsVendors = options.users === 0 && options.leedz > 0;
  const noVendors = () => new UsageError(`--users 0 posts the leedz as the demo vendors of an earlier seed, and ${config.dataDir} has none: give --users 1 or more`);
  if (needsVendors && !existsSync(path)) throw noVendors();
  prepareDataDir(config.dataDir, ['leedz.db']);
  const store = createSqliteStore({ path, durability: config.durability, placeKeyOf: zipGeocoderPlaceKey });
  try {
    if (needsVendors && (await store.getUser('vendor1')) === undefined) throw noVendors();
    return await seedMarketplace({ store, geocoder: createZipGeocoder(), now: new Date() }, options);
  } finally {
    store.close();
  }
}
