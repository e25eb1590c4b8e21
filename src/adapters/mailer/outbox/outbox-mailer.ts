/**
 * The embedded Mailer: every email is stored in a table of the data folder (`email_outbox`) instead
 * of leaving the machine, so the whole marketplace runs with no mail account and a developer (or an
 * end-to-end test) reads the magic links and receipts through the dev endpoints. When `SMTP_URL`
 * is set, the composition root tees it with the SMTP mailer (`createTeeMailer`), so the outbox still
 * records everything that was sent, and each email's row says what the SMTP server last made of it
 * ({@link OutboxMailer.noting}): accepted, refused for good, or not sent yet.
 *
 * A batch (`record`) is one transaction — the caller's, when it has one open on this database: the
 * fan-out's idempotency claims and its emails commit together. Emails that share their content (the
 * same html and text, as a fan-out's alerts do) keep it once, in `email_bodies`; each row holds only
 * what differs (recipient, key, headers), so ten thousand alerts are not ten thousand copies of one
 * page of HTML.
 */
import { createHash, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { errorLine, NonRetriableError } from '../../../framework/errors.js';
import type { Email, Mailer } from '../../../leedz/ports.js';
import type { OutboxEmail, SmtpOutcome } from './outbox-email.js';

export type { OutboxEmail, SmtpOutcome } from './outbox-email.js';

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
  /** Store a batch in one transaction (the caller's, when one is open on the database); see {@link Mailer.record}. */
  record(emails: readonly Email[]): void;
  /** Stored emails matching `query`, newest first. */
  listEmails(query?: OutboxQuery): OutboxEmail[];
  /** One stored email by id (a number, or its decimal text as a route parameter gives it), or undefined. */
  getEmail(id: number | string): OutboxEmail | undefined;
  /** How many stored emails match (`to` and `kind` as in {@link OutboxQuery}). */
  countEmails(query?: Pick<OutboxQuery, 'to' | 'kind'>): number;
  /**
   * Delete up to `limit` of the oldest emails that are stored before `before` (an ISO instant) or are
   * not among the newest `keep`; once a call deletes fewer than `limit` (the last of a run), also the
   * shared bodies no email uses any more. Answers how many emails went.
   */
  deleteOld(options: { before: string; keep: number; limit: number }): number;
  /**
   * `mailer` (the SMTP one), noting what became of each email it is given on that email's row: so
   * that the outbox, which lists every email, does not pass a refused one off as sent. Throws what
   * `mailer` throws.
   */
  noting(mailer: Mailer): Mailer;
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
  headers: string | null;
  smtp_outcome: SmtpOutcome['outcome'] | null;
  smtp_detail: string | null;
  smtp_at: string | null;
}

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 10_000;

