/**
 * `POST /api/leedz`: post a leed. Does only what the client waits for — validate, geocode, check
 * for a double booking and store — and returns 201. The fan-out to subscribers and the counters are
 * committed with the leed as outbox messages and run asynchronously in the controllers.
 *
 * The location is geocoded first: its time zone is the one a start or end sent as a wall time
 * (`2027-01-09T18:00`, what the web form sends) is read in, since a gig happens where it is.
 */
import { randomBytes } from 'node:crypto';
import { prepare } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import { activeLeed, validateNewLeed } from '../domain/leed.js';
import { formatGigTime } from '../domain/time-zone.js';
import { firstPerPath } from '../domain/validation.js';
import type { MarketplaceDeps } from '../deps.js';
import { authenticate, defineHttpFunction, leedPlace, locate, outboxMessage } from './define-http-function.js';
import { created, invalid, unauthenticated, storeProblem } from './http.js';
import { chargeDoubleBooking, placementLimited } from './placement-limit.js';

export function newLeedId(): string {
  return `l_${randomBytes(9).toString('base64url')}`;
}

export function createAddLeed(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('addLeed', {
    table: ['get', 'query', 'put', 'update', 'condition-check'],
    // The client's contact and the hidden fields are what a buyer pays for: never in the invocation
    // log, nor under a misspelt name the request is refused for (`clientemail`). The answer names the
    // fields a refusal is about, and a 201's the leed's id, trade and title.
    sensitive: ['body.*'],
    handler: async (request, ctx) => {
      const caller = authenticate(request);
      if (caller === undefined) return unauthenticated();
      const now = deps.now();
      const located = await locate(deps, request.body);
      // Without a place the request is refused for its location anyway; UTC only lets the other
      // rules (duration, in the future) speak about wall times meanwhile, so one answer names all.
      const validation = validateNewLeed(request.body, now, located.place?.timeZone ?? 'UTC');
      if (!validation.ok || located.problem !== undefined) {
        return invalid(firstPerPath([...(located.problem === undefined ? [] : [located.problem]), ...(validation.ok ? [] : validation.fields)]));
      }
      const input = validation.value;
      if ((await deps.store.getTrade(input.trade)) === undefined) {
        return invalid([{ path: 'trade', message: `is not a trade of the Leedz ("${input.trade}"); see GET /api/trades` }]);
      }
      const place = located.place ?? (await leedPlace(deps, input.location));
      if (place === undefined) return invalid([{ path: 'location', message: 'could not be found: check the street address and the zip' }]);

      // Counted before the double-booking check, so that a refusal tells nothing of the place.
      const limited = await placementLimited(deps, caller.username);
      if (limited !== undefined) return limited;

      const leed = activeLeed(input, { id: newLeedId(), creator: caller.username, place, postedAt: now });
      const work = { leedId: leed.id, trade: leed.trade };
      const outbox = [
        outboxMessage(prepare(ctx, controllers.emailHelper).notifyUsers(work, { idempotencyKey: `notify:${leed.id}` })),
        outboxMessage(prepare(ctx, controllers.bookkeeping).leedPosted(work, { idempotencyKey: `posted:${leed.id}` })),
      ];
      try {
        await deps.store.insertLeed(leed, outbox);
      } catch (error) {
        // The store's refusal, as the API answers it (ERROR_STATUS in http.ts).
        const refused = storeProblem(error);
        if (refused === undefined) throw error;
        await chargeDoubleBooking(deps, caller.username, error);
        return refused;
      }
      return created({ id: leed.id, trade: leed.trade, title: leed.title, price: leed.price, timeZone: leed.timeZone, when: formatGigTime(leed.start, leed.end, leed.timeZone) });
    },
  });
}
