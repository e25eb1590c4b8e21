/**
 * The SQLite store's schema, as numbered migrations: migration `n` (1-based) brings the database from
 * `PRAGMA user_version = n - 1` to `n`. Append new migrations; never edit one that has shipped.
 *
 * Every query of the store has an index (checked with `EXPLAIN QUERY PLAN` in the store's tests):
 *
 * | query | index |
 * | --- | --- |
 * | month search: active leedz of some trades starting in [from, to], by start and id | `leedz_active_by_trade_order` (in order: no sort for one trade) |
 * | whether a trade's leedz changed (the search cache) | `trade_versions` primary key, bumped by triggers on `leedz` |
 * | conflict check: booked (active or sold) leedz of a trade at a place overlapping a span | `leedz_booked_by_place` |
 * | a creator's leedz | `leedz_by_creator` |
 * | a buyer's leedz | `leedz_by_buyer` |
 * | the people emailed about a leed, by username | `leed_recipients` primary key (leed_id, username) |
 * | a calendar feed's owner by token hash | `calendar_feeds_by_token` |
 * | open or resolved reports, newest first | `reports_by_status` |
 * | subscribers of a trade, by username | `subscriptions` primary key (trade, username) |
 * | a user's subscriptions | `subscriptions_by_user` |
 * | pending outbox, oldest first | `outbox_pending` |
 * | dispatched outbox messages older than a week (retention) | `outbox_dispatched` |
 *
 * Instants are INTEGER epoch milliseconds: they compare as numbers whatever ISO spelling the caller
 * used (`…T18:00:00Z` and `…T18:00:00.000Z` are one instant), and `sqlite-rows.ts` turns them back
 * into canonical ISO strings. JSON columns (`visibility`, `badges`, `payload`, `last_*`) are TEXT.
 */
import type Database from 'better-sqlite3';
import { normalizePlaceKey } from '../../../leedz/domain/conflict.js';

/** What a migration may need besides the database: what the store's opener knows. */
export interface MigrationContext {
  /** The place key the geocoder in use gives a location (`SqliteStoreOptions.placeKeyOf`). */
  placeKeyOf?: (location: string) => string | undefined;
}

/** SQL, or a function for what SQL cannot compute; either runs inside the migration's transaction. */
export type Migration = string | ((db: Database.Database, context: MigrationContext) => void);

