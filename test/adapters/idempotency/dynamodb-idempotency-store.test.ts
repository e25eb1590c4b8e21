/** The idempotency records on DynamoDB Local (AWS's emulator), in the table layout the stack deploys. */
import { afterAll, beforeAll } from 'vitest';
import { createDynamoDbIdempotencyStore } from '../../../src/adapters/idempotency/dynamodb-idempotency-store.js';
import { describeIdempotencyStoreContract } from '../../contracts/idempotency-store.js';
import { type DynamoDbLocal, requireJava, startDynamoDbLocal } from '../../helpers/dynamodb-local.js';

// Throws, naming the apt package, when Java is missing (unless LEEDZ_SKIP_JAVA=1: then skip).
const hasJava = requireJava();
let local: DynamoDbLocal;

beforeAll(async () => {
  if (hasJava) local = await startDynamoDbLocal();
});

afterAll(async () => {
  await local?.stop();
});

if (hasJava) {
  describeIdempotencyStoreContract('DynamoDB', async () => {
    const tableName = await local.createIdempotencyTable();
    const client = local.client();
    return { store: createDynamoDbIdempotencyStore({ client, tableName }), close: async () => client.destroy() };
  });
}
