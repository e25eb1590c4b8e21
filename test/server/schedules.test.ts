/**
 * The local server's schedules (src/server/schedules.ts) stand in for the stack's EventBridge rules:
 * each invokes its function with `Event` and its payload as the server starts, then at its rate, and
 * no more once stopped; a refused invocation is logged, and the next one still comes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InvocationType, Transport } from '../../src/framework/transport.js';
import { LEEDZ_ENDED_SCHEDULE } from '../../src/leedz/controllers/bookkeeping.js';
import { MARKETPLACE_SCHEDULES, startSchedules } from '../../src/server/schedules.js';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

function recording(refuse = false): Transport & { calls: { functionName: string; payload: unknown; type: InvocationType }[] } {
  const calls: { functionName: string; payload: unknown; type: InvocationType }[] = [];
  return {
    calls,
    invoke: async (functionName, payload, type) => {
      calls.push({ functionName, payload, type });
      if (refuse) throw new Error('The local runtime is shut down');
      return { statusCode: 202 };
    },
  };
}

describe('the local schedules', () => {
  it('the marketplace’s is bookkeeping’s leedzEnded, every 5 minutes, as the stack’s rule', () => {
    expect(MARKETPLACE_SCHEDULES).toEqual([{ functionName: 'bookkeeping', everyMinutes: LEEDZ_ENDED_SCHEDULE.everyMinutes, payload: { function: 'leedzEnded' } }]);
  });

  it('invoke at once, then at each period, with Event, until stopped', async () => {
    const transport = recording();
    const schedules = startSchedules(transport, [{ functionName: 'bookkeeping', everyMinutes: 5, payload: { function: 'leedzEnded' } }], () => {});
    expect(transport.calls).toEqual([{ functionName: 'bookkeeping', payload: { function: 'leedzEnded' }, type: 'Event' }]);

    await vi.advanceTimersByTimeAsync(5 * 60_000 - 1);
    expect(transport.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(transport.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(transport.calls).toHaveLength(4);

    schedules.stop();
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(transport.calls).toHaveLength(4);
  });

  it('log a refused invocation, and still invoke at the next period', async () => {
    const transport = recording(true);
    const logged: string[] = [];
    const schedules = startSchedules(transport, [{ functionName: 'bookkeeping', everyMinutes: 5, payload: {} }], (line) => logged.push(line));
    await vi.advanceTimersByTimeAsync(5 * 60_000);

    expect(transport.calls).toHaveLength(2);
    expect(logged).toEqual(['schedule: bookkeeping could not be invoked: The local runtime is shut down', 'schedule: bookkeeping could not be invoked: The local runtime is shut down']);
    schedules.stop();
  });
});
