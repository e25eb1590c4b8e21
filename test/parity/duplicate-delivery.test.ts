/**
 * Parity 7 — at-least-once delivery, made visible: a setting delivers a fraction of events twice,
 * and every event out of order.
 *
 * What AWS does: "Even if your function doesn't return an error, it's possible for it to receive the
 * same event from Lambda multiple times because the queue itself is eventually consistent"; events
 * are not delivered in order (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html). Handlers must be idempotent.
 *
 * Locally `duplicateDelivery` (the server's `LEEDZ_DUPLICATE_DELIVERY`) is the fraction of accepted
 * events that run twice: the copy is its own row in the invocation log, with `duplicateOf` naming the
 * original. The marketplace end to end with it on: `duplicate-delivery-e2e.test.ts`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, defineFunction } from '../../src/framework/define.js';
import { seededRandom, tempRuntime, type TempRuntime } from '../helpers/parity.js';

let deliveries: number[];

const counter = defineController('counter', {
  count: {
    payload: z.object({ n: z.number().int() }),
    handler: ({ n }) => {
      deliveries.push(n);
    },
  },
});

const lookup = defineFunction('lookup', { input: z.object({ n: z.number().int() }), handler: ({ n }) => void deliveries.push(n) });

let local: TempRuntime | undefined;

afterEach(async () => {
  await local?.cleanup();
  local = undefined;
});

/** A runtime with the setting, and `count` events sent to it, all ended. */
async function deliver(count: number, duplicateDelivery: number, random?: () => number) {
  deliveries = [];
  local = tempRuntime({ duplicateDelivery, ...(random === undefined ? {} : { random }) });
  local.runtime.register(counter).register(lookup).start();
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const accepted = await local.runtime.invoke('counter', { function: 'count', n }, 'Event');
    expect(accepted.statusCode).toBe(202);
    ids.push(accepted.requestId!);
  }
  await local.runtime.drain();
  return { ids, log: local.runtime.listInvocations({ function: 'counter', limit: 10_000, withPayload: true }) };
}

/** How many times each event ran. */
function runsPerEvent(count: number): number[] {
  return Array.from({ length: count }, (_, n) => deliveries.filter((d) => d === n).length);
}

describe('duplicateDelivery', () => {
  it('1: every accepted event runs twice — two log rows, the copy with duplicateOf naming the original and the same payload', async () => {
    const { ids, log } = await deliver(20, 1);
    expect(runsPerEvent(20)).toEqual(Array(20).fill(2));
    expect(log).toHaveLength(40);
    expect(log.every((row) => row.outcome === 'Success')).toBe(true);

    const copies = log.filter((row) => row.duplicateOf !== null);
    const originals = log.filter((row) => row.duplicateOf === null);
    expect(originals.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(copies.map((row) => row.duplicateOf).sort()).toEqual([...ids].sort());
    for (const copy of copies) {
      const original = originals.find((row) => row.id === copy.duplicateOf)!;
      expect(copy.id).not.toBe(original.id);
      expect(copy.payload).toEqual(original.payload);
    }
  });

  it('0.5 with a seeded random source: roughly half of the events run twice, the others once', async () => {
    const { log } = await deliver(200, 0.5, seededRandom(8));
    const copies = log.filter((row) => row.duplicateOf !== null).length;
    expect(copies).toBeGreaterThanOrEqual(70);
    expect(copies).toBeLessThanOrEqual(130);
    const runs = runsPerEvent(200);
    expect(runs.every((r) => r === 1 || r === 2)).toBe(true);
    expect(runs.filter((r) => r === 2)).toHaveLength(copies);
  });

  it('on: events are delivered out of the order they were sent in', async () => {
    await deliver(50, 0.5, seededRandom(21));
    const firstRuns = deliveries.filter((n, index) => deliveries.indexOf(n) === index);
    expect(firstRuns).toHaveLength(50);
    expect(firstRuns).not.toEqual([...firstRuns].sort((a, b) => a - b));
  });

  it('0 (the default): no event runs twice, and events run in the order they were sent', async () => {
    const { log } = await deliver(50, 0);
    expect(runsPerEvent(50)).toEqual(Array(50).fill(1));
    expect(log.every((row) => row.duplicateOf === null)).toBe(true);
    expect(deliveries).toEqual(Array.from({ length: 50 }, (_, n) => n));
  });

  it('applies to asynchronous invocations only: a synchronous call runs once even at 1', async () => {
    await deliver(0, 1);
    await local!.runtime.invoke('lookup', { n: 7 }, 'RequestResponse');
    await local!.runtime.drain();
    expect(deliveries).toEqual([7]);
  });
});
