/**
 * Work gathered over one pass of the event loop and handled once: every item added in this pass
 * (all the HTTP requests read in it, all the attempts that ended in it, all the idempotency records
 * completed in it) goes to one `flush` call, so they share one SQLite transaction and one WAL
 * commit. `setImmediate`, not a microtask: a microtask would flush after each I/O callback instead
 * of after the pass.
 *
 * @example
 * const inserts = createTickBatch<Row>((rows) => log.insertMany(rows));
 * inserts.add(row); // flushed with the rest of this pass
 */

export interface TickBatch<T> {
  /** Add an item to the next flush. */
  add(item: T): void;
  /** Flush now (at shutdown, or before a read that must see the items). */
  flushNow(): void;
  /** Items waiting for the next flush. */
  readonly size: number;
}

export function createTickBatch<T>(flush: (items: T[]) => void): TickBatch<T> {
  let items: T[] = [];
  let scheduled = false;
  const flushNow = () => {
    scheduled = false;
    const batch = items;
    items = [];
    if (batch.length > 0) flush(batch);
  };
  return {
    add(item) {
      items.push(item);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flushNow);
      }
    },
    flushNow,
    get size() {
      return items.length;
    },
  };
}
