/**
 * Shared pieces of the benchmarks: argument parsing (with `--help` and `--quick`), percentiles,
 * an aligned plain-text table, an RSS sampler, CPU seconds of a process, temporary directories, child-process cleanup and
 * the JSON result writer (`bench/results/<name>.json`).
 *
 * @example
 * const args = parseBenchArgs({ name: 'queue', summary: '…', options: { events: { type: 'string', default: '100000', description: '…' } } });
 * printTable({ title: 'queue', columns: [{ header: 'configuration' }, { header: 'events/s', align: 'right' }], rows: [['a', '1,234 /s']] });
 * writeResult('queue', { rows });
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = join(BENCH_DIR, 'results');

// ── arguments ───────────────────────────────────────────────────────────────

export interface OptionSpec {
  type: 'string' | 'boolean';
  default?: string | boolean;
  description: string;
  short?: string;
  /** Shown in `--help` after the option name, e.g. `N`. */
  valueName?: string;
}

type Values<T extends Record<string, OptionSpec>> = {
  [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : T[K]['default'] extends string ? string : string | undefined;
} & { quick: boolean; help: boolean };

export interface BenchUsage<T extends Record<string, OptionSpec>> {
  /** The bench's name (also its results file). */
  name: string;
  summary: string;
  options: T;
  /** Extra paragraphs for `--help`. */
  details?: string[];
}

/**
 * Parse `process.argv` with node:util parseArgs. Every bench gets `--quick` (small sizes for a smoke
 * run) and `--help`. An unknown option prints the usage and exits with status 2.
 */
export function parseBenchArgs<T extends Record<string, OptionSpec>>(usage: BenchUsage<T>, argv = process.argv.slice(2)): Values<T> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }> = {
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  };
  for (const [name, spec] of Object.entries(usage.options)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.default !== undefined ? { default: spec.default } : {}) };
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    process.stderr.write(`${usage.name}: ${(error as Error).message}\n\n${formatUsage(usage)}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(formatUsage(usage));
    process.exit(0);
  }
  return values as Values<T>;
}

function formatUsage(usage: BenchUsage<Record<string, OptionSpec>>): string {
  const lines = [`Usage: npx tsx bench/${usage.name}.ts [options]`, '', usage.summary, '', 'Options:'];
  const entries: [string, string][] = Object.entries(usage.options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
    const def = spec.default !== undefined && spec.default !== false ? ` (default: ${spec.default})` : '';
    return [flag, spec.description + def];
  });
  entries.push(['--quick', 'smaller sizes, for a smoke run']);
  entries.push(['-h, --help', 'show this help']);
  const width = Math.max(...entries.map(([flag]) => flag.length));
  for (const [flag, text] of entries) lines.push(`  ${flag.padEnd(width)}  ${text}`);
  if (usage.details?.length) lines.push('', ...usage.details);
  return `${lines.join('\n')}\n`;
}

/** A positive whole number from an option: accepts `20000`, `20_000`, `20,000`, `20k`, `1e5`. */
export function intArg(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new RangeError(`--${name} is required`);
    return fallback;
  }
  const text = value.trim().toLowerCase().replace(/[_,]/g, '');
  const multiplier = text.endsWith('k') ? 1000 : text.endsWith('m') ? 1_000_000 : 1;
  const number = Number(multiplier === 1 ? text : text.slice(0, -1)) * multiplier;
  if (!Number.isInteger(number) || number < 1) {
    process.stderr.write(`--${name}: expected a positive whole number, got "${value}"\n`);
    process.exit(2);
  }
  return number;
}

// ── statistics ──────────────────────────────────────────────────────────────

/** Nearest-rank percentile of an ascending array (q in 0..1). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Summary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Sort (a copy of) `values` and summarise them. */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
}

// ── formatting ──────────────────────────────────────────────────────────────

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? grouped.format(n) : '—';
}

export function fmtRate(perSecond: number): string {
  return Number.isFinite(perSecond) ? `${grouped.format(perSecond)} /s` : '—';
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** Nanoseconds as ns below 1 µs, µs otherwise. */
export function fmtNs(ns: number): string {
  if (!Number.isFinite(ns)) return '—';
  if (Math.abs(ns) < 1000) return `${ns.toFixed(0)} ns`;
  if (Math.abs(ns) < 100_000) return `${(ns / 1000).toFixed(2)} µs`;
  return `${(ns / 1000).toFixed(0)} µs`;
}

export function fmtMB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / (1024 * 1024)).toFixed(0)} MB` : '—';
}

/** Bytes in the unit that keeps 2–3 significant digits: `512 KB`, `3.4 MB`, `525 MB`, `1.2 GB`. */
export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

export function fmtRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
}

