/**
 * The marketplace's deployables as the stack reads them: names, Lambda settings and the controllers
 * each may invoke — from the same definitions the code runs, never from a copy. They are built over
 * inert dependencies: every port method throws, and none is called while the stack is synthesised,
 * so synthesis needs no network, no credentials and no database.
 *
 * @example
 * const { functions, controllers } = readDeployables();
 * functions.map((f) => f.invokes); // [['emailHelper', 'bookkeeping'], …]
 */
import type { Controller, Deployable } from '../src/framework/define.js';
import { DEFAULT_SETTINGS, type MarketplaceDeps } from '../src/leedz/deps.js';
import { createMarketplace } from '../src/leedz/marketplace.js';

/** The stream-driven relay of the transactional outbox: not part of the marketplace's code, but a Lambda of its own. */
export const OUTBOX_RELAY = 'outboxRelay';

/** The scheduled sweep that re-sends what the relay could not deliver (`src/lambda/outbox-sweep.ts`). */
export const OUTBOX_SWEEP_NAME = 'outboxSweep';

export interface Deployables {
  /** Request-response functions, each behind one or more HTTP routes. */
  functions: readonly Deployable[];
  controllers: readonly Controller[];
}

export function readDeployables(): Deployables {
  const marketplace = createMarketplace(inertDeps());
  return { functions: marketplace.functions, controllers: Object.values(marketplace.controllers) };
}

/** Dependencies that refuse every call: the deployables are only read, never run. */
function inertDeps(): MarketplaceDeps {
  const port = <T extends object>(name: string) =>
    new Proxy({} as T, {
      // Not a thenable, not a primitive: only named methods exist, and each refuses.
      get: (_target, method) =>
        typeof method === 'symbol' || method === 'then'
          ? undefined
          : () => {
              throw new Error(`${name}.${method}: the stack reads the marketplace's definitions and never runs it`);
            },
    });
  return {
    store: port('store'),
    mailer: port('mailer'),
    geocoder: port('geocoder'),
    identity: port('identity'),
    payments: port('payments'),
    idempotency: port('idempotency'),
    now: () => new Date(0),
    settings: { ...DEFAULT_SETTINGS, publicUrl: 'https://leedz.invalid', adminEmail: 'admin@leedz.invalid' },
  };
}
