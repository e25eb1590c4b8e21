/**
 * The transactional outbox on the DynamoDB table (TABLE-DESIGN.md: `OUTBOX#<id>` items, pending ones
 * in a sparse index), as the relay reads it: the oldest pending messages, and marking them
 * dispatched (out of the index; TTL removes them a week later). And the per-window request counts of
 * the sign-in rate limit, which TTL removes when their window is over.
 *
 * @example
 * const outbox = createDynamoDbOutbox(table);
 * const pending = await outbox.pendingOutbox(25);
 * await outbox.markOutboxDispatched(pending.map((message) => message.id));
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Store } from '../../../leedz/ports.js';
import { keyOf, type OutboxItem, outboxFromItem, PENDING_OUTBOX_PARTITION, toMs } from './dynamodb-items.js';
import { isVendorError, type TableAccess } from './dynamodb-table.js';
import { PENDING_OUTBOX_INDEX } from './table-definition.js';

/** How long a dispatched outbox message stays readable before TTL removes it (seconds). */
const DISPATCHED_OUTBOX_RETENTION_S = 7 * 24 * 60 * 60;

/** How many `markOutboxDispatched` updates run at once. */
const DISPATCH_CONCURRENCY = 16;

export function createDynamoDbOutbox(table: TableAccess): Pick<Store, 'countRequest' | 'pendingOutbox' | 'markOutboxDispatched'> {
  const { doc, TableName, query } = table;

  /** Take a message out of the pending index (sparse: the keys go) and let TTL remove it in a week. */
  async function markDispatched(id: string, now: number): Promise<void> {
    try {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keyOf.outbox(id),
          UpdateExpression: 'SET #dispatchedAt = :now, #expiresAt = :expiresAt REMOVE pendingPK, pendingSK',
          // Unknown ids and messages already dispatched are left alone (and an unknown id is not created).
          ConditionExpression: 'attribute_exists(pendingPK)',
          ExpressionAttributeNames: { '#dispatchedAt': 'dispatchedAt', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':now': new Date(now).toISOString(), ':expiresAt': Math.ceil(now / 1_000) + DISPATCHED_OUTBOX_RETENTION_S },
        }),
      );
    } catch (error) {
      if (!isVendorError(error, ConditionalCheckFailedException)) throw error;
    }
  }

  return {
    // rate limits

    async countRequest(key, windowMs, now, weight = 1) {
      const window = Math.floor(toMs(now) / windowMs);
      const { Attributes } = await doc.send(
        new UpdateCommand({
          TableName,
          Key: keyOf.requestCount(key, window),
          UpdateExpression: 'ADD #count :weight SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
          // TTL removes the window's item (lazily) once it is over.
          ExpressionAttributeValues: { ':weight': weight, ':expiresAt': Math.ceil(((window + 1) * windowMs) / 1_000) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.count ?? weight);
    },

    // the outbox

    async pendingOutbox(limit) {
      if (limit <= 0) return [];
      const items = await query<OutboxItem>(
        {
          IndexName: PENDING_OUTBOX_INDEX,
          KeyConditionExpression: 'pendingPK = :pending',
          ExpressionAttributeValues: { ':pending': PENDING_OUTBOX_PARTITION },
        },
        limit,
      );
      return items.map(outboxFromItem);
    },

    async markOutboxDispatched(ids) {
      const now = Date.now();
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += DISPATCH_CONCURRENCY) {
        await Promise.all(unique.slice(i, i + DISPATCH_CONCURRENCY).map((id) => markDispatched(id, now)));
      }
    },
  };
}
