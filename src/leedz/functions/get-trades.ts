/** `GET /api/trades`: every trade, busiest first. */
import type { MarketplaceDeps } from '../deps.js';
import { defineHttpFunction } from './define-http-function.js';
import { ok } from './http.js';

export function createGetTrades(deps: MarketplaceDeps) {
  return defineHttpFunction('getTrades', {
    table: ['query'],
    handler: async () => ok({ trades: await deps.store.listTrades() }),
  });
}
