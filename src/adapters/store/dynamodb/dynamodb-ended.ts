/**
 * A gig's end on the DynamoDB table: the active leedz whose end has passed (`endedLeedz`), found by
 * start in the search index, and their mark once bookkeeping has taken them off their trade's count
 * (`markEndCounted`: out of the search index, `endCounted` set). A search leaves ended leedz out
 * already, so the index loses nothing it answers with (TABLE-DESIGN.md).
 *
 * @example
 * const ended = createDynamoDbEndedLeedz(table, users);
 * for (const leed of await ended.endedLeedz(new Date().toISOString(), 100)) await ended.markEndCounted(leed.trade, leed.id);
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_DURATION_MS } from '../../../leedz/domain/leed.js';
import type { Store } from '../../../leedz/ports.js';
import { canonicalInstant, keyOf, type LeedItem, monthsBetween, searchPartition, toMs } from './dynamodb-items.js';
import { isVendorError, type TableAccess } from './dynamodb-table.js';
import { SEARCH_INDEX } from './table-definition.js';

/**
 * How far back `endedLeedz` looks without `since`: the schedule runs every few minutes (an
 * EventBridge rule), so a week covers an outage of the schedule or the table; `since` goes further.
 */
const ENDED_LOOKBACK_MS = 7 * 86_400_000;

/** How many leedz a page of the query evaluates (most of a month's are running or to come, and filtered out). */
const PAGE_SIZE = 100;

export function createDynamoDbEndedLeedz(table: TableAccess, users: Pick<Store, 'listTrades'>): Pick<Store, 'endedLeedz' | 'markEndCounted'> {
  const { doc, TableName, query } = table;
  return {
    async endedLeedz(through, limit, since) {
      const until = canonicalInstant(through);
      const endedFrom = since === undefined ? toMs(until) - ENDED_LOOKBACK_MS : toMs(since);
      // A month's partition holds the leedz that start in it, and a gig lasts at most MAX_DURATION_MS.
      const startFrom = new Date(endedFrom - MAX_DURATION_MS).toISOString();
      if (startFrom > until) return [];
      const trades = (await users.listTrades()).map((trade) => trade.name);
      const ended: { trade: string; id: string }[] = [];
      for (const month of monthsBetween(startFrom, until)) {
        for (const trade of trades) {
          if (ended.length >= limit) return ended;
          const items = await query<LeedItem>(
            {
              IndexName: SEARCH_INDEX,
              KeyConditionExpression: 'searchPK = :pk AND searchSK BETWEEN :from AND :to',
              FilterExpression: '#endMs >= :endedFrom AND #endMs < :until',
              ExpressionAttributeNames: { '#endMs': 'endMs' },
              ExpressionAttributeValues: { ':pk': searchPartition(trade, month), ':from': startFrom, ':to': `${until}$`, ':endedFrom': endedFrom, ':until': toMs(until) },
            },
            limit - ended.length,
            PAGE_SIZE,
          );
          ended.push(...items.map((item) => ({ trade: item.trade, id: item.id })));
        }
      }
      return ended;
    },

    async markEndCounted(trade, id) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName,
            Key: keyOf.leed(id),
            UpdateExpression: 'SET #endCounted = :true REMOVE searchPK, searchSK',
            // Active, and of this trade: a leed sold or deleted since is out of the index already.
            ConditionExpression: '#status = :active AND #trade = :trade AND attribute_exists(searchPK)',
            ExpressionAttributeNames: { '#endCounted': 'endCounted', '#status': 'status', '#trade': 'trade' },
            ExpressionAttributeValues: { ':true': true, ':active': 'active', ':trade': trade },
          }),
        );
      } catch (error) {
        if (!isVendorError(error, ConditionalCheckFailedException)) throw error;
      }
    },
  };
}
