/**
 * DynamoDB Local for the tests: one process per test file (it takes a few seconds to start); one
 * table per test (random name). The code lives in `src/server/emulators.ts` (the `aws-local`
 * profile of `leedz serve` starts it too).
 *
 * @example
 * const hasJava = requireJava(); // false only with LEEDZ_SKIP_JAVA=1; throws naming the apt package otherwise
 * const local = await startDynamoDbLocal();
 * const tableName = await local.createTable();
 * await local.stop();
 */
export { JAVA_APT_PACKAGE, dynamoDbLocalDir, requireJava, startDynamoDbLocal, type DynamoDbLocal } from '../../src/server/emulators.js';
