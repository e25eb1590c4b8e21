/**
 * The SQLite store: the Store contract, plus what only SQLite has — query plans, migrations, the
 * connection's settings, the outbox nudge after commit, and several processes on one file.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { zipGeocoderPlaceKey } from '../../../src/adapters/geocoder/zip/zip-geocoder.js';
import { MIGRATIONS } from '../../../src/adapters/store/sqlite/migrations.js';
import { CONFLICTING_LEED_SQL, LIST_SUBSCRIBERS_SQL, PENDING_OUTBOX_SQL, SEARCH_LEEDZ_SQL, searchSqlOf } from '../../../src/adapters/store/sqlite/sqlite-queries.js';
import { createSqliteStore, type SqliteStore } from '../../../src/adapters/store/sqlite/sqlite-store.js';
import { overlaps } from '../../../src/leedz/domain/conflict.js';
import { ConflictError, NotFoundError } from '../../../src/leedz/ports.js';
import { describeStoreContract } from '../../contracts/store.js';
import { aLeed, anOutboxMessage, at, aUser } from '../../helpers/builders.js';
import { asBeforeRekeying } from '../../helpers/store-upgrade.js';
import { tempDir } from '../../helpers/temp-dir.js';

describeStoreContract('sqlite', async () => {
  const dir = tempDir('leedz-store-');
  const store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
  return {
    store,
    teardown: async () => {
      store.close();
      dir.cleanup();
    },
  };
});

describe('SQLite store', () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  const opened: SqliteStore[] = [];

  function open(options: Omit<Parameters<typeof createSqliteStore>[0], 'path'> = {}): SqliteStore {
    const store = createSqliteStore({ path, ...options });
    opened.push(store);
    return store;
  }

  async function withTradesAndUsers(store: SqliteStore): Promise<void> {
    await store.addTrades([{ name: 'dj' }, { name: 'magic' }]);
    for (const username of ['pat', 'sam']) await store.createUser(aUser({ username }), []);
  }

  beforeEach(() => {
    dir = tempDir('leedz-store-');
    path = join(dir.path, 'leedz.db');
  });

  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
    dir.cleanup();
  });

  describe('opening', () => {
    it('runs the migrations once: reopening the same file keeps the data and the schema version', async () => {
      const first = open();
      await withTradesAndUsers(first);
      const leed = aLeed();
      await first.insertLeed(leed, []);
      first.close();

      const again = open();
      const thirdTime = open();

      expect(again.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(thirdTime.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(await again.getLeed('dj', leed.id)).toEqual(leed);
      expect((await thirdTime.listTrades()).map((t) => t.name)).toEqual(['dj', 'magic']);
    });

    it('moves leedz keyed by the whole address to the zip geocoder’s street-and-zip key, so an old leed still blocks its slot', async () => {
      const first = open();
      await withTradesAndUsers(first);
      const byAddress = aLeed({ location: '123 Main Street, Springfield, IL 62701', placeKey: '123 main st springfield il 62701' });
      const byPoint = aLeed({ location: '9 Elm St, Springfield, IL 62701', placeKey: '39.80044,-89.64983' });
      const unknownZip = aLeed({ location: '5 Oak St, Nowhere, ZZ 00000', zip: '00000', placeKey: '5 oak st nowhere zz 00000' });
      const sold = aLeed({ location: '7 Pine St, Springfield, IL 62701', placeKey: '7 pine st springfield il 62701', status: 'sold', buyer: 'sam', soldAt: at('2030-05-02T12:00') });
      for (const leed of [byAddress, byPoint, unknownZip, sold]) await first.insertLeed(leed, []);
      // As the release before this migration left the file.
      const rekeying = asBeforeRekeying(first.db);
      first.close();

      // Without the geocoder's rule the file is not touched: the version bump would skip the re-keying for good.
      expect(() => open()).toThrow(/re-key by place; open it with placeKeyOf/);
      const untouched = new Database(path, { readonly: true });
      expect(untouched.pragma('user_version', { simple: true })).toBe(rekeying);
      untouched.close();

      const store = open({ placeKeyOf: zipGeocoderPlaceKey });
      expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect((await store.getLeed('dj', byAddress.id))?.placeKey).toBe('123 main st 62701');
      expect((await store.getLeed('dj', sold.id))?.placeKey).toBe('7 pine st 62701');
      expect((await store.getLeed('dj', byPoint.id))?.placeKey).toBe('39.80044,-89.64983');
      expect((await store.getLeed('dj', unknownZip.id))?.placeKey).toBe('5 oak st nowhere zz 00000');
      // The same house written without the town, posted after the upgrade, overlaps the old leed.
      const sameHouse = aLeed({ location: '123 Main St 62701', placeKey: '123 main st 62701', start: byAddress.start, end: byAddress.end });
      await expect(store.insertLeed(sameHouse, [])).rejects.toBeInstanceOf(ConflictError);
    });

    it('refuses a file written by a newer release', () => {
      const db = new Database(path);
      db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
      db.close();

      expect(() => open()).toThrow(/schema version/);
    });

    it('uses WAL, foreign keys, a busy timeout, and synchronous=NORMAL, or FULL for power-loss durability', () => {
      const normal = open();
      expect(normal.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(normal.db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(normal.db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
      expect(normal.db.pragma('synchronous', { simple: true })).toBe(1);

      expect(open({ durability: 'power-loss' }).db.pragma('synchronous', { simple: true })).toBe(2);
    });

    it('closes twice without error', () => {
      const store = open();
      store.close();
      expect(() => store.close()).not.toThrow();
    });
  });

  describe('onOutboxWrite', () => {
    it('fires after the commit, when another connection already sees the messages', async () => {
      const seen: number[] = [];
      const store = open({
        onOutboxWrite: () => {
          expect(store.db.inTransaction).toBe(false);
          seen.push(reader.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox WHERE dispatched_at IS NULL').get()?.n ?? -1);
        },
      });
      const reader = new Database(path, { readonly: true });
      try {
        await withTradesAndUsers(store);

        await store.insertLeed(aLeed(), [anOutboxMessage(), anOutboxMessage()]);

        expect(seen).toEqual([2]);
      } finally {
        reader.close();
      }
    });

    it('does not fire for a change without messages, a refused change, or a refused sale', async () => {
      let calls = 0;
      const store = open({ onOutboxWrite: () => calls++ });
      await withTradesAndUsers(store);
      const leed = aLeed();
      await store.insertLeed(leed, []);

      await expect(store.insertLeed(aLeed(), [anOutboxMessage()])).rejects.toBeInstanceOf(ConflictError);
      await store.recordSale({ trade: 'dj', id: leed.id, buyer: 'sam', paymentId: 'p1', amount: 2_500, soldAt: at('2030-05-10T09:00') }, [anOutboxMessage()]);
      expect(calls).toBe(1);
      await store.recordSale({ trade: 'dj', id: leed.id, buyer: 'sam', paymentId: 'p2', amount: 2_500, soldAt: at('2030-05-10T09:00') }, [anOutboxMessage()]);

      expect(calls).toBe(1);
    });
  });

  describe('constraints', () => {
    it('refuses a leed of an unknown trade or creator with NotFoundError', async () => {
      const store = open();
      await withTradesAndUsers(store);

      await expect(store.insertLeed(aLeed({ trade: 'juggling' }), [])).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.insertLeed(aLeed({ creator: 'nobody' }), [])).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.updateUser('pat', { subscriptions: ['juggling'] })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses a second leed with the same id with ConflictError', async () => {
      const store = open();
      await withTradesAndUsers(store);
      await store.insertLeed(aLeed({ id: 'l_same' }), []);

      await expect(store.insertLeed(aLeed({ id: 'l_same', trade: 'magic' }), [])).rejects.toBeInstanceOf(ConflictError);
    });
  });

  describe('several connections on one file', () => {
    it('sees a booking committed through another connection', async () => {
      const one = open();
      const two = open();
      await withTradesAndUsers(one);
      await one.insertLeed(aLeed(), []);

      await expect(two.insertLeed(aLeed(), [])).rejects.toBeInstanceOf(ConflictError);
    });

    it('never double-books when processes race to post overlapping leedz at one place', async () => {
      const setup = open();
      await withTradesAndUsers(setup);
      setup.close();
      const script = fileURLToPath(new URL('./race-worker.ts', import.meta.url));
      const workers = ['a', 'b', 'c'].map((name) => startWorker(script, [path, name]));
      await Promise.all(workers.map((worker) => worker.ready));

      for (const worker of workers) worker.go();
      const outputs = await Promise.all(workers.map((worker) => worker.done));

      const reports = outputs.map((line) => JSON.parse(line) as { inserted: number; conflicts: number });
      const store = open();
      const active = await store.searchLeedz({ trades: ['dj'], from: at('2030-05-01T00:00'), to: at('2030-08-01T00:00'), limit: 1_000 });
      expect(active).toHaveLength(reports.reduce((sum, r) => sum + r.inserted, 0));
      for (const [i, a] of active.entries()) for (const b of active.slice(i + 1)) expect(overlaps(a, b), `${a.id} overlaps ${b.id}`).toBe(false);
      // Each insert committed its outbox message with it, and nothing else did.
      expect((await store.pendingOutbox(1_000)).map((m) => m.id).sort()).toEqual(active.map((l) => `posted:${l.id}`).sort());
    }, 60_000);
  });
});

describe('SQLite store query plans', () => {
let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;

  /** The plan's lines for `sql` with these parameters. */
  function planOf(sql: string, params: Record<string, unknown> | unknown[]): string[] {
    const rows = store.db.prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all(params);
    return rows.map((row) => row.detail);
  }

  /** A full scan of one of our tables: `SCAN leedz` without `USING … INDEX`. */
  function tableScans(plan: string[]): string[] {
    return plan.filter((line) => /^SCAN (leedz|users|subscriptions|outbox|trades)\b/.test(line) && !/USING (COVERING )?INDEX/.test(line));
  }

  // A year of leedz over a dozen trades, a quarter of them deleted: a month search of one or two
  // trades wants a small part of it, as in production.
  beforeAll(async () => {
    dir = tempDir('leedz-store-plans-');
    store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
    const trades = Array.from({ length: 12 }, (_, i) => (i === 0 ? 'dj' : i === 1 ? 'magic' : `trade ${i}`));
    await store.addTrades(trades.map((name) => ({ name })));
    await store.createUser(aUser({ username: 'pat' }), []);
    for (let i = 0; i < 1_200; i++) {
      const start = Date.parse('2030-01-01T18:00:00Z') + (i % 365) * 86_400_000;
      const leed = aLeed({ trade: trades[i % trades.length]!, placeKey: `${i} main st`, start: new Date(start).toISOString(), end: new Date(start + 7_200_000).toISOString() });
      await store.insertLeed(leed, [anOutboxMessage()]);
      if (i % 4 === 0) await store.deleteLeed(leed.trade, leed.id, 'pat', []);
    }
    for (let i = 0; i < 200; i++) {
      await store.createUser(aUser({ username: `user${i}` }), []);
      await store.updateUser(`user${i}`, { subscriptions: [trades[i % trades.length]!] });
    }
    await store.markOutboxDispatched((await store.pendingOutbox(1_100)).map((m) => m.id));
    store.db.exec('ANALYZE');
  });

  afterAll(() => {
    store.close();
    dir.cleanup();
  });

  it.each([
    ['one trade', ['dj'], null],
    ['several trades', ['dj', 'magic'], null],
    ['a box', ['dj', 'magic'], 39],
  ])('the month search with %s reads leedz_active_by_trade_order', (_, trades, minLat) => {
    const plan = planOf(trades.length === 1 ? searchSqlOf('leedz', 'one') : SEARCH_LEEDZ_SQL, {
      ...(trades.length === 1 ? { trade: trades[0] } : { trades: JSON.stringify(trades) }),
      from: Date.parse('2030-06-01T00:00:00Z'),
      to: Date.parse('2030-06-30T00:00:00Z'),
      after: null,
      endsFrom: null,
      minLat,
      maxLat: 41,
      minLon: -91,
      maxLon: -88,
      limit: 100,
    });

    expect(plan.join('\n')).toMatch(/SEARCH leedz USING INDEX leedz_active_by_trade_order \(trade=\? AND start_ms>\? AND start_ms<\?\)/);
    expect(tableScans(plan)).toEqual([]);
    // One trade comes out of the index in the answer's order: no sort.
    if (trades.length === 1) expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it('the search built as JSON by SQLite reads the same index, without a sort for one trade', () => {
    const plan = planOf(searchSqlOf('previews-json', 'one'), {
      trade: 'dj',
      from: Date.parse('2030-06-01T00:00:00Z'),
      to: Date.parse('2030-06-30T00:00:00Z'),
      after: null,
      endsFrom: null,
      minLat: null,
      maxLat: null,
      minLon: null,
      maxLon: null,
      limit: 100,
    });
    expect(plan.join('\n')).toMatch(/USING INDEX leedz_active_by_trade_order/);
    expect(plan.join('\n')).not.toMatch(/TEMP B-TREE/);
    expect(tableScans(plan)).toEqual([]);
  });

  it('the conflict check reads leedz_booked_by_place', () => {
    const plan = planOf(CONFLICTING_LEED_SQL, { id: 'l_new', trade: 'dj', place_key: '1 main st', start_ms: 0, end_ms: 1 });

    expect(plan.join('\n')).toMatch(/SEARCH leedz USING INDEX leedz_booked_by_place \(trade=\? AND place_key=\? AND start_ms<\?\)/);
    expect(tableScans(plan)).toEqual([]);
  });

  it("listSubscribers reads the trade's subscriptions by primary key, without scanning users", () => {
    const plan = planOf(LIST_SUBSCRIBERS_SQL, { trade: 'dj', cursor: '', limit: 50 });

    expect(plan.join('\n')).toMatch(/SEARCH s USING COVERING INDEX sqlite_autoindex_subscriptions_1 \(trade=\? AND username>\?\)/);
    expect(plan.join('\n')).toMatch(/SEARCH u USING INDEX sqlite_autoindex_users_1 \(username=\?\)/);
    expect(tableScans(plan)).toEqual([]);
  });

  it('the pending outbox reads outbox_pending in order, without sorting', () => {
    const plan = planOf(PENDING_OUTBOX_SQL, [100]);

    expect(plan).toEqual(['SCAN outbox USING INDEX outbox_pending']);
  });
});

/** A race worker process: `ready` once it has opened the store; `go()` starts its inserts; `done` is its report. */
function startWorker(script: string, args: string[]): { ready: Promise<void>; go(): void; done: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) signalReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout.slice('ready\n'.length).trim()) : reject(new Error(`race worker exited with ${code}: ${stderr}`))));
  });
  return { ready: Promise.race([ready, done.then(() => undefined)]), go: () => child.stdin.end('go\n'), done };
}
