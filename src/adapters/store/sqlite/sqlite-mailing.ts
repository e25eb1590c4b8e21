/**
 * The bulk-mail part of the SQLite store: the suppression list (addresses that bounced or complained)
 * and the secret of one-click unsubscribe links. Its tables are its own, created when missing, as the
 * email outbox and the idempotency records keep theirs in the same file: they hold nothing the
 * numbered migrations of the marketplace's schema refer to.
 *
 * | query | index |
 * | --- | --- |
 * | which addresses of a batch are suppressed | `suppressed_emails` primary key (the address in lower case) |
 * | which users of a batch still subscribe to a trade | `subscriptions` primary key (trade, username) |
 *
 * @example
 * const mailing = createSqliteMailing(db);
 * await mailing.suppressEmails([{ email: 'gone@example.com', reason: 'bounce', at: new Date().toISOString() }]);
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Store, Suppression, SuppressionReason } from '../../../leedz/ports.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS suppressed_emails (
  email  TEXT PRIMARY KEY,
  reason TEXT NOT NULL CHECK (reason IN ('bounce', 'complaint')),
  at     INTEGER NOT NULL,
  detail TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mailing_secrets (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

type MailingMethods = Pick<Store, 'suppressEmails' | 'suppressedAmong' | 'getSuppression' | 'subscribedAmong' | 'unsubscribeSecret'>;

export function createSqliteMailing(db: Database.Database): MailingMethods {
  db.exec(SCHEMA);
  const suppress = db.prepare('INSERT INTO suppressed_emails (email, reason, at, detail) VALUES (@email, @reason, @at, @detail) ON CONFLICT (email) DO NOTHING');
  const suppressed = db.prepare<[string], { email: string }>('SELECT email FROM suppressed_emails WHERE email IN (SELECT value FROM json_each(?))');
  const suppression = db.prepare<[string], { email: string; reason: SuppressionReason; at: number; detail: string | null }>('SELECT * FROM suppressed_emails WHERE email = ?');
  const subscribed = db.prepare<[string, string], { username: string }>('SELECT username FROM subscriptions WHERE trade = ? AND username IN (SELECT value FROM json_each(?))');
  const addSecret = db.prepare('INSERT INTO mailing_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');
  const secret = db.prepare<[string], string>('SELECT value FROM mailing_secrets WHERE name = ?').pluck();
  const suppressAll = db.transaction((entries: readonly Suppression[]) => {
    for (const entry of entries) {
      const at = Date.parse(entry.at);
      if (Number.isNaN(at)) throw new RangeError(`suppressEmails: at must be an ISO 8601 instant, got "${entry.at}"`);
      suppress.run({ email: entry.email.toLowerCase(), reason: entry.reason, at, detail: entry.detail ?? null });
    }
  });

  return {
    async suppressEmails(entries) {
      if (entries.length > 0) suppressAll.immediate(entries);
    },

    async suppressedAmong(emails) {
      if (emails.length === 0) return new Set();
      const found = new Set(suppressed.all(JSON.stringify(emails.map((email) => email.toLowerCase()))).map((row) => row.email));
      return new Set(emails.filter((email) => found.has(email.toLowerCase())));
    },

    async getSuppression(email) {
      const row = suppression.get(email.toLowerCase());
      if (row === undefined) return undefined;
      return { email: row.email, reason: row.reason, at: new Date(row.at).toISOString(), ...(row.detail === null ? {} : { detail: row.detail }) };
    },

    async subscribedAmong(trade, usernames) {
      if (usernames.length === 0) return new Set();
      return new Set(subscribed.all(trade, JSON.stringify(usernames)).map((row) => row.username));
    },

    async unsubscribeSecret() {
      const kept = secret.get('unsubscribe');
      if (kept !== undefined) return kept;
      // Whoever inserts first wins; everyone reads the one that stands.
      addSecret.run('unsubscribe', randomBytes(32).toString('base64url'));
      return secret.get('unsubscribe')!;
    },
  };
}
