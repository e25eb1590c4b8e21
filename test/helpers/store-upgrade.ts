/**
 * A store database as the release before the place-key re-keying left it, for the tests of that
 * upgrade: the migrations from the re-keying on undone, and the version it had then.
 *
 * @example
 * const version = asBeforeRekeying(store.db); // the file now opens into the re-keying, then the rest
 */
import type Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/adapters/store/sqlite/migrations.js';

export function asBeforeRekeying(db: Database.Database): number {
  const rekeying = MIGRATIONS.findIndex((migration) => typeof migration === 'function');
  // The migrations after the re-keying, undone (ALTER TABLE … ADD COLUMN would fail on a second run).
  db.exec('DROP INDEX leedz_ending; ALTER TABLE leedz DROP COLUMN end_counted; DROP TABLE refused_payments;');
  db.pragma(`user_version = ${rekeying}`);
  return rekeying;
}
