/**
 * Parity 8a — an event whose attempt died with its process is redelivered, and its own stale
 * idempotency lease does not cost it an attempt.
 *
 * What AWS does: an event may be delivered again (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html),
 * and a retry of an asynchronous event keeps its request id, so the idempotency helper
 * (src/framework/idempotency.ts) lets an attempt take over a lease held under its own request id — the
 * attempt that held it is over. Without that, the redelivered attempt would find its key "held by
 * another invocation" until the dead attempt's deadline (the whole timeout), fail, and be retried
 * after Lambda's delay: one attempt spent for nothing (measured before the fix: one event in 1,000
 * finished on its last allowed attempt).
 *
 * Locally the crash is real: a child process runs the runtime and is killed with SIGKILL while every
 * event holds its key; a second process on the same folder redelivers them (README: the attempt that
 * was running counts, so the redelivery is attempt 2).
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalRuntime } from '../../src/runtime/local-runtime.js';
import { tempDir } from '../helpers/temp-dir.js';

const EVENTS = 20;
/** The controller's timeout: how long a dead attempt's lease would block its key. */
const TIMEOUT_SECONDS = 20;
const worker = join(import.meta.dirname, '../helpers/lease-crash-worker.ts');

let dir: ReturnType<typeof tempDir> | undefined;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.length = 0;
  dir?.cleanup();
});

function startWorker(mode: 'hang' | 'resume', path: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, mode, path, String(EVENTS), String(TIMEOUT_SECONDS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Rows of `effects.db`, or undefined while the worker has not created it. */
function query<T>(path: string, sql: string): T[] | undefined {
  let db: Database.Database;
  try {
    db = new Database(join(path, 'effects.db'), { readonly: true, fileMustExist: true });
  } catch {
    return undefined;
  }
  try {
    return db.prepare(sql).all() as T[];
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

describe('a crash while every event holds its idempotency key', () => {
  it('after kill -9 and a restart, each event finishes on its redelivery (attempt 2), at once, its one failed attempt the crash’s, none on its own stale lease', async () => {
    dir = tempDir('leedz-lease-crash-');
    const first = startWorker('hang', dir.path);
    const deadline = Date.now() + 30_000;
    let held: { event: number; invocation: string; at: number }[] = [];
    while (held.length < EVENTS) {
      if (Date.now() > deadline) throw new Error(`the events never all held their keys (${held.length}); worker said: ${first.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      held = query(dir.path, 'SELECT event, invocation, at FROM held') ?? [];
    }
    first.child.kill('SIGKILL');
    await first.exited;

    const second = startWorker('resume', dir.path);
    expect(await second.exited, second.output()).toBe(0);
    const { drainedInMs } = JSON.parse(second.output().trim().split('\n').at(-1)!) as { drainedInMs: number };

    const runtime = createLocalRuntime({ dbPath: join(dir.path, 'runtime.db') });
    try {
      const log = runtime.listInvocations({ function: 'leaseHolder', limit: 1000 });
      expect(log).toHaveLength(EVENTS);
      const secondAttempts: number[] = [];
      for (const invocation of log) {
        // Attempt 1 died with the process; attempt 2 is the redelivery, and the last one needed.
        expect(invocation).toMatchObject({ outcome: 'Success', attempts: 2 });
        // The one failure listed is the crash's (written down on recovery), none on its own stale lease.
        expect(runtime.getInvocation(invocation.id)!.failedAttempts).toMatchObject([{ attempt: 1, error: { errorType: 'Runtime.ExitError', errorMessage: expect.stringMatching(/^The runtime process exited during this attempt/) } }]);
        secondAttempts.push(invocation.durationMs!);
      }
      const effects = query<{ event: number; invocation: string; at: number }>(dir.path, 'SELECT event, invocation, at FROM effects')!;
      expect(effects.map((e) => e.event).sort((a, b) => a - b)).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
      for (const effect of effects) {
        const lease = held.find((h) => h.event === effect.event)!;
        // The same request id took its key over...
        expect(effect.invocation).toBe(lease.invocation);
        // ...long before the dead attempt's lease would have ended.
        expect(effect.at).toBeLessThan(lease.at + (TIMEOUT_SECONDS * 1000) / 2);
      }
      const slowest = Math.max(...secondAttempts);
      console.log(`lease crash: ${EVENTS} events redelivered and done in ${drainedInMs} ms; slowest redelivered attempt ${slowest} ms (timeout ${TIMEOUT_SECONDS * 1000} ms)`);
      // No RetryAfterError wait for a lease: each redelivered attempt took a small part of its timeout.
      expect(slowest).toBeLessThan((TIMEOUT_SECONDS * 1000) / 10);
    } finally {
      await runtime.close();
    }
  }, 60_000);
});
