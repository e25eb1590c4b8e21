/**
 * The magic link's tokens on AWS, for the Cognito identity (see `cognito-identity.ts` for why the
 * link is not kept in Cognito): one item per token in the Leedz table, redeemed by a conditional
 * delete, which DynamoDB applies atomically, so of two clicks racing on two Lambdas one signs in.
 *
 * | PK | SK | attributes |
 * | --- | --- | --- |
 * | `LOGIN#<SHA-256 of the token, hex>` | `LOGIN` | `email`, `expiresMs`, `expiresAt` (TTL, epoch seconds) |
 *
 * Only the token's hash is stored, so a copy of the table signs no one in. TTL deletes expired items
 * lazily (within days), so the redeem's condition compares `expiresMs` with the clock itself.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, DeleteItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LEEDZ_TABLE } from '../../store/dynamodb/table-definition.js';
import type { LoginTokens } from './cognito-identity.js';

/** What the DynamoDB login tokens are built with. */
export interface DynamoDbLoginTokensOptions {
  client: DynamoDBClient;
  /** The Leedz table (`LEEDZ_TABLE`'s keys and TTL attribute). */
  tableName: string;
  /** The clock in epoch milliseconds, injectable for tests. */
  now?: () => number;
}

/** A magic link's lifetime (docs/marketplace.md, Sign-in: valid 15 minutes, single use). */
export const LOGIN_TOKEN_TTL_MS = 15 * 60_000;

/** 32 random bytes in base64url: exactly 43 characters of that alphabet. */
const LOGIN_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const SORT_KEY = 'LOGIN';

/**
 * Login tokens in DynamoDB: 32 random bytes each, valid 15 minutes, redeemable once; any number
 * may be outstanding for one email. A malformed token costs no request.
 *
 * @example
 * const loginTokens = createDynamoDbLoginTokens({ client: new DynamoDBClient({ region }), tableName: 'leedz' });
 * const identity = createCognitoIdentity({ client, userPoolId, clientId, loginTokens });
 */
export function createDynamoDbLoginTokens({ client, tableName, now = Date.now }: DynamoDbLoginTokensOptions): LoginTokens {
  const { partitionKey, sortKey, timeToLiveAttribute } = LEEDZ_TABLE;
  const key = (token: string) => ({ [partitionKey]: { S: `LOGIN#${createHash('sha256').update(token).digest('hex')}` }, [sortKey]: { S: SORT_KEY } });

  return {
    async issueLoginToken(email) {
      const token = randomBytes(32).toString('base64url');
      const expiresMs = now() + LOGIN_TOKEN_TTL_MS;
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            ...key(token),
            email: { S: email },
            expiresMs: { N: String(expiresMs) },
            [timeToLiveAttribute]: { N: String(Math.ceil(expiresMs / 1000)) },
          },
          // 256 random bits do not collide; the condition only makes sure nothing is ever overwritten.
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': partitionKey },
        }),
      );
      return token;
    },

    async redeemLoginToken(token) {
      if (typeof token !== 'string' || !LOGIN_TOKEN.test(token)) return undefined;
      try {
        const { Attributes } = await client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: key(token),
            // Unknown (no item), used (deleted) and expired all fail this condition.
            ConditionExpression: 'expiresMs > :now',
            ExpressionAttributeValues: { ':now': { N: String(now()) } },
            ReturnValues: 'ALL_OLD',
          }),
        );
        return Attributes?.email?.S;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },
  };
}
