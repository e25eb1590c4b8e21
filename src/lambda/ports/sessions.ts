/**
 * Session checks on Lambda (every API Lambda's HTTP edge): the Cognito pool's signing keys, with
 * `jose` — no Cognito client, so a Lambda that only checks sessions does not load one.
 */
import { createCognitoSessions } from '../../adapters/identity/cognito/cognito-sessions.js';
import type { Identity } from '../../leedz/ports.js';
import type { AwsConfig } from '../aws-config.js';

export function cognitoSessions(config: AwsConfig): Pick<Identity, 'verifySession'> {
  return createCognitoSessions({ userPoolId: config.userPoolId, clientId: config.userPoolClientId });
}
