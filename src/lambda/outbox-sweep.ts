/**
 * The outbox's safety net on AWS. The stream relay (`outbox-stream-handler.ts`) hands each new
 * outbox message to its controller within seconds; when it cannot — the controller throttled for
 * longer than the stream mapping retries, a record older than its maximum age — the mapping gives up
 * on the record and its failure queue holds only a pointer into a stream that forgets after 24
 * hours. The message itself is still pending in the table. This sweep, run on a schedule, re-sends
 * every pending message older than {@link OUTBOX_SWEEP}`.olderThanMinutes` (younger ones are the
 * relay's) and marks it dispatched, so nothing the store committed is stranded.
 *
 * Delivery stays at-least-once: a message the relay is still retrying may be sent by both, and the
 * controllers' idempotency keys (the message id) absorb the second copy.
 *
 * @example
 * const result = await sweepOutbox({ store, transport, olderThanMs: 10 * 60_000 });
 * // → { delivered: 3, failed: 0 }
 */
import { errorLine } from '../framework/errors.js';
import type { Transport } from '../framework/transport.js';
import type { Store } from '../leedz/ports.js';

/** How often the sweep runs and what it takes: the stack schedules it from these. */
export const OUTBOX_SWEEP = {
  everyMinutes: 5,
  /** Pending longer than this, a message is no longer the stream relay's (it retries for seconds, not minutes). */
  olderThanMinutes: 10,
} as const;

export interface OutboxSweepOptions {
  store: Pick<Store, 'pendingOutbox' | 'markOutboxDispatched'>;
  transport: Transport;
  /** Messages created less than this long ago are left to the relay. */
  olderThanMs: number;
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** Messages read and invoked at a time (default 50). */
  batchSize?: number;
  /** At most this many messages per run, so one run fits its Lambda's timeout (default 1,000). */
  maxMessages?: number;
  /** Stop starting new batches once this is true (the invocation is about to time out). */
  shouldStop?: () => boolean;
  log?: (line: string) => void;
}

export interface OutboxSweepResult {
  /** Invoked and marked dispatched. */
  delivered: number;
  /** Could not be invoked (still pending: the next run tries again). */
  failed: number;
}

/**
 * Deliver the pending outbox messages older than `olderThanMs`, oldest first. A message that cannot
 * be invoked stays pending and is skipped for the rest of this run, so one broken target does not
 * hold back the messages behind it.
 */
export async function sweepOutbox(options: OutboxSweepOptions): Promise<OutboxSweepResult> {
  const { store, transport, olderThanMs } = options;
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 50;
  const maxMessages = options.maxMessages ?? 1_000;
  const log = options.log ?? ((line) => console.error(line));
  const cutoff = now() - olderThanMs;
  // pendingOutbox has no cursor: it answers the oldest messages, and the ones that failed in this
  // run come back first, so each read asks for that many more. A message just marked dispatched may
  // still be listed for a moment (the pending index is eventually consistent): it is skipped too.
  const failedIds = new Set<string>();
  const deliveredIds = new Set<string>();
  while (deliveredIds.size + failedIds.size < maxMessages && options.shouldStop?.() !== true) {
    const wanted = failedIds.size + Math.min(batchSize, maxMessages - deliveredIds.size - failedIds.size);
    const page = await store.pendingOutbox(wanted);
    const unseen = page.filter((message) => !failedIds.has(message.id) && !deliveredIds.has(message.id));
    // Oldest first: the first message young enough to be the relay's ends the sweep.
    const firstYoung = unseen.findIndex((message) => Date.parse(message.createdAt) > cutoff);
    const due = firstYoung === -1 ? unseen : unseen.slice(0, firstYoung);
    if (due.length === 0) break;
    const results = await Promise.allSettled(due.map((message) => transport.invoke(message.target, message.payload, 'Event')));
    const invoked: string[] = [];
    results.forEach((result, i) => {
      const message = due[i]!;
      if (result.status === 'fulfilled') invoked.push(message.id);
      else {
        failedIds.add(message.id);
        log(`outbox sweep: ${message.target} for ${message.id} (pending since ${message.createdAt}) not invoked: ${errorLine(result.reason)}`);
      }
    });
    if (invoked.length > 0) await store.markOutboxDispatched(invoked);
    for (const id of invoked) deliveredIds.add(id);
    if (firstYoung !== -1 || page.length < wanted) break;
  }
  return { delivered: deliveredIds.size, failed: failedIds.size };
}

