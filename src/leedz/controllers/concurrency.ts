/**
 * Bounded concurrency for a controller's side effects (a batch of emails): fast enough that a batch
 * fits the controller's timeout, gentle enough not to trip the mail provider's rate limit.
 */
import { isRetriable } from '../../framework/errors.js';
import { laterRetry } from '../../framework/idempotency.js';

/** What a batch left undone for good: each item a task failed with a non-retriable error. */
export interface BatchFailures<T> {
  failed: { item: T; error: unknown }[];
}

/**
 * Run `task` for every item, at most `limit` at a time. A failing task does not stop the others:
 * every task that can succeed does (with keyed effects, a retry then redoes only the failures).
 *
 * The batch's outcome, once all have settled: when any task failed with a retriable error (a
 * throttle, a broken connection), that error is thrown, so that the runtime retries the batch — of
 * several, a `RetryAfterError` with the longest delay (the retry must not come back before the
 * slowest cause is over), else the first; a retriable failure always wins over a permanent one. Tasks
 * that failed for good (a `NonRetriableError`: a recipient refused) are one item's failure each:
 * they are returned in `failed`, for the caller to record or log, and do not fail the batch. When
 * `signal` aborts (the invocation timed out), no new task starts and the abort reason is thrown.
 *
 * @example
 * const { failed } = await forEachConcurrently(recipients, 8, (recipient) => sendOnce(recipient), ctx.signal);
 * for (const { item, error } of failed) ctx.log(`not sent to ${item.email}: ${String(error)}`);
 */
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
  signal?: AbortSignal,
): Promise<BatchFailures<T>> {
  if (!(Number.isInteger(limit) && limit >= 1)) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const failed: BatchFailures<T>['failed'] = [];
  let retriable: unknown;
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length && signal?.aborted !== true) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        if (isRetriable(error)) retriable = laterRetry(retriable, error);
        else failed.push({ item, error });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (retriable !== undefined) throw retriable;
  if (signal?.aborted === true && next < items.length) throw signal.reason;
  return { failed };
}
