import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import Database from 'better-sqlite3';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCognitoIdentity, JwksUnavailableError, USERNAME_ATTRIBUTE, type CognitoIdentityOptions } from '../../../src/adapters/identity/cognito/cognito-identity.js';
import { createLocalIdentity } from '../../../src/adapters/identity/local/local-identity.js';
import type { Identity } from '../../../src/leedz/ports.js';
import { describeIdentityContract } from '../../contracts/identity.js';
import { freePort, startCognitoLocal, type CognitoLocal } from '../../helpers/cognito-local.js';
import { tempDir } from '../../helpers/temp-dir.js';

let cognito: CognitoLocal;
let client: CognitoIdentityProviderClient;

beforeAll(async () => {
  cognito = await startCognitoLocal();
  client = new CognitoIdentityProviderClient(cognito.clientConfig);
});

afterAll(async () => {
  client?.destroy();
  await cognito?.stop();
});

interface Pool {
  userPoolId: string;
  clientId: string;
}

/** A pool as the CDK stack makes it: email sign-in, admin-created users only, the username attribute, a secretless app client. */
async function createPool(name = 'leedz'): Promise<Pool> {
  const { UserPool } = await client.send(
    new CreateUserPoolCommand({
      PoolName: name,
      UsernameAttributes: ['email'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: [{ Name: 'username', AttributeDataType: 'String', Mutable: true }],
    }),
  );
  const userPoolId = UserPool?.Id ?? '';
  const { UserPoolClient } = await client.send(
    new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: 'leedz-api', ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'], GenerateSecret: false }),
  );
  return { userPoolId, clientId: UserPoolClient?.ClientId ?? '' };
}

/** A Cognito identity on a pool, with the local identity's SQLite table keeping the link tokens. */
function identityOn(pool: Pool, overrides: Partial<CognitoIdentityOptions> = {}) {
  const dir = tempDir('leedz-cognito-identity-');
  const db = new Database(join(dir.path, 'leedz.db'));
  const loginTokens = createLocalIdentity({ db, keyDir: join(dir.path, 'keys') });
  const identity = createCognitoIdentity({
    client,
    ...pool,
    loginTokens,
    issuer: cognito.issuer(pool.userPoolId),
    jwksUrl: cognito.jwksUrl(pool.userPoolId),
    ...overrides,
  });
  return {
    identity,
    teardown: async () => {
      db.close();
      dir.cleanup();
    },
  };
}

describeIdentityContract('Cognito (cognito-local; link tokens in SQLite)', async () => identityOn(await createPool()));

/** cognito-local's signing key, which ships in its npm package: it signs tokens that pass the signature check, to test the claim checks. */
async function cognitoLocalKey() {
  const path = createRequire(import.meta.url).resolve('cognito-local/lib/keys/cognitoLocal.private.json');
  const { jwk } = JSON.parse(readFileSync(path, 'utf8')) as { jwk: JWK };
  return importJWK({ ...jwk, alg: 'RS256' }, 'RS256');
}

describe('Cognito identity', () => {
  let pool: Pool;
  let fixture: ReturnType<typeof identityOn>;
  let identity: Identity;

  beforeEach(async () => {
    pool = await createPool();
    fixture = identityOn(pool);
    identity = fixture.identity;
  });

  afterEach(async () => {
    await fixture.teardown();
  });

  async function attributesOf(email: string): Promise<Record<string, string | undefined>> {
    const { UserAttributes = [] } = await client.send(new AdminGetUserCommand({ UserPoolId: pool.userPoolId, Username: email }));
    return Object.fromEntries(UserAttributes.map((a) => [a.Name, a.Value]));
  }

  /** Claims of a valid ID token of this pool and client, for tokens signed with cognito-local's key. */
  function idClaims(overrides: Record<string, unknown> = {}) {
    const iat = Math.floor(Date.now() / 1000);
    return { sub: 'c0ffee00-0000-4000-8000-000000000000', email: 'ada@example.com', email_verified: true, token_use: 'id', [USERNAME_ATTRIBUTE]: 'ada', auth_time: iat, ...overrides };
  }

  async function signedLikeCognitoLocal(claims: Record<string, unknown>, options: { issuer?: string; audience?: string; expiresIn?: number } = {}) {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'CognitoLocal' })
      .setIssuer(options.issuer ?? cognito.issuer(pool.userPoolId))
      .setAudience(options.audience ?? pool.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (options.expiresIn ?? 3600))
      .sign(await cognitoLocalKey());
  }

  it('signs in: the link redeems to the email, the session is the pool’s ID token for the app client, and it verifies to the caller', async () => {
    const link = await identity.issueLoginToken('ada@example.com');
    const email = await identity.redeemLoginToken(link);
    expect(email).toBe('ada@example.com');
    const session = await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
    expect(decodeProtectedHeader(session)).toMatchObject({ alg: 'RS256', kid: 'CognitoLocal' });
    expect(decodeJwt(session)).toMatchObject({
      iss: cognito.issuer(pool.userPoolId),
      aud: pool.clientId,
      token_use: 'id',
      email: 'ada@example.com',
      email_verified: true,
      [USERNAME_ATTRIBUTE]: 'ada',
    });
    expect(await identity.verifySession(session)).toEqual({ email: 'ada@example.com', username: 'ada' });
    expect(await identity.redeemLoginToken(link)).toBeUndefined();
  });

  it('creates the Cognito user on the first session, verified, with the username; later sessions update it', async () => {
    await identity.issueSession({ email: 'new@example.com' });
    expect(await attributesOf('new@example.com')).toMatchObject({ email: 'new@example.com', email_verified: 'true' });
    expect((await attributesOf('new@example.com'))[USERNAME_ATTRIBUTE]).toBeUndefined();

    const named = await identity.issueSession({ email: 'new@example.com', username: 'newbie' });
    expect(await attributesOf('new@example.com')).toMatchObject({ [USERNAME_ATTRIBUTE]: 'newbie' });
    expect(await identity.verifySession(named)).toEqual({ email: 'new@example.com', username: 'newbie' });

    const renamed = await identity.issueSession({ email: 'new@example.com', username: 'newbie2' });
    expect(await identity.verifySession(renamed)).toEqual({ email: 'new@example.com', username: 'newbie2' });

    // The caller is the truth: a caller without a username gets a token without one.
    const unnamed = await identity.issueSession({ email: 'new@example.com' });
    expect(await identity.verifySession(unnamed)).toEqual({ email: 'new@example.com' });
  });

  it('nobody knows the password: each session sets a new random one, so a password from before no longer signs in', async () => {
    await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
    await client.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.userPoolId, Username: 'ada@example.com', Password: 'Known-passw0rd!', Permanent: true }));
    await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
    await expect(
      client.send(new AdminInitiateAuthCommand({ UserPoolId: pool.userPoolId, ClientId: pool.clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ada@example.com', PASSWORD: 'Known-passw0rd!' } })),
    ).rejects.toThrow();
  });

  it('concurrent sessions for one user (two tabs) all succeed and all verify', async () => {
    const sessions = await Promise.all([1, 2, 3].map(() => identity.issueSession({ email: 'ada@example.com', username: 'ada' })));
    for (const session of sessions) expect(await identity.verifySession(session)).toEqual({ email: 'ada@example.com', username: 'ada' });
  });

  it('two servers signing in one user at once both succeed: a password changed underneath is retried', async () => {
    const second = identityOn(pool);
    try {
      const sessions = await Promise.all([
        identity.issueSession({ email: 'ada@example.com', username: 'ada' }),
        second.identity.issueSession({ email: 'ada@example.com', username: 'ada' }),
        identity.issueSession({ email: 'ada@example.com', username: 'ada' }),
        second.identity.issueSession({ email: 'ada@example.com', username: 'ada' }),
      ]);
      for (const session of sessions) expect(await identity.verifySession(session)).toEqual({ email: 'ada@example.com', username: 'ada' });
    } finally {
      await second.teardown();
    }
  });

  it('an expired session is refused', async () => {
    const session = await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
    const exp = decodeJwt(session).exp ?? 0;
    const at = (ms: number) => identityOn(pool, { now: () => ms });
    const before = at(exp * 1000 - 1_000);
    const after = at(exp * 1000);
    try {
      expect(await before.identity.verifySession(session)).toEqual({ email: 'ada@example.com', username: 'ada' });
      expect(await after.identity.verifySession(session)).toBeUndefined();
    } finally {
      await before.teardown();
      await after.teardown();
    }
  });

  it('a token of another pool is refused (cognito-local signs every pool with one key: only the issuer tells them apart)', async () => {
    const other = identityOn(await createPool('elsewhere'));
    try {
      const foreign = await other.identity.issueSession({ email: 'ada@example.com', username: 'ada' });
      expect(await other.identity.verifySession(foreign)).toEqual({ email: 'ada@example.com', username: 'ada' });
      expect(await identity.verifySession(foreign)).toBeUndefined();
      // Same pool, same key, right audience, but the other pool's issuer.
      expect(await identity.verifySession(await signedLikeCognitoLocal(idClaims(), { issuer: cognito.issuer('local_other') }))).toBeUndefined();
    } finally {
      await other.teardown();
    }
  });

  it('a token of another app client of the same pool is refused', async () => {
    const { UserPoolClient } = await client.send(new CreateUserPoolClientCommand({ UserPoolId: pool.userPoolId, ClientName: 'other-app', ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH'] }));
    const otherApp = identityOn({ userPoolId: pool.userPoolId, clientId: UserPoolClient?.ClientId ?? '' });
    try {
      const session = await otherApp.identity.issueSession({ email: 'ada@example.com', username: 'ada' });
      expect(await identity.verifySession(session)).toBeUndefined();
    } finally {
      await otherApp.teardown();
    }
  });

  it('an access token of the pool is not a session (no email; token_use "access")', async () => {
    await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
    await client.send(new AdminSetUserPasswordCommand({ UserPoolId: pool.userPoolId, Username: 'ada@example.com', Password: 'Known-passw0rd!', Permanent: true }));
    const { AuthenticationResult } = await client.send(
      new AdminInitiateAuthCommand({ UserPoolId: pool.userPoolId, ClientId: pool.clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ada@example.com', PASSWORD: 'Known-passw0rd!' } }),
    );
    expect(decodeJwt(AuthenticationResult?.AccessToken ?? '')).toMatchObject({ token_use: 'access' });
    expect(await identity.verifySession(AuthenticationResult?.AccessToken)).toBeUndefined();
    expect(await identity.verifySession(AuthenticationResult?.IdToken)).toEqual({ email: 'ada@example.com', username: 'ada' });
  });

  it('forged: a stranger’s RS256 key under cognito-local’s kid, or HS256, with every claim right, is refused', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const iat = Math.floor(Date.now() / 1000);
    const claims = () => new SignJWT(idClaims()).setIssuer(cognito.issuer(pool.userPoolId)).setAudience(pool.clientId).setIssuedAt(iat).setExpirationTime(iat + 3600);
    expect(await identity.verifySession(await claims().setProtectedHeader({ alg: 'RS256', kid: 'CognitoLocal' }).sign(privateKey))).toBeUndefined();
    expect(await identity.verifySession(await claims().setProtectedHeader({ alg: 'RS256', kid: 'unknown-kid' }).sign(privateKey))).toBeUndefined();
    expect(await identity.verifySession(await claims().setProtectedHeader({ alg: 'HS256', kid: 'CognitoLocal' }).sign(new TextEncoder().encode('x'.repeat(32))))).toBeUndefined();
    // The same claims signed with the pool's real key pass: the refusals above are the signature's.
    expect(await identity.verifySession(await signedLikeCognitoLocal(idClaims()))).toEqual({ email: 'ada@example.com', username: 'ada' });
  });

  it('validly signed but wrong claims are refused: token_use, email_verified, email, username, expiry, audience', async () => {
    const refused = [
      await signedLikeCognitoLocal(idClaims({ token_use: 'access' })),
      await signedLikeCognitoLocal(idClaims({ email_verified: false })),
      await signedLikeCognitoLocal(idClaims({ email_verified: 'true' })),
      await signedLikeCognitoLocal(idClaims({ email: '' })),
      await signedLikeCognitoLocal(idClaims({ email: 42 })),
      await signedLikeCognitoLocal(idClaims({ [USERNAME_ATTRIBUTE]: '' })),
      await signedLikeCognitoLocal(idClaims({ [USERNAME_ATTRIBUTE]: ['ada'] })),
      await signedLikeCognitoLocal(idClaims(), { expiresIn: -1 }),
      await signedLikeCognitoLocal(idClaims(), { audience: 'another-client' }),
    ];
    for (const token of refused) expect(await identity.verifySession(token)).toBeUndefined();
    const { email: _omitted, ...withoutEmail } = idClaims();
    expect(await identity.verifySession(await signedLikeCognitoLocal(withoutEmail))).toBeUndefined();
  });

  it('an oversized token is refused before any work', async () => {
    expect(await identity.verifySession(`${'a'.repeat(20_000)}.b.c`)).toBeUndefined();
  });

  it('signing keys that cannot be fetched are an outage: verifySession rejects instead of signing everyone out', async () => {
    const session = await identity.issueSession({ email: 'ada@example.com', username: 'ada' });
    const unreachable = identityOn(pool, { jwksUrl: `http://127.0.0.1:${await freePort()}/jwks.json` });
    try {
      await expect(unreachable.identity.verifySession(session)).rejects.toThrow(JwksUnavailableError);
      // Malformed tokens are still refused without fetching anything.
      expect(await unreachable.identity.verifySession('garbage')).toBeUndefined();
    } finally {
      await unreachable.teardown();
    }
  });

  it('the issuer defaults to Cognito’s for the pool’s region; an emulator’s pool id needs one given', () => {
    const loginTokens = { issueLoginToken: async () => '', redeemLoginToken: async () => undefined };
    expect(() => createCognitoIdentity({ client, userPoolId: 'us-east-1_AbCdEf123', clientId: 'c', loginTokens })).not.toThrow();
    expect(() => createCognitoIdentity({ client, userPoolId: 'local_AbCd1234', clientId: 'c', loginTokens })).toThrow(/pass issuer for an emulator/);
    expect(() => createCognitoIdentity({ client, userPoolId: '', clientId: 'c', loginTokens })).toThrow(/must not be empty/);
  });

  it('a Cognito failure while issuing a session says what failed', async () => {
    const broken = identityOn({ userPoolId: 'local_missing0', clientId: pool.clientId });
    try {
      await expect(broken.identity.issueSession({ email: 'ada@example.com' })).rejects.toThrow(/^Cognito identity: (reading|creating) the user ada@example.com failed: /);
    } finally {
      await broken.teardown();
    }
  });
});
