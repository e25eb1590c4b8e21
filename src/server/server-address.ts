/**
 * Which server uses a data folder, and where it answers. `server.lock` (its process id, made with
 * O_EXCL) is taken before the server opens the folder's databases: a second server on the same folder
 * would share its queue and outbox with the first, each sending the other's emails by its own
 * settings, so it is refused while the first lives. `server.json` (its URL and process id) is written
 * once the server listens, so that the CLI given only the folder (`--data`, $LEEDZ_DATA_DIR) reaches
 * it, whatever port it chose. Both go when it stops; files left by a process that is gone (killed)
 * are not believed. While it runs, the server asks {@link FolderClaim.lost} whether the folder is
 * still the one it opened: a folder removed or moved away under a running server takes every write
 * since with it (SQLite goes on writing to files that no longer have a name), so the server stops
 * rather than answer as if they were kept.
 *
 * @example
 * const claim = claimDataFolder(config.dataDir, ['runtime.db']); // DataFolderError while another server uses it
 * writeServerAddress(config.dataDir, url); // once listening
 * claim.lost(); // → 'the data folder data was removed' once it was
 * runningServerUrl('data'); // → 'http://127.0.0.1:3322' while that server runs, else undefined
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../runtime/crash-recovery.js';
import { DataFolderError } from './data-dir.js';

const FILE = 'server.json';
const LOCK = 'server.lock';

/** A data folder taken by this process's server. */
export interface FolderClaim {
  /** Give the folder back (at stop). */
  release(): void;
  /**
   * Why the folder is no longer this server's, or undefined while it is: the folder or one of its
   * databases removed, or replaced by another of the same name; its lock taken by another live
   * server. A lock that was only deleted is written again.
   */
  lost(): string | undefined;
}

/**
 * Take the folder for this process, or throw {@link DataFolderError} naming the live server that has
 * it. A lock whose process is gone is taken over. `databases`: the folder's database files, which
 * {@link FolderClaim.lost} watches with the folder. Another server of this same process is let
 * through: a process cannot tell its own servers apart by id.
 */
export function claimDataFolder(dataDir: string, databases: readonly string[] = []): FolderClaim {
  const path = join(dataDir, LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return watched(dataDir, databases, () => {
        if (lockHolder(path) === process.pid) rmSync(path, { force: true });
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = lockHolder(path);
    if (holder === process.pid) return watched(dataDir, databases, () => {});
    if (holder !== undefined && processAlive(holder)) {
      const url = runningServerUrl(dataDir);
      throw new DataFolderError(
        `the data folder ${dataDir} is in use by another Leedz server (process ${holder}${url === undefined ? '' : `, at ${url}`}): ` +
          `stop it, or start this one with another --data. (If no such server runs, delete ${path}.)`,
      );
    }
    // Left by a server that is gone: taken over.
    rmSync(path, { force: true });
  }
}

/** The claim of a folder taken: what the folder and its databases are now, to tell later whether they are still those. */
function watched(dataDir: string, databases: readonly string[], release: () => void): FolderClaim {
  const lockPath = join(dataDir, LOCK);
  const folder = identityOf(dataDir);
  const files = databases.map((name) => ({ name, identity: identityOf(join(dataDir, name)) }));
  return {
    release,
    lost() {
      const now = identityOf(dataDir);
      if (now === undefined) return `the data folder ${dataDir} was removed`;
      if (now !== folder) return `the data folder ${dataDir} was replaced by another (moved away, or removed and made again)`;
      for (const { name, identity } of files) {
        const current = identityOf(join(dataDir, name));
        if (current !== identity) return `${name} in the data folder ${dataDir} was ${current === undefined ? 'removed' : 'replaced by another file'}`;
      }
      const holder = lockHolder(lockPath);
      if (holder === undefined) {
        // Deleted by hand: taken again, so that a second server is still refused.
        try {
          writeFileSync(lockPath, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        } catch {
          // Taken meanwhile by another server: the next look names it.
        }
        return undefined;
      }
      if (holder !== process.pid && processAlive(holder)) return `another Leedz server (process ${holder}) took the data folder ${dataDir}`;
      return undefined;
    },
  };
}

/** A file's device and inode, or undefined when the path names nothing. */
function identityOf(path: string): string | undefined {
  try {
    const { dev, ino } = statSync(path);
    return `${dev}:${ino}`;
  } catch {
    return undefined;
  }
}

function lockHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

interface ServerAddress {
  url: string;
  pid: number;
}

export function writeServerAddress(dataDir: string, url: string): void {
  writeFileSync(join(dataDir, FILE), `${JSON.stringify({ url, pid: process.pid } satisfies ServerAddress)}\n`, { mode: 0o600 });
}

/** Remove the file if this process wrote it (another server may have started on the folder since). */
export function removeServerAddress(dataDir: string): void {
  if (readAddress(dataDir)?.pid === process.pid) rmSync(join(dataDir, FILE), { force: true });
}

/** Where the last server on `dataDir` answered when it is gone without removing its file (killed), for a message; undefined otherwise. */
export function goneServerUrl(dataDir: string): string | undefined {
  const address = readAddress(dataDir);
  return address !== undefined && !processAlive(address.pid) ? address.url : undefined;
}

/** The URL of the server running on `dataDir`, or undefined when none is (no file, or its process is gone). */
export function runningServerUrl(dataDir: string): string | undefined {
  const address = readAddress(dataDir);
  return address !== undefined && processAlive(address.pid) ? address.url : undefined;
}

function readAddress(dataDir: string): ServerAddress | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as Partial<ServerAddress>;
    return typeof parsed.url === 'string' && Number.isInteger(parsed.pid) ? { url: parsed.url, pid: parsed.pid! } : undefined;
  } catch {
    return undefined;
  }
}
