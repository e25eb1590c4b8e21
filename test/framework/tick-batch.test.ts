import { setImmediate as nextPass } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createTickBatch } from '../../src/framework/tick-batch.js';

describe('createTickBatch', () => {
  it('hands everything added in one pass of the event loop to one flush, after the pass', async () => {
    const flushes: number[][] = [];
    const batch = createTickBatch<number>((items) => flushes.push(items));
    batch.add(1);
    batch.add(2);
    await Promise.resolve();
    batch.add(3);
    expect(flushes).toEqual([]);
    expect(batch.size).toBe(3);
    await nextPass();
    expect(flushes).toEqual([[1, 2, 3]]);
    expect(batch.size).toBe(0);
  });

  it('starts a new batch with the next pass, and flushNow empties it at once', async () => {
    const flushes: string[][] = [];
    const batch = createTickBatch<string>((items) => flushes.push(items));
    batch.add('a');
    await nextPass();
    batch.add('b');
    batch.flushNow();
    expect(flushes).toEqual([['a'], ['b']]);
    await nextPass();
    // Nothing left for the pass that was already scheduled: no empty flush.
    expect(flushes).toEqual([['a'], ['b']]);
  });
});
