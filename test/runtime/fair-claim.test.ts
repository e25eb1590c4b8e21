import { describe, expect, it } from 'vitest';
import { claimFairly } from '../../src/runtime/fair-claim.js';

/** Lanes with this many due events each; `claim` takes from them. */
function queues(due: Record<string, number>) {
  const left = { ...due };
  const asked: [string, number][] = [];
  return {
    asked,
    claim: (lane: string, count: number) => {
      asked.push([lane, count]);
      const n = Math.min(count, left[lane] ?? 0);
      left[lane] = (left[lane] ?? 0) - n;
      return Array.from({ length: n }, () => lane);
    },
  };
}

describe('claiming fairly from lanes', () => {
  it('gives an idle lane a slot ahead of a busy one, even with one slot free', () => {
    const q = queues({ 'mail:notifyBatch': 1000, 'mail:magicLink': 1 });
    const running = new Map([['mail:notifyBatch', 16]]);
    const { claimed } = claimFairly({ lanes: ['mail:notifyBatch', 'mail:magicLink'], running: (l) => running.get(l) ?? 0, free: 1, turn: 0, claim: q.claim });
    expect(claimed).toEqual(['mail:magicLink']);
  });

  it('shares the free slots, then gives what is left to lanes that still have events', () => {
    const q = queues({ a: 100, b: 1, c: 100 });
    const { claimed, exhausted } = claimFairly({ lanes: ['a', 'b', 'c'], running: () => 0, free: 9, turn: 0, claim: q.claim });
    expect(claimed.filter((l) => l === 'b')).toHaveLength(1);
    expect(claimed).toHaveLength(9);
    expect(q.asked.slice(0, 3)).toEqual([
      ['a', 3],
      ['b', 3],
      ['c', 3],
    ]);
    expect(exhausted).toEqual(new Set(['b']));
  });

  it('rotates which of equally busy lanes goes first, so none waits behind another every time', () => {
    const firsts = new Set<string>();
    for (let turn = 0; turn < 3; turn++) {
      const q = queues({ a: 5, b: 5, c: 5 });
      firsts.add(claimFairly({ lanes: ['a', 'b', 'c'], running: () => 0, free: 1, turn, claim: q.claim }).claimed[0]!);
    }
    expect(firsts).toEqual(new Set(['a', 'b', 'c']));
  });

  it('asks nothing when nothing is free or no lane may have events', () => {
    const q = queues({ a: 5 });
    expect(claimFairly({ lanes: ['a'], running: () => 0, free: 0, turn: 0, claim: q.claim }).claimed).toEqual([]);
    expect(claimFairly({ lanes: [], running: () => 0, free: 4, turn: 0, claim: q.claim }).claimed).toEqual([]);
    expect(q.asked).toEqual([]);
  });
});
