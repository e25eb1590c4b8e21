/** `POST /api/leedz/{trade}/{id}/report {reason}`: a signed-in user reports a leed; the admin is emailed asynchronously. */
import { z } from 'zod';
import { invoke } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import type { MarketplaceDeps } from '../deps.js';
import { defineHttpFunction, signedInCallerAndLeed } from './define-http-function.js';
import { accepted, parseWith } from './http.js';

export const reportBodySchema = z.strictObject({
  reason: z.string({ error: 'is required' }).trim().min(1, 'is required').max(1000, 'must be at most 1,000 characters'),
});

export function createReportLeed(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('reportLeed', {
    table: 'read',
    invokes: [controllers.emailHelper],
    handler: async (request, ctx) => {
      const found = await signedInCallerAndLeed(deps, request);
      if (!found.ok) return found.result;
      const { caller, leed } = found;
      const body = parseWith(reportBodySchema, request.body ?? {});
      if (!body.ok) return body.result;
      const { trade, id } = leed;
      // Nothing is stored, so there is nothing to commit with it: hand the email off directly.
      await invoke(ctx, controllers.emailHelper).reportLeed.event(
        { leedId: id, trade, reporter: caller.username, reason: body.value.reason },
        { idempotencyKey: `report:${id}:${caller.username}` },
      );
      return accepted();
    },
  });
}
