import { describe, expect, it } from 'vitest';
import { NonRetriableError, RetryAfterError } from '../../../src/framework/errors.js';
import { forEachConcurrently } from '../../../src/leedz/controllers/concurrency.js';

/** A task over recipients that fails as told, after a turn of the event loop. */
function task(outcomes: Record<string, Error>, done: string[]) {
  return async (item: string) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    const failure = outcomes[item];
    if (failure !== undefined) throw failure;
    done.push(item);
  };
}

const refused = (to: string) => new NonRetriableError(`550 no such user ${to}`, { code: 'RECIPIENT_REFUSED' });

describe('forEachConcurrently: the outcome of a batch', () => {
  it('runs every item, at most `limit` at a time', async () => {
    let running = 0;
    let most = 0;
    const items = Array.from({ length: 30 }, (_, i) => i);
    await forEachConcurrently(items, 4, async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      running -= 1;
    });
    expect(most).toBe(4);
  });

  it('a permanent refusal of one recipient is returned, not thrown, and the others all run', async () => {
    const done: string[] = [];
    const { failed } = await forEachConcurrently(['a', 'b', 'c', 'd'], 2, task({ a: refused('a') }, done));
    expect(done.sort()).toEqual(['b', 'c', 'd']);
    expect(failed.map(({ item, error }) => [item, (error as NonRetriableError).code])).toEqual([['a', 'RECIPIENT_REFUSED']]);
  });

  it('a throttle wins over a permanent refusal that came first: the batch throws the retriable error, so it is retried', async () => {
    const done: string[] = [];
    const outcome = forEachConcurrently(['a', 'b', 'c', 'd'], 1, task({ a: refused('a'), c: new RetryAfterError('throttled', 1_000) }, done));
    await expect(outcome).rejects.toBeInstanceOf(RetryAfterError);
    expect(done).toEqual(['b', 'd']);
  });

  it('of several throttles, the one with the longest delay is thrown; a RetryAfterError over a plain error', async () => {
    const outcome = forEachConcurrently(['a', 'b', 'c'], 3, task({ a: new Error('socket hang up'), b: new RetryAfterError('rate', 1_000), c: new RetryAfterError('daily quota', 600_000) }, []));
    const error = await outcome.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryAfterError);
    expect((error as RetryAfterError).retryAfterMs).toBe(600_000);
    await expect(forEachConcurrently(['a', 'b'], 2, task({ a: new Error('socket hang up'), b: refused('b') }, []))).rejects.toThrow('socket hang up');
  });

  it('stops starting tasks when the signal aborts, and throws its reason', async () => {
    const controller = new AbortController();
    const done: string[] = [];
    const outcome = forEachConcurrently(['a', 'b', 'c'], 1, async (item) => {
      done.push(item);
      if (item === 'a') controller.abort(new Error('timed out'));
    }, controller.signal);
    await expect(outcome).rejects.toThrow('timed out');
    expect(done).toEqual(['a']);
  });

  it('refuses a limit that is not a positive integer', async () => {
    await expect(forEachConcurrently([1], 0, async () => {})).rejects.toThrow(RangeError);
  });
});
