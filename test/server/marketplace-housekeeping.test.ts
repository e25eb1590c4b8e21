/**
 * What the marketplace deletes from leedz.db over time (issue 10, point 4): expired idempotency
 * records, outbox messages a week after their dispatch, and the dev email outbox beyond its age or
 * count, with the bodies that emails shared; and nothing else. Against the real SQLite file.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteIdempotencyStore, type SqliteIdempotencyStore } from '../../src/adapters/idempotency/sqlite-idempotency-store.js';
import { createOutboxMailer, type OutboxMailer } from '../../src/adapters/mailer/outbox/outbox-mailer.js';
import { createSqliteStore, type SqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import type { Email } from '../../src/leedz/ports.js';
import { DISPATCHED_OUTBOX_KEPT_MS, marketplaceHousekeeping } from '../../src/server/marketplace-housekeeping.js';
import { aUser } from '../helpers/builders.js';
import { startTestServer } from '../helpers/marketplace-server.js';
import { tempDir } from '../helpers/temp-dir.js';

const DAY = 24 * 3_600_000;
let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
let idempotency: SqliteIdempotencyStore;
let emails: OutboxMailer;

beforeEach(() => {
  dir = tempDir('leedz-housekeeping-');
  store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
  idempotency = createSqliteIdempotencyStore(store.db);
  emails = createOutboxMailer({ db: store.db });
});

afterEach(() => {
  store.close();
  dir.cleanup();
});

const housekeeping = (kept = { maxAgeHours: 168, maxEmails: 100_000 }) => marketplaceHousekeeping({ store, idempotency, emails, kept });
const run = (now: number, vacuum = false) => housekeeping().run({ now, vacuum, isClosed: () => false });
const count = (table: string) => store.db.prepare<[], number>(`SELECT count(*) FROM ${table}`).pluck().get()!;

function anEmail(n: number, body = `body ${n}`): Email {
  return { to: `v${n}@example.com`, subject: `leed ${n}`, html: `<p>${body}</p>`, text: body, kind: 'new-leed', key: `leed:${n}` };
}

describe('marketplace housekeeping', () => {
  it('vacuum gives the space of what it deleted back to the disk: leedz.db and its WAL together shrink', async () => {
    const now = Date.now();
    for (let n = 0; n < 400; n++) await emails.send(anEmail(n, `${n} ${'x'.repeat(4000)}`));
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = () => ['leedz.db', 'leedz.db-wal'].reduce((sum, file) => sum + (existsSync(join(dir.path, file)) ? statSync(join(dir.path, file)).size : 0), 0);
    const before = bytes();
    const report = await housekeeping({ maxAgeHours: 168, maxEmails: 10 }).run({ now, vacuum: true, isClosed: () => false });
    expect(report.emails).toBe(390);
    expect(bytes()).toBeLessThan(before / 2);
  });

  it('deletes idempotency records once expired, and a deleted key can be claimed again as if absent', async () => {
    const now = Date.now();
    await idempotency.claim({ id: 'old', holder: 'a', leaseUntil: now + 1_000, expiresAt: now + DAY }, now);
    await idempotency.claim({ id: 'new', holder: 'a', leaseUntil: now + 1_000, expiresAt: now + 9 * DAY }, now);
    idempotency.onceInTransaction('sale:1', () => {});
    const report = await run(now + 2 * DAY);
    expect(report.idempotencyKeys).toBe(1);
    expect(store.db.prepare<[], string>('SELECT id FROM idempotency_keys ORDER BY id').pluck().all()).toEqual(['new', 'tx#sale:1']);
    expect(await idempotency.claim({ id: 'old', holder: 'b', leaseUntil: now + 3 * DAY, expiresAt: now + 9 * DAY }, now + 2 * DAY)).toEqual({ state: 'claimed' });
    // A permanent effect's key stays: its effect must never run twice.
    expect(idempotency.onceInTransaction('sale:1', () => {})).toBe(false);
  });

  it('deletes outbox messages a week after their dispatch, never a pending one, from its own index', async () => {
    const now = Date.now();
    await store.createUser(aUser({ username: 'pat', email: 'pat@example.com' }), [{ id: 'm1', target: 'bookkeeping', payload: { n: 1 } }]);
    await store.createUser(aUser({ username: 'sam', email: 'sam@example.com' }), [{ id: 'm2', target: 'bookkeeping', payload: { n: 2 } }]);
    await store.markOutboxDispatched(['m1']);
    expect((await run(now + DISPATCHED_OUTBOX_KEPT_MS - 60_000)).outboxMessages).toBe(0);
    expect((await run(now + DISPATCHED_OUTBOX_KEPT_MS + 60_000)).outboxMessages).toBe(1);
    expect((await store.pendingOutbox(10)).map((m) => m.id)).toEqual(['m2']);
    expect(count('outbox')).toBe(1);
    const plan = store.db.prepare<[], { detail: string }>('EXPLAIN QUERY PLAN SELECT rowid FROM outbox WHERE dispatched_at IS NOT NULL AND dispatched_at < 1 LIMIT 5').all();
    expect(plan.map((row) => row.detail).join('\n')).toMatch(/USING (COVERING )?INDEX outbox_dispatched/);
  });

  it('deletes emails older than the age kept, and beyond the newest count kept, with the bodies only they used', async () => {
    // A fan-out's batch shares one body; two single emails keep theirs in their rows.
    emails.record(Array.from({ length: 5 }, (_, n) => anEmail(n, 'shared alert')));
    await emails.send(anEmail(10));
    await emails.send(anEmail(11));
    expect(count('email_bodies')).toBe(1);
    const now = Date.now();

    expect((await run(now)).emails).toBe(0);
    const byCount = await housekeeping({ maxAgeHours: 168, maxEmails: 3 }).run({ now, vacuum: false, isClosed: () => false });
    expect(byCount.emails).toBe(4);
    expect(emails.listEmails({ limit: 100 }).map((e) => e.key)).toEqual(['leed:11', 'leed:10', 'leed:4']);
    // The shared body stays while one email uses it…
    expect(count('email_bodies')).toBe(1);
    expect(emails.listEmails({ limit: 100 }).find((e) => e.key === 'leed:4')!.text).toBe('shared alert');

    // …and goes with the last one.
    const byAge = await run(now + 8 * DAY, true);
    expect(byAge.emails).toBe(3);
    expect(count('email_outbox')).toBe(0);
    expect(count('email_bodies')).toBe(0);
  });

  it('deletes in chunks until done, and stops when the server closes', async () => {
    emails.record(Array.from({ length: 4_500 }, (_, n) => anEmail(n)));
    let checks = 0;
    const stopped = await housekeeping({ maxAgeHours: 168, maxEmails: 100 }).run({ now: Date.now(), vacuum: false, isClosed: () => ++checks > 2 });
    // Two checks pass: one for the idempotency keys, one for the outbox, then the emails stop at once.
    expect(stopped.emails).toBe(0);
    const all = await housekeeping({ maxAgeHours: 168, maxEmails: 100 }).run({ now: Date.now(), vacuum: false, isClosed: () => false });
    expect(all.emails).toBe(4_400);
    expect(emails.listEmails({ limit: 1 })[0]!.key).toBe('leed:4499');
  });
});

describe('on the server', () => {
  it('runs with the runtime’s compaction, keeping LEEDZ_RETENTION_EMAILS emails', async () => {
    const test = await startTestServer({ env: { LEEDZ_RETENTION_EMAILS: '100' } });
    try {
      const outbox = test.server.marketplace!.outbox;
      // The run the server starts with is over once this one is.
      await test.server.runtime.compact();
      outbox.record(Array.from({ length: 130 }, (_, n) => anEmail(n)));
      const report = await test.server.runtime.compact();
      expect(report.housekeeping['leedz.db']).toEqual({ idempotencyKeys: 0, outboxMessages: 0, emails: 30 });
      expect(outbox.countEmails()).toBe(100);
    } finally {
      await test.close();
    }
  });
});
