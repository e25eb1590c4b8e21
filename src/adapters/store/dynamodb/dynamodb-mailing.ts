/**
 * The bulk-mail part of the DynamoDB store: the suppression list (addresses that bounced or
 * complained) and the secret of one-click unsubscribe links, as items of the store's table
 * (TABLE-DESIGN.md: `SUPPRESSED#<email>`, `SECRET#<name>`). Item actions only (GetItem, PutItem), which
 * the Lambdas' table policies grant; a batch's addresses are read item by item, a few at a time.
 *
 * @example
 * const mailing = createDynamoDbMailing(doc, 'Leedz');
 * await mailing.suppressedAmong(['pat@example.com']); // → Set {} (or the address, once it bounced)
 */
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Store, Suppression } from '../../../leedz/ports.js';
import { keyOf, type ItemKey } from './dynamodb-items.js';

/** Reads of one batch in flight at once. */
const READ_CONCURRENCY = 16;

type MailingMethods = Pick<Store, 'suppressEmails' | 'suppressedAmong' | 'getSuppression' | 'subscribedAmong' | 'unsubscribeSecret'>;

interface SuppressionItem {
  email: string;
  reason: Suppression['reason'];
  at: string;
  detail?: string;
}

export function createDynamoDbMailing(doc: DynamoDBDocumentClient, TableName: string): MailingMethods {
  const get = async <T>(key: ItemKey): Promise<T | undefined> => (await doc.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }))).Item as T | undefined;

  /** Which of `values` pass `test`, asked {@link READ_CONCURRENCY} at a time. */
  async function filterEach(values: readonly string[], test: (value: string) => Promise<boolean>): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < values.length; i += READ_CONCURRENCY) {
      const chunk = values.slice(i, i + READ_CONCURRENCY);
      const passed = await Promise.all(chunk.map(test));
      chunk.forEach((value, index) => passed[index] && found.add(value));
    }
    return found;
  }

  /** Put unless the item exists (its first version stands); whether this call wrote it. */
  async function putNew(item: Record<string, unknown>): Promise<boolean> {
    try {
      await doc.send(new PutCommand({ TableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  return {
    async suppressEmails(entries) {
      for (let i = 0; i < entries.length; i += READ_CONCURRENCY) {
        await Promise.all(
          entries.slice(i, i + READ_CONCURRENCY).map((entry) => {
            if (Number.isNaN(Date.parse(entry.at))) throw new RangeError(`suppressEmails: at must be an ISO 8601 instant, got "${entry.at}"`);
            const email = entry.email.toLowerCase();
            return putNew({ ...keyOf.suppression(email), email, reason: entry.reason, at: new Date(entry.at).toISOString(), ...(entry.detail === undefined ? {} : { detail: entry.detail }) });
          }),
        );
      }
    },

    async suppressedAmong(emails) {
      const lower = [...new Set(emails.map((email) => email.toLowerCase()))];
      const found = await filterEach(lower, async (email) => (await get(keyOf.suppression(email))) !== undefined);
      return new Set(emails.filter((email) => found.has(email.toLowerCase())));
    },

    async getSuppression(email) {
      const item = await get<SuppressionItem>(keyOf.suppression(email.toLowerCase()));
      if (item === undefined) return undefined;
      return { email: item.email, reason: item.reason, at: item.at, ...(item.detail === undefined ? {} : { detail: item.detail }) };
    },

    async subscribedAmong(trade, usernames) {
      return filterEach([...new Set(usernames)], async (username) => (await get(keyOf.subscription(trade, username))) !== undefined);
    },

    async unsubscribeSecret() {
      const kept = await get<{ value: string }>(keyOf.secret('unsubscribe'));
      if (kept !== undefined) return kept.value;
      // Whoever writes first wins; everyone reads the one that stands.
      await putNew({ ...keyOf.secret('unsubscribe'), value: randomBytes(32).toString('base64url') });
      return (await get<{ value: string }>(keyOf.secret('unsubscribe')))!.value;
    },
  };
}
