/**
 * What a server left in its data folder, read as an attacker holding a copy of it would: every file
 * as bytes (SQLite's `-wal` and `-shm` included), and every row of a SQLite database.
 *
 * @example
 * filesContaining(dataDir, jwt);                  // [] when the token is nowhere at rest
 * tablesContaining(join(dataDir, 'leedz.db'), t);  // ['email_outbox']
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';

/** Every file and folder under `dir` (recursively), with its permission bits; paths relative to `dir`. */
export function entriesUnder(dir: string): { path: string; directory: boolean; mode: number }[] {
  const entries: { path: string; directory: boolean; mode: number }[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const full = join(path, name);
      const stat = statSync(full);
      entries.push({ path: relative(dir, full), directory: stat.isDirectory(), mode: stat.mode & 0o777 });
      if (stat.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return entries;
}

/** The files under `dir` whose bytes contain `needle` (as UTF-8), relative to `dir`, sorted. */
export function filesContaining(dir: string, needle: string): string[] {
  const bytes = Buffer.from(needle, 'utf8');
  return entriesUnder(dir)
    .filter((entry) => !entry.directory && readFileSync(join(dir, entry.path)).includes(bytes))
    .map((entry) => entry.path)
    .sort();
}

/** The tables of a SQLite database with a row whose columns contain `needle` (text or blob), sorted. */
export function tablesContaining(dbPath: string, needle: string): string[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
    return tables
      .filter(({ name }) =>
        db
          .prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`)
          .raw()
          .all()
          .some((row) => (row as unknown[]).some((cell) => (Buffer.isBuffer(cell) ? cell.includes(Buffer.from(needle)) : String(cell).includes(needle)))),
      )
      .map(({ name }) => name)
      .sort();
  } finally {
    db.close();
  }
}
