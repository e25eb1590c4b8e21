/**
 * `sendEach` on the local adapters it is built for: the idempotency records and the email outbox in
 * one SQLite file, and SMTP behind the outbox (a real SMTP server on loopback).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteIdempotencyStore } from '../../../src/adapters/idempotency/sqlite-idempotency-store.js';
import { createOutboxMailer } from '../../../src/adapters/mailer/outbox/outbox-mailer.js';
import { createSmtpMailer, createTeeMailer } from '../../../src/adapters/mailer/smtp/smtp-mailer.js';
import { createIdempotency } from '../../../src/framework/idempotency.js';
import { sendEach } from '../../../src/leedz/controllers/send-each.js';
import { bulkEmails } from '../../../src/leedz/emails/templates.js';
import { RECIPIENT_REFUSED, type Mailer } from '../../../src/leedz/ports.js';
import { startLoopbackSmtpServer } from '../../helpers/loopback-smtp-server.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { controllerContext } from './fakes.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function database(): Database.Database {
  const dir = tempDir('leedz-send-each-');
  const db = new Database(join(dir.path, 'leedz.db'));
  db.pragma('journal_mode = WAL');
  cleanups.push(() => {
    db.close();
    dir.cleanup();
  });
  return db;
}

const content = { subject: 'New Leed: Wedding reception', html: '<p>A new dj leed</p>', text: 'A new dj leed' };
const batch = (names: string[]) => bulkEmails(content, 'new-leed', names.map((name) => ({ to: `${name}@example.com`, key: `l_1:${name}:new-leed`, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } })));

function keys(db: Database.Database): Record<string, number> {
  const rows = db.prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM idempotency_keys GROUP BY status').all();
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

describe('sendEach on the outbox', () => {
  it('claims the keys, stores the emails and completes the keys in one transaction: all of them, once however often it runs', async () => {
    const db = database();
    const deps = { mailer: createOutboxMailer({ db }), idempotency: createIdempotency({ store: createSqliteIdempotencyStore(db) }) };
    const names = Array.from({ length: 50 }, (_, i) => `vendor${i}`);

    expect(await sendEach(deps, controllerContext('emailHelper'), batch(names))).toEqual({ sent: 50, done: 0, refused: [] });
    expect(await sendEach(deps, controllerContext('emailHelper'), batch(names))).toEqual({ sent: 0, done: 50, refused: [] });

    expect(keys(db)).toEqual({ COMPLETED: 50 });
    expect(deps.mailer.countEmails()).toBe(50);
  });

  it('stores nothing and claims nothing when storing fails: the claims and the emails are one commit', async () => {
    const db = database();
    const outbox = createOutboxMailer({ db });
    let calls = 0;
    const failing: Mailer = {
      send: (email) => outbox.send(email),
      record(emails) {
        outbox.record(emails.slice(0, 2));
        calls += 1;
        throw new Error('the disk is full');
      },
    };
    const deps = { mailer: failing, idempotency: createIdempotency({ store: createSqliteIdempotencyStore(db) }) };

    await expect(sendEach(deps, controllerContext('emailHelper'), batch(['a', 'b', 'c']))).rejects.toThrow('the disk is full');

    expect(calls).toBe(1);
    expect(keys(db)).toEqual({});
    expect(outbox.countEmails()).toBe(0);
  });
});

describe('sendEach on the outbox teed with SMTP', () => {
  it('records every email, sends each by SMTP once, and a recipient the server refuses for good is a refusal of its own that no retry repeats', async () => {
    const smtp = await startLoopbackSmtpServer({ rejectRecipient: { address: 'gone@example.com', responseCode: 550, message: '5.1.1 no such user' } });
    cleanups.push(() => smtp.close());
    const db = database();
    const outbox = createOutboxMailer({ db });
    const smtpMailer = createSmtpMailer({ url: smtp.url, from: 'The Leedz <noreply@leedz.test>' });
    cleanups.push(() => smtpMailer.close());
    const deps = { mailer: createTeeMailer(outbox, smtpMailer), idempotency: createIdempotency({ store: createSqliteIdempotencyStore(db) }) };
    const names = ['ann', 'gone', 'bob', 'cy'];

    const first = await sendEach(deps, controllerContext('emailHelper'), batch(names));
    const again = await sendEach(deps, controllerContext('emailHelper'), batch(names));

    expect(first.sent).toBe(3);
    expect(first.refused.map(({ email, code }) => [email.to, code])).toEqual([['gone@example.com', RECIPIENT_REFUSED]]);
    expect(first.refused[0]!.message).toContain('5.1.1 no such user');
    expect(again).toEqual({ sent: 0, done: 4, refused: [] });
    expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['ann@example.com', 'bob@example.com', 'cy@example.com']);
    // The outbox has all four: it records before SMTP is tried, as the recipient's copy of what was meant.
    expect(outbox.countEmails()).toBe(4);
    expect(keys(db)).toEqual({ COMPLETED: 4 });
  });
});
