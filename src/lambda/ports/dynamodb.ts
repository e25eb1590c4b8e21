/**
 * The ports a Lambda keeps in DynamoDB: the marketplace's store, the magic link's tokens (items of
 * the same table) and the idempotency records (their own table), sharing one client per container.
 *
 * @example
 * export const handler = httpEntry((deps) => createGetTrades(deps), { store: dynamoDbStore });
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbIdempotencyStore } from '../../adapters/idempotency/dynamodb-idempotency-store.js';
import type { LoginTokens } from '../../adapters/identity/cognito/cognito-identity.js';
import { createDynamoDbLoginTokens } from '../../adapters/identity/cognito/dynamodb-login-tokens.js';
import { createDynamoDbStore } from '../../adapters/store/dynamodb/dynamodb-store.js';
import { createIdempotency, type Idempotency } from '../../framework/idempotency.js';
import type { Store } from '../../leedz/ports.js';
import type { AwsConfig } from '../aws-config.js';

/** How long an email's idempotency record lives: longer than any redelivery (6 h maximum event age). */
const IDEMPOTENCY_EXPIRES_AFTER_SECONDS = 7 * 24 * 3600;

let client: DynamoDBClient | undefined;
function dynamoDbClient(config: AwsConfig): DynamoDBClient {
  return (client ??= new DynamoDBClient({ region: config.region }));
}

/** The marketplace's store: the DynamoDB table. */
export function dynamoDbStore(config: AwsConfig): Store {
  return createDynamoDbStore({ client: dynamoDbClient(config), tableName: config.tableName });
}

/** The magic link's tokens (`emailHelper` issues them, `authCallback` redeems them): items of the table, each redeemed once. */
export function dynamoDbLoginTokens(config: AwsConfig): LoginTokens {
  return createDynamoDbLoginTokens({ client: dynamoDbClient(config), tableName: config.tableName });
}

/** One idempotency record per email, in the idempotency table (partition key `id`, TTL on `expiration`). */
export function dynamoDbIdempotency(config: AwsConfig): Idempotency {
  return createIdempotency({
    store: createDynamoDbIdempotencyStore({ client: dynamoDbClient(config), tableName: config.idempotencyTableName }),
    scope: 'leedz',
    expiresAfterSeconds: IDEMPOTENCY_EXPIRES_AFTER_SECONDS,
  });
}
