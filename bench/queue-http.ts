/**
 * The HTTP accept rate of bench/queue.ts: the real server's Invoke API (`startServer`, SigV4 checked,
 * each event durable before its 202) beside a bare `node:http` server answering 202 and a
 * `node:http` server that inserts each request into SQLite with group commit, under the same load
 * generator (its own process) sending the same signed requests, in interleaved rounds; req/s, latency
 * and CPU seconds of each, and the ratios of the Invoke API to both.
 *
 * @example
 * const rows = await runPeers(loadgen, http);
 * const targets = reportPeers(rows, http, { before, after }, cpus().length);
 */
import type { LoadResult, Signing } from './http-load.js';
import type { RunningChild } from './child-process.js';
import { fmtCpu, fmtInt, fmtMs, fmtRate, fmtRatio, loadNote, log, printTable, processCpuSeconds } from './lib.js';
import { forkQueueChild, INVOKE_PATH, type InvokeServerChildConfig, type LoadRequest, type PeerChildConfig, type QueueChildConfig, type ServerReady } from './queue-child.js';

/** How the HTTP rows load the servers. */
export interface HttpSettings {
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  repeat: number;
  /** The server's LEEDZ_POOL_SIZE (undefined: its default). */
  poolSize: number | undefined;
  signing: Signing;
  bodies: number;
  /** Where server processes write V8 CPU profiles (--cpu-prof), if anywhere. */
  cpuProfDir: string | undefined;
}

export type PeerId = 'bare' | 'sqlite-group' | 'sqlite-sigv4' | 'invoke-api' | 'invoke-accept';

const PEERS: { id: PeerId; label: string }[] = [
  { id: 'bare', label: 'node:http, 202 to every POST (the HTTP limit)' },
  { id: 'sqlite-group', label: 'node:http + SQLite insert, group commit' },
  // Not a target: the SQLite peer checking each signature as the Invoke API must, the floor the Invoke API's accept path can reach.
  { id: 'sqlite-sigv4', label: 'node:http + SigV4 check + SQLite insert' },
  { id: 'invoke-api', label: 'Invoke API (startServer, SigV4 checked)' },
  // Not a target: the same server with its queue paused, so that the accept path's share shows apart from running the events.
  { id: 'invoke-accept', label: 'Invoke API, queue paused (accepting only)' },
];

export interface PeerRun {
  peer: PeerId;
  load: LoadResult;
  serverCpuSeconds: number;
  /** Invoke API: Event invocations the runtime completed by the end of the load. */
  completed?: number;
  /** SQLite peer: rows in its table after the load (warm-up included). */
  rows?: number;
}

export interface PeerRow {
  peer: PeerId;
  label: string;
  /** The run with the median req/s, and every run's req/s. */
  median?: PeerRun;
  runs: PeerRun[];
  error?: string;
}

async function runPeer(peer: PeerId, loadgen: RunningChild<object>, http: HttpSettings, attempt: number): Promise<PeerRun> {
  const config: QueueChildConfig =
    peer === 'invoke-api' || peer === 'invoke-accept'
      ? ({ kind: 'invoke-server', id: `peer-${peer}-${attempt}`, durability: 'process-crash', poolSize: http.poolSize, paused: peer === 'invoke-accept' } satisfies InvokeServerChildConfig)
      : ({ kind: peer, id: `peer-${peer}-${attempt}` } satisfies PeerChildConfig);
  const server = forkQueueChild<ServerReady>(config, { dir: http.cpuProfDir, as: `peer-${peer}-${attempt}` });
  try {
    const ready = await server.ready;
    const credentials = ready.credentials;
    const request = (durationSeconds: number, label: string): LoadRequest => ({
      type: 'load',
      port: ready.port,
      credentials,
      signing: http.signing,
      bodies: http.bodies,
      options: { connections: http.connections, durationMs: durationSeconds * 1000 },
      label,
    });
    if (http.warmupSeconds > 0) await loadgen.request<LoadResult>(request(http.warmupSeconds, `${peer} warm-up`));
    const cpuBefore = processCpuSeconds(server.pid);
    const load = await loadgen.request<LoadResult>(request(http.durationSeconds, peer));
    const serverCpuSeconds = processCpuSeconds(server.pid) - cpuBefore;
    const run: PeerRun = { peer, load, serverCpuSeconds };
    if (peer === 'invoke-api' || peer === 'invoke-accept') run.completed = (await server.request<{ succeeded: number }>({ type: 'stats' })).succeeded;
    if (peer === 'sqlite-group' || peer === 'sqlite-sigv4') run.rows = (await server.request<{ rows: number }>({ type: 'stats' })).rows;
    log(`  [${peer}] ${fmtRate(load.requestsPerSecond)}, p50 ${fmtMs(load.latencyMs.p50)}, p99 ${fmtMs(load.latencyMs.p99)}; server CPU ${fmtCpu(serverCpuSeconds)}, client CPU ${fmtCpu(load.clientCpuSeconds)}${load.non2xx + load.errors > 0 ? `; ${load.non2xx + load.errors} failed, first: ${load.firstError}` : ''}`);
    return run;
  } finally {
    await server.stop(60_000);
  }
}

