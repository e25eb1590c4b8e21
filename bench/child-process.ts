/**
 * Every child process of the benchmarks: fork a bench module with `--child JSON`, wait for its
 * `ready` message, talk to it over IPC (requests answered with a reply or an error), and stop it;
 * a discard-everything SMTP server (`smtp-server` on 127.0.0.1, no auth required, no STARTTLS) that
 * runs in a process of its own, so that neither the server under test nor the measuring client pays
 * for parsing the emails; and Debian's `redis-server` on a free loopback port, for the BullMQ peer.
 *
 * @example
 * const child = forkChild<Ready>(import.meta.url, { config });
 * const ready = await child.ready;
 * const result = await child.request<Result>({ type: 'run' });
 * await child.stop();
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { epochMs, killOnCleanup, makeTempDir, processCpuSeconds, processPeakRss } from './lib.js';

/** What every child sends: `ready` with its own payload, or `error`; and a `reply` to each request (its result, or the error it threw). */
export type ChildToParent<R> =
  | { type: 'ready'; ready: R }
  | { type: 'error'; message: string }
  | { type: 'reply'; id: number; body: unknown }
  | { type: 'reply'; id: number; error: string };

/** What the parent sends: a request (answered with `reply`) or `stop`. */
export type ParentToChild = { type: 'request'; id: number; body: unknown } | { type: 'stop' };

export interface RunningChild<R> {
  child: ChildProcess;
  /** The child's process id (for its CPU seconds: {@link processCpuSeconds}). */
  pid: number | undefined;
  /** The child's `ready` payload; rejects if it fails or exits first. */
  ready: Promise<R>;
  /** Send a request; resolves with the child's reply, rejects with the error its handler threw. */
  request<T>(body: unknown): Promise<T>;
  /** Ask it to exit (it writes its CPU profile, if any), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Fork `moduleUrl` with `--child <json>` (plus `execArgv`, e.g. `--cpu-prof`). The child must call
 * {@link childMain}. Output goes to the parent's stdout/stderr.
 */
export function forkChild<R>(moduleUrl: string, config: unknown, options: { execArgv?: string[]; flag?: string } = {}): RunningChild<R> {
  const child = fork(fileURLToPath(moduleUrl), [options.flag ?? '--child', JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...(options.execArgv ?? [])],
  });
  const kill = killOnCleanup(child, 'SIGKILL');
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<R>((resolve, reject) => {
    child.on('message', (message: ChildToParent<R>) => {
      if (message.type === 'ready') resolve(message.ready);
      else if (message.type === 'error') reject(new Error(message.message));
      else if (message.type === 'reply') {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        if ('error' in message) waiting?.reject(new Error(message.error));
        else waiting?.resolve(message.body);
      }
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      exited = true;
      kill();
      const error = new Error(`child exited (${signal ?? `code ${code}`})`);
      reject(error);
      for (const p of pending.values()) p.reject(error);
      pending.clear();
    });
  });
  ready.catch(() => {});
  return {
    child,
    pid: child.pid,
    ready,
    request<T>(body: unknown) {
      return new Promise<T>((resolve, reject) => {
        if (exited) return reject(new Error('child has exited'));
        const id = nextId++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ type: 'request', id, body } satisfies ParentToChild);
      });
    },
    async stop(graceMs = 10_000) {
      if (exited) return;
      child.send({ type: 'stop' } satisfies ParentToChild);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
      kill();
    },
  };
}

/**
 * The child's side: run `start`, send its result as `ready`, answer requests with `onRequest`
 * (a thrown error goes back to the parent as the request's rejection), and exit on `stop` (or when
 * the parent goes away). A failed `start` is sent to the parent and ends the child.
 */
