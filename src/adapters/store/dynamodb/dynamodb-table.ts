/**
 * The table, as the DynamoDB store uses it: strongly consistent item reads, paged queries, reads of
 * items by key a few at a time, and transactions — a write that must be atomic is one
 * `TransactWriteItems` of labelled steps, whose cancellation comes back as the steps whose conditions
 * failed (or a race with another transaction) for the store to turn into the port's errors, and
 * `retrying` starts an attempt over from its reads when it lost a race. Every store module
 * (dynamodb-store.ts, the calendar feeds, the reports, the mailing records) writes through this.
 *
 * @example
 * const table = createTableAccess(doc, 'leedz');
 * await table.retrying('addReport', async () => {
 *   const outcome = await table.transact([{ label: 'report', item: { Put: { TableName: 'leedz', Item: item } } }]);
 *   return outcome.committed ? true : AGAIN;
 * });
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { NotFoundError, type OutboxMessage } from '../../../leedz/ports.js';
import { type ItemKey, keyOf, type OutboxItem, PENDING_OUTBOX_PARTITION } from './dynamodb-items.js';

/** The most items one `TransactWriteItems` may hold (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html). */
export const MAX_TRANSACTION_ITEMS = 100;

/** How many times a write that lost a race starts over (re-reading) before giving up as a fault. */
const MAX_ATTEMPTS = 12;

/** How many item reads run at once when a list is read item by item. */
const READ_CONCURRENCY = 16;

// ── transactions ─────────────────────────────────────────────────────────────────────────────────

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** What a transaction step is for: a failed condition is reported by its label, not its position. */
export type StepLabel =
  | 'user'
  | 'email'
  | 'trade'
  | 'creator'
  | 'subscription'
  | 'leed'
  | 'booking'
  | 'lock'
  | 'reservation'
  | 'payment'
  | 'applied'
  | 'counter'
  | 'report'
  | 'outbox';

/** The steps {@link TableAccess.throwForCommonFailures} answers for; every other label is a write's own condition. */
const COMMON_STEPS: ReadonlySet<StepLabel> = new Set(['outbox', 'trade', 'creator']);

export interface Step {
  label: StepLabel;
  /** Which trade, user or message, for the error message and for bookkeeping's clamping. */
  detail?: string;
  item: TransactItem;
}

export interface FailedCondition {
  step: Step;
  /** The item as it was, when the step asked for it with `ReturnValuesOnConditionCheckFailure: ALL_OLD` and it existed. */
  old: Record<string, unknown> | undefined;
}

export type Outcome =
  | { committed: true }
  /** `raced`: another transaction held one of the items (`TransactionConflict`); starting over is enough. */
  | { committed: false; failed: FailedCondition[]; raced: boolean };

/** Returned by an attempt that lost a race: read again and retry. */
export const AGAIN = Symbol('again');

export type TableAccess = ReturnType<typeof createTableAccess>;

