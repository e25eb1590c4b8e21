/** `GET /api/leedz/{trade}/{id}`: the leed as its visibility allows for the caller. */
import { hasEnded } from '../domain/leed.js';
import { formatGigTime } from '../domain/time-zone.js';
import { projectLeed } from '../domain/visibility.js';
import type { MarketplaceDeps } from '../deps.js';
import { authenticate, defineHttpFunction, leedParamsSchema } from './define-http-function.js';
import { notFound, ok, parseWith, PRIVATE } from './http.js';

export function createGetLeed(deps: MarketplaceDeps) {
  return defineHttpFunction('getLeed', {
    table: ['get'],
    handler: async (request) => {
      const params = parseWith(leedParamsSchema, request.params, 'parameter');
      if (!params.ok) return params.result;
      const leed = await deps.store.getLeed(params.value.trade, params.value.id);
      if (leed === undefined || leed.status === 'deleted') return notFound('leed');
      const caller = authenticate(request);
      const view = projectLeed(leed, caller?.username ?? null);
      // An active leed whose time has passed can no longer be bought.
      const now = deps.now();
      if (view.status === 'active' && hasEnded(leed, now)) view.status = 'expired';
      view.when = formatGigTime(leed.start, leed.end, leed.timeZone);
      if (view.status === 'active') {
        const hold = await deps.store.getCheckoutHold(leed.trade, leed.id, now.toISOString());
        if (hold !== undefined) view.hold = { until: hold.until, yours: hold.buyer === caller?.username };
      }
      // A signed-in caller's view is theirs: a hold that is theirs, a client's contact for its creator or buyer.
      return caller === undefined ? ok(view) : ok(view, PRIVATE);
    },
  });
}
