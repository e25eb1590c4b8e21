import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalIdentity, LOGIN_TOKEN_TTL_MS, SESSION_KEY_FILE, type LocalIdentityOptions } from '../../../src/adapters/identity/local/local-identity.js';
import type { Identity } from '../../../src/leedz/ports.js';
import { describeIdentityContract } from '../../contracts/identity.js';
import { tempDir } from '../../helpers/temp-dir.js';

describeIdentityContract('local', async () => {
  const dir = tempDir('leedz-identity-');
  const db = new Database(join(dir.path, 'leedz.db'));
  return {
    identity: createLocalIdentity({ db, keyDir: join(dir.path, 'keys') }),
    teardown: async () => {
      db.close();
      dir.cleanup();
    },
  };
});

describe('local identity', () => {
  let dir: ReturnType<typeof tempDir>;
  let keyDir: string;
  let db: Database.Database;
  let clock: number;

  function identity(overrides: Partial<LocalIdentityOptions> = {}): Identity {
    return createLocalIdentity({ db, keyDir, now: () => clock, ...overrides });
  }

  /** The private key of `keyDir`, to forge tokens that only differ from real ones in one claim. */
  async function realKey(): Promise<CryptoKey | Uint8Array> {
    return importJWK(JSON.parse(readFileSync(join(keyDir, SESSION_KEY_FILE), 'utf8')) as JWK, 'ES256');
  }

  /** The database's instance id, which every session carries (made with the identity's table). */
  function instance(): string {
    identity();
    return (db.prepare('SELECT id FROM identity_instance').get() as { id: string }).id;
  }

  function claims() {
    const iat = Math.floor(clock / 1000);
    return new SignJWT({ username: 'ada', instance: instance() }).setSubject('ada@example.com').setIssuedAt(iat).setExpirationTime(iat + 3600);
  }

  beforeEach(() => {
    dir = tempDir('leedz-identity-');
    keyDir = join(dir.path, 'keys');
    db = new Database(join(dir.path, 'leedz.db'));
    clock = Date.parse('2026-12-01T12:00:00Z');
  });

  afterEach(() => {
    db.close();
    dir.cleanup();
  });

  describe('magic-link tokens', () => {
    it('are 32 random bytes in base64url', async () => {
      expect(await identity().issueLoginToken('ada@example.com')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('only their SHA-256 is stored, so a copy of the database signs no one in', async () => {
      const token = await identity().issueLoginToken('ada@example.com');
      const rows = db.prepare('SELECT * FROM login_tokens').all() as { hash: string; email: string }[];
      expect(rows).toHaveLength(1);
      expect(rows[0]?.hash).toBe(createHash('sha256').update(token).digest('hex'));
      expect(JSON.stringify(rows)).not.toContain(token);
    });

    it('are valid for 15 minutes and no longer', async () => {
      const id = identity();
      const onTime = await id.issueLoginToken('ada@example.com');
      const late = await id.issueLoginToken('ada@example.com');
      clock += LOGIN_TOKEN_TTL_MS - 1;
      expect(await id.redeemLoginToken(onTime)).toBe('ada@example.com');
      clock += 1;
      expect(await id.redeemLoginToken(late)).toBeUndefined();
      expect(LOGIN_TOKEN_TTL_MS).toBe(15 * 60_000);
    });

    it('expired tokens are cleared away when new ones are issued', async () => {
      const id = identity();
      await id.issueLoginToken('old@example.com');
      clock += LOGIN_TOKEN_TTL_MS;
      await id.issueLoginToken('new@example.com');
      expect(db.prepare('SELECT email FROM login_tokens').all()).toEqual([{ email: 'new@example.com' }]);
    });

    it('survive a restart (another identity on the same database)', async () => {
      const token = await identity().issueLoginToken('ada@example.com');
      expect(await identity().redeemLoginToken(token)).toBe('ada@example.com');
    });
  });

  describe('sessions', () => {
    it('are ES256 JWTs with the email as subject, issuer, audience and a 7-day expiry by default', async () => {
      const token = await identity().issueSession({ email: 'ada@example.com', username: 'ada' });
      const [header = '', payload = ''] = token.split('.');
      expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'ES256', typ: 'JWT' });
      const iat = Math.floor(clock / 1000);
      expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({
        sub: 'ada@example.com',
        username: 'ada',
        instance: instance(),
        iss: 'leedz-local',
        aud: 'leedz-api',
        iat,
        exp: iat + 7 * 24 * 3600,
      });
    });

    it('expire after sessionTtlSeconds', async () => {
      const id = identity({ sessionTtlSeconds: 60 });
      const token = await id.issueSession({ email: 'ada@example.com' });
      clock += 59_000;
      expect(await id.verifySession(token)).toEqual({ email: 'ada@example.com' });
      clock += 1_000;
      expect(await id.verifySession(token)).toBeUndefined();
    });

    it('survive a restart: the key is generated once and read back from keyDir', async () => {
      const token = await identity().issueSession({ email: 'ada@example.com', username: 'ada' });
      const keyBefore = readFileSync(join(keyDir, SESSION_KEY_FILE), 'utf8');
      expect(await identity().verifySession(token)).toEqual({ email: 'ada@example.com', username: 'ada' });
      expect(readFileSync(join(keyDir, SESSION_KEY_FILE), 'utf8')).toBe(keyBefore);
      // No temporary file is left behind.
      expect(readdirSync(keyDir)).toEqual([SESSION_KEY_FILE]);
    });

    it.skipIf(process.platform === 'win32')('the private key file is readable by its owner only, in a folder only its owner can enter', () => {
      identity();
      expect(statSync(join(keyDir, SESSION_KEY_FILE)).mode & 0o777).toBe(0o600);
      expect(statSync(keyDir).mode & 0o077).toBe(0);
      const jwk = JSON.parse(readFileSync(join(keyDir, SESSION_KEY_FILE), 'utf8')) as JWK;
      expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', d: expect.any(String) });
    });

    it.skipIf(process.platform === 'win32')('a key file that others can read is refused at creation', () => {
      identity();
      chmodSync(join(keyDir, SESSION_KEY_FILE), 0o644);
      expect(() => identity()).toThrow(/readable by other users; run chmod 600/);
    });

    it('a corrupt key file is refused at creation with a message saying what to do', () => {
      identity();
      writeFileSync(join(keyDir, SESSION_KEY_FILE), '{"kty":"oct","k":"AAAA"}', { mode: 0o600 });
      expect(() => identity()).toThrow(/delete it to generate a new one/);
      writeFileSync(join(keyDir, SESSION_KEY_FILE), 'not json', { mode: 0o600 });
      expect(() => identity()).toThrow(/not JSON; delete it/);
    });

    it('a token of another data folder (another key) is refused', async () => {
      const elsewhere = createLocalIdentity({ db, keyDir: join(dir.path, 'other-keys'), now: () => clock });
      const token = await elsewhere.issueSession({ email: 'ada@example.com', username: 'ada' });
      expect(await identity().verifySession(token)).toBeUndefined();
    });

    it('a token signed with a stranger’s ES256 key, with every claim right, is refused', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const token = await claims().setProtectedHeader({ alg: 'ES256' }).setIssuer('leedz-local').setAudience('leedz-api').sign(privateKey);
      expect(await identity().verifySession(token)).toBeUndefined();
    });

    it('a token signed with our own key but for another issuer or audience is refused', async () => {
      const id = identity();
      const key = await realKey();
      const good = await claims().setProtectedHeader({ alg: 'ES256' }).setIssuer('leedz-local').setAudience('leedz-api').sign(key);
      const otherIssuer = await claims().setProtectedHeader({ alg: 'ES256' }).setIssuer('someone-else').setAudience('leedz-api').sign(key);
      const otherAudience = await claims().setProtectedHeader({ alg: 'ES256' }).setIssuer('leedz-local').setAudience('another-app').sign(key);
      expect(await id.verifySession(good)).toEqual({ email: 'ada@example.com', username: 'ada' });
      expect(await id.verifySession(otherIssuer)).toBeUndefined();
      expect(await id.verifySession(otherAudience)).toBeUndefined();
      expect(await identity({ issuer: 'someone-else' }).verifySession(good)).toBeUndefined();
    });

    it('the algorithm is pinned: an HS256 token keyed with the public key (algorithm confusion) is refused', async () => {
      const id = identity();
      const publicJwk = JSON.parse(readFileSync(join(keyDir, SESSION_KEY_FILE), 'utf8')) as JWK;
      delete publicJwk.d;
      const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
      const token = await claims().setProtectedHeader({ alg: 'HS256' }).setIssuer('leedz-local').setAudience('leedz-api').sign(secret);
      expect(await id.verifySession(token)).toBeUndefined();
    });

    it('a token signed with our own key but without an expiry, a subject or a string username is refused', async () => {
      const id = identity();
      const key = await realKey();
      const exp = Math.floor(clock / 1000) + 60;
      const signed = (payload: Record<string, unknown>, subject: string | undefined, expires: boolean) => {
        const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'ES256' }).setIssuer('leedz-local').setAudience('leedz-api');
        if (subject !== undefined) jwt.setSubject(subject);
        if (expires) jwt.setExpirationTime(exp);
        return jwt.sign(key);
      };
      const own = instance();
      expect(await id.verifySession(await signed({ username: 'ada', instance: own }, 'ada@example.com', true))).toEqual({ email: 'ada@example.com', username: 'ada' });
      expect(await id.verifySession(await signed({ username: 'ada', instance: own }, 'ada@example.com', false))).toBeUndefined();
      expect(await id.verifySession(await signed({ username: 'ada', instance: own }, undefined, true))).toBeUndefined();
      expect(await id.verifySession(await signed({ username: 42, instance: own }, 'ada@example.com', true))).toBeUndefined();
      expect(await id.verifySession(await signed({ username: '', instance: own }, 'ada@example.com', true))).toBeUndefined();
      expect(await id.verifySession(await signed({ username: 'ada' }, 'ada@example.com', true))).toBeUndefined();
    });

    // A security probe kept the key folder, started on a new database, and its old session acted as
    // the newcomer who took the same username there.
    it('a session of another database (deleted or replaced while the key file stayed) is refused', async () => {
      const token = await identity().issueSession({ email: 'alice@example.com', username: 'alice' });
      db.close();
      rmSync(join(dir.path, 'leedz.db'));
      db = new Database(join(dir.path, 'leedz.db'));

      expect(await identity().verifySession(token)).toBeUndefined();
      const fresh = await identity().issueSession({ email: 'alice@newcomer.test', username: 'alice' });
      expect(await identity().verifySession(fresh)).toEqual({ email: 'alice@newcomer.test', username: 'alice' });
    });
  });
});