/** Each peer `repeat` times, interleaved (bare, SQLite, Invoke API, bare, …) so that a busy moment of the machine touches all three alike. */
export async function runPeers(loadgen: RunningChild<object>, http: HttpSettings): Promise<PeerRow[]> {
  const rows = PEERS.map((p): PeerRow => ({ peer: p.id, label: p.label, runs: [] }));
  for (let attempt = 1; attempt <= http.repeat; attempt++) {
    log(`\n[queue] HTTP accept rate, round ${attempt} of ${http.repeat}: ${http.connections} connections, ${http.durationSeconds} s each (after ${http.warmupSeconds} s of warm-up)`);
    for (const row of rows) {
      if (row.error !== undefined) continue;
      try {
        row.runs.push(await runPeer(row.peer, loadgen, http, attempt));
      } catch (error) {
        row.error = error instanceof Error ? error.message : String(error);
        log(`  [${row.peer}] failed: ${row.error}`);
      }
    }
  }
  for (const row of rows) {
    const sorted = [...row.runs].sort((a, b) => a.load.requestsPerSecond - b.load.requestsPerSecond);
    if (sorted.length > 0) row.median = sorted[Math.floor((sorted.length - 1) / 2)];
  }
  return rows;
}

/** How the load generator signed, in words for the notes. */
export function signingNote(http: Pick<HttpSettings, 'signing' | 'bodies'>): string {
  return http.signing === 'per-body'
    ? `every request signed with SigV4, each of ${fmtInt(http.bodies)} distinct bodies signed once and its signed bytes reused (re-signed every minute, so none is older than AWS's 5 minutes), so the client's signing takes no CPU from the server`
    : 'every request signed with SigV4 just before it is sent (@smithy/signature-v4, as the SDKs sign), in the load generator';
}

export interface PeerTargets {
  vsBare: number | null;
  vsSqlite: number | null;
  metBare: boolean | null;
  metSqlite: boolean | null;
}

