/**
 * The embedded Identity: magic-link sign-in and session JWTs, with no user pool. Login tokens live
 * in a table of the data folder (`login_tokens`); sessions are ES256 JWTs signed with a key pair
 * kept in the data folder, so they survive a restart of the server.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { jwtVerify, SignJWT } from 'jose';
import type { Caller, Identity } from '../../../leedz/ports.js';

/** What the local identity is built with; everything but `db` and `keyDir` has a default. */
export interface LocalIdentityOptions {
  /** An open database (usually the data folder's file); the `login_tokens` table is created if missing. */
  db: Database.Database;
  /** Where the session key pair lives (`session-key.jwk`); created, mode 0700, if missing. */
  keyDir: string;
  /** The `iss` of session tokens (default `leedz-local`); a token of another issuer is refused. */
  issuer?: string;
  /** How long a session lasts (default 7 days, the session cookie's Max-Age). */
  sessionTtlSeconds?: number;
  /** The clock in epoch milliseconds, injectable for tests. */
  now?: () => number;
}

/** The file holding the private session key (a JWK, which includes the public half). */
export const SESSION_KEY_FILE = 'session-key.jwk';

/** A magic link's lifetime (docs/marketplace.md, Sign-in: valid 15 minutes, single use). */
export const LOGIN_TOKEN_TTL_MS = 15 * 60_000;

