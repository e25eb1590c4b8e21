/**
 * A closed-loop HTTP/1.1 load generator for small signed POSTs: C keep-alive connections on raw
 * sockets, one request in flight on each, requests written from pre-encoded bytes and responses
 * parsed only as far as their status and length. It spends about half the CPU per request of
 * autocannon or an undici Pool (17 µs against 36 µs and 35 µs here, against a bare node:http
 * server), which matters on a two-core machine where the client and the server under test share
 * the cores (it runs in a process of its own, and reports its CPU seconds).
 *
 * Every request is signed with AWS Signature V4 (`signRequest`, the AWS SDK's own signer) in one of
 * two ways:
 * - `per-body`: each of K distinct bodies is signed once and its bytes are reused, re-signed every
 *   minute so that no signature is ever older than AWS's 5 minutes (a signing client that caches,
 *   so the client's signing cost does not take CPU from the server);
 * - `per-request`: every request is signed just before it is sent (what an SDK caller does).
 *
 * @example
 * const requests = await signedRequests({ port, path, credentials, bodies: 1000, headers: { 'x-amz-invocation-type': 'Event' } });
 * const result = await runHttpLoad({ port, requests, connections: 64, amount: 100_000 });
 */
import { connect, type Socket } from 'node:net';
import type { RuntimeCredentials } from '../src/runtime/credentials.js';
import { signRequest } from '../src/server/signed-fetch.js';
import { epochMs, ownCpuSeconds, summarize, type Summary } from './lib.js';

export type Signing = 'per-body' | 'per-request';

export interface RequestSpec {
  port: number;
  path: string;
  credentials: RuntimeCredentials;
  /** Headers signed with every request (the signer adds host, x-amz-date, x-amz-content-sha256, authorization). */
  headers: Record<string, string>;
  /** The body of request i (cycled through `bodies` distinct ones). */
  body: (i: number) => string;
  bodies: number;
  signing: Signing;
}

export interface LoadOptions {
  connections: number;
  /** Stop after this many requests (all answered)… */
  amount?: number;
  /** …or after this long (requests in flight are still awaited). */
  durationMs?: number;
  /** Give up when no response at all arrives for this long (default 60 s). */
  stallMs?: number;
  /** Called with the number of answered requests, now and then. */
  onProgress?: (answered: number) => void;
}

export interface LoadResult {
  /** Answered with 2xx. */
  ok: number;
  /** Answered with another status. */
  non2xx: number;
  /** Connection errors. */
  errors: number;
  firstError?: string;
  /** Epoch ms of the first request sent and the last response read. */
  firstAt: number;
  lastAt: number;
  requestsPerSecond: number;
  latencyMs: Summary;
  /** CPU seconds this process used during the run (the client's cost). */
  clientCpuSeconds: number;
  signing: Signing;
  distinctBodies: number;
}

/** Re-sign cached requests this often: AWS accepts a signature for 5 minutes. */
const RESIGN_EVERY_MS = 60_000;

/** The raw bytes of one signed POST. */
async function encodeSigned(spec: RequestSpec, i: number): Promise<Buffer> {
  const body = spec.body(i);
  const url = `http://127.0.0.1:${spec.port}${spec.path}`;
  const headers = await signRequest(url, { method: 'POST', headers: spec.headers, body }, spec.credentials);
  let head = `POST ${spec.path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  head += `content-length: ${Buffer.byteLength(body)}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]);
}

/** A source of request bytes: the cached signed requests (kept fresh), or a new signature each time. */
interface RequestSource {
  next(i: number): Buffer | Promise<Buffer>;
  close(): void;
}

async function requestSource(spec: RequestSpec): Promise<RequestSource> {
  if (spec.signing === 'per-request') return { next: (i) => encodeSigned(spec, i), close: () => {} };
  const signAll = () => Promise.all(Array.from({ length: spec.bodies }, (_, i) => encodeSigned(spec, i)));
  let cached = await signAll();
  const timer = setInterval(() => {
    void signAll().then((fresh) => (cached = fresh));
  }, RESIGN_EVERY_MS);
  timer.unref();
  return { next: (i) => cached[i % cached.length]!, close: () => clearInterval(timer) };
}

/** Parses responses off a keep-alive socket: status, then a body of content-length bytes or chunks. */
class ResponseReader {
  private buffer: Buffer = Buffer.alloc(0);

