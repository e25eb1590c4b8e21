/**
 * At-least-once across crashes: every worker leaves a heartbeat row; one whose heartbeat is older than
 * {@link DEAD_AFTER_MS}, or whose process is gone from this host, is dead, and the events it held
 * leased go back to the queue to be delivered again (its attempt already counted, as Lambda's would
 * be). Events leased by an owner that left no worker row at all (removed by an earlier recovery) go
 * back too.
 *
 * @example
 * recoverDeadWorkers(log, owner, Date.now(), console.log); // on start and with every heartbeat
 */
import { hostname } from 'node:os';
import type { InvocationLog } from './invocation-log.js';

/** A worker whose heartbeat is older than this is considered dead and its leased events are redelivered. */
export const DEAD_AFTER_MS = 10_000;

export function recoverDeadWorkers(log: InvocationLog, self: string, now: number, onLog: (line: string) => void): void {
  const host = hostname();
  const dead = log.workers().filter((worker) => worker.owner !== self && (now - worker.heartbeat_at > DEAD_AFTER_MS || (worker.host === host && !processAlive(worker.pid))));
  log.transaction(() => {
    for (const worker of dead) {
      const released = log.releaseWorker(worker.owner, now);
      if (released > 0) onLog(`runtime: redelivering ${released} events that were running in ${worker.owner} when it stopped`);
    }
    log.releaseOrphans(self, now);
  });
}

/** Whether a process with this id runs on this machine (EPERM: it does, another user's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