const ALGORITHM = 'ES256';
/** Session tokens are for this API only; a token minted for another audience is refused. */
const AUDIENCE = 'leedz-api';
const DEFAULT_SESSION_TTL_SECONDS = 7 * 24 * 3600;
/** 32 random bytes in base64url: exactly 43 characters of that alphabet. */
const LOGIN_TOKEN = /^[A-Za-z0-9_-]{43}$/;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS login_tokens (
  hash       TEXT PRIMARY KEY,
  email      TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER
);
CREATE INDEX IF NOT EXISTS login_tokens_expires_at ON login_tokens (expires_at);
CREATE TABLE IF NOT EXISTS identity_instance (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  id  TEXT NOT NULL
);
`;

/**
 * An Identity on a local database and key file. Throws at creation when the key file cannot be
 * read or written, or when it is readable by group or others (fix it with `chmod 600`).
 *
 * Login tokens: 32 random bytes; only their SHA-256 is stored in the tokens' table. The local
 * server's dev outbox, in the same database, keeps each sign-in email as sent, link included, so a
 * copy of the database (mode 600) can still sign in whoever has an unspent link in it, for that
 * link's 15 minutes: on AWS the email goes out through SES and the table keeps the hash alone.
 * Redeeming is one conditional UPDATE, so two clicks on one link sign in once.
 *
 * Sessions: `sub` is the email, `username` a claim when the user exists, and `instance` the
 * database's own random id, made with it: a session of a database that was deleted or replaced
 * (while the key file stayed) opens nothing in the new one, where its username may be someone else's.
 * `verifySession` pins the algorithm, checks signature, issuer, audience, instance and expiry, and
 * answers undefined (never throws) for anything else.
 *
 * @example
 * const identity = createLocalIdentity({ db, keyDir: join(dataDir, 'keys') });
 * const token = await identity.issueLoginToken('ada@example.com');   // put in the emailed link
 * const email = await identity.redeemLoginToken(token);              // → 'ada@example.com', once
 * const jwt = await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
 * await identity.verifySession(jwt);                                 // → { email: 'ada@example.com', username: 'ada' }
 */
export function createLocalIdentity(options: LocalIdentityOptions): Identity {
  const { db, issuer = 'leedz-local', sessionTtlSeconds = DEFAULT_SESSION_TTL_SECONDS, now = Date.now } = options;
  const key = loadOrCreateSessionKey(options.keyDir);

  db.exec(SCHEMA);
  db.prepare('INSERT OR IGNORE INTO identity_instance (one, id) VALUES (1, ?)').run(randomBytes(16).toString('base64url'));
  const instance = (db.prepare('SELECT id FROM identity_instance').get() as { id: string }).id;
  const insertToken = db.prepare('INSERT INTO login_tokens (hash, email, expires_at) VALUES (?, ?, ?)');
  // Expired tokens (used or not) can never be redeemed; dropping them keeps the table small.
  const deleteExpired = db.prepare('DELETE FROM login_tokens WHERE expires_at <= ?');
  // The check and the use in one statement: of two concurrent redemptions, one changes the row.
  const redeem = db.prepare<[number, string, number], { email: string }>(
    'UPDATE login_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL AND expires_at > ? RETURNING email',
  );

  return {
    async issueLoginToken(email) {
      const at = now();
      const token = randomBytes(32).toString('base64url');
      deleteExpired.run(at);
      insertToken.run(sha256(token), email, at + LOGIN_TOKEN_TTL_MS);
      return token;
    },

    async redeemLoginToken(token) {
      if (typeof token !== 'string' || !LOGIN_TOKEN.test(token)) return undefined;
      const at = now();
      // Looked up by hash: timing reveals nothing an attacker can steer, as they cannot choose hashes.
      return redeem.get(at, sha256(token), at)?.email;
    },

    async issueSession(caller: Caller) {
      const issuedAt = Math.floor(now() / 1000);
      const claims = caller.username === undefined ? { instance } : { instance, username: caller.username };
      return new SignJWT(claims)
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(caller.email)
        .setIssuer(issuer)
        .setAudience(AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + sessionTtlSeconds)
        .sign(key.privateKey);
    },

    async verifySession(token) {
      if (typeof token !== 'string' || token === '') return undefined;
      try {
        const { payload } = await jwtVerify(token, key.publicKey, {
          algorithms: [ALGORITHM],
          issuer,
          audience: AUDIENCE,
          requiredClaims: ['sub', 'exp'],
          currentDate: new Date(now()),
        });
        const { sub, username } = payload;
        if (typeof sub !== 'string' || sub === '' || payload.instance !== instance) return undefined;
        if (username !== undefined && (typeof username !== 'string' || username === '')) return undefined;
        return username === undefined ? { email: sub } : { email: sub, username };
      } catch {
        // Malformed, forged, expired, another issuer or audience: all mean "not signed in".
        return undefined;
      }
    },
  };
}

interface SessionKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/**
 * The session key pair of `keyDir`, generated on first run. Written to a temporary file and
 * hard-linked into place, because `link` never replaces an existing file: two processes starting
 * together on a fresh folder agree on one key, and neither reads a half-written file.
 */
function loadOrCreateSessionKey(keyDir: string): SessionKey {
  const path = join(keyDir, SESSION_KEY_FILE);
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  let jwk = readKeyFile(path);
  if (jwk === undefined) {
    const temporary = join(keyDir, `.${SESSION_KEY_FILE}.${randomBytes(8).toString('hex')}.tmp`);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(temporary, JSON.stringify(privateKey.export({ format: 'jwk' })), { mode: 0o600, flag: 'wx' });
    try {
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temporary);
    }
    jwk = readKeyFile(path);
    if (jwk === undefined) throw new Error(`${path}: the session key could not be created`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch (error) {
    throw new Error(`${path}: not a private key in JWK form; delete it to generate a new one (every session ends)`, { cause: error });
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${path}: the session key must be an EC P-256 key (ES256); delete it to generate a new one (every session ends)`);
  }
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

/** The parsed key file, or undefined when there is none; refuses a file others can read. */
function readKeyFile(path: string): JsonWebKey | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // Windows has no POSIX modes (stat reports 0o666 for every file); elsewhere a private key that
  // group or others can read is refused, as ssh refuses one.
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) {
    throw new Error(`${path}: the session key is readable by other users; run chmod 600 on it`);
  }
  try {
    return JSON.parse(text) as JsonWebKey;
  } catch (error) {
    throw new Error(`${path}: not JSON; delete it to generate a new one (every session ends)`, { cause: error });
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

