/**
 * Trades, users and subscriptions on the DynamoDB table (TABLE-DESIGN.md: the `TRADES` partition, a
 * partition per user with an email marker, a partition of subscriptions per trade): both uniqueness
 * rules of a new user (username and email) are conditions of one transaction, and a profile change
 * rewrites every subscription it carries a copy of, on the condition that the profile is still the
 * one read.
 *
 * @example
 * const users = createDynamoDbUsers(table);
 * await users.createUser({ username: 'pat', email: 'pat@example.com', createdAt }, [welcome]);
 */
import type { Trade } from '../../../leedz/domain/trade.js';
import type { User } from '../../../leedz/domain/user.js';
import { ConflictError, newUserRecord, type NewUser, NotFoundError, type Store } from '../../../leedz/ports.js';
import {
  type EmailItem,
  keyOf,
  subscriberFromItem,
  type SubscriptionItem,
  subscriptionItem,
  TRADES_PARTITION,
  type TradeItem,
  tradeFromItem,
  tradeItem,
  type UserItem,
  userFromItem,
  userItem,
} from './dynamodb-items.js';
import { AGAIN, compareText, definedOnly, MAX_TRANSACTION_ITEMS, type Step, type TableAccess } from './dynamodb-table.js';

type UserMethods = 'listTrades' | 'getTrade' | 'addTrades' | 'getUser' | 'getUserByEmail' | 'createUser' | 'updateUser' | 'listSubscribers';

export function createDynamoDbUsers(table: TableAccess): Pick<Store, UserMethods> {
  const { TableName, get, query, transact, retrying, outboxSteps, mustExist, throwForCommonFailures } = table;

  async function listTrades(): Promise<Trade[]> {
    // About 30 items in one partition: read them all and sort here, rather than keep an index by count.
    const items = await query<TradeItem>({
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': TRADES_PARTITION },
      ConsistentRead: true,
    });
    return items.map(tradeFromItem).sort((a, b) => b.leedCount - a.leedCount || compareText(a.name, b.name));
  }

  async function getUser(username: string): Promise<User | undefined> {
    const item = await get<UserItem>(keyOf.user(username));
    return item === undefined ? undefined : userFromItem(item);
  }

  return {
    // trades

    listTrades,

    async getTrade(name) {
      const item = await get<TradeItem>(keyOf.trade(name));
      return item === undefined ? undefined : tradeFromItem(item);
    },

    async addTrades(trades) {
      await retrying('addTrades', async () => {
        const existing = new Set((await listTrades()).map((t) => t.name));
        const fresh = new Map<string, { name: string; color?: string }>();
        for (const trade of trades) if (!existing.has(trade.name) && !fresh.has(trade.name)) fresh.set(trade.name, trade);
        // Atomic per 100 trades (one transaction each); the seed has about 30.
        const steps = [...fresh.values()].map((trade): Step => ({
          label: 'trade',
          detail: trade.name,
          item: { Put: { TableName, Item: tradeItem(trade), ConditionExpression: 'attribute_not_exists(PK)' } },
        }));
        for (let i = 0; i < steps.length; i += MAX_TRANSACTION_ITEMS) {
          const outcome = await transact(steps.slice(i, i + MAX_TRANSACTION_ITEMS));
          // Another writer added one of them meanwhile: read again, add what is still missing.
          if (!outcome.committed) return AGAIN;
        }
        return undefined;
      });
    },

    // users

    getUser,

    async getUserByEmail(email) {
      const marker = await get<EmailItem>(keyOf.email(email));
      return marker === undefined ? undefined : getUser(marker.username);
    },

    async createUser(newUser: NewUser, outbox) {
      const user = newUserRecord(newUser);
      const email: EmailItem = { ...keyOf.email(user.email), username: user.username };
      // Both uniqueness rules are conditions of one transaction: the user item and the email marker.
      await retrying('createUser', async () => {
        const outcome = await transact([
          { label: 'user', item: { Put: { TableName, Item: userItem(user, newUser.createdAt), ConditionExpression: 'attribute_not_exists(PK)' } } },
          { label: 'email', item: { Put: { TableName, Item: email, ConditionExpression: 'attribute_not_exists(PK)' } } },
          ...outboxSteps(outbox),
        ]);
        if (outcome.committed) return undefined;
        const labels = new Set(outcome.failed.map((f) => f.step.label));
        if (labels.has('user')) throw new ConflictError('this username is taken');
        if (labels.has('email')) throw new ConflictError('this email address already has an account');
        throwForCommonFailures(outcome.failed);
        return AGAIN;
      });
      return user;
    },

    async updateUser(username, changes) {
      return retrying('updateUser', async () => {
        const current = await get<UserItem>(keyOf.user(username));
        if (current === undefined) throw new NotFoundError(`no user ${username}`);
        const { point, subscriptions, ...profile } = typeof changes === 'function' ? changes(userFromItem(current)) : changes;
        const next: UserItem = {
          ...current,
          ...definedOnly(profile),
          point: point === undefined ? current.point : point,
          subscriptions: subscriptions === undefined ? current.subscriptions : [...new Set(subscriptions)],
          version: current.version + 1,
        };
        const added = next.subscriptions.filter((trade) => !current.subscriptions.includes(trade));
        const removed = current.subscriptions.filter((trade) => !next.subscriptions.includes(trade));
        const steps: Step[] = [
          {
            label: 'user',
            item: {
              // Only the profile: counters and badges are bookkeeping's, and may change meanwhile.
              Update: {
                TableName,
                Key: keyOf.user(username),
                UpdateExpression: 'SET #website = :website, #about = :about, #zip = :zip, #point = :point, #radius = :radius, #subscriptions = :subscriptions, #version = :next',
                ConditionExpression: '#version = :read',
                ExpressionAttributeNames: {
                  '#website': 'website',
                  '#about': 'about',
                  '#zip': 'zip',
                  '#point': 'point',
                  '#radius': 'radius',
                  '#subscriptions': 'subscriptions',
                  '#version': 'version',
                },
                ExpressionAttributeValues: {
                  ':website': next.website,
                  ':about': next.about,
                  ':zip': next.zip,
                  ':point': next.point,
                  ':radius': next.radius,
                  ':subscriptions': next.subscriptions,
                  ':next': next.version,
                  ':read': current.version,
                },
              },
            },
          },
          ...added.map((trade) => mustExist('trade', keyOf.trade(trade), trade)),
          ...removed.map((trade): Step => ({ label: 'subscription', item: { Delete: { TableName, Key: keyOf.subscription(trade, username) } } })),
          // Every subscription again: each carries a copy of the zip, point and radius.
          ...next.subscriptions.map((trade): Step => ({ label: 'subscription', item: { Put: { TableName, Item: subscriptionItem(trade, next) } } })),
        ];
        const outcome = await transact(steps);
        if (outcome.committed) return userFromItem(next);
        throwForCommonFailures(outcome.failed);
        // Another profile change committed since the read: apply this one on top of it.
        return AGAIN;
      });
    },

    async listSubscribers(trade, cursor, limit) {
      if (limit <= 0) return [];
      // The partition holds only subscriptions; usernames are never empty, so `SUB#` starts before the first.
      const items = await query<SubscriptionItem>(
        {
          KeyConditionExpression: 'PK = :pk AND SK > :after',
          ExpressionAttributeValues: { ':pk': keyOf.subscriptionPartition(trade), ':after': keyOf.subscription(trade, cursor ?? '').SK },
          ConsistentRead: true,
        },
        limit,
      );
      return items.map(subscriberFromItem);
    },
  };
}
