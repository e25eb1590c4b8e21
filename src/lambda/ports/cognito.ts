/**
 * The whole identity on Lambda (`authCallback`): the magic link's tokens in the table, and sessions
 * that Cognito's admin API issues.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createCognitoIdentity } from '../../adapters/identity/cognito/cognito-identity.js';
import type { Identity } from '../../leedz/ports.js';
import type { AwsConfig } from '../aws-config.js';
import { dynamoDbLoginTokens } from './dynamodb.js';

export function cognitoIdentity(config: AwsConfig): Identity {
  return createCognitoIdentity({
    client: new CognitoIdentityProviderClient({ region: config.region }),
    userPoolId: config.userPoolId,
    clientId: config.userPoolClientId,
    loginTokens: dynamoDbLoginTokens(config),
  });
}