export function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

// ── table ───────────────────────────────────────────────────────────────────

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

export interface Table {
  title: string;
  columns: Column[];
  rows: string[][];
  notes?: string[];
}

/** Render a table as aligned plain text (title, header, rule, rows, notes). */
export function formatTable(table: Table): string {
  const widths = table.columns.map((column, i) => Math.max(column.header.length, ...table.rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) =>
    table.columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        return column.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  const out = [table.title, line(table.columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of table.rows) out.push(line(row));
  if (table.notes?.length) out.push('', ...table.notes);
  return `${out.join('\n')}\n`;
}

export function printTable(table: Table): void {
  process.stdout.write(`\n${formatTable(table)}\n`);
}

// ── progress ────────────────────────────────────────────────────────────────

/** Report progress to stderr each time another `stepPercent` of `total` is done. */
export function progressReporter(label: string, total: number, stepPercent = 10): (done: number) => void {
  const started = performance.now();
  let nextPercent = stepPercent;
  return (done) => {
    const percent = (done / total) * 100;
    if (percent + 1e-9 < nextPercent) return;
    while (nextPercent <= percent + 1e-9) nextPercent += stepPercent;
    process.stderr.write(`  [${label}] ${Math.min(100, Math.floor(percent))}% (${fmtInt(done)}/${fmtInt(total)}) ${fmtSeconds(performance.now() - started)}\n`);
  };
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

// ── memory ──────────────────────────────────────────────────────────────────

/** Samples `process.memoryUsage().rss` every `intervalMs` (50 ms by default) and keeps the peak. */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  peak = process.memoryUsage.rss();
  samples = 0;

  start(intervalMs = 50): this {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    this.samples++;
    if (rss > this.peak) this.peak = rss;
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

// ── CPU ─────────────────────────────────────────────────────────────────────

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on every Linux that Node runs on. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds (user + system, every thread) that process `pid` has used so far, from
 * `/proc/<pid>/stat`; NaN when it cannot be read (not Linux, or the process is gone).
 *
 * @example
 * const before = processCpuSeconds(redis.pid);
 * // … the run …
 * const used = processCpuSeconds(redis.pid) - before;
 */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds this process has used so far (user + system, every thread). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** The peak RSS of process `pid` (VmHWM of `/proc/<pid>/status`), or NaN. */
export function processPeakRss(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? Number.NaN : Number(kb) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** Seconds with one decimal, for CPU columns (`12.3 s`). */
export function fmtCpu(seconds: number): string {
  return Number.isFinite(seconds) ? `${seconds.toFixed(1)} s` : '—';
}

/** The 1-minute load average, with the core count: what every table notes beside its numbers. */
export function loadNote(before: number, after: number, cores = cpus().length): string {
  const busy = Math.max(before, after) > cores * 0.5;
  return `Load average (1 min) ${before.toFixed(2)} before, ${after.toFixed(2)} after, on ${cores} cores${busy ? ': other processes were using the CPU, so these numbers are noisy' : ''}.`;
}

// ── temporary directories and cleanup ───────────────────────────────────────

const cleanups = new Set<() => void>();
let signalsHooked = false;

/**
 * Run `fn` at exit, on SIGINT/SIGTERM and on an uncaught error, unless the returned function is
 * called first (which runs it now). Cleanups must be synchronous (kill, rmSync).
 */
export function onCleanup(fn: () => void): () => void {
  hookSignals();
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    cleanups.delete(run);
    try {
      fn();
    } catch {
      // best effort
    }
  };
  cleanups.add(run);
  return run;
}

function runCleanups(): void {
  for (const fn of [...cleanups].reverse()) fn();
}

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  process.on('exit', runCleanups);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: cleaning up\n`);
      runCleanups();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** A fresh temporary directory, removed by the returned cleanup (and at exit/on a signal). */
export function makeTempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `leedz-bench-${prefix}-`));
  const remove = onCleanup(() => rmSync(path, { recursive: true, force: true }));
  return { path, remove };
}

/** Kill a child process (and forget it) at exit or on a signal; returns the function that does it now. */
export function killOnCleanup(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): () => void {
  return onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  });
}

// ── results ─────────────────────────────────────────────────────────────────

export function machineInfo(): Record<string, unknown> {
  const cpu = cpus();
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpu[0]?.model ?? 'unknown',
    cpus: cpu.length,
    memoryBytes: totalmem(),
  };
}

/** Write `bench/results/<name>.json` (creating the directory) and return its path. */
export function writeResult(name: string, data: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(path, `${JSON.stringify({ bench: name, at: new Date().toISOString(), machine: machineInfo(), ...data }, null, 2)}\n`);
  return path;
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