export const MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE trades (
     name       TEXT PRIMARY KEY,
     leed_count INTEGER NOT NULL DEFAULT 0 CHECK (leed_count >= 0),
     color      TEXT
   );
   CREATE INDEX trades_by_leed_count ON trades (leed_count DESC, name);

   CREATE TABLE users (
     username           TEXT PRIMARY KEY,
     email              TEXT NOT NULL UNIQUE,
     website            TEXT,
     about              TEXT,
     zip                TEXT,
     lat                REAL,
     lon                REAL,
     radius             INTEGER NOT NULL,
     posted             INTEGER NOT NULL DEFAULT 0 CHECK (posted >= 0),
     bought             INTEGER NOT NULL DEFAULT 0 CHECK (bought >= 0),
     sold               INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
     badges             TEXT NOT NULL,
     payments_connected INTEGER NOT NULL DEFAULT 0,
     created_at         INTEGER NOT NULL,
     CHECK ((lat IS NULL) = (lon IS NULL))
   );

   -- Subscribers of a trade are found through the primary key's index, without reading every user.
   CREATE TABLE subscriptions (
     trade    TEXT NOT NULL REFERENCES trades (name),
     username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
     position INTEGER NOT NULL,
     PRIMARY KEY (trade, username)
   );
   CREATE INDEX subscriptions_by_user ON subscriptions (username, position);

   CREATE TABLE leedz (
     id             TEXT PRIMARY KEY,
     trade          TEXT NOT NULL REFERENCES trades (name),
     title          TEXT NOT NULL,
     creator        TEXT NOT NULL REFERENCES users (username),
     location       TEXT NOT NULL,
     zip            TEXT NOT NULL,
     lat            REAL NOT NULL,
     lon            REAL NOT NULL,
     place_key      TEXT NOT NULL,
     start_ms       INTEGER NOT NULL,
     end_ms         INTEGER NOT NULL,
     time_zone      TEXT NOT NULL,
     client_email   TEXT,
     client_phone   TEXT,
     details        TEXT,
     requirements   TEXT,
     price          INTEGER NOT NULL CHECK (price >= 0),
     visibility     TEXT NOT NULL,
     posted_at      INTEGER NOT NULL,
     status         TEXT NOT NULL CHECK (status IN ('active', 'sold', 'deleted', 'expired')),
     buyer          TEXT,
     sold_at        INTEGER,
     payment_id     TEXT,
     reserved_by    TEXT,
     reserved_until INTEGER
   );
   -- Partial indexes: only active leedz are searched, only active or sold ones block a time slot.
   -- A query uses them only when its WHERE repeats the index's condition literally.
   CREATE INDEX leedz_active_by_trade_start ON leedz (trade, start_ms) WHERE status = 'active';
   CREATE INDEX leedz_booked_by_place ON leedz (trade, place_key, start_ms) WHERE status IN ('active', 'sold');
   CREATE INDEX leedz_by_creator ON leedz (creator, start_ms);

   -- Bookkeeping keys already applied: the exactly-once guard of applyBookkeeping.
   CREATE TABLE applied_bookkeeping (
     key        TEXT PRIMARY KEY,
     applied_at INTEGER NOT NULL
   );

   CREATE TABLE stats (
     id          INTEGER PRIMARY KEY CHECK (id = 1),
     posted      INTEGER NOT NULL DEFAULT 0 CHECK (posted >= 0),
     sold        INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
     users       INTEGER NOT NULL DEFAULT 0 CHECK (users >= 0),
     last_posted TEXT,
     last_sold   TEXT
   );
   INSERT INTO stats (id) VALUES (1);

   -- The transactional outbox. The rowid (insertion order) breaks ties between rows of one millisecond.
   CREATE TABLE outbox (
     id            TEXT PRIMARY KEY,
     target        TEXT NOT NULL,
     payload       TEXT NOT NULL,
     created_at    INTEGER NOT NULL,
     dispatched_at INTEGER
   );
   CREATE INDEX outbox_pending ON outbox (created_at) WHERE dispatched_at IS NULL;`,
  // Requests counted per key and fixed window (the sign-in link's rate limit).
  `CREATE TABLE request_counts (
     key        TEXT NOT NULL,
     window     INTEGER NOT NULL,
     count      INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     PRIMARY KEY (key, window)
   ) WITHOUT ROWID;
   CREATE INDEX request_counts_expiry ON request_counts (expires_at);`,
  // A buyer's leedz, who was emailed about each leed, calendar feeds, reports for the operator.
  `CREATE INDEX leedz_by_buyer ON leedz (buyer, start_ms) WHERE buyer IS NOT NULL;

   CREATE TABLE leed_recipients (
     leed_id  TEXT NOT NULL,
     username TEXT NOT NULL,
     email    TEXT NOT NULL,
     PRIMARY KEY (leed_id, username)
   ) WITHOUT ROWID;

   -- Only the SHA-256 of a feed's token is kept: a copy of the database gives no feed URL away.
   CREATE TABLE calendar_feeds (
     username   TEXT PRIMARY KEY REFERENCES users (username) ON DELETE CASCADE,
     token_hash TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX calendar_feeds_by_token ON calendar_feeds (token_hash);

   CREATE TABLE reports (
     id          TEXT PRIMARY KEY,
     leed_id     TEXT NOT NULL,
     trade       TEXT NOT NULL,
     reporter    TEXT NOT NULL,
     reason      TEXT NOT NULL,
     created_at  INTEGER NOT NULL,
     status      TEXT NOT NULL CHECK (status IN ('open', 'dismissed', 'taken-down')),
     resolved_at INTEGER
   );
   CREATE INDEX reports_by_status ON reports (status, created_at);`,
  // The month search reads a trade's active leedz in the order it answers them (start, then id), so
  // one trade needs no sort; and every write to a trade's leedz bumps its version, so a search can
  // keep its answer until one of its trades changes.
  `CREATE INDEX leedz_active_by_trade_order ON leedz (trade, start_ms, id) WHERE status = 'active';
   DROP INDEX leedz_active_by_trade_start;
   CREATE TABLE trade_versions (trade TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TRIGGER leedz_version_on_insert AFTER INSERT ON leedz BEGIN
     INSERT INTO trade_versions (trade, version) VALUES (NEW.trade, 1) ON CONFLICT (trade) DO UPDATE SET version = version + 1;
   END;
   CREATE TRIGGER leedz_version_on_update AFTER UPDATE ON leedz BEGIN
     INSERT INTO trade_versions (trade, version) VALUES (NEW.trade, 1) ON CONFLICT (trade) DO UPDATE SET version = version + 1;
     INSERT INTO trade_versions (trade, version) SELECT OLD.trade, 1 WHERE OLD.trade <> NEW.trade ON CONFLICT (trade) DO UPDATE SET version = version + 1;
   END;
   CREATE TRIGGER leedz_version_on_delete AFTER DELETE ON leedz BEGIN
     INSERT INTO trade_versions (trade, version) VALUES (OLD.trade, 1) ON CONFLICT (trade) DO UPDATE SET version = version + 1;
   END;`,
  // Dispatched outbox messages go a week after their dispatch (as TTL removes them on DynamoDB).
  `CREATE INDEX outbox_dispatched ON outbox (dispatched_at) WHERE dispatched_at IS NOT NULL;`,
  // The zip geocoder's place key leaves out the town and the state the zip names (`zipPlaceKey` in
  // src/leedz/domain/conflict.ts). A leed keyed by the whole address before would not conflict with
  // the same address posted after, so leedz whose key is the whole address normalised (the zip
  // geocoder's key before) take the key the geocoder in use gives them now. Keys of another kind (a
  // geocoded point) are left as they are.
  rekeyPlaces,
  // A trade's leedCount counts its active leedz whose gig has not ended: a leed whose end has passed
  // is taken off its trade's count once (bookkeeping's leedzEnded), then marked so (`markEndCounted`).
  // The leedz that ended before this migration are still counted, and come off at the first run.
  `ALTER TABLE leedz ADD COLUMN end_counted INTEGER NOT NULL DEFAULT 0 CHECK (end_counted IN (0, 1));
   CREATE INDEX leedz_ending ON leedz (end_ms) WHERE status = 'active' AND end_counted = 0;`,
  // Payments refused as sales (and refunded): the same payment delivered again stays refused (refusePayment).
  `CREATE TABLE refused_payments (
     leed_id    TEXT NOT NULL,
     payment_id TEXT NOT NULL,
     reason     TEXT NOT NULL,
     refused_at INTEGER NOT NULL,
     PRIMARY KEY (leed_id, payment_id)
   ) WITHOUT ROWID;`,
];

function rekeyPlaces(db: Database.Database, { placeKeyOf }: MigrationContext): void {
  // A page at a time: better-sqlite3 runs no other statement while an iterator is open.
  const page = db.prepare<[string], { id: string; location: string; place_key: string }>('SELECT id, location, place_key FROM leedz WHERE id > ? ORDER BY id LIMIT 1000');
  const update = db.prepare<[string, string]>('UPDATE leedz SET place_key = ? WHERE id = ?');
  for (let rows = page.all(''); rows.length > 0; rows = page.all(rows.at(-1)!.id)) {
    for (const { id, location, place_key } of rows) {
      if (place_key !== normalizePlaceKey(location)) continue;
      // Not skipped without the geocoder's rule: the version bump would make the skip for good.
      if (placeKeyOf === undefined) throw new Error('the store database has leedz to re-key by place; open it with placeKeyOf (the geocoder in use)');
      const key = placeKeyOf(location);
      if (key !== undefined && key !== place_key) update.run(key, id);
    }
  }
}

/**
 * Apply the migrations the database has not seen yet, each in its own IMMEDIATE transaction with its
 * `user_version` bump. The version is read inside the transaction, so two processes opening one new
 * file at once do not both run migration 1 (the second waits for the lock, then finds it done).
 *
 * @example
 * migrate(db, { placeKeyOf }); // a fresh file → user_version = MIGRATIONS.length; an up-to-date one → no change
 */
export function migrate(db: Database.Database, context: MigrationContext = {}): void {
  for (;;) {
    const applied = db
      .transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version > MIGRATIONS.length) {
          // Written by a newer release: running on it could corrupt what that release relies on.
          throw new Error(`the store database is at schema version ${version}; this release knows up to ${MIGRATIONS.length}`);
        }
        const next = MIGRATIONS[version];
        if (next === undefined) return false;
        if (typeof next === 'string') db.exec(next);
        else next(db, context);
        db.pragma(`user_version = ${version + 1}`);
        return true;
      })
      .immediate();
    if (!applied) return;
  }
}
