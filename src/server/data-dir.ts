/**
 * The data folder as `serve` and `seed` leave it: it and everything in it readable by its owner
 * only, since it holds the runtime's credentials, the session key and the databases.
 *
 * @example
 * prepareDataDir(config.dataDir, ['runtime.db', 'leedz.db']);
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ENV } from './config.js';

/** A data folder that cannot be made where it was asked for; its message says where and why. */
export class DataFolderError extends Error {
  override name = 'DataFolderError';
}

/**
 * Make the folder, create each database file private before SQLite opens it (SQLite creates a
 * database's `-wal` and `-shm` files with the database file's permissions), and tighten whatever the
 * folder already holds.
 */
export function prepareDataDir(dataDir: string, databases: readonly string[]): void {
  makeFolder(resolve(dataDir));
  if (process.platform === 'win32') return;
  for (const name of databases) closeSync(openSync(join(dataDir, name), 'a', 0o600));
  const tighten = (path: string) => {
    const stat = statSync(path);
    chmodSync(path, stat.isDirectory() ? 0o700 : 0o600);
    if (stat.isDirectory()) for (const entry of readdirSync(path)) tighten(join(path, entry));
  };
  tighten(dataDir);
}

/**
 * `path` and the folders above it that are missing, one at a time. Not `mkdirSync`'s `recursive`:
 * under a file system that takes no new folder (`/proc`) Node 20's loops for ever, where this says so.
 */
function makeFolder(path: string): void {
  const missing: string[] = [];
  for (let at = path; !existsSync(at); at = dirname(at)) missing.unshift(at);
  for (const folder of missing) {
    try {
      mkdirSync(folder, { mode: 0o700 });
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      // Made by another process meanwhile (a second command started at once): there, as wanted.
      if (code === 'EEXIST') continue;
      if (code !== 'ENOENT') throw error;
      throw new DataFolderError(`cannot make the folder ${folder}: ${dirname(folder)} takes no new folder (ENOENT); check --data or $${ENV.dataDir}`);
    }
  }
  // There already: a folder passes, a file is refused (EEXIST), as before.
  mkdirSync(path, { recursive: true, mode: 0o700 });
}