// `to` is an SQL keyword, hence the quotes. NOCASE on the column (not only in queries) lets the
// index serve the case-insensitive filter. A row whose `body_id` is set keeps its html and text in
// `email_bodies` (its own columns hold ''); `headers` is JSON or NULL.
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
CREATE TABLE IF NOT EXISTS email_bodies (
  id   INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  html TEXT NOT NULL,
  text TEXT NOT NULL
);
`;

/** Columns added after the table first shipped: added to an older data folder's table on open. */
const ADDED_COLUMNS: readonly (readonly [name: string, definition: string])[] = [
  ['headers', 'TEXT'],
  ['body_id', 'INTEGER REFERENCES email_bodies (id)'],
  ['smtp_outcome', 'TEXT'],
  ['smtp_detail', 'TEXT'],
  ['smtp_at', 'TEXT'],
];

/** Every column of a stored email, its html and text from `email_bodies` when it shares them. */
const SELECT_EMAILS = `
  SELECT o.id, o."to", o.subject, o.kind, o.key, o.message_id, o.created_at, o.headers, o.smtp_outcome, o.smtp_detail, o.smtp_at,
         CASE WHEN o.body_id IS NULL THEN o.html ELSE b.html END AS html,
         CASE WHEN o.body_id IS NULL THEN o.text ELSE b.text END AS text
  FROM email_outbox o LEFT JOIN email_bodies b ON b.id = o.body_id`;

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
  const columns = new Set(db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('email_outbox')").all().map((c) => c.name));
  for (const [name, definition] of ADDED_COLUMNS) if (!columns.has(name)) db.exec(`ALTER TABLE email_outbox ADD COLUMN ${name} ${definition}`);
  // DO NOTHING rather than a check first: two deliveries of one event racing on two connections
  // still store one row, and both read the same message id back.
  const insert = db.prepare(`
    INSERT INTO email_outbox ("to", subject, html, text, kind, key, message_id, created_at, headers, body_id)
    VALUES (@to, @subject, @html, @text, @kind, @key, @messageId, @createdAt, @headers, @bodyId)
    ON CONFLICT (key) DO NOTHING`);
  const insertBody = db.prepare('INSERT INTO email_bodies (hash, html, text) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING');
  const bodyOfHash = db.prepare<[string], number>('SELECT id FROM email_bodies WHERE hash = ?').pluck();
  const messageIdOfKey = db.prepare<[string], { message_id: string }>('SELECT message_id FROM email_outbox WHERE key = ?');
  const noteOutcome = db.prepare('UPDATE email_outbox SET smtp_outcome = ?, smtp_detail = ?, smtp_at = ? WHERE key = ?');
  // What the SMTP server made of each email, written for all the emails of a turn of the event loop
  // in one transaction (one commit an email cost a fan-out to SMTP a sixth of its rate); every read
  // writes what waits first.
  let notes: [SmtpOutcome['outcome'], string | null, string, string][] = [];
  const writeNotes = db.transaction((pending: typeof notes) => {
    for (const row of pending) noteOutcome.run(...row);
  });
  const flushNotes = () => {
    if (notes.length === 0 || !db.open) return;
    const pending = notes;
    notes = [];
    writeNotes(pending);
  };
  const flushLater = () => {
    try {
      flushNotes();
    } catch {
      // A note is what the console shows, not the email's fate (the event's outcome is): one that
      // cannot be written (the disk full) is dropped rather than end the process from a timer.
    }
  };
  const note = (email: Email, outcome: SmtpOutcome['outcome'], detail: string | null) => {
    if (notes.length === 0) setImmediate(flushLater);
    notes.push([outcome, detail, new Date().toISOString(), email.key]);
  };
  const byId = db.prepare<[number], OutboxRow>(`${SELECT_EMAILS} WHERE o.id = ?`);
  // The newest `keep` emails stay: the id of the oldest of them is the bound (none when fewer are stored).
  const oldestKept = db.prepare<[number], number>('SELECT id FROM email_outbox ORDER BY id DESC LIMIT 1 OFFSET ?').pluck();
  const deleteOldest = db.prepare<[string, number, number], { body_id: number | null }>(
    `DELETE FROM email_outbox WHERE id IN (SELECT id FROM email_outbox WHERE created_at < ? OR id < ? ORDER BY id LIMIT ?) RETURNING body_id`,
  );
  // Read once into a temporary index by SQLite, so this is one pass over each table.
  const deleteUnusedBodies = db.prepare('DELETE FROM email_bodies WHERE id NOT IN (SELECT body_id FROM email_outbox WHERE body_id IS NOT NULL)');
  // Bodies are looked at once a run has deleted all it would (a chunk shorter than its limit), not per chunk.
  let bodiesMayBeUnused = false;
  const deleteOld = db.transaction((before: string, keep: number, limit: number): number => {
    const bound = keep === 0 ? Number.MAX_SAFE_INTEGER : (oldestKept.get(keep - 1) ?? 0);
    const deleted = deleteOldest.all(before, bound, limit);
    if (deleted.some((row) => row.body_id !== null)) bodiesMayBeUnused = true;
    if (deleted.length < limit && bodiesMayBeUnused) {
      deleteUnusedBodies.run();
      bodiesMayBeUnused = false;
    }
    return deleted.length;
  });

  /** The id of a body in `email_bodies`, stored if new. */
  const bodyId = (html: string, text: string): number => {
    const hash = createHash('sha256').update(html).update('\u0000').update(text).digest('base64url');
    insertBody.run(hash, html, text);
    return bodyOfHash.get(hash)!;
  };

  // Nested in the caller's transaction when it has one open (better-sqlite3 makes it a savepoint).
  const recordAll = db.transaction((emails: readonly Email[]) => {
    const createdAt = new Date().toISOString();
    let shared: { html: string; text: string; id: number } | undefined;
    for (const [index, email] of emails.entries()) {
      const next = emails[index + 1];
      // Stored once when the next or the last email has the same body (the same strings, as a batch
      // rendered once has): a single email keeps its body in its row.
      const sharesBody = (shared !== undefined && shared.html === email.html && shared.text === email.text) || (next !== undefined && next.html === email.html && next.text === email.text);
      if (sharesBody && (shared === undefined || shared.html !== email.html || shared.text !== email.text)) shared = { html: email.html, text: email.text, id: bodyId(email.html, email.text) };
      insert.run({
        to: email.to,
        subject: email.subject,
        html: sharesBody ? '' : email.html,
        text: sharesBody ? '' : email.text,
        kind: email.kind,
        key: email.key,
        messageId: newMessageId(),
        createdAt,
        headers: headersJson(email),
        bodyId: sharesBody ? shared!.id : null,
      });
    }
  });

  return {
    async send(email) {
      recordAll([email]);
      const stored = messageIdOfKey.get(email.key);
      if (stored === undefined) throw new Error(`email_outbox: the email with key "${email.key}" was not stored`);
      return { messageId: stored.message_id };
    },

    record(emails) {
      if (emails.length > 0) recordAll(emails);
    },

    listEmails(query = {}) {
      flushNotes();
      const { where, params } = filters(query);
      const requested = query.limit !== undefined && Number.isFinite(query.limit) ? Math.trunc(query.limit) : DEFAULT_LIMIT;
      const limit = Math.min(Math.max(requested, 1), MAX_LIMIT);
      const rows = db.prepare<unknown[], OutboxRow>(`${SELECT_EMAILS} ${where} ORDER BY o.id DESC LIMIT ?`).all(...params, limit);
      return rows.map(toEmail);
    },

    getEmail(id) {
      flushNotes();
      const number = typeof id === 'number' ? id : /^\d{1,15}$/.test(id) ? Number(id) : undefined;
      if (number === undefined || !Number.isSafeInteger(number)) return undefined;
      const row = byId.get(number);
      return row === undefined ? undefined : toEmail(row);
    },

    deleteOld({ before, keep, limit }) {
      if (!Number.isInteger(keep) || keep < 0) throw new RangeError(`deleteOld: keep must be a whole number, got ${keep}`);
      return deleteOld.immediate(before, keep, limit);
    },

    noting(mailer) {
      return {
        async send(email) {
          try {
            const sent = await mailer.send(email);
            note(email, 'accepted', null);
            return sent;
          } catch (error) {
            note(email, error instanceof NonRetriableError ? 'refused' : 'failed', errorLine(error));
            throw error;
          }
        },
      };
    },

    countEmails(query = {}) {
      const { where, params } = filters(query);
      const row = db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM email_outbox o ${where}`).get(...params);
      return row?.n ?? 0;
    },
  };
}

