/**
 * The bulk-mail part of the DynamoDB store: the suppression list (addresses that bounced or
 * complained) and the secret of one-click unsubscribe links, as items of the store's table
 * (TABLE-DESIGN.md: `SUPPRESSED#<email>`, `SECRET#<name>`). Item actions only (GetItem, PutItem), which
 * the Lambdas' table policies grant; a batch's addresses are read item by item, a few at a time.
 *
 * @example
 * const mailing = createDynamoDbMailing(createTableAccess(doc, 'Leedz'));
 * await mailing.suppressedAmong(['pat@example.com']); // → Set {} (or the address, once it bounced)
 */
import { randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Store, Suppression } from '../../../leedz/ports.js';
import { keyOf, type SubscriptionItem } from './dynamodb-items.js';
import { isVendorError, type TableAccess } from './dynamodb-table.js';

/** Writes of one batch in flight at once (as many as the table's reads). */
const WRITE_CONCURRENCY = 16;

type MailingMethods = Pick<Store, 'suppressEmails' | 'suppressedAmong' | 'getSuppression' | 'subscribedAmong' | 'unsubscribeSecret'>;

interface SuppressionItem {
  email: string;
  reason: Suppression['reason'];
  at: string;
  detail?: string;
}

export function createDynamoDbMailing(table: TableAccess): MailingMethods {
  const { doc, TableName, get, getMany } = table;

  /** Put unless the item exists (its first version stands); whether this call wrote it. */
  async function putNew(item: Record<string, unknown>): Promise<boolean> {
    try {
      await doc.send(new PutCommand({ TableName, Item: item, ConditionExpression: 'attribute_not_exists(PK)' }));
      return true;
    } catch (error) {
      if (isVendorError(error, ConditionalCheckFailedException)) return false;
      throw error;
    }
  }

  return {
    async suppressEmails(entries) {
      for (let i = 0; i < entries.length; i += WRITE_CONCURRENCY) {
        await Promise.all(
          entries.slice(i, i + WRITE_CONCURRENCY).map((entry) => {
            if (Number.isNaN(Date.parse(entry.at))) throw new RangeError(`suppressEmails: at must be an ISO 8601 instant, got "${entry.at}"`);
            const email = entry.email.toLowerCase();
            return putNew({ ...keyOf.suppression(email), email, reason: entry.reason, at: new Date(entry.at).toISOString(), ...(entry.detail === undefined ? {} : { detail: entry.detail }) });
          }),
        );
      }
    },

    async suppressedAmong(emails) {
      const lower = [...new Set(emails.map((email) => email.toLowerCase()))];
      const found = new Set((await getMany<SuppressionItem>(lower.map((email) => keyOf.suppression(email)))).map((item) => item.email));
      return new Set(emails.filter((email) => found.has(email.toLowerCase())));
    },

    async getSuppression(email) {
      const item = await get<SuppressionItem>(keyOf.suppression(email.toLowerCase()));
      if (item === undefined) return undefined;
      return { email: item.email, reason: item.reason, at: item.at, ...(item.detail === undefined ? {} : { detail: item.detail }) };
    },

    async subscribedAmong(trade, usernames) {
      const keys = [...new Set(usernames)].map((username) => keyOf.subscription(trade, username));
      return new Set((await getMany<SubscriptionItem>(keys)).map((item) => item.username));
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
