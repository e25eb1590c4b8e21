/**
 * Bookkeeping on the DynamoDB table: the counters a change moves (a trade's active leedz, a user's
 * posted, bought and sold, the totals and the last posted and sold leed) applied exactly once per key
 * — the `APPLIED#<key>` marker and every counter commit in one transaction — never below zero, and
 * the badges they earn.
 *
 * @example
 * const bookkeeping = createDynamoDbBookkeeping(table);
 * await bookkeeping.applyBookkeeping(`posted:${leedId}`, { trades: { dj: { leedCount: 1 } }, users: { pat: { posted: 1 } } }); // true, then false
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Bookkeeping, NotFoundError, type Store } from '../../../leedz/ports.js';
import { type ItemKey, keyOf, type StatsItem, statsFromItem } from './dynamodb-items.js';
import { AGAIN, isVendorError, type Step, type TableAccess, type TransactItem } from './dynamodb-table.js';

export function createDynamoDbBookkeeping(table: TableAccess): Pick<Store, 'applyBookkeeping' | 'setBadges' | 'getStats'> {
  const { doc, TableName, get, transact, retrying } = table;
  return {

  async applyBookkeeping(key, changes: Bookkeeping) {
    const counters = counterChanges(changes);
    return retrying('applyBookkeeping', async () => {
      const steps: Step[] = [
        // The exactly-once guard: this marker and the counters commit together, or nothing does.
        { label: 'applied', item: { Put: { TableName, Item: { ...keyOf.applied(key), appliedAt: new Date().toISOString() }, ConditionExpression: 'attribute_not_exists(PK)' } } },
        ...counters.map((change): Step => ({ label: 'counter', detail: change.id, item: { Update: counterUpdate(TableName, change) } })),
      ];
      const outcome = await transact(steps);
      if (outcome.committed) return true;
      if (outcome.failed.some((f) => f.step.label === 'applied')) return false;
      // A decrement would go below 0, or its trade or user does not exist: adjust by what is stored, retry.
      for (const { step, old } of outcome.failed) {
        const change = counters.find((c) => c.id === step.detail);
        if (change !== undefined) clampToStored(change, old);
      }
      counters.splice(0, counters.length, ...counters.filter((c) => !c.dropped && (c.set.length > 0 || Object.values(c.add).some((d) => d !== 0))));
      return AGAIN;
    });
  },

  async setBadges(username, badges) {
    try {
      await doc.send(
        new UpdateCommand({
          TableName,
          Key: keyOf.user(username),
          UpdateExpression: 'SET #badges = :badges',
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeNames: { '#badges': 'badges' },
          ExpressionAttributeValues: { ':badges': badges },
        }),
      );
    } catch (error) {
      if (isVendorError(error, ConditionalCheckFailedException)) throw new NotFoundError(`no user ${username}`);
      throw error;
    }
  },

  async getStats() {
    return statsFromItem(await get<StatsItem>(keyOf.stats()));
  },
  };
}

/** The changes to one counter item: deltas to ADD and values to SET. */
interface CounterChange {
  /** Unique within one bookkeeping call: `trade:dj`, `user:pat`, `stats`. */
  id: string;
  key: ItemKey;
  add: Record<string, number>;
  set: [attribute: string, value: unknown][];
  /** Trades and users are never created by bookkeeping: the update requires the item (as SQLite's UPDATE finds no row). */
  mustExist: boolean;
  /** The item does not exist: nothing to count. */
  dropped: boolean;
}

function counterChanges(changes: Bookkeeping): CounterChange[] {
  const result: CounterChange[] = [];
  const nonZero = (deltas: Record<string, number | undefined>): Record<string, number> =>
    Object.fromEntries(Object.entries(deltas).filter((entry): entry is [string, number] => entry[1] !== undefined && entry[1] !== 0));
  for (const [name, delta] of Object.entries(changes.trades ?? {})) {
    const add = nonZero({ leedCount: delta });
    if (Object.keys(add).length > 0) result.push({ id: `trade:${name}`, key: keyOf.trade(name), add, set: [], mustExist: true, dropped: false });
  }
  for (const [username, deltas] of Object.entries(changes.users ?? {})) {
    const add = nonZero(deltas);
    if (Object.keys(add).length > 0) result.push({ id: `user:${username}`, key: keyOf.user(username), add, set: [], mustExist: true, dropped: false });
  }
  const add = nonZero(changes.totals ?? {});
  const set: [string, unknown][] = [];
  if (changes.lastPosted !== undefined) set.push(['lastPosted', changes.lastPosted]);
  if (changes.lastSold !== undefined) set.push(['lastSold', changes.lastSold]);
  if (Object.keys(add).length > 0 || set.length > 0) result.push({ id: 'stats', key: keyOf.stats(), add, set, mustExist: false, dropped: false });
  return result;
}

/**
 * `ADD` for each delta (atomic, no read), on the condition that a decrement finds at least as much as
 * it takes away: a counter never goes below 0. When that fails, {@link clampToStored} shrinks the
 * decrement to what is stored and the transaction runs again.
 */
function counterUpdate(TableName: string, change: CounterChange): NonNullable<TransactItem['Update']> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const adds: string[] = [];
  const conditions: string[] = change.mustExist ? ['attribute_exists(PK)'] : [];
  for (const [i, [attribute, delta]] of Object.entries(change.add).entries()) {
    names[`#a${i}`] = attribute;
    values[`:a${i}`] = delta;
    adds.push(`#a${i} :a${i}`);
    if (delta < 0) {
      values[`:min${i}`] = -delta;
      conditions.push(`#a${i} >= :min${i}`);
    }
  }
  const sets = change.set.map(([attribute, value], i) => {
    names[`#s${i}`] = attribute;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  const clauses = [...(sets.length > 0 ? [`SET ${sets.join(', ')}`] : []), ...(adds.length > 0 ? [`ADD ${adds.join(', ')}`] : [])];
  return {
    TableName,
    Key: change.key,
    UpdateExpression: clauses.join(' '),
    ...(conditions.length > 0 ? { ConditionExpression: conditions.join(' AND ') } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/** After a failed counter condition: drop a change to an item that does not exist, or stop each decrement at 0. */
function clampToStored(change: CounterChange, stored: Record<string, unknown> | undefined): void {
  if (stored === undefined && change.mustExist) {
    change.dropped = true;
    return;
  }
  for (const [attribute, delta] of Object.entries(change.add)) {
    const current = typeof stored?.[attribute] === 'number' ? stored[attribute] : 0;
    const clamped = Math.max(delta, -current);
    if (clamped === 0) delete change.add[attribute];
    else change.add[attribute] = clamped;
  }
}

// ── small helpers ────────────────────────────────────────────────────────────────────────────────

/** The entries whose value is not `undefined`: an absent change and `{ key: undefined }` mean the same. */