/** The WHERE clause of a query: fixed SQL text, values only as parameters. */
function filters(query: OutboxQuery): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (query.to !== undefined) {
    clauses.push('o."to" = ?');
    params.push(query.to);
  }
  if (query.kind !== undefined) {
    clauses.push('o.kind = ?');
    params.push(query.kind);
  }
  if (query.after !== undefined) {
    clauses.push('o.id > ?');
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
    ...(row.headers === null ? {} : { headers: JSON.parse(row.headers) as Record<string, string> }),
    messageId: row.message_id,
    createdAt: row.created_at,
    ...(row.smtp_outcome === null ? {} : { smtp: { outcome: row.smtp_outcome, at: row.smtp_at!, ...(row.smtp_detail === null ? {} : { detail: row.smtp_detail }) } }),
  };
}

/** The RFC 5322 shape, so it reads like the id an SMTP server or SES would give. */
function newMessageId(): string {
  return `<${randomUUID()}@outbox.leedz.local>`;
}

/** An email's own header fields as stored (JSON), each checked as a mailer must (see {@link Email.headers}). */
function headersJson(email: Email): string | null {
  if (email.headers === undefined) return null;
  for (const [name, value] of Object.entries(email.headers)) {
    if (!HEADER_NAME.test(name)) throw new TypeError(`email header name "${name}" must be printable ASCII without a colon`);
    if (!HEADER_VALUE.test(value)) throw new TypeError(`email header ${name} must be printable ASCII on one line`);
  }
  return JSON.stringify(email.headers);
}

/** RFC 5322 §2.2: a field name is printable ASCII but the colon; a value here is one line of printable ASCII. */
const HEADER_NAME = /^[!-9;-~]{1,126}$/;
const HEADER_VALUE = /^[ -~]{0,995}$/;
