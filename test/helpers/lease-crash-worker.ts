/**
 * A child process for the parity suite's crash test (test/parity/crash-idempotency-lease.test.ts): a
 * runtime whose `leaseHolder` controller performs one keyed effect per event through the idempotency
 * helper (src/framework/idempotency.ts), on the SQLite idempotency store.
 *
 * - `hang`: enqueue the events and start; each handler claims its key, notes it in `held`, and never
 *   finishes — the parent kills the process (SIGKILL) while every key is held.
 * - `resume`: start on the same folder (the runtime redelivers what was running) and drain; each
 *   handler claims its key again and applies the effect, noted in `effects`.
 *
 * Usage: node --import tsx test/helpers/lease-crash-worker.ts <hang|resume> <dir> <events> <timeoutSeconds>
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { z } from 'zod';
import { createSqliteIdempotencyStore } from '../../src/adapters/idempotency/sqlite-idempotency-store.js';
import { defineController } from '../../src/framework/define.js';
import { createIdempotency } from '../../src/framework/idempotency.js';
import { createLocalRuntime } from '../../src/runtime/local-runtime.js';

const [mode, dir, eventsArg, timeoutArg] = process.argv.slice(2);
if ((mode !== 'hang' && mode !== 'resume') || dir === undefined) {
  console.error('usage: lease-crash-worker.ts <hang|resume> <dir> <events> <timeoutSeconds>');
  process.exit(2);
}
const events = Number(eventsArg ?? 20);
const timeoutSeconds = Number(timeoutArg ?? 20);

const db = new Database(join(dir, 'effects.db'));
db.pragma('journal_mode = WAL');
db.exec(`CREATE TABLE IF NOT EXISTS held (event INTEGER NOT NULL, invocation TEXT NOT NULL, pid INTEGER NOT NULL, at INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS effects (event INTEGER NOT NULL, invocation TEXT NOT NULL, pid INTEGER NOT NULL, at INTEGER NOT NULL);`);
const noteHeld = db.prepare('INSERT INTO held (event, invocation, pid, at) VALUES (?, ?, ?, ?)');
const applyEffect = db.prepare('INSERT INTO effects (event, invocation, pid, at) VALUES (?, ?, ?, ?)');
const idempotency = createIdempotency({ store: createSqliteIdempotencyStore(db), scope: 'parity' });

const leaseHolder = defineController(
  'leaseHolder',
  {
    work: {
      payload: z.object({ event: z.number().int().nonnegative() }),
      handler: async ({ event }, ctx) =>
        idempotency.once(ctx, `effect:${event}`, async () => {
          if (mode === 'hang') {
            noteHeld.run(event, ctx.awsRequestId, process.pid, Date.now());
            // Killed here, holding the key until the invocation's deadline.
            await new Promise(() => {});
          }
          applyEffect.run(event, ctx.awsRequestId, process.pid, Date.now());
          return { event };
        }),
    },
  },
  { timeoutSeconds, maximumRetryAttempts: 2 },
);

// Retries scaled so that an attempt lost on a stale lease would show (as attempts), not hang the test.
const runtime = createLocalRuntime({ dbPath: join(dir, 'runtime.db'), poolSize: 64, pollIntervalMs: 20, timeScale: 0.01 });
runtime.register(leaseHolder);

if (mode === 'hang') {
  await Promise.all(Array.from({ length: events }, (_, event) => runtime.invoke('leaseHolder', { function: 'work', event }, 'Event')));
  runtime.start();
  console.log('started');
} else {
  const started = Date.now();
  runtime.start();
  await runtime.drain({ timeoutMs: 60_000 });
  await runtime.close();
  db.close();
  console.log(JSON.stringify({ drainedInMs: Date.now() - started }));
}
