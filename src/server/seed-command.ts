/** `leedz seed`: demo data written straight into the data folder's store (a running server may share it). */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { createZipGeocoder } from '../adapters/geocoder/zip/zip-geocoder.js';
import { createSqliteStore } from '../adapters/store/sqlite/sqlite-store.js';
import type { ServerConfig } from './config.js';
import { seedMarketplace, type SeedOptions, type SeedResult } from './seed.js';

export async function seedDataFolder(config: ServerConfig, options: SeedOptions): Promise<SeedResult> {
  mkdirSync(config.dataDir, { recursive: true });
  const store = createSqliteStore({ path: join(config.dataDir, 'leedz.db'), durability: config.durability });
  try {
    return await seedMarketplace({ store, geocoder: createZipGeocoder(), now: new Date() }, options);
  } finally {
    store.close();
  }
}
