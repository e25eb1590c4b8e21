/**
 * Moderation: the operator's view of the reports and what they decide — dismiss a report, or take
 * the leed down, which emails its poster, tells the vendors who were emailed about it that it is
 * withdrawn, and takes it off the counters (all committed with the take-down, for the controllers).
 *
 * These are request-response functions of the local runtime only (the console's Reports tab reaches
 * them behind the operator's session, `src/server/marketplace-wiring.ts`). On AWS there is no
 * console and no operator endpoint: reports reach the admin by email.
 *
 * @example
 * const [listReports, resolveReport] = createModeration(deps, controllers);
 * runtime.registerAll([listReports, resolveReport]);
 */
import { z } from 'zod';
import { defineFunction } from '../framework/define.js';
import { prepare } from '../framework/invoker.js';
import type { Controllers } from './controllers/controllers.js';
import { formatGigTime } from './domain/time-zone.js';
import type { MarketplaceDeps } from './deps.js';
import { outboxMessage } from './functions/define-http-function.js';
import { ok, problem, type HttpResult } from './functions/http.js';
import { NotFoundError, StateError, type ReportView } from './ports.js';

export const listReportsInput = z.object({ which: z.enum(['open', 'closed']).default('open'), limit: z.int().min(1).max(500).default(200) });
export const resolveReportInput = z.object({ id: z.string().min(1).max(200), action: z.enum(['dismiss', 'take-down']) });

export function createModeration(deps: MarketplaceDeps, controllers: Controllers) {
  const { store } = deps;

  const listReports = defineFunction('listReports', {
    input: listReportsInput,
    table: ['get', 'query'],
    handler: async ({ which, limit }): Promise<HttpResult> => {
      const reports = await store.listReports(which, limit);
      const views: ReportView[] = [];
      for (const report of reports) {
        const leed = await store.getLeed(report.trade, report.leedId);
        views.push({
          ...report,
          leed:
            leed === undefined
              ? null
              : { title: leed.title, creator: leed.creator, status: leed.status, when: formatGigTime(leed.start, leed.end, leed.timeZone), zip: leed.zip, location: leed.location, price: leed.price, details: leed.details },
        });
      }
      return ok({ reports: views });
    },
  });

  const resolveReport = defineFunction('resolveReport', {
    input: resolveReportInput,
    table: ['get', 'query', 'put', 'update', 'delete'],
    handler: async ({ id, action }, ctx): Promise<HttpResult> => {
      const report = await store.getReport(id);
      if (report === undefined) return problem('NOT_FOUND', `report ${id} not found`);
      if (report.status !== 'open') return problem('CONFLICT', `this report is already ${report.status}`);
      const now = deps.now().toISOString();
      if (action === 'dismiss') return ok({ report: await store.resolveReport(id, 'dismissed', now) });

      const { trade, leedId } = report;
      const work = { leedId, trade };
      try {
        await store.takeDownLeed(trade, leedId, [
          outboxMessage(prepare(ctx, controllers.bookkeeping).leedDeleted(work, { idempotencyKey: `deleted:${leedId}` })),
          outboxMessage(prepare(ctx, controllers.emailHelper).leedTakenDown(work, { idempotencyKey: `taken-down:${leedId}` })),
          outboxMessage(prepare(ctx, controllers.emailHelper).leedNews({ ...work, news: { kind: 'withdrawn', by: 'operator' } }, { idempotencyKey: `news:${leedId}:withdrawn` })),
        ]);
      } catch (error) {
        if (error instanceof NotFoundError) return problem('NOT_FOUND', 'the leed of this report no longer exists');
        if (error instanceof StateError) {
          return problem('CONFLICT', `the leed is ${(await store.getLeed(trade, leedId))?.status ?? 'gone'}: only an active leed can be taken down; dismiss the report instead`);
        }
        throw error;
      }
      // Every open report of that leed is settled by the take-down, not only this one.
      const others = (await store.listReports('open', 500)).filter((r) => r.leedId === leedId && r.id !== id);
      for (const other of others) await store.resolveReport(other.id, 'taken-down', now).catch(() => undefined);
      return ok({ report: await store.resolveReport(id, 'taken-down', now) });
    },
  });

  return [listReports, resolveReport] as const;
}
