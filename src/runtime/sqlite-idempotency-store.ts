/**
 * A Powertools idempotency persistence layer on SQLite, the local counterpart of Powertools'
 * `DynamoDBPersistenceLayer`, with the same semantics: a key can be taken when it is absent, when its
 * record has expired, or when it is in progress and that attempt's lease (`in_progress_expiry`, the
 * attempt's Lambda deadline) has passed; otherwise taking it fails with
 * `IdempotencyItemAlreadyExistsError` carrying the existing record. Like DynamoDB's `UpdateItem`,
 * completing a record writes it even if it is missing.
 *
 * It extends Powertools' abstract `BasePersistenceLayer` (protected `_*Record` hooks) because that is
 * the contract Powertools' idempotency handler calls; nothing else here uses that style.
 */
import {
  IdempotencyItemAlreadyExistsError,
  IdempotencyItemNotFoundError,
  IdempotencyRecordStatus,
} from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import type Database from 'better-sqlite3';

/** One row of `idempotency_records`. Times: `expiry` in epoch seconds, `in_progress_expiry` in epoch ms (Powertools' units). */
interface IdempotencyRow {
  idempotency_key: string;
  status: string;
  expiry: number | null;
  in_progress_expiry: number | null;
  data: string | null;
  payload_hash: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency_records (
  idempotency_key    TEXT PRIMARY KEY,
  status             TEXT NOT NULL,
  expiry             INTEGER,
  in_progress_expiry INTEGER,
  data               TEXT,
  payload_hash       TEXT
)`;

/**
 * Stores idempotency records in a `better-sqlite3` database (its own table, `idempotency_records`), so
 * that several processes or connections on one file share them. Switches the database to WAL if it is
 * not already, so readers do not block the writer.
 *
 * @example
 * const db = new Database(path.join(dataDir, 'leedz.db'));
 * const idempotency = createIdempotency({ persistenceStore: new SqliteIdempotencyStore(db), scope: 'emailHelper' });
 */
export class SqliteIdempotencyStore extends BasePersistenceLayer {
  readonly #put: Database.Statement;
  readonly #get: Database.Statement<[string], IdempotencyRow>;
  readonly #update: Database.Statement;
  readonly #delete: Database.Statement<[string]>;
  /** Insert-or-take and, if the key is held, read the holder, in one write transaction. */
  readonly #putOrGetHolder: (params: Record<string, unknown>) => IdempotencyRow | undefined;
  readonly #db: Database.Database;
  readonly #claimCompleted: Database.Statement;

  constructor(db: Database.Database) {
    super();
    this.#db = db;
    // An in-memory database reports "memory" and cannot switch; that is fine for it.
    if (db.pragma('journal_mode', { simple: true }) !== 'wal') db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    // The conditions of DynamoDBPersistenceLayer._putRecord (absent, expired, or in progress with an
    // expired lease), as the WHERE of the upsert: a held key leaves the row untouched and changes = 0.
    this.#put = db.prepare(`
      INSERT INTO idempotency_records (idempotency_key, status, expiry, in_progress_expiry, data, payload_hash)
      VALUES (@key, @status, @expiry, @inProgressExpiry, NULL, @payloadHash)
      ON CONFLICT (idempotency_key) DO UPDATE SET
        status = excluded.status,
        expiry = excluded.expiry,
        in_progress_expiry = excluded.in_progress_expiry,
        data = NULL,
        payload_hash = excluded.payload_hash
      WHERE idempotency_records.expiry < @nowSeconds
         OR (idempotency_records.status = @inProgress
             AND idempotency_records.in_progress_expiry IS NOT NULL
             AND idempotency_records.in_progress_expiry < @nowMs)`);
    this.#get = db.prepare<[string], IdempotencyRow>('SELECT * FROM idempotency_records WHERE idempotency_key = ?');
    // DynamoDB's UpdateItem creates a missing item, so completing a record is an upsert here too.
    this.#update = db.prepare(`
      INSERT INTO idempotency_records (idempotency_key, status, expiry, in_progress_expiry, data, payload_hash)
      VALUES (@key, @status, @expiry, NULL, @data, @payloadHash)
      ON CONFLICT (idempotency_key) DO UPDATE SET
        status = excluded.status,
        expiry = excluded.expiry,
        data = excluded.data,
        payload_hash = CASE WHEN @validating THEN excluded.payload_hash ELSE idempotency_records.payload_hash END`);
    this.#delete = db.prepare<[string]>('DELETE FROM idempotency_records WHERE idempotency_key = ?');
    // IMMEDIATE takes the write lock first, so the holder we read is the one that refused us.
    this.#putOrGetHolder = db.transaction((params: Record<string, unknown>) => {
      if (this.#put.run(params).changes > 0) return undefined;
      return this.#get.get(params.key as string);
    }).immediate;
    // No expiry: a NULL `expiry` never satisfies the take-over condition above.
    this.#claimCompleted = db.prepare(`
      INSERT INTO idempotency_records (idempotency_key, status, expiry, in_progress_expiry, data, payload_hash)
      VALUES (?, '${IdempotencyRecordStatus.COMPLETED}', NULL, NULL, NULL, NULL) ON CONFLICT (idempotency_key) DO NOTHING`);
  }

  /**
   * Exactly once, for an effect that writes this same database: the key's record and the effect
   * commit in one transaction, so a crash leaves either both or neither. (`once` over Powertools
   * cannot promise that for any effect: a crash between the effect and the record repeats it.)
   * Returns whether the effect ran. The key is never forgotten: these are permanent effects.
   *
   * @example
   * store.onceInTransaction(`counter:${eventId}`, () => bumpCounter.run(trade)); // false on redelivery
   */
  onceInTransaction(key: string, effect: () => void): boolean {
    if (typeof key !== 'string' || key === '') throw new TypeError('onceInTransaction: key must be a non-empty string');
    return this.#db.transaction(() => {
      if (this.#claimCompleted.run(`tx#${key}`).changes === 0) return false;
      effect();
      return true;
    }).immediate();
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const now = Date.now();
    const holder = this.#putOrGetHolder({
      key: record.idempotencyKey,
      status: record.getStatus(),
      expiry: record.expiryTimestamp ?? null,
      inProgressExpiry: record.inProgressExpiryTimestamp ?? null,
      // Like DynamoDB, the payload hash is kept only when payload validation is on.
      payloadHash: this.isPayloadValidationEnabled() ? (record.payloadHash ?? null) : null,
      // Seconds as a fraction, as DynamoDB's `:now`, so "expired" agrees with IdempotencyRecord.isExpired().
      nowSeconds: now / 1000,
      nowMs: now,
      inProgress: IdempotencyRecordStatus.INPROGRESS,
    });
    if (holder === undefined) return;
    throw new IdempotencyItemAlreadyExistsError(
      `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
      toRecord(holder),
    );
  }

  protected override async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const row = this.#get.get(idempotencyKey);
    if (row === undefined) throw new IdempotencyItemNotFoundError(`No idempotency record for key: ${idempotencyKey}`);
    return toRecord(row);
  }

  protected override async _updateRecord(record: IdempotencyRecord): Promise<void> {
    const validating = this.isPayloadValidationEnabled();
    this.#update.run({
      key: record.idempotencyKey,
      status: record.getStatus(),
      expiry: record.expiryTimestamp ?? null,
      data: record.responseData === undefined ? null : JSON.stringify(record.responseData),
      payloadHash: validating ? (record.payloadHash ?? null) : null,
      validating: validating ? 1 : 0,
    });
  }

  protected override async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    this.#delete.run(record.idempotencyKey);
  }
}

function toRecord(row: IdempotencyRow): IdempotencyRecord {
  return new IdempotencyRecord({
    idempotencyKey: row.idempotency_key,
    // Only Powertools writes this column, so it holds one of its statuses.
    status: row.status as ReturnType<IdempotencyRecord['getStatus']>,
    expiryTimestamp: row.expiry ?? undefined,
    inProgressExpiryTimestamp: row.in_progress_expiry ?? undefined,
    responseData: row.data === null ? undefined : JSON.parse(row.data),
    payloadHash: row.payload_hash ?? undefined,
  });
}