  /** Append `chunk`; return the status of each complete response now available. */
  push(chunk: Buffer): { status: number; body: Buffer }[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const done: { status: number; body: Buffer }[] = [];
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return done;
      const head = this.buffer.toString('latin1', 0, end);
      const status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      let bodyEnd: number;
      let body: Buffer;
      if (length !== null) {
        bodyEnd = end + 4 + Number(length[1]);
        if (this.buffer.length < bodyEnd) return done;
        body = this.buffer.subarray(end + 4, bodyEnd);
      } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
        const chunks: Buffer[] = [];
        let at = end + 4;
        for (;;) {
          const line = this.buffer.indexOf('\r\n', at);
          if (line < 0) return done;
          const size = parseInt(this.buffer.toString('latin1', at, line), 16);
          if (this.buffer.length < line + 2 + size + 2) return done;
          chunks.push(this.buffer.subarray(line + 2, line + 2 + size));
          at = line + 2 + size + 2;
          if (size === 0) break;
        }
        bodyEnd = at;
        body = Buffer.concat(chunks);
      } else {
        // 1xx, 204, 304, or a 202 without a length: no body.
        bodyEnd = end + 4;
        body = Buffer.alloc(0);
      }
      this.buffer = this.buffer.subarray(bodyEnd);
      done.push({ status, body });
    }
  }
}

/** Sign the requests (per body: all of them now), then run the load; the signing is not timed. */
export async function runHttpLoad(spec: RequestSpec, options: LoadOptions): Promise<LoadResult> {
  if ((options.amount === undefined) === (options.durationMs === undefined)) throw new RangeError('runHttpLoad: give amount or durationMs');
  const source = await requestSource(spec);
  const amount = options.amount ?? Number.POSITIVE_INFINITY;
  const stallMs = options.stallMs ?? 60_000;
  let latencies = new Float64Array(1 << 16);
  let answered = 0;
  let issued = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let firstError: string | undefined;
  let lastResponseAt = performance.now();
  const cpuBefore = ownCpuSeconds();
  const started = performance.now();
  const firstAt = epochMs();
  const endAt = options.durationMs === undefined ? Number.POSITIVE_INFINITY : started + options.durationMs;
  const sockets: Socket[] = [];

  const record = (ms: number) => {
    if (answered === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[answered++] = ms;
    if ((answered & 4095) === 0) options.onProgress?.(answered);
  };

  const connection = () =>
    new Promise<void>((resolve) => {
      const socket = connect(spec.port, '127.0.0.1');
      sockets.push(socket);
      socket.setNoDelay(true);
      const reader = new ResponseReader();
      let sentAt = 0;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        socket.end();
        resolve();
      };
      const send = async () => {
        if (issued >= amount || performance.now() >= endAt) return finish();
        const i = issued++;
        const bytes = await source.next(i);
        sentAt = performance.now();
        socket.write(bytes);
      };
      socket.on('connect', () => void send());
      socket.on('data', (chunk: Buffer) => {
        for (const response of reader.push(chunk)) {
          const now = performance.now();
          lastResponseAt = now;
          record(now - sentAt);
          if (response.status >= 200 && response.status < 300) ok++;
          else {
            non2xx++;
            firstError ??= `${response.status} ${response.body.toString('utf8').slice(0, 300)}`;
          }
          void send();
        }
      });
      socket.on('error', (error) => {
        errors++;
        firstError ??= error.message;
        finish();
      });
      socket.on('close', finish);
    });

  const watchdog = setInterval(() => {
    if (performance.now() - lastResponseAt > stallMs) {
      firstError ??= `no response for ${stallMs / 1000} s`;
      for (const socket of sockets) socket.destroy();
    }
  }, 1000);
  try {
    await Promise.all(Array.from({ length: options.connections }, () => connection()));
  } finally {
    clearInterval(watchdog);
    source.close();
  }
  const ms = performance.now() - started;
  return {
    ok,
    non2xx,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    firstAt,
    lastAt: firstAt + ms,
    requestsPerSecond: ok / (ms / 1000),
    latencyMs: summarize(latencies.subarray(0, answered)),
    clientCpuSeconds: ownCpuSeconds() - cpuBefore,
    signing: spec.signing,
    distinctBodies: spec.signing === 'per-body' ? spec.bodies : answered,
  };
}
