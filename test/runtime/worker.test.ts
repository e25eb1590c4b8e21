/**
 * The worker on its own (src/runtime/worker.ts): a real invocation log in SQLite and a registry, with
 * the handler's run replaced by promises the test settles, so that what the pool does while events
 * run — how many at once, what stopping waits for — is seen step by step.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFunction } from '../../src/framework/define.js';
import { createCompletionRecorder, type CompletionRecorder } from '../../src/runtime/completions.js';
import { createFunctionSettings } from '../../src/runtime/function-settings.js';
import { createInvocationLog, invocationRow, type InvocationLog } from '../../src/runtime/invocation-log.js';
import { createRegistry } from '../../src/runtime/registry.js';
import { openRuntimeDb } from '../../src/runtime/runtime-db.js';
import { createWorker, type Worker } from '../../src/runtime/worker.js';

const sink = defineFunction('sink', { input: z.object({ i: z.number() }), handler: () => 'done' });

let worker: Worker | undefined;

afterEach(async () => {
  await worker?.stop();
});

/**
 * A worker of `poolSize` over a fresh log holding `events` queued events of `sink`; each run waits for
 * the test. `recorder`: the recorder it is given, made from the real one.
 */
function setUp(poolSize: number, events: number, recorder = (real: CompletionRecorder): CompletionRecorder => real, onLog: (line: string) => void = () => {}) {
  const db = openRuntimeDb(':memory:');
  const log: InvocationLog = createInvocationLog(db);
  const registry = createRegistry({ settings: createFunctionSettings(db), region: 'local', accountId: '000000000000', prefixes: [], onChange: () => worker?.schedule() });
  registry.register(sink, {});
  const now = Date.now();
  log.insertMany(Array.from({ length: events }, (_, i) => invocationRow({ id: `0000000${i}-event`, function: 'sink', type: 'Event', payload: `{"i":${i}}`, enqueued_at: now })));
  const running = new Map<string, () => void>();
  let most = 0;
  worker = createWorker({
    log,
    registry,
    recorder: recorder(createCompletionRecorder({ log, registry, retryDelaysMs: [60_000, 120_000], onLog: () => {} })),
    owner: 'test-worker',
    poolSize,
    pollIntervalMs: 10,
    timeScale: 1,
    execute: (_target, attempt) =>
      new Promise((resolve) => {
        running.set(attempt.requestId, () => resolve({ result: 'done' }));
        most = Math.max(most, running.size);
      }),
    running: () => running.size,
    onLog,
    isClosed: () => false,
  });
  const states = () => log.list({ limit: 100 }).map((view) => view.state);
  const attempts = (id: string) => log.list({ limit: 100 }).find((view) => view.id === id)?.attempts;
  /** Let `count` of the running events end. */
  const finish = (count: number) => {
    for (const [id, resolve] of [...running].slice(0, count)) {
      running.delete(id);
      resolve();
    }
  };
  return { worker, db, states, attempts, finish, running, most: () => most };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('the worker', () => {
  it('keeps running when the database refuses writes (a full disk): says so once, once more when it works again, and then takes the events', async () => {
    const lines: string[] = [];
    const t = setUp(2, 2, undefined, (line) => lines.push(line));
    // Writes fail from the start, as on a full disk: the heartbeat's, and every claim's.
    t.worker.start();
    t.db.pragma('query_only = true');
    t.worker.schedule();
    // Past a heartbeat: its timer threw here before, and ended the process.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    expect(lines.filter((line) => line.startsWith('runtime: could not'))).not.toEqual([]);
    expect(new Set(lines).size).toBe(lines.length);
    t.db.pragma('query_only = false');
    await until(() => lines.includes('runtime: the database works again; the worker goes on'));
    await until(() => t.running.size === 2);
    t.finish(2);
    await until(() => t.states().every((state) => state === 'succeeded'));
  }, 10_000);

  it('runs at most its pool of events at once, takes the next as each ends, and records every one', async () => {
    const t = setUp(3, 7);
    expect(t.worker.room()).toBe(0);
    t.worker.start();
    await until(() => t.running.size === 3);
    expect(t.worker.room()).toBe(0);
    expect(t.states().filter((state) => state === 'running')).toHaveLength(3);
    t.finish(2);
    await until(() => t.states().filter((state) => state === 'succeeded').length === 2 && t.running.size === 3);
    // Each end makes room for the next, until all seven have run.
    const allDone = () => t.states().every((state) => state === 'succeeded');
    while (!allDone()) {
      await until(() => t.running.size > 0 || allDone());
      t.finish(t.running.size);
    }
    expect(t.most()).toBe(3);
    expect(t.worker.idle()).toBe(true);
  });

  it('records each ended event alone when its batch cannot be, and puts back only the one the log cannot take, a moment later', async () => {
    let refusals = 0;
    const t = setUp(4, 4, (real) => ({
      record(completion, now) {
        if (completion.row.id === '00000001-event' && refusals < 2) {
          refusals += 1;
          throw new Error('the log cannot take this one');
        }
        return real.record(completion, now);
      },
    }));
    t.worker.start();
    await until(() => t.running.size === 4);
    const ranAt = Date.now();
    t.finish(4);
    // The three others are recorded once, in the same turn, and do not run again.
    await until(() => t.states().filter((state) => state === 'succeeded').length === 3);
    expect(refusals).toBe(2);
    expect(t.running.size).toBe(0);
    // The refused one is queued again, not at once (no spin), with its attempt given back.
    await until(() => t.running.size === 1);
    expect(Date.now() - ranAt).toBeGreaterThanOrEqual(900);
    expect([...t.running.keys()]).toEqual(['00000001-event']);
    t.finish(1);
    await until(() => t.states().every((state) => state === 'succeeded'));
    expect(t.attempts('00000001-event')).toBe(1);
  });

  it('stops taking events, waits for those running and records them; started again, it runs the rest', async () => {
    const t = setUp(2, 4);
    t.worker.start();
    await until(() => t.running.size === 2);
    const stopped = t.worker.stop();
    t.finish(2);
    expect(await stopped).toBe(true);
    expect(t.states().sort()).toEqual(['queued', 'queued', 'succeeded', 'succeeded']);
    // Nothing more ran while stopped.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.running.size).toBe(0);
    expect(await t.worker.stop()).toBe(false);
    expect(t.worker.start()).toBe(true);
    await until(() => t.running.size === 2);
    t.finish(2);
    await until(() => t.states().every((state) => state === 'succeeded'));
  });
});
