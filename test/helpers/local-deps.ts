/**
 * The marketplace's dependencies on the local adapters over one SQLite store (the outbox mailer, the
 * zip geocoder, the local identity and payments, SQLite idempotency), for the tests that call its
 * functions in-process. `overrides` stands in for any of them: a clock the test moves, a geocoder
 * that answers a house's point, a provider that fails.
 *
 * @example
 * const marketplace = createMarketplace(localDeps(store, dir.path, { now: () => clock }));
 */
import { join } from 'node:path';
import { createZipGeocoder } from '../../src/adapters/geocoder/zip/zip-geocoder.js';
import { createSqliteIdempotencyStore } from '../../src/adapters/idempotency/sqlite-idempotency-store.js';
import { createLocalIdentity } from '../../src/adapters/identity/local/local-identity.js';
import { createOutboxMailer } from '../../src/adapters/mailer/outbox/outbox-mailer.js';
import { createLocalPayments } from '../../src/adapters/payments/local/local-payments.js';
import type { SqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { createIdempotency } from '../../src/framework/idempotency.js';
import { DEFAULT_SETTINGS, type MarketplaceDeps } from '../../src/leedz/deps.js';

/** The public URL the functions write into links and checkout pages. */
export const TEST_PUBLIC_URL = 'https://leedz.test';
/** The local payments' webhook secret. */
export const TEST_WEBHOOK_SECRET = 'test-webhook-secret';

/** `dataDir` holds the identity's keys. */
export function localDeps(store: SqliteStore, dataDir: string, overrides: Partial<MarketplaceDeps> = {}): MarketplaceDeps {
  return {
    store,
    mailer: createOutboxMailer({ db: store.db }),
    geocoder: createZipGeocoder(),
    identity: createLocalIdentity({ db: store.db, keyDir: join(dataDir, 'keys') }),
    payments: createLocalPayments({ db: store.db, baseUrl: TEST_PUBLIC_URL, webhookSecret: TEST_WEBHOOK_SECRET }),
    idempotency: createIdempotency({ store: createSqliteIdempotencyStore(store.db), scope: 'leedz' }),
    now: () => new Date(),
    settings: { ...DEFAULT_SETTINGS, publicUrl: TEST_PUBLIC_URL, adminEmail: 'admin@leedz.test' },
    ...overrides,
  };
}
