/**
 * Bounded concurrency for a controller's side effects (a batch of emails): fast enough that a batch
 * fits the controller's timeout, gentle enough not to trip the mail provider's rate limit.
 */

/**
 * Run `task` for every item, at most `limit` at a time. A failing task does not stop the others:
 * every task that can succeed does (with keyed effects, a retry then redoes only the failures), and
 * the first error is thrown once all have settled, unchanged, so that its class still tells the
 * runtime how to retry (a `RetryAfterError` keeps its delay). When `signal` aborts (the invocation
 * timed out), no new task starts and the abort reason is thrown.
 *
 * @example
 * await forEachConcurrently(recipients, 8, (recipient) => sendOnce(recipient), ctx.signal);
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
  signal?: AbortSignal,
): Promise<void> {
  if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const errors: unknown[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length && signal?.aborted !== true) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        errors.push(error);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
  if (signal?.aborted === true && next < items.length) throw signal.reason;
}
