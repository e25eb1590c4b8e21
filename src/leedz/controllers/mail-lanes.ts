/**
 * Where each route of `emailHelper` runs on AWS. The local runtime gives every route of a controller
 * a lane of its own, so a sign-in link never waits behind a fan-out's batches; on AWS a Lambda has one
 * queue, so the bulk routes run in a second Lambda of the same code (`emailHelperBulk`), with its own
 * reserved concurrency and its own share of SES's sending rate (`infra/mail-rate.ts`). The AWS
 * transport sends these routes there (`src/lambda/aws-deps.ts`); nothing else knows.
 *
 * No imports: the Lambdas' bundles read this without the controller.
 *
 * @example
 * laneOf('emailHelper', 'notifyBatch'); // → 'emailHelperBulk'
 * laneOf('emailHelper', 'magicLink');   // → 'emailHelper'
 */

/** The routes of `emailHelper` that send bulk mail, a page of recipients each. */
export const BULK_ROUTES = ['notifyBatch', 'leedNewsBatch'] as const;

/** The Lambda that runs the bulk routes of `emailHelper`. */
export const BULK_LANE = 'emailHelperBulk';

/** Each controller's lanes beside its own Lambda: the Lambda's name and the routes it runs. */
export const LANES: Readonly<Record<string, { lambda: string; routes: readonly string[] }>> = {
  emailHelper: { lambda: BULK_LANE, routes: BULK_ROUTES },
};

/** The Lambda that runs `route` of `controller`: its lane's, or the controller's own. */
export function laneOf(controller: string, route: unknown): string {
  const lane = LANES[controller];
  return lane !== undefined && typeof route === 'string' && lane.routes.includes(route) ? lane.lambda : controller;
}
