/**
 * `PATCH /api/leedz/{trade}/{id}`: the creator changes an active leed whose end has not passed. A
 * new location is geocoded again, and a new place or time is checked for conflicts again (atomically,
 * by the store). A start or end sent as a wall time is read in the zone of the new location, or of the
 * leed's own place.
 * A new time or place is news for the vendors who were emailed about the leed: it is committed with
 * the change, for emailHelper to tell them. The price cannot change while a buyer's checkout hold
 * lasts (409).
 */
import { prepare } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import { hasEnded, validateLeedPatch } from '../domain/leed.js';
import { formatClockInZone, formatGigTime } from '../domain/time-zone.js';
import { firstPerPath } from '../domain/validation.js';
import type { MarketplaceDeps } from '../deps.js';
import { HeldError } from '../ports.js';
import { defineHttpFunction, leedPlace, locate, outboxMessage, signedInCallerAndLeed } from './define-http-function.js';
import { invalid, ok, PRIVATE, problem, storeProblem } from './http.js';
import { chargeDoubleBooking, placementLimited } from './placement-limit.js';

export function createEditLeed(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('editLeed', {
    // Moved to a place that has bookings: the store queries them (the conflict check). A new price
    // is written on the condition that no checkout hold lasts (a condition check).
    table: ['get', 'query', 'put', 'update', 'delete', 'condition-check'],
    // The client's contact and the hidden fields are what a buyer pays for: never in the invocation
    // log, nor under a misspelt name the request is refused for (`clientemail`). A refusal's answer
    // names the fields it is about.
    sensitive: ['body.*'],
    handler: async (request, ctx) => {
      const found = await signedInCallerAndLeed(deps, request);
      if (!found.ok) return found.result;
      const { caller, leed: current } = found;
      const { trade, id } = current;
      if (current.creator !== caller.username) return problem('FORBIDDEN', 'only the creator of a leed may change it');
      if (current.status !== 'active') return problem('CONFLICT', `this leed is ${current.status} and can no longer be changed`);
      // Stored active, but over: moving its time would put a gig that happened back on sale.
      if (hasEnded(current, deps.now())) return problem('CONFLICT', 'this leed has expired (its end has passed) and can no longer be changed');
      const located = await locate(deps, request.body);
      const validation = validateLeedPatch(request.body, current, deps.now(), located.place?.timeZone ?? current.timeZone);
      if (!validation.ok || located.problem !== undefined) {
        return invalid(firstPerPath([...(located.problem === undefined ? [] : [located.problem]), ...(validation.ok ? [] : validation.fields)]));
      }
      const changes: Parameters<typeof deps.store.updateLeed>[3] = { ...validation.value };
      if (changes.location !== undefined) {
        const place = located.place ?? (await leedPlace(deps, changes.location));
        if (place === undefined) return invalid([{ path: 'location', message: 'could not be found: check the street address and the zip' }]);
        Object.assign(changes, { zip: place.zip, point: place.point, placeKey: place.placeKey, timeZone: place.timeZone });
      }
      const moved = (changes.start !== undefined && changes.start !== current.start) || (changes.end !== undefined && changes.end !== current.end) || (changes.placeKey !== undefined && changes.placeKey !== current.placeKey);
      if (moved) {
        // Counted before the double-booking check, so that a refusal tells nothing of the place.
        const limited = await placementLimited(deps, caller.username);
        if (limited !== undefined) return limited;
      }
      const news = moved
        ? [
            outboxMessage(
              prepare(ctx, controllers.emailHelper).leedNews(
                { leedId: id, trade, news: { kind: 'changed', change: ctx.awsRequestId, previous: { start: current.start, end: current.end, zip: current.zip, timeZone: current.timeZone } } },
                { idempotencyKey: `news:${id}:changed:${ctx.awsRequestId}` },
              ),
            ),
          ]
        : [];
      try {
        // A buyer checking out is paying this price: it stays until their hold ends, which the store
        // decides with the write (a checkout racing this edit is seen). Only the price is held back,
        // because it is all the checkout charges; the other fields reach the buyer as they are at the
        // sale (the receipt), and holding them too would let any buyer's checkout block the seller's
        // corrections.
        const updated = await deps.store.updateLeed(trade, id, caller.username, changes, news, deps.now().toISOString());
        return ok({ ...updated, when: formatGigTime(updated.start, updated.end, updated.timeZone) }, PRIVATE);
      } catch (error) {
        if (error instanceof HeldError) {
          const until = formatClockInZone(error.until, current.timeZone);
          return problem('CONFLICT', `price cannot change while a buyer is checking out this leed (until ${until}); the other fields can`, [
            { path: 'price', message: `cannot change while a buyer is checking out this leed (until ${until}); the other fields can` },
          ]);
        }
        // The store's refusal, as the API answers it (ERROR_STATUS in http.ts).
        const refused = storeProblem(error);
        if (refused === undefined) throw error;
        if (moved) await chargeDoubleBooking(deps, caller.username, error);
        return refused;
      }
    },
  });
}