/** The table `TableName` through the document client `doc`. */
export function createTableAccess(doc: DynamoDBDocumentClient, TableName: string) {
  // ── reading ────────────────────────────────────────────────────────────────────────────────────

  async function get<T>(key: ItemKey): Promise<T | undefined> {
    const { Item } = await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return Item as T | undefined;
  }

  /**
   * Every item of a query, page after page, or the first `max` of them. `pageSize` (default: what is
   * still wanted) is how many items a page evaluates; with a filter, a bigger page saves round trips.
   */
  async function query<T>(input: Omit<QueryCommandInput, 'TableName'>, max = Number.POSITIVE_INFINITY, pageSize?: number): Promise<T[]> {
    const items: T[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const want = pageSize ?? max - items.length;
      const page = await doc.send(
        new QueryCommand({ ...input, TableName, ExclusiveStartKey, ...(Number.isFinite(want) ? { Limit: want } : {}) }),
      );
      items.push(...((page.Items ?? []) as T[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey !== undefined && items.length < max);
    return items.length > max ? items.slice(0, max) : items;
  }

  // ── writing ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Run the steps as one transaction. A cancellation for failed conditions or a conflict with another
   * transaction comes back as a value; any other failure (throttling, validation) is a fault and throws.
   */
  async function transact(steps: Step[]): Promise<Outcome> {
    if (steps.length > MAX_TRANSACTION_ITEMS) {
      throw new RangeError(`a DynamoDB transaction holds at most ${MAX_TRANSACTION_ITEMS} items; this one needs ${steps.length}`);
    }
    try {
      // A token per attempt: the SDK's own retries of this request (a lost response) then find it
      // committed instead of failing their conditions against their own first write.
      await doc.send(new TransactWriteCommand({ TransactItems: steps.map((s) => s.item), ClientRequestToken: randomUUID() }));
      return { committed: true };
    } catch (error) {
      if (!isVendorError(error, TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed: FailedCondition[] = [];
      let raced = false;
      for (const [i, reason] of reasons.entries()) {
        const step = steps[i];
        if (reason.Code === 'ConditionalCheckFailed' && step !== undefined) {
          failed.push({ step, old: reason.Item === undefined ? undefined : unmarshall(reason.Item) });
        } else if (reason.Code === 'TransactionConflict') {
          raced = true;
        } else if (reason.Code !== undefined && reason.Code !== 'None') {
          throw error;
        }
      }
      if (failed.length === 0 && !raced) throw error;
      return { committed: false, failed, raced };
    }
  }

  /**
   * Run `attempt` until it returns something other than {@link AGAIN}, backing off a little more each
   * time (with jitter, so that racing writers spread out).
   */
  async function retrying<T>(what: string, attempt: () => Promise<T | typeof AGAIN>): Promise<T> {
    for (let n = 0; n < MAX_ATTEMPTS; n++) {
      const result = await attempt();
      if (result !== AGAIN) return result;
      await sleep(Math.random() * Math.min(200, 5 * 2 ** n));
    }
    throw new Error(`${what}: still contended after ${MAX_ATTEMPTS} attempts`);
  }

  let lastStamp = 0;

  /** Outbox items for the transaction of the change they belong to; pending (in the sparse index) until dispatched. */
  function outboxSteps(messages: readonly OutboxMessage[]): Step[] {
    const now = Date.now();
    const createdAt = new Date(now).toISOString();
    return messages.map((message) => {
      // Microseconds, strictly increasing in this process: the messages of one change keep their order.
      lastStamp = Math.max(now * 1_000, lastStamp + 1);
      const item: OutboxItem = {
        ...keyOf.outbox(message.id),
        id: message.id,
        target: message.target,
        payload: JSON.stringify(message.payload),
        createdAt,
        pendingPK: PENDING_OUTBOX_PARTITION,
        pendingSK: `${String(lastStamp).padStart(17, '0')}#${message.id}`,
      };
      return { label: 'outbox', detail: message.id, item: { Put: { TableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } } };
    });
  }

  function mustExist(label: 'trade' | 'creator', key: ItemKey, detail: string): Step {
    return { label, detail, item: { ConditionCheck: { TableName, Key: key, ConditionExpression: 'attribute_exists(PK)' } } };
  }

  /**
   * The failures that every write shares: a duplicate outbox id (a fault of the caller) and a
   * reference to a trade or user that does not exist. A duplicate outbox id beside the refusal of one
   * of the write's own conditions is no fault: a message's id is derived from its change (the
   * receipts of sale `l_1` are `receipts:l_1`), so a racing write of the same change that committed
   * first wrote it too, and the caller answers for the refusal (the leed sold to another buyer), not
   * with a 500.
   */
  function throwForCommonFailures(failed: FailedCondition[]): void {
    const refusedOtherwise = failed.some(({ step }) => !COMMON_STEPS.has(step.label));
    for (const { step } of failed) {
      if (step.label === 'outbox' && !refusedOtherwise) throw new Error(`an outbox message with id ${step.detail} already exists`);
      if (step.label === 'trade') throw new NotFoundError(`no trade ${step.detail}`);
      if (step.label === 'creator') throw new NotFoundError(`no user ${step.detail}`);
    }
  }

  /**
   * Items by key, a few reads at a time. GetItem rather than BatchGetItem: the Lambdas' IAM policies
   * grant the item actions the store uses (TABLE_ACTIONS in infra/lambda-specs.ts), and a vendor's own list is short.
   */
  async function getMany<T>(keys: readonly ItemKey[]): Promise<T[]> {
    const found: T[] = [];
    for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
      const items = await Promise.all(keys.slice(i, i + READ_CONCURRENCY).map((key) => get<T>(key)));
      for (const item of items) if (item !== undefined) found.push(item);
    }
    return found;
  }

  return { doc, TableName, get, query, getMany, transact, retrying, outboxSteps, mustExist, throwForCommonFailures };
}

/** Text order by code unit (what DynamoDB's sort keys use), not the locale's. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The fields of a change that it sets (an undefined field is left as it is). */
export function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** Whether `error` is the SDK's `type`, by class or, across copies of the SDK, by name. */
export function isVendorError<T extends Error>(error: unknown, type: abstract new (...args: never[]) => T): error is T {
  return error instanceof type || (error instanceof Error && error.name === type.name);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
