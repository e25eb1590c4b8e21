/**
 * The Identity on AWS: a Cognito user pool holds the accounts and signs the sessions, so the
 * sessions are Cognito ID tokens that API Gateway's JWT authorizer can check before a Lambda runs.
 *
 * ## How the magic link maps onto Cognito
 *
 * The link and the session are two jobs, done by two parts:
 *
 * 1. **The link's token** is issued and redeemed by `loginTokens`, a store with an atomic redeem (on
 *    AWS `dynamodb-login-tokens.ts` beside this file: items in the Leedz table, redeemed by a
 *    conditional delete; against cognito-local in tests, the local identity's `login_tokens` table).
 *    The port asks for things Cognito has no primitive for: any number of outstanding links per
 *    email, each valid 15 minutes, each redeemable exactly once even when two clicks race. Cognito's
 *    own passwordless sign-in (`USER_AUTH` with `EMAIL_OTP`) sends its own email, and `CUSTOM_AUTH`
 *    needs three Lambda triggers that `cognito-local` does not run; a one-time password kept in
 *    Cognito allows one link per user, and its check-then-rotate is not atomic across Lambdas.
 * 2. **The session** comes from Cognito. Once the link is redeemed (the caller proved they read mail
 *    at that address), `issueSession` makes sure the pool has the user (`AdminCreateUser`, no
 *    invitation email, `email_verified = true`, the marketplace username in `custom:username`), sets
 *    a fresh random password that is never stored or shown (`AdminSetUserPassword`), signs in with it
 *    on the server (`AdminInitiateAuth`, `ADMIN_USER_PASSWORD_AUTH`) and returns the ID token.
 *    This works the same on `cognito-local` and on Cognito.
 *
 * Security properties:
 * - Nobody knows any user's password, so nobody can sign in through Cognito's public API; only this
 *   server (its IAM role, allowed the `Admin*` calls above) can mint a session, and only after a
 *   redeemed link. The pool should refuse self sign-up (`AllowAdminCreateUserOnly`) and its app
 *   client should allow only `ALLOW_ADMIN_USER_PASSWORD_AUTH` (and refresh), without a secret.
 * - Only the ID token leaves the server. The access and refresh tokens are dropped, so a browser
 *   cannot call the user-self APIs (`UpdateUserAttributes`, `ChangePassword`, …) and rewrite its own
 *   `custom:username`; the app client's write attributes should exclude it all the same.
 * - A session lasts as long as the app client's ID token validity (1 hour by default, at most a
 *   day): shorter than the local identity's 7 days, and not renewable through this port.
 * - Disabling a user in Cognito stops new sessions (the sign-in is refused); tokens already issued
 *   last until they expire, as with any JWT.
 * - Concurrent `issueSession` calls for one user (two tabs) are serialised in-process; across
 *   Lambdas, a password changed underneath a sign-in is retried with a new one.
 *
 * ## Verification
 *
 * `verifySession` checks a Cognito **ID token**, not an access token: the caller is an email, and
 * only the ID token carries `email` (and custom attributes); an access token has neither, so using
 * it would cost a `GetUser` call per request. Checked with `jose` against the pool's JWKS: RS256,
 * signature, `iss` (the pool), `aud` (the app client), `token_use = "id"`, `exp`, and
 * `email_verified = true`. The username is `custom:username`, set by this adapter from the store's
 * user: `cognito:username` is Cognito's own name for the user (a UUID when email is the sign-in
 * name), and `preferred_username` is a standard attribute users may write themselves and a possible
 * sign-in alias, so neither can be the marketplace's handle.
 *
 * Token issuer and keys: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html
 */
import { randomBytes } from 'node:crypto';
import {
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  type AttributeType,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Caller, Identity } from '../../../leedz/ports.js';
import { createCognitoSessions, USERNAME_ATTRIBUTE } from './cognito-sessions.js';

// Verification lives beside this file, so that a Lambda that only checks sessions loads no Cognito client.
export { JwksUnavailableError, USERNAME_ATTRIBUTE } from './cognito-sessions.js';

/** The half of the Identity port that issues and redeems magic-link tokens (see the top comment). */
export type LoginTokens = Pick<Identity, 'issueLoginToken' | 'redeemLoginToken'>;

/** What the Cognito identity is built with, resolved by the composition root. */
export interface CognitoIdentityOptions {
  client: CognitoIdentityProviderClient;
  /** `us-east-1_AbCdEf123`: the region before the underscore gives the default issuer. */
  userPoolId: string;
  /** The app client (without a secret) whose ID tokens are sessions: their `aud`. */
  clientId: string;
  /** The magic link's tokens, kept by a store with an atomic redeem. */
  loginTokens: LoginTokens;
  /** The tokens' `iss`; default `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` (set it for cognito-local). */
  issuer?: string;
  /** Where the pool's signing keys are; default `<issuer>/.well-known/jwks.json`. */
  jwksUrl?: string;
  /** The clock in epoch milliseconds for expiry checks, injectable for tests. */
  now?: () => number;
}

/** Sign-ins tried when another Lambda changed the password in between, with a jittered pause that grows. */
const SIGN_IN_ATTEMPTS = 5;
const SIGN_IN_BACKOFF_MS = 50;

