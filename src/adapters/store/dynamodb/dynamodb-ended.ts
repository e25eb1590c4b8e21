/**
 * A gig's end on the DynamoDB table (`countEndedLeedz`): an active leed whose end has passed comes
 * off its trade's `leedCount` and out of the search index, in one transaction, once. The search index
 * is how they are found: a leed stays in it until its end is counted, and a search leaves ended leedz
 * out already (TABLE-DESIGN.md).
 *
 * @example
 * const ended = createDynamoDbEndedLeedz(table, users);
 * await ended.countEndedLeedz(new Date().toISOString(), 100); // → [{ trade: 'dj', id: 'l_1' }], then []
 */
import { MAX_DURATION_MS } from '../../../leedz/domain/leed.js';
import type { Store } from '../../../leedz/ports.js';
import { canonicalInstant, keyOf, type LeedItem, monthsBetween, searchPartition, toMs } from './dynamodb-items.js';
import { AGAIN, type Step, type TableAccess } from './dynamodb-table.js';
import { SEARCH_INDEX } from './table-definition.js';

/**
 * How far back `countEndedLeedz` looks for leedz whose end it has not counted yet: it runs every few
 * minutes (an EventBridge rule), so a week covers any outage of the schedule or the table.
 */
const ENDED_LOOKBACK_MS = 7 * 86_400_000;

/** How many leedz a page of the query evaluates (most of a month's are running or to come, and filtered out). */
const PAGE_SIZE = 100;

export function createDynamoDbEndedLeedz(table: TableAccess, users: Pick<Store, 'listTrades'>): Pick<Store, 'countEndedLeedz'> {
  const { TableName, query, transact, retrying } = table;

  /**
   * Take an ended leed off its trade's count and out of the search index, together, if it is still
   * active and not taken off before; false when it is not (sold, deleted or counted meanwhile). A
   * trade whose count is 0 already (or that is gone) keeps it: the leed is marked alone.
   */
  async function countEnded(item: LeedItem): Promise<boolean> {
    const leedStep: Step = {
      label: 'leed',
      item: {
        Update: {
          TableName,
          Key: keyOf.leed(item.id),
          UpdateExpression: 'SET #endCounted = :true REMOVE searchPK, searchSK',
          ConditionExpression: '#status = :active AND attribute_exists(searchPK)',
          ExpressionAttributeNames: { '#endCounted': 'endCounted', '#status': 'status' },
          ExpressionAttributeValues: { ':true': true, ':active': 'active' },
        },
      },
    };
    const tradeStep: Step = {
      label: 'trade',
      item: {
        Update: {
          TableName,
          Key: keyOf.trade(item.trade),
          UpdateExpression: 'ADD #leedCount :minus',
          ConditionExpression: 'attribute_exists(PK) AND #leedCount >= :one',
          ExpressionAttributeNames: { '#leedCount': 'leedCount' },
          ExpressionAttributeValues: { ':minus': -1, ':one': 1 },
        },
      },
    };
    return retrying('countEndedLeedz', async () => {
      const outcome = await transact([leedStep, tradeStep]);
      if (outcome.committed) return true;
      if (outcome.failed.some((f) => f.step.label === 'leed')) return false;
      if (outcome.failed.length === 0) return AGAIN;
      const alone = await transact([leedStep]);
      if (alone.committed) return true;
      return alone.failed.length > 0 ? false : AGAIN;
    });
  }

  return {
    async countEndedLeedz(through, limit) {
      const until = canonicalInstant(through);
      // A month's partition holds the leedz that start in it, and a gig lasts at most MAX_DURATION_MS.
      const from = new Date(toMs(until) - ENDED_LOOKBACK_MS - MAX_DURATION_MS).toISOString();
      const trades = (await users.listTrades()).map((trade) => trade.name);
      const ended: { trade: string; id: string }[] = [];
      for (const month of monthsBetween(from, until)) {
        for (const trade of trades) {
          if (ended.length >= limit) return ended;
          const items = await query<LeedItem>(
            {
              IndexName: SEARCH_INDEX,
              KeyConditionExpression: 'searchPK = :pk AND searchSK BETWEEN :from AND :to',
              FilterExpression: '#endMs < :until',
              ExpressionAttributeNames: { '#endMs': 'endMs' },
              ExpressionAttributeValues: { ':pk': searchPartition(trade, month), ':from': from, ':to': `${until}$`, ':until': toMs(until) },
            },
            limit - ended.length,
            PAGE_SIZE,
          );
          for (const item of items) if (await countEnded(item)) ended.push({ trade: item.trade, id: item.id });
        }
      }
      return ended;
    },
  };
}
