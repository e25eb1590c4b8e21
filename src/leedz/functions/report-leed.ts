/** `POST /api/leedz/{trade}/{id}/report {reason}`: a signed-in user reports a leed; the admin is emailed asynchronously. */
import { z } from 'zod';
import { invoke } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import type { MarketplaceDeps } from '../deps.js';
import { authenticate, defineHttpFunction } from './define-http-function.js';
import { leedParamsSchema } from './get-leed.js';
import { accepted, notFound, parseWith, unauthenticated } from './http.js';

export const reportBodySchema = z.strictObject({
  reason: z.string({ error: 'is required' }).trim().min(1, 'is required').max(1000, 'must be at most 1,000 characters'),
});

export function createReportLeed(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('reportLeed', {
    invokes: [controllers.emailHelper],
    handler: async (request, ctx) => {
      const caller = await authenticate(deps, request);
      if (caller === undefined) return unauthenticated();
      const params = parseWith(leedParamsSchema, request.params);
      if (!params.ok) return params.result;
      const body = parseWith(reportBodySchema, request.body ?? {});
      if (!body.ok) return body.result;
      const { trade, id } = params.value;
      const leed = await deps.store.getLeed(trade, id);
      if (leed === undefined || leed.status === 'deleted') return notFound('leed');
      // Nothing is stored, so there is nothing to commit with it: hand the email off directly.
      await invoke(ctx, controllers.emailHelper).reportLeed.event(
        { leedId: id, trade, reporter: caller.username, reason: body.value.reason },
        { idempotencyKey: `report:${id}:${caller.username}` },
      );
      return accepted();
    },
  });
}
