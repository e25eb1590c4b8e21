/**
 * A hidden location cannot be confirmed by guessing for free. The double-booking check answers 409
 * when a trade's leed is already at a place and time, so a vendor posting, or moving their own leed,
 * to guess after guess would learn where a hidden gig is. Each vendor may post or move leedz
 * `placementsPerHour` times an hour (the default, 60: src/leedz/deps.ts); a double booking refused
 * counts 10; once the hour is spent every post or move is refused with the same 429, whether the place
 * is taken or free, and nothing is stored. The marketplace's clock is frozen: one window throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/leedz/deps.js';
import { DOUBLE_BOOKING_COST } from '../../src/leedz/functions/placement-limit.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

const LIMIT = DEFAULT_SETTINGS.placementsPerHour;
const HOUR_MS = 3_600_000;
const frozen = new Date();
const now = () => frozen;
/** The hidden gig the guesser looks for. */
const HIDDEN = { location: '500 Elm Street, Springfield, IL 62701' };

let t: TestServer;
let hidden: { start: string; end: string };

beforeAll(async () => {
  t = await startTestServer({ now });
  await t.server.marketplace!.store.addTrades([{ name: 'caricatures' }]);
  const owner = await t.signIn('ola@example.com');
  const body = newLeedBody({ ...HIDDEN, visibility: { location: 'hidden' } });
  hidden = { start: body.start as string, end: body.end as string };
  expect((await t.api('POST', '/api/leedz', { token: owner.token, body })).status).toBe(201);
});

afterAll(async () => {
  await t?.close();
});

/** What the store has counted for a vendor in this hour (a weight of 0 adds nothing). */
const placements = (username: string) => t.server.marketplace!.store.countRequest(`placements:${username}`, HOUR_MS, frozen.toISOString(), 0);

const at = (n: number) => `${100 + n} Oak Street, Springfield, IL 62701`;

describe('posting and moving leedz, per vendor and hour', () => {
  it('counts a post 1, a double booking refused 10, a move 1, and an edit that moves nothing 0', async () => {
    const vendor = await t.signIn('val@example.com');
    const post = (body: Record<string, unknown>) => t.api('POST', '/api/leedz', { token: vendor.token, body: newLeedBody(body) });
    const posted = await post({ location: at(0) });
    expect(posted.status).toBe(201);
    expect(await placements(vendor.username)).toBe(1);
    expect((await post({ ...HIDDEN, ...hidden })).status).toBe(409);
    expect(await placements(vendor.username)).toBe(1 + DOUBLE_BOOKING_COST);
    const edit = (body: Record<string, unknown>) => t.api('PATCH', `/api/leedz/caricatures/${posted.body.id}`, { token: vendor.token, body });
    expect((await edit({ title: 'Retirement party caricatures' })).status).toBe(200);
    expect(await placements(vendor.username)).toBe(1 + DOUBLE_BOOKING_COST);
    expect((await edit({ location: at(1) })).status).toBe(200);
    expect(await placements(vendor.username)).toBe(2 + DOUBLE_BOOKING_COST);
    // Moved onto the hidden gig: refused as a double booking, and counted as one.
    expect((await edit({ ...HIDDEN, ...hidden })).status).toBe(409);
    expect(await placements(vendor.username)).toBe(2 + 2 * DOUBLE_BOOKING_COST);
  });

  it('once the hour is spent, a guess at the hidden place and one at a free place get the same 429, and nothing is stored', async () => {
    const guesser = await t.signIn('gus@example.com');
    const post = (body: Record<string, unknown>) => t.api('POST', '/api/leedz', { token: guesser.token, body: newLeedBody(body) });
    // Guesses, each a double booking, while one more would leave room for a post of their own.
    let guesses = 0;
    while ((guesses + 1) * DOUBLE_BOOKING_COST < LIMIT) {
      expect((await post({ ...HIDDEN, ...hidden })).status).toBe(409);
      guesses += 1;
    }
    // The rest of the hour in ordinary posts.
    const own: string[] = [];
    for (let n = guesses * DOUBLE_BOOKING_COST; n < LIMIT; n++) {
      const posted = await post({ location: at(10 + n) });
      expect(posted.status).toBe(201);
      own.push(posted.body.id);
    }
    expect(await placements(guesser.username)).toBe(LIMIT);

    const taken = await post({ ...HIDDEN, ...hidden });
    const free = await post({ location: at(999) });
    for (const answer of [taken, free]) {
      expect(answer.status).toBe(429);
      expect(answer.body.error.code).toBe('RATE_LIMITED');
      expect(answer.body.error.message).toMatch(new RegExp(`posted or moved leedz ${LIMIT} times in this hour`));
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(answer.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
    }
    expect(taken.body).toEqual(free.body);
    // Moving one of their own leedz is refused the same way, and changes nothing.
    const move = await t.api('PATCH', `/api/leedz/caricatures/${own[0]}`, { token: guesser.token, body: { location: at(998) } });
    expect(move.status).toBe(429);
    expect((await t.api('GET', `/api/leedz/caricatures/${own[0]}`, { token: guesser.token })).body.location).toBe(at(10 + guesses * DOUBLE_BOOKING_COST));
    // Nothing stored: the free place is still free.
    const mine = await t.api('GET', '/api/me/leedz', { token: guesser.token });
    expect(mine.status).toBe(200);
    expect(JSON.stringify(mine.body)).not.toContain(at(999));
    // An edit that moves nothing is not a placement: still allowed.
    expect((await t.api('PATCH', `/api/leedz/caricatures/${own[0]}`, { token: guesser.token, body: { price: 3000 } })).status).toBe(200);
  }, 120_000);

  it('is each vendor’s own: another vendor still posts', async () => {
    const other = await t.signIn('oda@example.com');
    expect((await t.api('POST', '/api/leedz', { token: other.token, body: newLeedBody({ location: at(500) }) })).status).toBe(201);
  });
});
