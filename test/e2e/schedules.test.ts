/**
 * The marketplace server runs the stack's schedules itself (src/server/schedules.ts): as it starts,
 * bookkeeping's leedzEnded runs, in the invocation log like the EventBridge rule's invocation on AWS,
 * and a leed that ended while the server was stopped comes off its trade's count.
 */
import { afterEach, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';
import { aLeed, at, aUser } from '../helpers/builders.js';
import { tempDir } from '../helpers/temp-dir.js';

let t: TestServer | undefined;
const dir = tempDir('leedz-schedules-');

afterEach(async () => {
  await t?.close();
  t = undefined;
  dir.cleanup();
});

it('as the server starts, bookkeeping takes the leedz that ended off their trades’ counts', async () => {
  // The clock is past the gig of the leed the store holds by the time the server starts.
  let clock = new Date(at('2030-05-01T00:00'));
  t = await startTestServer({ now: () => clock, dataDir: dir.path });
  const store = t.server.marketplace!.store;
  await store.addTrades([{ name: 'dj' }]);
  await store.createUser(aUser({ username: 'pat' }), []);
  await store.insertLeed(aLeed({ start: at('2030-05-10T18:00'), end: at('2030-05-10T20:00') }), []);
  await store.applyBookkeeping('posted', { trades: { dj: 1 } });
  await t.close();

  clock = new Date(at('2030-05-11T00:00'));
  const again = await startTestServer({ now: () => clock, schedules: true, dataDir: dir.path });
  t = again;
  await again.settle();

  const runs = again.server.runtime.listInvocations({ function: 'bookkeeping', withPayload: true });
  expect(runs.map((run) => ({ type: run.type, outcome: run.outcome, payload: run.payload }))).toEqual([{ type: 'Event', outcome: 'Success', payload: { function: 'leedzEnded' } }]);
  expect((await again.api('GET', '/api/trades')).body.trades).toEqual([{ name: 'dj', leedCount: 0 }]);
});
