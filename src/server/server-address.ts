/**
 * Where a running server answers, kept in its data folder (`server.json`: its URL and process id) so
 * that the CLI given only the folder (`--data`, $LEEDZ_DATA_DIR) reaches the server that uses it,
 * whatever port it chose. Written once the server listens, removed when it stops; a file left by a
 * process that is gone (killed) is not read.
 *
 * @example
 * writeServerAddress(config.dataDir, url); // at start
 * runningServerUrl('data'); // → 'http://127.0.0.1:3322' while that server runs, else undefined
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../runtime/crash-recovery.js';

const FILE = 'server.json';

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
