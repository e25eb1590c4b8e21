import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOutboxMailer, type OutboxMailer } from '../../../src/adapters/mailer/outbox/outbox-mailer.js';
import { anEmail, describeMailerContract } from '../../contracts/mailer.js';
import { tempDir } from '../../helpers/temp-dir.js';

describeMailerContract('outbox', async () => {
  const dir = tempDir('leedz-outbox-');
  const db = new Database(join(dir.path, 'leedz.db'));
  const outbox = createOutboxMailer({ db });
  return {
    mailer: outbox,
    delivered: async (to) => outbox.listEmails({ to }),
    teardown: async () => {
      db.close();
      dir.cleanup();
    },
  };
});

describe('outbox mailer', () => {
  let dir: ReturnType<typeof tempDir>;
  let dbPath: string;
  let db: Database.Database;
  let outbox: OutboxMailer;

  beforeEach(() => {
    dir = tempDir('leedz-outbox-');
    dbPath = join(dir.path, 'leedz.db');
    db = new Database(dbPath);
    outbox = createOutboxMailer({ db });
  });

  afterEach(() => {
    db.close();
    dir.cleanup();
  });

  it('stores every field of the email, with its message id and when it was stored', async () => {
    const email = anEmail();
    const { messageId } = await outbox.send(email);
    const [stored] = outbox.listEmails();
    expect(stored).toEqual({ ...email, id: expect.any(Number), messageId, createdAt: expect.any(String) });
    expect(Date.parse(stored?.createdAt ?? '')).not.toBeNaN();
    expect(messageId).toMatch(/^<[^@>]+@[^>]+>$/);
  });

  it('a second send with the same key stores nothing and resolves with the first message id', async () => {
    const first = await outbox.send(anEmail({ key: 'leed-1:ada:receipt', subject: 'Receipt' }));
    const second = await outbox.send(anEmail({ key: 'leed-1:ada:receipt', subject: 'Receipt, again' }));
    expect(second.messageId).toBe(first.messageId);
    expect(outbox.countEmails()).toBe(1);
    expect(outbox.listEmails()[0]?.subject).toBe('Receipt');
  });

  it('two mailers on the same file store one row for one key (a redelivery on another connection)', async () => {
    const other = new Database(dbPath);
    try {
      const a = await outbox.send(anEmail({ key: 'same' }));
      const b = await createOutboxMailer({ db: other }).send(anEmail({ key: 'same' }));
      expect(b.messageId).toBe(a.messageId);
      expect(outbox.countEmails()).toBe(1);
    } finally {
      other.close();
    }
  });

  it('lists newest first, filtered by recipient (any case) and kind, at most `limit`', async () => {
    await outbox.send(anEmail({ to: 'ada@example.com', kind: 'magic-link', key: '1', subject: 'link 1' }));
    await outbox.send(anEmail({ to: 'bob@example.com', kind: 'magic-link', key: '2', subject: 'link 2' }));
    await outbox.send(anEmail({ to: 'ada@example.com', kind: 'receipt', key: '3', subject: 'receipt 3' }));
    await outbox.send(anEmail({ to: 'ada@example.com', kind: 'magic-link', key: '4', subject: 'link 4' }));

    expect(outbox.listEmails().map((e) => e.subject)).toEqual(['link 4', 'receipt 3', 'link 2', 'link 1']);
    expect(outbox.listEmails({ to: 'ADA@example.com' }).map((e) => e.subject)).toEqual(['link 4', 'receipt 3', 'link 1']);
    expect(outbox.listEmails({ kind: 'magic-link' }).map((e) => e.subject)).toEqual(['link 4', 'link 2', 'link 1']);
    expect(outbox.listEmails({ to: 'ada@example.com', kind: 'magic-link', limit: 1 }).map((e) => e.subject)).toEqual(['link 4']);
    expect(outbox.listEmails({ to: 'nobody@example.com' })).toEqual([]);
  });

  it('`after` lists only what was stored after a given email', async () => {
    await outbox.send(anEmail({ key: '1', subject: 'before' }));
    const [newest] = outbox.listEmails({ limit: 1 });
    await outbox.send(anEmail({ key: '2', subject: 'after 1' }));
    await outbox.send(anEmail({ key: '3', subject: 'after 2' }));
    expect(outbox.listEmails({ after: newest?.id }).map((e) => e.subject)).toEqual(['after 2', 'after 1']);
  });

  it('a limit out of range is clamped, never an SQL error', async () => {
    for (let i = 0; i < 3; i++) await outbox.send(anEmail({ key: String(i) }));
    expect(outbox.listEmails({ limit: 0 })).toHaveLength(1);
    expect(outbox.listEmails({ limit: -5 })).toHaveLength(1);
    expect(outbox.listEmails({ limit: Number.NaN })).toHaveLength(3);
    expect(outbox.listEmails({ limit: 1e9 })).toHaveLength(3);
  });

  it('counts with the same filters', async () => {
    await outbox.send(anEmail({ to: 'ada@example.com', kind: 'magic-link', key: '1' }));
    await outbox.send(anEmail({ to: 'ada@example.com', kind: 'receipt', key: '2' }));
    await outbox.send(anEmail({ to: 'bob@example.com', kind: 'receipt', key: '3' }));
    expect(outbox.countEmails()).toBe(3);
    expect(outbox.countEmails({ to: 'Ada@Example.com' })).toBe(2);
    expect(outbox.countEmails({ kind: 'receipt' })).toBe(2);
    expect(outbox.countEmails({ to: 'bob@example.com', kind: 'magic-link' })).toBe(0);
  });

  it('gets one email by id, given as a number or as route-parameter text', async () => {
    await outbox.send(anEmail({ subject: 'the one' }));
    const id = outbox.listEmails()[0]?.id ?? -1;
    expect(outbox.getEmail(id)?.subject).toBe('the one');
    expect(outbox.getEmail(String(id))?.subject).toBe('the one');
    expect(outbox.getEmail(id + 1)).toBeUndefined();
    for (const bad of ['abc', '1.5', '-1', '', '1e3', '99999999999999999999']) expect(outbox.getEmail(bad)).toBeUndefined();
  });

  it("keeps an email's own header fields (one-click unsubscribe) and lists them with it", async () => {
    const headers = { 'List-Unsubscribe': '<https://leedz.test/api/unsubscribe?token=a.b.c>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
    await outbox.send(anEmail({ key: 'with-headers', headers }));
    await outbox.send(anEmail({ key: 'without' }));
    expect(outbox.listEmails().map((e) => [e.key, e.headers])).toEqual([
      ['without', undefined],
      ['with-headers', headers],
    ]);
  });

  it('refuses a header that could break the message (a line break, a name with a colon), naming it', async () => {
    await expect(outbox.send(anEmail({ headers: { 'List-Unsubscribe': '<https://x>\r\nBcc: victim@example.com' } }))).rejects.toThrow(/header List-Unsubscribe must be printable ASCII on one line/);
    await expect(outbox.send(anEmail({ headers: { 'Bad:Name': 'x' } }))).rejects.toThrow(/header name "Bad:Name"/);
    expect(outbox.countEmails()).toBe(0);
  });

  it('records a batch in one go, keeping a body its emails share once, and lists each email whole', () => {
    const shared = anEmail();
    const batch = ['ann', 'bob', 'cy'].map((name) => ({ ...shared, to: `${name}@example.com`, key: `l_1:${name}:new-leed`, headers: { 'List-Unsubscribe': `<https://leedz.test/u?token=${name}>` } }));
    outbox.record([...batch, anEmail({ to: 'dee@example.com', key: 'alone', html: '<p>its own</p>' })]);

    expect(db.prepare('SELECT count(*) AS n FROM email_bodies').get()).toEqual({ n: 1 });
    const listed = outbox.listEmails();
    expect(listed.map((e) => e.to)).toEqual(['dee@example.com', 'cy@example.com', 'bob@example.com', 'ann@example.com']);
    for (const email of listed.slice(1)) expect(email).toMatchObject({ subject: shared.subject, html: shared.html, text: shared.text });
    expect(listed[0]?.html).toBe('<p>its own</p>');
    expect(outbox.getEmail(listed[3]!.id)).toMatchObject({ html: shared.html, headers: { 'List-Unsubscribe': '<https://leedz.test/u?token=ann>' } });

    // Recorded again (a retry after a crash): nothing changes, and the body is still kept once.
    outbox.record(batch);
    expect(outbox.countEmails()).toBe(4);
    expect(db.prepare('SELECT count(*) AS n FROM email_bodies').get()).toEqual({ n: 1 });
  });

  it("records in the caller's transaction: rolled back, nothing is stored", () => {
    expect(() =>
      db.transaction(() => {
        outbox.record([anEmail({ key: 'a' }), anEmail({ key: 'b' })]);
        throw new Error('the claim failed');
      })(),
    ).toThrow('the claim failed');
    expect(outbox.countEmails()).toBe(0);
  });

  it("opens a data folder's older outbox (no header or body columns) and adds them", async () => {
    db.close();
    db = new Database(dbPath);
    db.exec('DROP TABLE email_outbox; DROP TABLE email_bodies;');
    db.exec(`CREATE TABLE email_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, "to" TEXT NOT NULL COLLATE NOCASE, subject TEXT NOT NULL, html TEXT NOT NULL,
      text TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL UNIQUE, message_id TEXT NOT NULL, created_at TEXT NOT NULL)`);
    db.prepare(`INSERT INTO email_outbox ("to", subject, html, text, kind, key, message_id, created_at) VALUES ('old@example.com', 'old', '<p>old</p>', 'old', 'receipt', 'old', '<m>', '2026-01-01T00:00:00.000Z')`).run();
    outbox = createOutboxMailer({ db });
    await outbox.send(anEmail({ key: 'new', headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }));
    expect(outbox.listEmails().map((e) => [e.key, e.html, e.headers])).toEqual([
      ['new', anEmail().html, { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }],
      ['old', '<p>old</p>', undefined],
    ]);
  });

  it('keeps its emails across a restart (a new connection to the same file)', async () => {
    await outbox.send(anEmail({ key: 'kept' }));
    db.close();
    db = new Database(dbPath);
    outbox = createOutboxMailer({ db });
    expect(outbox.countEmails()).toBe(1);
  });
});