export function reportPeers(rows: PeerRow[], http: HttpSettings, load: { before: number; after: number }, cores: number): PeerTargets {
  const rate = (id: PeerId) => rows.find((r) => r.peer === id)?.median?.load.requestsPerSecond ?? Number.NaN;
  const bare = rate('bare');
  const sqlite = rate('sqlite-group');
  const invoke = rate('invoke-api');
  const table = rows.map((row) => {
    const run = row.median;
    if (run === undefined) return [row.label, `failed: ${(row.error ?? '').split('\n')[0]}`];
    const rps = run.load.requestsPerSecond;
    const requests = run.load.ok + run.load.non2xx;
    return [
      row.label,
      fmtRate(rps),
      fmtRatio(rps / bare),
      fmtRatio(rps / sqlite),
      fmtMs(run.load.latencyMs.p50),
      fmtMs(run.load.latencyMs.p99),
      fmtCpu(run.serverCpuSeconds),
      fmtCpu(run.load.clientCpuSeconds),
      `${((run.serverCpuSeconds / Math.max(1, requests)) * 1e6).toFixed(0)} µs`,
      run.completed === undefined ? '—' : `${fmtInt(run.completed)} of ${fmtInt(run.load.ok)}`,
      run.load.non2xx + run.load.errors > 0 ? `${fmtInt(run.load.non2xx + run.load.errors)} failed` : 'all 2xx',
    ];
  });
  const vsBare = invoke / bare;
  const vsSqlite = invoke / sqlite;
  const targets: PeerTargets = {
    vsBare: Number.isFinite(vsBare) ? vsBare : null,
    vsSqlite: Number.isFinite(vsSqlite) ? vsSqlite : null,
    metBare: Number.isFinite(vsBare) ? vsBare >= 0.5 : null,
    metSqlite: Number.isFinite(vsSqlite) ? vsSqlite >= 0.8 : null,
  };
  const verdict = (met: boolean | null) => (met === null ? 'not measured' : met ? 'MET' : 'NOT MET');
  const notes = [
    `Same load generator for all (bench/http-load.ts, its own process): ${http.connections} keep-alive connections, one request in flight on each, for ${http.durationSeconds} s after ${http.warmupSeconds} s of warm-up;`,
    `  POST ${INVOKE_PATH}, X-Amz-Invocation-Type: Event, a {"function":"noop","i":…} body; ${signingNote(http)}.`,
    '  The first two peers check no signature (they get the same signed bytes); the third checks every one with the runtime\'s verifier (src/runtime/sigv4.ts), as the Invoke API does.',
    `Invoke API: the real server (startServer, LEEDZ_APP=example, process-crash durability, pool ${http.poolSize ?? '16, the server default'}) with the no-op controller registered; each 202 after its event is committed; its worker runs the events`,
    '  meanwhile in the same process ("completed": Event invocations finished by the end of the load). "Queue paused": the same server holding the queue, so that it only',
    '  accepts (each event still committed before its 202): the share of the accept path alone, beside the full row that also runs every event. The targets use the full row.',
    'SQLite peer: node:http, better-sqlite3, WAL, synchronous=NORMAL, one INSERT per request (a random UUID, the body, a timestamp) and one transaction per event-loop turn (setImmediate), 202 after the commit.',
    '  With the SigV4 check: the same, each request verified (headers, then the SHA-256 of its body) before its insert: not a target, the floor of any server that must check a signature and store the event.',
    `CPU: server = the server's process (/proc/<pid>/stat), client = the load generator, both over the measured seconds only. Median of ${http.repeat} interleaved round(s) per server${http.repeat > 1 ? ` (${rows.map((r) => `${r.peer}: ${r.runs.map((x) => fmtRate(x.load.requestsPerSecond)).join(', ')}`).join('; ')})` : ''}.`,
    loadNote(load.before, load.after, cores),
    '',
    `Target: Invoke API ≥ 0.5 × bare HTTP: ${fmtRate(invoke)} ÷ ${fmtRate(bare)} = ${fmtRatio(vsBare)} — ${verdict(targets.metBare)}`,
    `Target: Invoke API ≥ 0.8 × the SQLite-insert server: ${fmtRate(invoke)} ÷ ${fmtRate(sqlite)} = ${fmtRatio(vsSqlite)} — ${verdict(targets.metSqlite)}`,
  ];
  printTable({
    title: `HTTP accept rate: the Invoke API beside node:http and node:http + SQLite, same load, same signed requests (${process.version}, ${cores} cores)`,
    columns: [
      { header: 'server' },
      { header: 'req/s', align: 'right' },
      { header: '× bare', align: 'right' },
      { header: '× SQLite', align: 'right' },
      { header: 'p50', align: 'right' },
      { header: 'p99', align: 'right' },
      { header: 'CPU server', align: 'right' },
      { header: 'CPU client', align: 'right' },
      { header: 'server CPU/req', align: 'right' },
      { header: 'completed', align: 'right' },
      { header: 'check' },
    ],
    rows: table,
    notes,
  });
  return targets;
}
