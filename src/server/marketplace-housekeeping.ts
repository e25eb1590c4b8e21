/**
 * What the marketplace deletes on one machine so that `leedz.db` stays near a bounded size: expired
 * idempotency records, outbox messages a week after their dispatch, and the dev email outbox beyond
 * the invocation log's age or its own count. On AWS, DynamoDB's TTL does the first two (the
 * idempotency table's `expiration`, the outbox items' `expiresAt`); SES keeps no outbox.
 *
 * It runs with the runtime's retention (src/runtime/retention.ts): by itself about once a minute, and
 * on `leedz compact`. Each kind goes in chunks, one transaction each, with the event loop free between.
 *
 * @example
 * runtime.addHousekeeping(marketplaceHousekeeping({ store, idempotency, emails: outbox, kept: { maxAgeHours: 168, maxEmails: 100_000 } }));
 */
import type { SqliteIdempotencyStore } from '../adapters/idempotency/sqlite-idempotency-store.js';
import type { OutboxMailer } from '../adapters/mailer/outbox/outbox-mailer.js';
import type { SqliteStore } from '../adapters/store/sqlite/sqlite-store.js';
import type { Housekeeping } from '../runtime/local-runtime.js';
import { deleteInChunks } from '../runtime/retention.js';

/** How long a dispatched outbox message stays: a week, as on DynamoDB (`DISPATCHED_OUTBOX_RETENTION_S`). */
export const DISPATCHED_OUTBOX_KEPT_MS = 7 * 24 * 3_600_000;
/** The dev email outbox keeps at most this many emails by default (`LEEDZ_RETENTION_EMAILS`). */
export const DEFAULT_EMAILS_KEPT = 100_000;
/** Rows deleted per transaction. */
const CHUNK = 2_000;

export interface MarketplaceHousekeepingDeps {
  store: SqliteStore;
  idempotency: SqliteIdempotencyStore;
  emails: OutboxMailer;
  /** The email outbox keeps what is younger than `maxAgeHours` and among the newest `maxEmails`. */
  kept: { maxAgeHours: number; maxEmails: number };
}

export function marketplaceHousekeeping({ store, idempotency, emails, kept }: MarketplaceHousekeepingDeps): Housekeeping {
  return {
    name: 'leedz.db',
    async run({ now, vacuum, isClosed }) {
      const stopped = () => isClosed() || !store.db.open;
      const removed = {
        idempotencyKeys: await deleteInChunks(stopped, CHUNK, () => idempotency.deleteExpired(now, CHUNK)),
        outboxMessages: await deleteInChunks(stopped, CHUNK, () => store.deleteDispatchedOutbox(now - DISPATCHED_OUTBOX_KEPT_MS, CHUNK)),
        emails: await deleteInChunks(stopped, CHUNK, () =>
          emails.deleteOld({ before: new Date(now - kept.maxAgeHours * 3_600_000).toISOString(), keep: kept.maxEmails, limit: CHUNK }),
        ),
      };
      if (vacuum && !stopped()) {
        // In WAL mode VACUUM writes the new file into the WAL: only a checkpoint gives the space back.
        store.db.exec('VACUUM');
        store.db.pragma('wal_checkpoint(TRUNCATE)');
      }
      return removed;
    },
  };
}
