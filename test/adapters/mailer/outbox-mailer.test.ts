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

  it('keeps its emails across a restart (a new connection to the same file)', async () => {
    await outbox.send(anEmail({ key: 'kept' }));
    db.close();
    db = new Database(dbPath);
    outbox = createOutboxMailer({ db });
    expect(outbox.countEmails()).toBe(1);
  });
});
