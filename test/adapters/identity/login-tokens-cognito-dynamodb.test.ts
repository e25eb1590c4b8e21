/**
 * The Cognito identity as it runs on AWS: sessions from a user pool (cognito-local), link tokens in
 * the Leedz table (DynamoDB Local). Needs Java for DynamoDB Local (see test/helpers/dynamodb-local.ts).
 */
import { createHash } from 'node:crypto';
import { CognitoIdentityProviderClient, CreateUserPoolClientCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCognitoIdentity } from '../../../src/adapters/identity/cognito/cognito-identity.js';
import { createDynamoDbLoginTokens, LOGIN_TOKEN_TTL_MS } from '../../../src/adapters/identity/cognito/dynamodb-login-tokens.js';
import { describeIdentityContract } from '../../contracts/identity.js';
import { startCognitoLocal, type CognitoLocal } from '../../helpers/cognito-local.js';
import { requireJava, startDynamoDbLocal, type DynamoDbLocal } from '../../helpers/dynamodb-local.js';

const hasJava = requireJava();

let dynamo: DynamoDbLocal;
let cognito: CognitoLocal;
let cognitoClient: CognitoIdentityProviderClient;

beforeAll(async () => {
  if (!hasJava) return;
  [dynamo, cognito] = await Promise.all([startDynamoDbLocal(), startCognitoLocal()]);
  cognitoClient = new CognitoIdentityProviderClient(cognito.clientConfig);
});

afterAll(async () => {
  cognitoClient?.destroy();
  await Promise.all([dynamo?.stop(), cognito?.stop()]);
});

describe.skipIf(!hasJava)('on AWS’s emulators', () => {
  describeIdentityContract('Cognito (cognito-local; link tokens in DynamoDB Local)', async () => {
    const tableName = await dynamo.createTable();
    const { UserPool } = await cognitoClient.send(
      new CreateUserPoolCommand({ PoolName: 'leedz', UsernameAttributes: ['email'], Schema: [{ Name: 'username', AttributeDataType: 'String', Mutable: true }] }),
    );
    const userPoolId = UserPool?.Id ?? '';
    const { UserPoolClient } = await cognitoClient.send(new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: 'web', ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH'] }));
    const dynamoClient = dynamo.client();
    const identity = createCognitoIdentity({
      client: cognitoClient,
      userPoolId,
      clientId: UserPoolClient?.ClientId ?? '',
      loginTokens: createDynamoDbLoginTokens({ client: dynamoClient, tableName }),
      issuer: cognito.issuer(userPoolId),
      jwksUrl: cognito.jwksUrl(userPoolId),
    });
    return {
      identity,
      teardown: async () => {
        dynamoClient.destroy();
        await dynamo.deleteTable(tableName);
      },
    };
  });

  describe('DynamoDB login tokens', () => {
    let client: DynamoDBClient;
    let tableName: string;
    let clock: number;

    beforeEach(async () => {
      client = dynamo.client();
      tableName = await dynamo.createTable();
      clock = Date.parse('2026-12-01T12:00:00Z');
      return async () => {
        client.destroy();
        await dynamo.deleteTable(tableName);
      };
    });

    const tokens = () => createDynamoDbLoginTokens({ client, tableName, now: () => clock });
    const keyOf = (token: string) => ({ PK: { S: `LOGIN#${createHash('sha256').update(token).digest('hex')}` }, SK: { S: 'LOGIN' } });

    it('stores only the token’s SHA-256, with the email, the expiry and a TTL for DynamoDB to clear it', async () => {
      const token = await tokens().issueLoginToken('ada@example.com');
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: keyOf(token), ConsistentRead: true }));
      expect(Item).toEqual({
        ...keyOf(token),
        email: { S: 'ada@example.com' },
        expiresMs: { N: String(clock + LOGIN_TOKEN_TTL_MS) },
        expiresAt: { N: String(Math.ceil((clock + LOGIN_TOKEN_TTL_MS) / 1000)) },
      });
      expect(JSON.stringify(Item)).not.toContain(token);
    });

    it('is valid for 15 minutes and no longer, even while the expired item is still there (TTL is lazy)', async () => {
      const id = tokens();
      const onTime = await id.issueLoginToken('ada@example.com');
      const late = await id.issueLoginToken('ada@example.com');
      clock += LOGIN_TOKEN_TTL_MS - 1;
      expect(await id.redeemLoginToken(onTime)).toBe('ada@example.com');
      clock += 1;
      expect(await id.redeemLoginToken(late)).toBeUndefined();
      expect((await client.send(new GetItemCommand({ TableName: tableName, Key: keyOf(late), ConsistentRead: true }))).Item).toBeDefined();
    });

    it('eight Lambdas redeeming one link at once sign in once', async () => {
      const token = await tokens().issueLoginToken('ada@example.com');
      const lambdas = Array.from({ length: 8 }, () => dynamo.client());
      try {
        const results = await Promise.all(lambdas.map((c) => createDynamoDbLoginTokens({ client: c, tableName, now: () => clock }).redeemLoginToken(token)));
        expect(results.filter((r) => r !== undefined)).toEqual(['ada@example.com']);
      } finally {
        for (const c of lambdas) c.destroy();
      }
    });

    it('leaves the store’s items alone: a token that hashes to nothing finds nothing', async () => {
      await client.send(new PutItemCommand({ TableName: tableName, Item: { PK: { S: 'USER#ada' }, SK: { S: 'PROFILE' }, email: { S: 'ada@example.com' } } }));
      expect(await tokens().redeemLoginToken('A'.repeat(43))).toBeUndefined();
      expect((await client.send(new GetItemCommand({ TableName: tableName, Key: { PK: { S: 'USER#ada' }, SK: { S: 'PROFILE' } } }))).Item).toBeDefined();
    });

    it('a DynamoDB failure is thrown, not taken for an unknown token', async () => {
      const missing = createDynamoDbLoginTokens({ client, tableName: 'no-such-table', now: () => clock });
      await expect(missing.redeemLoginToken('A'.repeat(43))).rejects.toThrow(/non-existent table|not found|ResourceNotFound/i);
      await expect(missing.issueLoginToken('ada@example.com')).rejects.toThrow();
    });
  });
});