/**
 * An Identity on a Cognito user pool (see the top comment for the design). `verifySession`
 * answers undefined for a missing, malformed, forged, expired, other-pool or other-client token and
 * never throws for one; it rejects with {@link JwksUnavailableError} when the keys cannot be fetched.
 * `issueSession` rejects with the SDK's error, wrapped with what failed, when Cognito refuses.
 *
 * @example
 * const identity = createCognitoIdentity({
 *   client: new CognitoIdentityProviderClient({ region: 'us-east-1' }),
 *   userPoolId: 'us-east-1_AbCdEf123', clientId: '1example23456789', loginTokens,
 * });
 * const email = await identity.redeemLoginToken(token);                      // via loginTokens
 * const session = await identity.issueSession({ email: 'ada@example.com', username: 'ada' }); // a Cognito ID token
 * await identity.verifySession(session);                                     // → { email: 'ada@example.com', username: 'ada' }
 */
export function createCognitoIdentity(options: CognitoIdentityOptions): Identity {
  const { client, userPoolId, clientId, loginTokens } = options;
  const sessions = createCognitoSessions(options);
  const inFlight = new Map<string, Promise<unknown>>();

  /** One session at a time per email in this process: each sign-in sets the password the next replaces. */
  function serialised<T>(email: string, task: () => Promise<T>): Promise<T> {
    const previous = inFlight.get(email) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    inFlight.set(email, settled);
    void settled.then(() => {
      if (inFlight.get(email) === settled) inFlight.delete(email);
    });
    return next;
  }

  async function ensureUser(caller: Caller): Promise<void> {
    const existing = await getUser(caller.email);
    if (existing === undefined) {
      try {
        await client.send(
          new AdminCreateUserCommand({
            UserPoolId: userPoolId,
            Username: caller.email,
            // The magic link is the invitation: Cognito sends no email of its own.
            MessageAction: 'SUPPRESS',
            UserAttributes: [
              { Name: 'email', Value: caller.email },
              { Name: 'email_verified', Value: 'true' },
              ...(caller.username === undefined ? [] : [{ Name: USERNAME_ATTRIBUTE, Value: caller.username }]),
            ],
          }),
        );
        return;
      } catch (error) {
        // Created by a racing sign-in: bring its attributes to ours below.
        if (errorName(error) !== 'UsernameExistsException') throw wrap(`creating the user ${caller.email}`, error);
      }
    }
    const attributes = existing ?? (await getUser(caller.email)) ?? [];
    const value = (name: string) => attributes.find((a) => a.Name === name)?.Value;
    const updates: AttributeType[] = [];
    // The redeemed link proved the address, whatever Cognito recorded before.
    if (value('email_verified') !== 'true') updates.push({ Name: 'email_verified', Value: 'true' });
    if (caller.username !== undefined && value(USERNAME_ATTRIBUTE) !== caller.username) updates.push({ Name: USERNAME_ATTRIBUTE, Value: caller.username });
    if (updates.length > 0) {
      await client.send(new AdminUpdateUserAttributesCommand({ UserPoolId: userPoolId, Username: caller.email, UserAttributes: updates })).catch((error: unknown) => {
        throw wrap(`updating the user ${caller.email}`, error);
      });
    }
    if (caller.username === undefined && value(USERNAME_ATTRIBUTE) !== undefined) {
      await client.send(new AdminDeleteUserAttributesCommand({ UserPoolId: userPoolId, Username: caller.email, UserAttributeNames: [USERNAME_ATTRIBUTE] })).catch((error: unknown) => {
        throw wrap(`updating the user ${caller.email}`, error);
      });
    }
  }

  async function getUser(email: string): Promise<AttributeType[] | undefined> {
    try {
      const { UserAttributes } = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: email }));
      return UserAttributes ?? [];
    } catch (error) {
      if (errorName(error) === 'UserNotFoundException') return undefined;
      throw wrap(`reading the user ${email}`, error);
    }
  }

  async function signIn(email: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const password = oneTimePassword();
      try {
        await client.send(new AdminSetUserPasswordCommand({ UserPoolId: userPoolId, Username: email, Password: password, Permanent: true }));
        const { AuthenticationResult, ChallengeName } = await client.send(
          new AdminInitiateAuthCommand({ UserPoolId: userPoolId, ClientId: clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: email, PASSWORD: password } }),
        );
        const idToken = AuthenticationResult?.IdToken;
        if (idToken === undefined) {
          throw new Error(`Cognito identity: signing in ${email} asked for the challenge ${ChallengeName ?? '(none)'} instead of issuing tokens; turn MFA and other challenges off for this app client`);
        }
        return idToken;
      } catch (error) {
        const name = errorName(error);
        const raced = (name === 'NotAuthorizedException' || name === 'InvalidPasswordException') && !/disabled/i.test(messageOf(error));
        // Another Lambda set a newer password between ours and the sign-in: try again with a new one,
        // after a random pause, so two racing sign-ins stop stepping on each other.
        if (raced && attempt < SIGN_IN_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * SIGN_IN_BACKOFF_MS * attempt));
          continue;
        }
        throw error instanceof Error && error.message.startsWith('Cognito identity:') ? error : wrap(`signing in ${email}`, error);
      }
    }
  }

  return {
    issueLoginToken: (email) => loginTokens.issueLoginToken(email),
    redeemLoginToken: (token) => loginTokens.redeemLoginToken(token),

    async issueSession(caller) {
      return serialised(caller.email, async () => {
        await ensureUser(caller);
        return signIn(caller.email);
      });
    },

    verifySession: (token) => sessions.verifySession(token),
  };
}

/**
 * 32 random bytes, plus one character of each class, so any password policy the pool may have
 * (upper, lower, digit, symbol; at most 256 characters) accepts it.
 */
function oneTimePassword(): string {
  return `${randomBytes(32).toString('base64url')}Aa1!`;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function wrap(what: string, error: unknown): Error {
  return new Error(`Cognito identity: ${what} failed: ${errorName(error) || 'Error'}: ${messageOf(error)}`, { cause: error });
}
