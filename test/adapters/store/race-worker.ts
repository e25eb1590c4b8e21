/**
 * A child process for the cross-process race test: opens the store file given on the command line,
 * prints `ready`, and when a line arrives on stdin tries to post overlapping leedz at one place.
 * Then prints one line of JSON: `{ inserted, conflicts }`. Any other error fails the process.
 *
 * Usage: node --import tsx test/adapters/store/race-worker.ts <db path> <worker name>
 */
import { createSqliteStore } from '../../../src/adapters/store/sqlite/sqlite-store.js';
import { ConflictError } from '../../../src/leedz/ports.js';
import { aLeed } from '../../helpers/builders.js';

const [path, worker] = process.argv.slice(2);
if (path === undefined || worker === undefined) {
  console.error('usage: race-worker.ts <db path> <worker name>');
  process.exit(2);
}

const SLOTS = 300;
const HOUR = 3_600_000;
const base = Date.parse('2030-06-01T00:00:00.000Z');
const store = createSqliteStore({ path });
// The test starts every worker at once, when all are ready, so that their transactions interleave.
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));

let inserted = 0;
let conflicts = 0;
// Each worker walks the slots in its own order, so that they meet all over the calendar.
const order = Array.from({ length: SLOTS }, (_, i) => i);
if (worker === 'b') order.reverse();
if (worker === 'c') order.sort((x, y) => (x % 7) - (y % 7) || x - y);
for (const slot of order) {
  // Two-hour gigs starting every hour: each one overlaps its neighbours.
  const start = base + slot * HOUR;
  const leed = aLeed({ id: `l_${worker}_${slot}`, start: new Date(start).toISOString(), end: new Date(start + 2 * HOUR).toISOString() });
  try {
    await store.insertLeed(leed, [{ id: `posted:${leed.id}`, target: 'bookkeeping', payload: { function: 'leedPosted', leedId: leed.id } }]);
    inserted++;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    conflicts++;
  }
}
store.close();
console.log(JSON.stringify({ inserted, conflicts }));
