/**
 * `DELETE /api/leedz/{trade}/{id}`: the creator withdraws an active, unsold leed whose end has not
 * passed; counters follow asynchronously, and the vendors who were emailed about it are told it is
 * withdrawn.
 */
import { prepare } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import { hasEnded } from '../domain/leed.js';
import type { MarketplaceDeps } from '../deps.js';
import { NotFoundError } from '../ports.js';
import { defineHttpFunction, outboxMessage, signedInCallerAndLeed } from './define-http-function.js';
import { noContent, notFound, problem } from './http.js';

export function createDeleteLeed(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('deleteLeed', {
    table: ['get', 'put', 'update', 'delete'],
    handler: async (request, ctx) => {
      const found = await signedInCallerAndLeed(deps, request);
      if (!found.ok) return found.result;
      const { caller, leed: current } = found;
      const { trade, id } = current;
      if (current.creator !== caller.username) return problem('FORBIDDEN', 'only the creator of a leed may delete it');
      // The store refuses a leed that is not active; one stored active whose end has passed is over
      // all the same (a gig that happened: nothing to withdraw, and its counters stay as they are).
      if (current.status === 'active' && hasEnded(current, deps.now())) return problem('CONFLICT', 'this leed has expired (its end has passed) and can no longer be deleted');
      const outbox = [
        outboxMessage(prepare(ctx, controllers.bookkeeping).leedDeleted({ leedId: id, trade }, { idempotencyKey: `deleted:${id}` })),
        outboxMessage(prepare(ctx, controllers.emailHelper).leedNews({ leedId: id, trade, news: { kind: 'withdrawn', by: 'creator' } }, { idempotencyKey: `news:${id}:withdrawn` })),
      ];
      try {
        await deps.store.deleteLeed(trade, id, caller.username, outbox);
      } catch (error) {
        // Gone meanwhile: said as the leed's 404. The store's other refusals are answered as every
        // function's are (defineHttpFunction).
        if (error instanceof NotFoundError) return notFound('leed');
        throw error;
      }
      return noContent();
    },
  });
}
