/**
 * Child processes for the marketplace benchmarks: fork this bench's own file with `--child JSON`,
 * wait for its `ready` message, talk to it over IPC, and stop it; and a discard-everything SMTP
 * server (`smtp-server` on 127.0.0.1, no auth required, no STARTTLS) that runs in a process of its
 * own, so that neither the server under test nor the measuring client pays for parsing the emails.
 *
 * @example
 * const child = forkChild<Ready>(import.meta.url, { config }, { label: 'pattern-1000' });
 * const ready = await child.ready;
 * await child.stop();
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { epochMs, killOnCleanup } from './lib.js';

/** What every child sends: `ready` with its own payload, or `error`. */
export type ChildToParent<R> = { type: 'ready'; ready: R } | { type: 'error'; message: string } | { type: 'reply'; id: number; body: unknown };

/** What the parent sends: a request (answered with `reply`) or `stop`. */
export type ParentToChild = { type: 'request'; id: number; body: unknown } | { type: 'stop' };

export interface RunningChild<R> {
  child: ChildProcess;
  /** The child's `ready` payload; rejects if it fails or exits first. */
  ready: Promise<R>;
  /** Send a request; resolves with the child's reply. */
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
        pending.get(message.id)?.resolve(message.body);
        pending.delete(message.id);
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
 * The child's side: run `start`, send its result as `ready`, answer requests with `onRequest`,
 * and exit on `stop` (or when the parent goes away). Errors are sent to the parent.
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
        .then((body) => send({ type: 'reply', id: message.id, body }));
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
