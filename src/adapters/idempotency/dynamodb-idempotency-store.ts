/**
 * The idempotency records on AWS: one item per key in the idempotency table, with Powertools' layout
 * (partition key `id`; `expiration` in epoch seconds, the table's TTL attribute; `status`; `data`;
 * `in_progress_expiration` in epoch ms) plus `holder`, the request id of the invocation that claimed it.
 *
 * A claim is one conditional `PutItem` that asks for the old item when the condition fails
 * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`), so a refused claim learns who holds the key in the
 * same request. TTL deletes expired items lazily (within days), so the condition compares `expiration`
 * with the clock itself.
 *
 * @example
 * const store = createDynamoDbIdempotencyStore({ client: new DynamoDBClient({ region }), tableName: 'Leedz-Idempotency' });
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { ClaimRequest, ClaimResult, IdempotencyStore } from '../../framework/idempotency.js';

export interface DynamoDbIdempotencyStoreOptions {
  client: DynamoDBClient;
  /** A table with partition key `id` (string) and TTL on `expiration`. */
  tableName: string;
}

/** Claims of one batch sent at once; DynamoDB takes a conditional put per item. */
const BATCH_CONCURRENCY = 16;

export function createDynamoDbIdempotencyStore({ client, tableName }: DynamoDbIdempotencyStoreOptions): IdempotencyStore {
  async function claim(request: ClaimRequest, now: number): Promise<ClaimResult> {
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            id: { S: request.id },
            status: { S: 'INPROGRESS' },
            holder: { S: request.holder },
            in_progress_expiration: { N: String(request.leaseUntil) },
            expiration: { N: String(Math.ceil(request.expiresAt / 1000)) },
          },
          ConditionExpression:
            'attribute_not_exists(id) OR expiration <= :nowSeconds OR (#status = :inProgress AND (in_progress_expiration < :nowMs OR holder = :holder))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':nowSeconds': { N: String(Math.floor(now / 1000)) },
            ':nowMs': { N: String(now) },
            ':inProgress': { S: 'INPROGRESS' },
            ':holder': { S: request.holder },
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { state: 'claimed' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // DynamoDB returns the item that refused the claim; an emulator that does not is asked for it.
      return held(error.Item ?? (await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: request.id } }, ConsistentRead: true }))).Item);
    }
  }

  async function complete(id: string, holder: string, result: string | undefined, expiresAt: number): Promise<void> {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { id: { S: id } },
          UpdateExpression: result === undefined ? 'SET #status = :completed, expiration = :expiration REMOVE #data' : 'SET #status = :completed, expiration = :expiration, #data = :data',
          ConditionExpression: 'holder = :holder AND #status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status', '#data': 'data' },
          ExpressionAttributeValues: {
            ':completed': { S: 'COMPLETED' },
            ':inProgress': { S: 'INPROGRESS' },
            ':expiration': { N: String(Math.ceil(expiresAt / 1000)) },
            ':holder': { S: holder },
            ...(result === undefined ? {} : { ':data': { S: result } }),
          },
        }),
      );
    } catch (error) {
      // Another invocation took the key after this one's lease ended: its record stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async function release(id: string, holder: string): Promise<void> {
    try {
      await client.send(
        new DeleteItemCommand({
          TableName: tableName,
          Key: { id: { S: id } },
          ConditionExpression: 'holder = :holder AND #status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':holder': { S: holder }, ':inProgress': { S: 'INPROGRESS' } },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** `work` for each index, {@link BATCH_CONCURRENCY} at a time. */
  async function forEachIndex(count: number, work: (index: number) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < count) await work(next++);
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, count) }, worker));
  }

  return {
    claim,
    // DynamoDB has no transaction to share with the caller's writes: `within` runs after the claims
    // (what it writes is idempotent by key, so a crash in between is redone by the retry), and the
    // completions follow it, one conditional update per key.
    async claimMany(requests, now, options = {}) {
      const results: ClaimResult[] = new Array(requests.length);
      await forEachIndex(requests.length, async (index) => {
        results[index] = await claim(requests[index]!, now);
      });
      const claimed = requests.filter((_, index) => results[index]!.state === 'claimed');
      try {
        options.within?.(results);
      } catch (error) {
        await forEachIndex(claimed.length, (index) => release(claimed[index]!.id, claimed[index]!.holder));
        throw error;
      }
      const { completeAt } = options;
      if (completeAt !== undefined) await forEachIndex(claimed.length, (index) => complete(claimed[index]!.id, claimed[index]!.holder, undefined, completeAt));
      return results;
    },
    complete,
    release,
  };
}

/** The record that refused a claim, as a claim result. */
function held(item: Record<string, AttributeValue> | undefined): ClaimResult {
  if (item?.status?.S === 'COMPLETED') return { state: 'completed', result: item.data?.S };
  return { state: 'held', holder: item?.holder?.S ?? '(unknown)', leaseUntil: Number(item?.in_progress_expiration?.N ?? 0) };
}
