/**
 * The marketplace assembled: its controllers and its request-response functions, built from one set
 * of dependencies. Composition roots register `deployables` with a runtime (or export one per Lambda).
 *
 * @example
 * const marketplace = createMarketplace(deps);
 * runtime.registerAll(marketplace.deployables);
 */
import type { Deployable } from '../framework/define.js';
import { createControllers, type Controllers } from './controllers/controllers.js';
import type { MarketplaceDeps } from './deps.js';
import { createAddLeed } from './functions/add-leed.js';
import { createBuyLeed, createCancelCheckout } from './functions/buy-leed.js';
import { createDeleteLeed } from './functions/delete-leed.js';
import { createEditLeed } from './functions/edit-leed.js';
import { createGetLeed } from './functions/get-leed.js';
import { createGetStats } from './functions/get-stats.js';
import { createGetTrades } from './functions/get-trades.js';
import { createGetUser } from './functions/get-user.js';
import { createAuthCallback, createLogin } from './functions/login.js';
import { createLogout } from './functions/logout.js';
import { createGetMe, createGetSession, createUpdateMe } from './functions/me.js';
import { createMyLeedz } from './functions/my-leedz.js';
import { createCalendarFeed, createGetCalendarFeed, createNewCalendarFeed, createRevokeCalendarFeed } from './functions/calendar-feed.js';
import { createPaymentWebhook } from './functions/payment-webhook.js';
import { createReportLeed } from './functions/report-leed.js';
import { describeRouteInput } from './functions/route-input.js';
import { ROUTES } from './functions/routes.js';
import { createSearchLeedz } from './functions/search-leedz.js';
import { createOpenUnsubscribeLink, createUnsubscribe } from './functions/unsubscribe.js';
import { createUpcomingLeedz } from './functions/upcoming-leedz.js';
import { createModeration } from './moderation.js';

export interface Marketplace {
  controllers: Controllers;
  /** The functions behind the API's routes (on AWS, one Lambda each). */
  functions: Deployable[];
  /** The operator's functions (moderation): the local runtime's only, behind the console. */
  operatorFunctions: Deployable[];
  /** Everything a local runtime registers. */
  deployables: Deployable[];
}

export function createMarketplace(deps: MarketplaceDeps): Marketplace {
  const controllers = createControllers(deps);
  const functions: Deployable[] = [
    createGetTrades(deps),
    createGetStats(deps),
    createSearchLeedz(deps),
    createUpcomingLeedz(deps),
    createGetLeed(deps),
    createAddLeed(deps, controllers),
    createEditLeed(deps, controllers),
    createDeleteLeed(deps, controllers),
    createReportLeed(deps, controllers),
    createBuyLeed(deps, controllers),
    createCancelCheckout(deps),
    createPaymentWebhook(deps, controllers),
    createGetSession(deps),
    createGetMe(deps),
    createMyLeedz(deps),
    createGetCalendarFeed(deps),
    createNewCalendarFeed(deps),
    createRevokeCalendarFeed(deps),
    createCalendarFeed(deps),
    createUpdateMe(deps),
    createGetUser(deps),
    createLogin(deps, controllers),
    createAuthCallback(deps, controllers),
    createLogout(),
    createUnsubscribe(deps),
    createOpenUnsubscribeLink(deps),
  ];
  const documented = functions.map(withRouteInput);
  const operatorFunctions: Deployable[] = [...createModeration(deps, controllers)];
  return { controllers, functions: documented, operatorFunctions, deployables: [...documented, ...operatorFunctions, ...Object.values(controllers)] };
}

/**
 * An HTTP function described by its route: what the edge puts in the request (src/leedz/functions/route-input.ts),
 * rather than the whole HTTP request every function validates.
 */
function withRouteInput(fn: Deployable): Deployable {
  const route = ROUTES.find((r) => r.function === fn.name);
  if (route === undefined) return fn;
  return { ...fn, describeInput: () => [describeRouteInput(route)] };
}
