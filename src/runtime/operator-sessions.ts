/**
 * Who may use the operations console: the operator, signed in through a one-time link that the
 * server prints at startup (`npm start`) or that `leedz console-url` asks for — as notebook servers
 * print a tokened URL. Opening the link sets a session cookie; the link is then spent. Links and
 * sessions are kept in the runtime database as SHA-256 hashes only, so a copy of the database signs
 * no one in, and sessions survive a restart. A link lives until it is opened, for a day at most, and
 * only while the server that printed it runs: the output of an earlier run (a terminal's scrollback,
 * a log file) opens nothing.
 *
 * @example
 * const operators = createOperatorSessions(runtime.db);
 * console.log(`${url}/console?token=${operators.issueLink()}`);
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';

/** The operator's session cookie (HttpOnly, SameSite=Strict). */
export const OPERATOR_COOKIE = 'leedz_operator';

/** How long a console link may wait to be opened, and how long the session it opens lasts. */
export const OPERATOR_LINK_TTL_MS = 24 * 3600_000;
export const OPERATOR_SESSION_TTL_MS = 7 * 24 * 3600_000;

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface OperatorSessions {
  /** A one-time sign-in token for the console. */
  issueLink(): string;
  /** Spend a link token: the new session's id, or undefined when the token is unknown, used or expired. */
  redeemLink(token: string): string | undefined;
  /** Whether a link is unspent and unexpired, without spending it (the sign-in page asks before its button spends it). */
  linkIsOpen(token: string): boolean;
  /** Whether a session cookie's value is a live operator session. */
  verify(session: string | undefined): boolean;
  /** End a session (sign out). */
  revoke(session: string): void;
  /** Spend every link not opened yet (a new run's start: links an earlier run printed open nothing). */
  revokeLinks(): void;
}

export function createOperatorSessions(db: Database.Database, now: () => number = Date.now): OperatorSessions {
  db.exec(`CREATE TABLE IF NOT EXISTS operator_tokens (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  )`);
  const insert = db.prepare('INSERT INTO operator_tokens (hash, kind, expires_at) VALUES (?, ?, ?)');
  const purge = db.prepare('DELETE FROM operator_tokens WHERE expires_at <= ?');
  // Spending a link is one statement, so two clicks on it open one session.
  const spend = db.prepare<[string, number], { hash: string }>("DELETE FROM operator_tokens WHERE hash = ? AND kind = 'link' AND expires_at > ? RETURNING hash");
  const live = db.prepare<[string, number], { hash: string }>("SELECT hash FROM operator_tokens WHERE hash = ? AND kind = 'session' AND expires_at > ?");
  const open = db.prepare<[string, number], { hash: string }>("SELECT hash FROM operator_tokens WHERE hash = ? AND kind = 'link' AND expires_at > ?");
  const remove = db.prepare("DELETE FROM operator_tokens WHERE hash = ? AND kind = 'session'");
  const removeLinks = db.prepare("DELETE FROM operator_tokens WHERE kind = 'link'");

  const issue = (kind: 'link' | 'session', ttl: number) => {
    const token = randomBytes(32).toString('base64url');
    purge.run(now());
    insert.run(sha256(token), kind, now() + ttl);
    return token;
  };

  return {
    issueLink: () => issue('link', OPERATOR_LINK_TTL_MS),
    redeemLink(token) {
      if (!TOKEN.test(token) || spend.get(sha256(token), now()) === undefined) return undefined;
      return issue('session', OPERATOR_SESSION_TTL_MS);
    },
    linkIsOpen(token) {
      return TOKEN.test(token) && open.get(sha256(token), now()) !== undefined;
    },
    verify(session) {
      return session !== undefined && TOKEN.test(session) && live.get(sha256(session), now()) !== undefined;
    },
    revoke(session) {
      if (TOKEN.test(session)) remove.run(sha256(session));
    },
    revokeLinks() {
      removeLinks.run();
    },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
