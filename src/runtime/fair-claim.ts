/**
 * How the worker fills its free slots from the lanes that have due events (a lane is a function, or
 * one route of a controller). Lambda scales each function on its own; here they share one pool, so a
 * backlog in one lane must not hold another's events behind it: lanes with fewer of their events
 * running are asked first (ties in turn, rotating), each for its share of the free slots, and the
 * slots left go to whichever lanes still have due events. Pure: the claim itself is the caller's.
 *
 * @example
 * const { claimed, exhausted } = claimFairly({ lanes: ['emailHelper:notifyBatch', 'emailHelper:magicLink'],
 *   running: (lane) => runningByLane.get(lane) ?? 0, free: 4, turn: 7, claim: (lane, n) => log.claimLane(owner, lane, now, n) });
 */

export interface FairClaim<Row> {
  /** Lanes that may have due events. */
  lanes: readonly string[];
  /** How many of a lane's events are running now. */
  running(lane: string): number;
  /** Free slots to fill. */
  free: number;
  /** A counter that grows with each call: which of the equally busy lanes goes first. */
  turn: number;
  /** Take up to `count` due events of `lane`; fewer means it has no more now. */
  claim(lane: string, count: number): Row[];
}

/** The rows claimed, in the order they were, and the lanes that ran out of due events. */
export function claimFairly<Row>(plan: FairClaim<Row>): { claimed: Row[]; exhausted: Set<string> } {
  const claimed: Row[] = [];
  const exhausted = new Set<string>();
  const count = plan.lanes.length;
  if (count === 0 || plan.free <= 0) return { claimed, exhausted };
  const start = plan.turn % count;
  const order = [...plan.lanes.slice(start), ...plan.lanes.slice(0, start)];
  // Stable: equally busy lanes keep their rotated order.
  order.sort((a, b) => plan.running(a) - plan.running(b));
  let free = plan.free;
  const share = Math.max(1, Math.ceil(free / count));
  for (const cap of [share, Infinity]) {
    for (const lane of order) {
      if (free <= 0) break;
      if (exhausted.has(lane)) continue;
      const wanted = Math.min(free, cap);
      const rows = plan.claim(lane, wanted);
      free -= rows.length;
      claimed.push(...rows);
      if (rows.length < wanted) exhausted.add(lane);
    }
  }
  return { claimed, exhausted };
}
