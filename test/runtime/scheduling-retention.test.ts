/**
 * The runtime over time: fair scheduling across lanes (a sign-in email is not behind a fan-out),
 * held queues, HTTP answers in the log and their counts, searching the log, metrics as running
 * counters, and retention (issue 10, points 4 and 5; issue 11, points 5, 7 and 13).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, defineFunction } from '../../src/framework/define.js';
import { createLocalRuntime, type LocalRuntime, type RuntimeOptions } from '../../src/runtime/local-runtime.js';
import { METRICS_SQL } from '../../src/runtime/log-metrics.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let runtime: LocalRuntime;
const ran: { route: string; at: number }[] = [];

const mailer = defineController('mailer', {
  fanOutBatch: {
    payload: z.object({ batch: z.number().int() }),
    handler: async () => {
      ran.push({ route: 'fanOutBatch', at: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
  },
  signIn: {
    payload: z.object({ email: z.string() }),
    handler: () => {
      ran.push({ route: 'signIn', at: Date.now() });
    },
  },
  fails: {
    payload: z.object({ n: z.number() }),
    handler: () => {
      throw new Error('always');
    },
  },
});

const http = defineFunction('httpish', {
  input: z.object({ status: z.number().int(), secret: z.string().optional(), noStore: z.boolean().optional() }),
  handler: ({ status, secret, noStore }) => ({
    status,
    body: { echoed: status, ...(secret === undefined ? {} : { secret }) },
    headers: noStore ? { 'Cache-Control': 'no-store', 'set-cookie': 'session=abc' } : { 'set-cookie': 'session=abc' },
  }),
});

const sink = defineFunction('sink', { input: z.object({ n: z.number() }), handler: () => ({ ok: true }) });

function open(options: Partial<RuntimeOptions> = {}): LocalRuntime {
  const r = createLocalRuntime({ dbPath: join(dir.path, 'runtime.db'), timeScale: 0.001, pollIntervalMs: 20, ...options });
  r.register(mailer, { maximumRetryAttempts: 0 }).register(http).register(sink);
  return r;
}

beforeEach(() => {
  dir = tempDir('leedz-sched-');
  ran.length = 0;
});

afterEach(async () => {
  await runtime?.close();
  dir.cleanup();
});

describe('fair scheduling', () => {
  it('a sign-in email queued behind 400 fan-out batches runs within a few batches, not after them', async () => {
    runtime = open({ poolSize: 2 });
    // The backlog is queued while the worker is stopped, as it would pile up under load.
    for (let batch = 0; batch < 400; batch++) await runtime.invoke('mailer', { function: 'fanOutBatch', batch }, 'Event');
    await runtime.invoke('mailer', { function: 'signIn', email: 'pat@example.com' }, 'Event');
    const startedAt = Date.now();
    runtime.start();
    while (!ran.some((r) => r.route === 'signIn')) await new Promise((resolve) => setTimeout(resolve, 5));
    const batchesBefore = ran.findIndex((r) => r.route === 'signIn');
    // FIFO would run all 400 batches first (400 × 20 ms / 2 ≈ 4 s); each lane gets its share of the pool.
    expect(batchesBefore).toBeLessThanOrEqual(4);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    await runtime.drain({ timeoutMs: 20_000 });
    expect(ran.filter((r) => r.route === 'fanOutBatch')).toHaveLength(400);
  });
});

describe('a held queue', () => {
  it('accepts events and keeps them until resumed, across a restart; synchronous calls still run', async () => {
    runtime = open();
    runtime.start();
    runtime.pause('mailer');
    expect(runtime.describe('mailer')!.config.paused).toBe(true);
    await runtime.invoke('mailer', { function: 'signIn', email: 'a@example.com' }, 'Event');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ran).toHaveLength(0);
    expect(runtime.metrics().find((m) => m.function === 'mailer')!.queued).toBe(1);
    // Another function's events are not held.
    await runtime.invoke('sink', { n: 1 }, 'Event');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runtime.listInvocations({ function: 'sink' })[0]!.state).toBe('succeeded');

    await runtime.close();
    runtime = open();
    runtime.start();
    expect(runtime.describe('mailer')!.config.paused).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ran).toHaveLength(0);

    runtime.resume('mailer');
    expect(runtime.describe('mailer')!.config.paused).toBeUndefined();
    await runtime.drain({ timeoutMs: 5_000 });
    expect(ran.map((r) => r.route)).toEqual(['signIn']);
  });
});

describe('HTTP answers in the log', () => {
  beforeEach(() => {
    runtime = open();
    runtime.start();
  });

  it('keeps the status and the body (not the headers), counts 4xx and 5xx, and filters by class', async () => {
    for (const status of [200, 201, 400, 404, 503]) await runtime.invoke('httpish', { status }, 'RequestResponse');
    await runtime.drain();
    const [latest] = runtime.listInvocations({ function: 'httpish', withPayload: true });
    expect(latest).toMatchObject({ outcome: 'Success', httpStatus: 503, response: { status: 503, body: { echoed: 503 } } });
    expect(JSON.stringify(latest!.response)).not.toContain('session=abc');
    expect(runtime.listInvocations({ function: 'httpish', http: '4xx' }).map((i) => i.httpStatus)).toEqual([404, 400]);
    expect(runtime.listInvocations({ http: 'error' }).map((i) => i.httpStatus)).toEqual([503, 404, 400]);
    expect(runtime.listInvocations({ http: '2xx' }).map((i) => i.httpStatus)).toEqual([201, 200]);
    expect(runtime.getInvocation(latest!.id)).toMatchObject({ httpStatus: 503, response: { body: { echoed: 503 } } });
    const metrics = runtime.metrics().find((m) => m.function === 'httpish')!;
    expect(metrics).toMatchObject({ Invocations: 5, Errors: 0, Http4xx: 2, Http5xx: 1 });
  });

  it('does not keep an answer marked Cache-Control: no-store (a session token, a private URL)', async () => {
    await runtime.invoke('httpish', { status: 200, secret: 'the-session-token', noStore: true }, 'RequestResponse');
    await runtime.drain();
    const [row] = runtime.listInvocations({ function: 'httpish', withPayload: true });
    expect(row!.httpStatus).toBe(200);
    expect(row!.response).toEqual({ notKept: 'Cache-Control: no-store' });
    const raw = new Database(join(dir.path, 'runtime.db'), { readonly: true });
    const kept = raw.prepare('SELECT response FROM invocations WHERE id = ?').get(row!.id) as { response: string };
    raw.close();
    expect(kept.response).not.toContain('the-session-token');
  });
});

describe('searching the log', () => {
  it('by id prefix, payload text, time range, and page after page with the before cursor', async () => {
    runtime = open();
    runtime.start();
    for (let n = 0; n < 25; n++) await runtime.invoke('sink', { n }, 'Event');
    await runtime.invoke('mailer', { function: 'signIn', email: 'needle@example.com' }, 'Event');
    await runtime.drain();
    const found = runtime.listInvocations({ text: 'needle@' });
    expect(found.map((i) => i.function)).toEqual(['mailer']);
    expect(runtime.listInvocations({ text: '%' })).toEqual([]);
    expect(runtime.listInvocations({ id: found[0]!.id.slice(0, 20) }).map((i) => i.id)).toEqual([found[0]!.id]);

    const pages: string[][] = [];
    let before: string | undefined;
    for (;;) {
      const page = runtime.listInvocations({ function: 'sink', limit: 10, ...(before === undefined ? {} : { before }) });
      if (page.length === 0) break;
      pages.push(page.map((i) => i.id));
      before = page.at(-1)!.id;
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(new Set(pages.flat()).size).toBe(25);

    const all = runtime.listInvocations({ limit: 100 });
    const newest = Date.parse(all[0]!.enqueuedAt);
    expect(runtime.listInvocations({ from: newest + 1000 })).toEqual([]);
    expect(runtime.listInvocations({ to: newest - 60_000 })).toEqual([]);
    expect(runtime.listInvocations({ from: newest - 60_000, to: newest + 1, limit: 100 })).toHaveLength(26);
  });
});

describe('metrics as running counters', () => {
  it('count across a restart and after retention removed the rows, and say since when', async () => {
    runtime = open({ retention: { maxInvocations: 10 } });
    runtime.start();
    for (let n = 0; n < 30; n++) await runtime.invoke('sink', { n }, 'Event');
    await runtime.drain();
    const before = runtime.metrics().find((m) => m.function === 'sink')!;
    expect(before).toMatchObject({ AsyncEventsReceived: 30, Invocations: 30 });
    await runtime.close();

    // Retention runs as the worker starts (and compact() waits for that run).
    runtime = open({ retention: { maxInvocations: 10 } });
    runtime.start();
    await runtime.compact();
    expect(runtime.listInvocations({ limit: 100 })).toHaveLength(10);
    const after = runtime.metrics().find((m) => m.function === 'sink')!;
    expect(after).toMatchObject({ AsyncEventsReceived: 30, Invocations: 30, countsSince: before.countsSince });
    expect(Date.parse(after.countsSince)).toBeLessThanOrEqual(Date.now());
  });

  it('read each count from an index that holds only what it counts, never the whole log', () => {
    runtime = open();
    const plans = Object.entries(METRICS_SQL).map(([name, sql]) => {
      const params = name === 'sample' ? ['sink', 0, 10] : [];
      return [name, (runtime.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail).join(' | ')];
    });
    expect(Object.fromEntries(plans)).toEqual({
      queued: expect.stringMatching(/USING COVERING INDEX invocations_lane_ready/),
      running: expect.stringMatching(/USING (COVERING )?INDEX invocations_leased/),
      sample: expect.stringMatching(/SEARCH invocations USING INDEX invocations_by_function \(function=\? AND enqueued_at>\?\)/),
    });
  });

  it('within a window, count what the log holds of it', async () => {
    runtime = open();
    runtime.start();
    for (let n = 0; n < 3; n++) await runtime.invoke('mailer', { function: 'fails', n }, 'Event');
    await runtime.drain();
    expect(runtime.metrics(60_000).find((m) => m.function === 'mailer')).toMatchObject({ AsyncEventsReceived: 3, AsyncEventsDropped: 3, Errors: 3 });
    expect(runtime.metrics(60_000).find((m) => m.function === 'sink')).toMatchObject({ AsyncEventsReceived: 0, Invocations: 0 });
  });
});

describe('retention', () => {
  it('removes ended invocations by age with their attempts, never queued ones nor what an open dead letter needs', async () => {
    runtime = open({ retention: { maxAgeHours: 0.2 / 3600 } });
    runtime.start();
    await runtime.invoke('mailer', { function: 'fails', n: 1 }, 'Event');
    await runtime.invoke('sink', { n: 1 }, 'Event');
    await runtime.drain();
    runtime.pause('sink');
    await runtime.invoke('sink', { n: 2 }, 'Event');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const report = await runtime.compact();
    expect(report.invocations).toBe(1);
    const left = runtime.listInvocations({ limit: 100 });
    // The dead letter's invocation (for its replay) and the held event stay.
    expect(left.map((i) => [i.function, i.state]).sort()).toEqual([
      ['mailer', 'failed'],
      ['sink', 'queued'],
    ]);
    const [letter] = runtime.listDeadLetters();
    await runtime.replayDeadLetter(letter!.id);
    await runtime.drain({ timeoutMs: 2_000 }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await runtime.compact();
    // Replayed: the letter, its invocation and the replay's (ended) go too.
    expect(second.deadLetters).toBe(1);
    expect(runtime.listDeadLetters({ includeReplayed: true }).filter((l) => l.id === letter!.id)).toEqual([]);
    expect(runtime.listInvocations({ limit: 100 }).map((i) => i.state)).toContain('queued');
    expect(second.bytes).toBeGreaterThan(0);
  });

  it('runs by itself as invocations come, and vacuum shrinks the file', async () => {
    runtime = open({ retention: { maxInvocations: 1_000 } });
    runtime.start();
    const body = { n: 1 };
    for (let round = 0; round < 12; round++) {
      await Promise.all(Array.from({ length: 1_000 }, () => runtime.invoke('sink', body, 'Event')));
      await runtime.drain();
    }
    // Retention runs every 10,000 new invocations (and every 10 s): it has run once by now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const held = runtime.listInvocations({ limit: 10_000 }).length;
    expect(held).toBeLessThan(12_000);
    const compacted = await runtime.compact({ vacuum: true });
    expect(runtime.listInvocations({ limit: 10_000 })).toHaveLength(1_000);
    expect(compacted.bytes).toBeLessThan(2_000_000);
  });

  it('runs the application’s housekeeping with every compaction asked for, passing vacuum, and goes on past one that fails', async () => {
    const lines: string[] = [];
    runtime = open({ onLog: (line) => lines.push(line) });
    const calls: { vacuum: boolean; now: number }[] = [];
    runtime.addHousekeeping({ name: 'broken.db', run: () => Promise.reject(new Error('disk on fire')) });
    runtime.addHousekeeping({
      name: 'app.db',
      run: async ({ now, vacuum }) => {
        calls.push({ now, vacuum });
        return { emails: 3, keys: 0 };
      },
    });
    const before = Date.now();
    const report = await runtime.compact({ vacuum: true });
    expect(report.housekeeping).toEqual({ 'app.db': { emails: 3, keys: 0 } });
    expect(calls).toEqual([{ now: expect.any(Number), vacuum: true }]);
    expect(calls[0]!.now).toBeGreaterThanOrEqual(before);
    expect(lines).toContain('runtime: housekeeping of broken.db failed: disk on fire');
    expect(lines).toContain('runtime: retention removed 3 emails, 0 keys from app.db');
    expect((await runtime.compact()).housekeeping['app.db']).toEqual({ emails: 3, keys: 0 });
    expect(calls[1]).toEqual({ now: expect.any(Number), vacuum: false });
  });

  it('refuses settings that make no sense', () => {
    expect(() => createLocalRuntime({ dbPath: ':memory:', retention: { maxInvocations: 0 } })).toThrow(/maxInvocations/);
    expect(() => createLocalRuntime({ dbPath: ':memory:', retention: { maxAgeHours: -1 } })).toThrow(/maxAgeHours/);
  });
});
