/**
 * The runtime's own AWS credentials: an access key pair generated in the data folder on first start
 * (`keys/runtime-credentials.json`, readable by its owner only). The Invoke API, the management API
 * and the runtime's `/local` endpoints accept only requests signed with them (AWS Signature V4), as
 * AWS accepts only requests signed by an IAM identity; `leedz credentials` prints them for the AWS
 * CLI and SDKs, and the `leedz` CLI reads them itself.
 *
 * @example
 * const credentials = loadOrCreateRuntimeCredentials(join(dataDir, 'keys'));
 * new LambdaClient({ endpoint, region: RUNTIME_REGION, credentials });
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RuntimeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The file in the key folder that holds them. */
export const CREDENTIALS_FILE = 'runtime-credentials.json';

/** The region the runtime reports in its ARNs and prints for SDKs; a signature's scope may name any region. */
export const RUNTIME_REGION = 'local';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** The key folder's file is there but holds no credentials: its message says what to do. */
export class CredentialsFileError extends Error {
  override name = 'CredentialsFileError';
}

/** The credentials of `keyDir`, generated on first use; two processes starting together agree on one pair. */
export function loadOrCreateRuntimeCredentials(keyDir: string): RuntimeCredentials {
  const path = join(keyDir, CREDENTIALS_FILE);
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const existing = readCredentials(path);
  if (existing !== undefined) return existing;
  // Written aside and hard-linked into place: `link` never replaces a file, so a racing process's pair wins whole.
  const temporary = join(keyDir, `.${CREDENTIALS_FILE}.${randomBytes(8).toString('hex')}.tmp`);
  writeFileSync(temporary, JSON.stringify(generate()), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
  const created = readCredentials(path);
  if (created === undefined) throw new Error(`${path}: the runtime's credentials could not be created`);
  return created;
}

/** The credentials of `keyDir` if the runtime created them there, else undefined (the CLI's lookup). */
export function readRuntimeCredentials(keyDir: string): RuntimeCredentials | undefined {
  return readCredentials(join(keyDir, CREDENTIALS_FILE));
}

function readCredentials(path: string): RuntimeCredentials | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (process.platform !== 'win32') chmodSync(path, 0o600);
  try {
    const parsed = JSON.parse(text) as Partial<RuntimeCredentials>;
    if (typeof parsed.accessKeyId === 'string' && typeof parsed.secretAccessKey === 'string') {
      return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
    }
  } catch {
    // fall through to the error below
  }
  throw new CredentialsFileError(`${path}: not the runtime's credentials; delete it to generate new ones`);
}

/** An access key id shaped like AWS's (20 characters, `AKIA` then base32) and a 40-character secret. */
function generate(): RuntimeCredentials {
  const id = [...randomBytes(16)].map((byte) => BASE32[byte % 32]).join('');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}
