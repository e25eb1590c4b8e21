/**
 * A child process for the crash test: a runtime whose `recorder` controller records every delivery
 * (at-least-once evidence) and performs one effect per event through the idempotency store.
 *
 * Usage: node --import tsx test/helpers/crash-worker.ts <enqueue|resume> <dir> [events]
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { z } from 'zod';
import { defineController } from '../../src/framework/define.js';
import { createLocalRuntime } from '../../src/runtime/local-runtime.js';
import { createSqliteIdempotencyStore } from '../../src/adapters/idempotency/sqlite-idempotency-store.js';

const [mode, dir, eventsArg] = process.argv.slice(2);
if ((mode !== 'enqueue' && mode !== 'resume') || dir === undefined) {
  console.error('usage: crash-worker.ts <enqueue|resume> <dir> [events]');
  process.exit(2);
}

const effects = new Database(join(dir, 'effects.db'));
effects.pragma('journal_mode = WAL');
effects.exec(`CREATE TABLE IF NOT EXISTS deliveries (event INTEGER NOT NULL, invocation TEXT NOT NULL, pid INTEGER NOT NULL);
              CREATE TABLE IF NOT EXISTS effects (id INTEGER PRIMARY KEY AUTOINCREMENT, event INTEGER NOT NULL, pid INTEGER NOT NULL);`);
const recordDelivery = effects.prepare('INSERT INTO deliveries (event, invocation, pid) VALUES (?, ?, ?)');
const applyEffect = effects.prepare('INSERT INTO effects (event, pid) VALUES (?, ?)');
const store = createSqliteIdempotencyStore(effects);

const recorder = defineController(
  'recorder',
  {
    record: {
      payload: z.object({ event: z.number().int().nonnegative() }),
      handler: async ({ event }, ctx) => {
        recordDelivery.run(event, ctx.awsRequestId, process.pid);
        // Some work, so that the kill lands while many events are running.
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
        store.onceInTransaction(`effect:${event}`, () => applyEffect.run(event, process.pid));
      },
    },
  },
  { timeoutSeconds: 5 },
);

const runtime = createLocalRuntime({ dbPath: join(dir, 'runtime.db'), poolSize: 32, pollIntervalMs: 20 });
runtime.register(recorder);

if (mode === 'enqueue') {
  const total = Number(eventsArg ?? 1000);
  const accepted = await Promise.all(
    Array.from({ length: total }, (_, event) => runtime.invoke('recorder', { function: 'record', event }, 'Event')),
  );
  console.log(`enqueued ${accepted.filter((r) => r.statusCode === 202).length}`);
}
runtime.start();
console.log('started');
await runtime.drain({ timeoutMs: 120_000 });
await runtime.close();
effects.close();
console.log('drained');
