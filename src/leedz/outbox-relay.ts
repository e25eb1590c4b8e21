/**
 * The transactional outbox's relay: hands committed outbox messages to their controllers with an
 * Event invocation, then marks them dispatched. A crash between the two invokes a message again,
 * which the controllers' idempotency absorbs; a crash before the invoke loses nothing, because the
 * message is still pending. Locally it is nudged after every commit and also polls; on AWS the same
 * `relayOnce` runs from the table's stream.
 *
 * @example
 * const relay = createOutboxRelay({ store, transport: runtime });
 * relay.start();
 */
import type { Transport } from '../framework/transport.js';
import type { Store } from './ports.js';

export interface OutboxRelayOptions {
  store: Store;
  transport: Transport;
  batchSize?: number;
  pollIntervalMs?: number;
  onError?: (error: unknown) => void;
}

export interface OutboxRelay {
  /** Deliver what is pending now (called after a commit). */
  nudge(): void;
  start(): void;
  /** Stop polling and wait for a delivery under way. */
  stop(): Promise<void>;
  /** Deliver everything pending; resolves with how many messages went out. */
  relayOnce(): Promise<number>;
}

export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const batchSize = options.batchSize ?? 100;
  const onError = options.onError ?? (() => {});
  let running: Promise<number> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  async function deliverPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const messages = await options.store.pendingOutbox(batchSize);
      if (messages.length === 0) return total;
      const results = await Promise.allSettled(messages.map((m) => options.transport.invoke(m.target, m.payload, 'Event')));
      const delivered = messages.filter((_, i) => results[i]!.status === 'fulfilled').map((m) => m.id);
      for (const result of results) if (result.status === 'rejected') onError(result.reason);
      if (delivered.length > 0) await options.store.markOutboxDispatched(delivered);
      total += delivered.length;
      // Something could not be delivered (the runtime is shutting down, say): try again later.
      if (delivered.length < messages.length) return total;
    }
  }

  function relayOnce(): Promise<number> {
    if (running !== undefined) {
      again = true;
      return running;
    }
    running = deliverPending()
      .catch((error: unknown) => {
        onError(error);
        return 0;
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          void relayOnce();
        }
      });
    return running;
  }

  return {
    nudge: () => void relayOnce(),
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => void relayOnce(), options.pollIntervalMs ?? 500);
      timer.unref();
      void relayOnce();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
    relayOnce,
  };
}
