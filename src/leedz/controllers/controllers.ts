/**
 * The marketplace's controllers, as the functions that hand work to them see them, and the one place
 * that lists them: the local runtime registers, the stack deploys and a function's Lambda addresses
 * its work with what {@link createControllers} builds.
 *
 * @example
 * const controllers = createControllers(deps);
 * Object.values(controllers); // every controller: its Lambda, its queue, its settings
 */
import type { MarketplaceDeps } from '../deps.js';
import { createBookkeeping } from './bookkeeping.js';
import { createEmailHelper } from './email-helper.js';

export interface Controllers {
  emailHelper: ReturnType<typeof createEmailHelper>;
  bookkeeping: ReturnType<typeof createBookkeeping>;
}

/** Every controller of the marketplace, over `deps`. */
export function createControllers(deps: MarketplaceDeps): Controllers {
  return { emailHelper: createEmailHelper(deps), bookkeeping: createBookkeeping(deps) };
}
