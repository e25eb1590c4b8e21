/**
 * The half of the Cognito identity that every API Lambda needs: checking a session, a Cognito **ID
 * token**, against the pool's JWKS with `jose` — RS256, signature, `iss` (the pool), `aud` (the app
 * client), `token_use = "id"`, `exp`, and `email_verified = true`. It needs no Cognito API call and no
 * SDK client, so a Lambda that only checks sessions does not load Cognito's client (about 130 KB of
 * bundle, tens of milliseconds of cold start); `cognito-identity.ts` builds the whole port on it.
 *
 * Why the ID token and the custom username: see `cognito-identity.ts`.
 * Token issuer and keys: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html
 *
 * @example
 * const sessions = createCognitoSessions({ userPoolId: 'us-east-1_AbCdEf123', clientId: '1example23456789' });
 * await sessions.verifySession(token); // → { email: 'ada@example.com', username: 'ada' }, or undefined
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Identity } from '../../../leedz/ports.js';

/** The custom attribute holding the marketplace username (declare `username` in the pool's schema). */
export const USERNAME_ATTRIBUTE = 'custom:username';

/** A real ID token is 1–2 kB; anything far larger is refused before any parsing. */
const MAX_TOKEN_LENGTH = 16_384;

/**
 * The JWKS could not be fetched or read: an outage, not a bad token, so `verifySession` rejects
 * instead of answering "not signed in" for everyone.
 */
export class JwksUnavailableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`Cognito identity: could not get the signing keys from ${url} (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'JwksUnavailableError';
  }
}

export interface CognitoSessionsOptions {
  /** `us-east-1_AbCdEf123`: the region before the underscore gives the default issuer. */
  userPoolId: string;
  /** The app client whose ID tokens are sessions: their `aud`. */
  clientId: string;
  /** The tokens' `iss`; default `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` (set it for cognito-local). */
  issuer?: string;
  /** Where the pool's signing keys are; default `<issuer>/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** The clock in epoch milliseconds for expiry checks, injectable for tests. */
  now?: () => number;
}

/**
 * `verifySession` answers undefined for a missing, malformed, forged, expired, other-pool or
 * other-client token and never throws for one; it rejects with {@link JwksUnavailableError} when the
 * keys cannot be fetched.
 */
export function createCognitoSessions(options: CognitoSessionsOptions): Pick<Identity, 'verifySession'> {
  const { userPoolId, clientId, now = Date.now } = options;
  if (userPoolId === '' || clientId === '') throw new Error('Cognito identity: userPoolId and clientId must not be empty');
  const issuer = options.issuer ?? defaultIssuer(userPoolId);
  const jwksUrl = options.jwksUrl ?? `${issuer}/.well-known/jwks.json`;
  const remoteKeys = createRemoteJWKSet(new URL(jwksUrl));
  const keys: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remoteKeys(header, token);
    } catch (error) {
      // No key with the token's kid is a forged token; the rest are failures to fetch or read the set.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new JwksUnavailableError(jwksUrl, error);
    }
  };

  return {
    async verifySession(token) {
      if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) return undefined;
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms: ['RS256'],
          issuer,
          audience: clientId,
          requiredClaims: ['exp', 'iat', 'sub', 'token_use', 'email'],
          currentDate: new Date(now()),
        }));
      } catch (error) {
        if (error instanceof JwksUnavailableError) throw error;
        // Malformed, forged, expired, another pool or another client: all mean "not signed in".
        return undefined;
      }
      const { token_use: use, email, email_verified: verified, [USERNAME_ATTRIBUTE]: username } = payload;
      if (use !== 'id' || verified !== true || typeof email !== 'string' || email === '') return undefined;
      if (username === undefined) return { email };
      return typeof username === 'string' && username !== '' ? { email, username } : undefined;
    },
  };
}

/** Cognito's issuer for a pool: its region is the part of the pool id before the underscore. */
function defaultIssuer(userPoolId: string): string {
  const region = /^([a-z]{2}(?:-[a-z]+)+-\d)_[A-Za-z0-9]+$/.exec(userPoolId)?.[1];
  if (region === undefined) throw new Error(`Cognito identity: "${userPoolId}" is not a user pool id like us-east-1_AbCdEf123; pass issuer for an emulator`);
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}
