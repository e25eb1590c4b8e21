/**
 * The marketplace's controllers as a function's Lambda needs them: to validate and address the work
 * it hands off (`prepare`, `invoke`), never to run it — their ports in that Lambda are absent.
 *
 * @example
 * export const handler = httpEntry((deps) => createAddLeed(deps, controllersOf(deps)), { store: dynamoDbStore });
 */
import { createControllers, type Controllers } from '../leedz/controllers/controllers.js';
import type { MarketplaceDeps } from '../leedz/deps.js';

export function controllersOf(deps: MarketplaceDeps): Controllers {
  return createControllers(deps);
}
