/**
 * The data folder as `serve` and `seed` leave it: it and everything in it readable by its owner
 * only, since it holds the runtime's credentials, the session key and the databases.
 *
 * @example
 * prepareDataDir(config.dataDir, ['runtime.db', 'leedz.db']);
 */
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Make the folder, create each database file private before SQLite opens it (SQLite creates a
 * database's `-wal` and `-shm` files with the database file's permissions), and tighten whatever the
 * folder already holds.
 */
export function prepareDataDir(dataDir: string, databases: readonly string[]): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return;
  for (const name of databases) closeSync(openSync(join(dataDir, name), 'a', 0o600));
  const tighten = (path: string) => {
    const stat = statSync(path);
    chmodSync(path, stat.isDirectory() ? 0o700 : 0o600);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) tighten(join(path, entry));
  };
  tighten(dataDir);
}
