/**
 * `POST /api/leedz/{trade}/{id}/report {reason}`: a signed-in user reports a leed. The report is kept
 * for the operator (the console's Reports tab) and, committed with it, the admin is emailed
 * asynchronously. One report per leed and reporter: reporting again changes nothing.
 */
import { z } from 'zod';
import { prepare } from '../../framework/invoker.js';
import type { Controllers } from '../controllers/controllers.js';
import type { MarketplaceDeps } from '../deps.js';
import { CONTROL_MESSAGE, hasControlCharacters } from '../domain/validation.js';
import { defineHttpFunction, outboxMessage, signedInCallerAndLeed } from './define-http-function.js';
import { accepted, parseWith } from './http.js';

export const reportBodySchema = z.strictObject({
  // Missing and the wrong type are told apart by describeIssue ("is required", "must be text").
  reason: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(1000, 'must be at most 1,000 characters')
    .refine((text) => !hasControlCharacters(text, { lines: true }), CONTROL_MESSAGE),
});

export function createReportLeed(deps: MarketplaceDeps, controllers: Controllers) {
  return defineHttpFunction('reportLeed', {
    table: ['get', 'put'],
    handler: async (request, ctx) => {
      const found = await signedInCallerAndLeed(deps, request);
      if (!found.ok) return found.result;
      const { caller, leed } = found;
      const body = parseWith(reportBodySchema, request.body ?? {});
      if (!body.ok) return body.result;
      const { trade, id } = leed;
      const { reason } = body.value;
      const email = outboxMessage(
        prepare(ctx, controllers.emailHelper).reportLeed({ leedId: id, trade, reporter: caller.username, reason }, { idempotencyKey: `report:${id}:${caller.username}` }),
      );
      await deps.store.addReport({ id: `${id}:${caller.username}`, leedId: id, trade, reporter: caller.username, reason, createdAt: deps.now().toISOString() }, [email]);
      return accepted();
    },
  });
}
