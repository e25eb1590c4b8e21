/**
 * Which items of the DynamoDB table's stream are outbox messages, and the message each holds. The
 * item layout is the DynamoDB store's (`src/adapters/store/dynamodb/dynamodb-items.ts`); this only
 * names the part of it that the relay and the stack's stream filter rely on.
 *
 * @example
 * dynamoDbOutboxMessage({ PK: 'OUTBOX#m1', SK: 'OUTBOX', id: 'm1', target: 'bookkeeping', payload: '{"function":"userCreated","username":"pat"}', createdAt }) // → { id: 'm1', target: 'bookkeeping', payload: {…} }
 */
import { keyOf, outboxFromItem, type OutboxItem } from '../adapters/store/dynamodb/dynamodb-items.js';
import { LEEDZ_TABLE } from '../adapters/store/dynamodb/table-definition.js';
import type { OutboxMessage } from '../leedz/ports.js';

/** The sort key of every outbox item; the stack's event filter passes only inserts that carry it. */
export const OUTBOX_SORT_KEY = keyOf.outbox('').SK;

/** The outbox message an item holds, or undefined for any other item. */
export function dynamoDbOutboxMessage(item: Record<string, unknown>): OutboxMessage | undefined {
  if (item[LEEDZ_TABLE.sortKey] !== OUTBOX_SORT_KEY) return undefined;
  const { id, target, payload } = outboxFromItem(item as unknown as OutboxItem);
  return { id, target, payload };
}
