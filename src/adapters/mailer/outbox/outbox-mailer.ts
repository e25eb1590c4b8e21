/**
 * The embedded Mailer: every email is stored in a table of the data folder (`email_outbox`) instead
 * of leaving the machine, so the whole marketplace runs with no mail account and a developer (or an
 * end-to-end test) reads the magic links and receipts through the dev endpoints. When `SMTP_URL`
 * is set, the composition root tees it with the SMTP mailer (`createTeeMailer`), so the outbox still
 * records everything that was sent.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Email, Mailer } from '../../../leedz/ports.js';

/** One stored email, as the dev endpoints show it. */
export interface OutboxEmail extends Email {
  /** Increasing with every stored email: newer emails have larger ids. */
  id: number;
  messageId: string;
  /** ISO 8601 instant (UTC) when it was first stored. */
  createdAt: string;
}

/** Which emails to list; every filter is optional. */
export interface OutboxQuery {
  /** Only emails to this address (compared without regard to case, as mailboxes are in practice). */
  to?: string;
  kind?: string;
  /** At most this many (default 50, at most 10,000). */
  limit?: number;
  /** Only emails stored after the one with this id (take the newest id before an action, then list what it sent). */
  after?: number;
}

/** The Mailer port plus the queries behind the dev endpoints (`/api/dev/outbox`). */
export interface OutboxMailer extends Mailer {
  /** Stored emails matching `query`, newest first. */
  listEmails(query?: OutboxQuery): OutboxEmail[];
  /** One stored email by id (a number, or its decimal text as a route parameter gives it), or undefined. */
  getEmail(id: number | string): OutboxEmail | undefined;
  /** How many stored emails match (`to` and `kind` as in {@link OutboxQuery}). */
  countEmails(query?: Pick<OutboxQuery, 'to' | 'kind'>): number;
}

/** What the outbox mailer is built with: only the database, since it sends nothing anywhere. */
export interface OutboxMailerOptions {
  /** An open database (the composition root's, usually the data folder's file); the table is created if missing. */
  db: Database.Database;
}

interface OutboxRow {
  id: number;
  to: string;
  subject: string;
  html: string;
  text: string;
  kind: string;
  key: string;
  message_id: string;
  created_at: string;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;

// `to` is an SQL keyword, hence the quotes. NOCASE on the column (not only in queries) lets the
// index serve the case-insensitive filter.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS email_outbox (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  "to"       TEXT NOT NULL COLLATE NOCASE,
  subject    TEXT NOT NULL,
  html       TEXT NOT NULL,
  text       TEXT NOT NULL,
  kind       TEXT NOT NULL,
  key        TEXT NOT NULL UNIQUE,
  message_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS email_outbox_to ON email_outbox ("to", id);
CREATE INDEX IF NOT EXISTS email_outbox_created_at ON email_outbox (created_at);
`;

/**
 * A Mailer that stores each email in `email_outbox`. `send` is idempotent by `key`: a second send
 * with a key already stored adds no row and resolves with the first send's `messageId` (the first
 * content wins), so a redelivered event shows one email, not two.
 *
 * The query functions are synchronous, like `better-sqlite3` underneath; only `send`, the port's
 * method, returns a promise.
 *
 * @example
 * const outbox = createOutboxMailer({ db });
 * await outbox.send({ to: 'ada@example.com', subject: 'Sign in', html, text, kind: 'magic-link', key: 'login:abc' });
 * outbox.listEmails({ to: 'ada@example.com', kind: 'magic-link', limit: 1 })[0]?.text; // the newest link
 */
export function createOutboxMailer({ db }: OutboxMailerOptions): OutboxMailer {
  db.exec(SCHEMA);
  // DO NOTHING rather than a check first: two deliveries of one event racing on two connections
  // still store one row, and both read the same message id back.
  const insert = db.prepare(`
    INSERT INTO email_outbox ("to", subject, html, text, kind, key, message_id, created_at)
    VALUES (@to, @subject, @html, @text, @kind, @key, @messageId, @createdAt)
    ON CONFLICT (key) DO NOTHING`);
  const messageIdOfKey = db.prepare<[string], { message_id: string }>('SELECT message_id FROM email_outbox WHERE key = ?');
  const byId = db.prepare<[number], OutboxRow>('SELECT * FROM email_outbox WHERE id = ?');

  return {
    async send(email) {
      insert.run({
        to: email.to,
        subject: email.subject,
        html: email.html,
        text: email.text,
        kind: email.kind,
        key: email.key,
        // The RFC 5322 shape, so it reads like the id an SMTP server or SES would give.
        messageId: `<${randomUUID()}@outbox.leedz.local>`,
        createdAt: new Date().toISOString(),
      });
      const stored = messageIdOfKey.get(email.key);
      if (stored === undefined) throw new Error(`email_outbox: the email with key "${email.key}" was not stored`);
      return { messageId: stored.message_id };
    },

    listEmails(query = {}) {
      const { where, params } = filters(query);
      const requested = query.limit !== undefined && Number.isFinite(query.limit) ? Math.trunc(query.limit) : DEFAULT_LIMIT;
      const limit = Math.min(Math.max(requested, 1), MAX_LIMIT);
      const rows = db.prepare<unknown[], OutboxRow>(`SELECT * FROM email_outbox ${where} ORDER BY id DESC LIMIT ?`).all(...params, limit);
      return rows.map(toEmail);
    },

    getEmail(id) {
      const number = typeof id === 'number' ? id : /^\d{1,15}$/.test(id) ? Number(id) : undefined;
      if (number === undefined || !Number.isSafeInteger(number)) return undefined;
      const row = byId.get(number);
      return row === undefined ? undefined : toEmail(row);
    },

    countEmails(query = {}) {
      const { where, params } = filters(query);
      const row = db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM email_outbox ${where}`).get(...params);
      return row?.n ?? 0;
    },
  };
}

/** The WHERE clause of a query: fixed SQL text, values only as parameters. */
function filters(query: OutboxQuery): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (query.to !== undefined) {
    clauses.push('"to" = ?');
    params.push(query.to);
  }
  if (query.kind !== undefined) {
    clauses.push('kind = ?');
    params.push(query.kind);
  }
  if (query.after !== undefined) {
    clauses.push('id > ?');
    params.push(query.after);
  }
  return { where: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, params };
}

function toEmail(row: OutboxRow): OutboxEmail {
  return {
    id: row.id,
    to: row.to,
    subject: row.subject,
    html: row.html,
    text: row.text,
    kind: row.kind,
    key: row.key,
    messageId: row.message_id,
    createdAt: row.created_at,
  };
}
