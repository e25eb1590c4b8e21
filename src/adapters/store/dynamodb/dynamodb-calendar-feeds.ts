/**
 * Calendar feeds on the DynamoDB table (TABLE-DESIGN.md: `FEED` in the user's partition, and a marker
 * item per token hash that names its owner): one feed per vendor, its token kept only as a hash,
 * replaced or removed in one transaction with its marker.
 *
 * @example
 * const feeds = createDynamoDbCalendarFeeds(table);
 * await feeds.setCalendarFeed('pat', { tokenHash, createdAt });
 * await feeds.findCalendarFeedOwner(tokenHash); // 'pat'
 */
import type { Store } from '../../../leedz/ports.js';
import { type CalendarFeedItem, canonicalInstant, keyOf } from './dynamodb-items.js';
import { AGAIN, type Step, type TableAccess } from './dynamodb-table.js';

export function createDynamoDbCalendarFeeds(table: TableAccess): Pick<Store, 'setCalendarFeed' | 'getCalendarFeed' | 'findCalendarFeedOwner'> {
  const { TableName, get, transact, retrying, mustExist, throwForCommonFailures } = table;
  return {
  async setCalendarFeed(username, feed) {
    await retrying('setCalendarFeed', async () => {
      const current = await get<CalendarFeedItem>(keyOf.calendarFeed(username));
      const steps: Step[] = [];
      if (current !== undefined && current.tokenHash !== feed?.tokenHash) {
        steps.push({ label: 'user', item: { Delete: { TableName, Key: keyOf.calendarFeedMarker(current.tokenHash) } } });
      }
      if (feed === null) {
        if (current !== undefined) steps.push({ label: 'user', item: { Delete: { TableName, Key: keyOf.calendarFeed(username), ConditionExpression: '#tokenHash = :read', ExpressionAttributeNames: { '#tokenHash': 'tokenHash' }, ExpressionAttributeValues: { ':read': current.tokenHash } } } });
      } else {
        steps.push(
          mustExist('creator', keyOf.user(username), username),
          {
            label: 'user',
            item: {
              Put: {
                TableName,
                Item: { ...keyOf.calendarFeed(username), tokenHash: feed.tokenHash, createdAt: canonicalInstant(feed.createdAt) },
                // Replaces what was read, and nothing written since.
                ConditionExpression: current === undefined ? 'attribute_not_exists(PK)' : '#tokenHash = :read',
                ...(current === undefined ? {} : { ExpressionAttributeNames: { '#tokenHash': 'tokenHash' }, ExpressionAttributeValues: { ':read': current.tokenHash } }),
              },
            },
          },
          { label: 'user', item: { Put: { TableName, Item: { ...keyOf.calendarFeedMarker(feed.tokenHash), username } } } },
        );
      }
      if (steps.length === 0) return undefined;
      const outcome = await transact(steps);
      if (outcome.committed) return undefined;
      throwForCommonFailures(outcome.failed);
      return AGAIN;
    });
  },

  async getCalendarFeed(username) {
    const item = await get<CalendarFeedItem>(keyOf.calendarFeed(username));
    return item === undefined ? undefined : { tokenHash: item.tokenHash, createdAt: item.createdAt };
  },

  async findCalendarFeedOwner(tokenHash) {
    return (await get<{ username: string }>(keyOf.calendarFeedMarker(tokenHash)))?.username;
  },
  };
}