export async function childMain<R>(start: () => Promise<R>, onRequest: (body: unknown) => Promise<unknown> | unknown = () => undefined, onStop: () => Promise<void> | void = () => {}): Promise<void> {
  process.on('disconnect', () => process.exit(1));
  const send = (message: ChildToParent<R>) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
  process.on('message', (message: ParentToChild) => {
    if (message.type === 'stop') {
      void (async () => {
        try {
          await onStop();
        } finally {
          process.exit(0);
        }
      })();
    } else if (message.type === 'request') {
      void Promise.resolve()
        .then(() => onRequest(message.body))
        .then(
          (body) => send({ type: 'reply', id: message.id, body }),
          (error: unknown) => send({ type: 'reply', id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
        );
    }
  });
  try {
    const ready = await start();
    await send({ type: 'ready', ready });
  } catch (error) {
    await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  }
}

// ── the SMTP sink ───────────────────────────────────────────────────────────

export interface SmtpSinkStats {
  /** Messages accepted so far. */
  count: number;
  /** When the last one was accepted (epoch ms), or 0. */
  lastAt: number;
}

/** In the sink's own process: listen, discard every message, count them. */
export async function runSmtpSink(): Promise<{ port: number; stats: () => SmtpSinkStats }> {
  const { SMTPServer } = await import('smtp-server');
  let count = 0;
  let lastAt = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onData(stream, _session, callback) {
      stream.on('end', () => {
        count++;
        lastAt = epochMs();
        callback();
      });
      stream.resume();
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A client that goes away mid-session (a server child stopped with emails still queued) resets its
  // connection; that is expected here, and must not end the sink.
  server.on('error', () => {});
  const { port } = server.server.address() as AddressInfo;
  return { port, stats: () => ({ count, lastAt }) };
}

export interface SmtpSink {
  url: string;
  stats(): Promise<SmtpSinkStats>;
  stop(): Promise<void>;
}

/** Start the sink: fork `moduleUrl` with `--smtp-sink`; that module must call {@link smtpSinkMain} for it. */
export async function startSmtpSink(moduleUrl: string): Promise<SmtpSink> {
  const sink = forkChild<{ port: number }>(moduleUrl, {}, { flag: '--smtp-sink' });
  const { port } = await sink.ready;
  return {
    url: `smtp://127.0.0.1:${port}`,
    stats: () => sink.request<SmtpSinkStats>({ type: 'stats' }),
    stop: () => sink.stop(2000),
  };
}

/** The sink process's main. */
export async function smtpSinkMain(): Promise<void> {
  let stats: () => SmtpSinkStats = () => ({ count: 0, lastAt: 0 });
  await childMain(
    async () => {
      const sink = await runSmtpSink();
      stats = sink.stats;
      return { port: sink.port };
    },
    () => stats(),
  );
}

// ── redis-server ────────────────────────────────────────────────────────────

/** Whether Debian's `redis-server` is installed (`apt-get install -y redis-server`). */
export function redisAvailable(): boolean {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0;
}

/** A free TCP port on the loopback interface (free when asked; nothing holds it afterwards). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningRedis {
  port: number;
  pid: number | undefined;
  /** CPU seconds redis-server has used so far. */
  cpuSeconds(): number;
  /** Its peak RSS (VmHWM). */
  peakRssBytes(): number;
  stop(): Promise<void>;
}

/** Start `redis-server` on a free loopback port, its data in a fresh temp dir, without RDB snapshots; AOF with `appendfsync everysec` when asked. */
export async function startRedisServer(options: { appendonly: boolean }): Promise<RunningRedis> {
  const dir = makeTempDir(options.appendonly ? 'redis-aof' : 'redis');
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', options.appendonly ? 'yes' : 'no', '--dir', dir.path];
  if (options.appendonly) args.push('--appendfsync', 'everysec');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = killOnCleanup(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    port,
    pid: child.pid,
    cpuSeconds: () => processCpuSeconds(child.pid),
    peakRssBytes: () => processPeakRss(child.pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      kill();
      dir.remove();
    },
  };
}
