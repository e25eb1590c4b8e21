/**
 * `npm run bench`: every benchmark in sequence, each in its own process (so that one's heap, JIT
 * state and child processes do not colour the next). Options after `--` are passed to each bench
 * that accepts them; `--quick` gives every bench its smoke-run sizes.
 *
 * To add a benchmark: write `bench/<name>.ts` (use `./lib.ts`; print a table; writeResult(name, …))
 * and add its name to BENCHES.
 *
 * @example
 * npm run bench
 * npm run bench -- --quick
 * npm run bench -- --only dispatch
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIR, fmtSeconds, killOnCleanup, log, parseBenchArgs } from './lib.js';

const BENCHES = [
  'queue',
  'dispatch',
  'post-latency',
  'search',
  'store',
  'web',
  'growth',
] as const;

async function main(): Promise<void> {
  const args = parseBenchArgs({
    name: 'run-all',
    summary: `Run every benchmark in sequence (${BENCHES.join(', ')}); each prints a table and writes bench/results/<name>.json.`,
    options: {
      only: { type: 'string', valueName: 'NAMES', description: `comma-separated benchmarks to run, of: ${BENCHES.join(', ')}` },
    },
  });
  const only = args.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((name) => !(BENCHES as readonly string[]).includes(name)) ?? [];
  if (unknown.length > 0) {
    log(`--only: unknown benchmark ${unknown.join(', ')} (known: ${BENCHES.join(', ')})`);
    process.exit(2);
  }
  const selected = BENCHES.filter((name) => only === undefined || only.includes(name));
  const passThrough = args.quick ? ['--quick'] : [];

  const started = performance.now();
  const outcomes: { name: string; ms: number; status: string }[] = [];
  for (const name of selected) {
    const benchStarted = performance.now();
    log(`\n=== bench/${name}.ts ${passThrough.join(' ')}`.trimEnd());
    // process.execArgv carries tsx's loader (this file runs under tsx).
    const child = spawn(process.execPath, [...process.execArgv, join(BENCH_DIR, `${name}.ts`), ...passThrough], { stdio: 'inherit' });
    const kill = killOnCleanup(child, 'SIGINT');
    const status = await new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`failed to start: ${error.message}`));
      child.once('exit', (code, signal) => resolve(code === 0 ? 'ok' : `failed (${signal ?? `exit code ${code}`})`));
    });
    kill();
    outcomes.push({ name, ms: performance.now() - benchStarted, status });
  }
  const total = performance.now() - started;
  process.stdout.write(`\nBenchmarks: ${outcomes.map((o) => `${o.name} ${o.status} in ${fmtSeconds(o.ms)}`).join('; ')}. Total ${fmtSeconds(total)}.\n`);
  if (outcomes.some((o) => o.status !== 'ok')) process.exitCode = 1;
}

await main();
