import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const EVENTS = 1000;
const worker = join(import.meta.dirname, '../helpers/crash-worker.ts');

let dir: ReturnType<typeof tempDir> | undefined;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  dir?.cleanup();
});

function start(mode: 'enqueue' | 'resume', path: string): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, mode, path, String(EVENTS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('crash safety with a real process', () => {
  it('after kill -9 midway and a restart, every event ran at least once and every effect happened exactly once', async () => {
    dir = tempDir('leedz-crash-');
    const effectsPath = join(dir.path, 'effects.db');

    const first = start('enqueue', dir.path);
    await until(() => first.output().includes('started'), 60_000, `the first process to enqueue (output: ${first.output()})`);
    expect(first.output()).toContain(`enqueued ${EVENTS}`);

    const reader = new Database(effectsPath, { readonly: true, fileMustExist: true });
    const delivered = () => (reader.prepare('SELECT COUNT(DISTINCT event) AS n FROM deliveries').get() as { n: number }).n;
    await until(() => delivered() >= EVENTS * 0.3, 60_000, 'a third of the events to run');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const atKill = delivered();
    expect(atKill).toBeLessThan(EVENTS);

    const second = start('resume', dir.path);
    expect(await second.exited).toBe(0);
    expect(second.output()).toContain('drained');

    const events = reader.prepare('SELECT DISTINCT event FROM deliveries ORDER BY event').all() as { event: number }[];
    expect(events.map((e) => e.event)).toEqual(Array.from({ length: EVENTS }, (_, i) => i));
    const deliveries = (reader.prepare('SELECT COUNT(*) AS n FROM deliveries').get() as { n: number }).n;
    // Events that were running when the process died were delivered again: at-least-once.
    expect(deliveries).toBeGreaterThan(EVENTS);
    const effects = reader.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT event) AS distinctEvents FROM effects').get() as { n: number; distinctEvents: number };
    expect(effects).toEqual({ n: EVENTS, distinctEvents: EVENTS });
    reader.close();

    const runtimeDb = new Database(join(dir.path, 'runtime.db'), { readonly: true });
    const states = runtimeDb.prepare("SELECT state, COUNT(*) AS n FROM invocations WHERE type = 'Event' GROUP BY state").all();
    runtimeDb.close();
    expect(states).toEqual([{ state: 'succeeded', n: EVENTS }]);
  }, 180_000);
});
