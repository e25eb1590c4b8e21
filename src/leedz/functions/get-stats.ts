/** `GET /api/stats`: totals and the last posted and sold leed. */
import type { MarketplaceDeps } from '../deps.js';
import { defineHttpFunction } from './define-http-function.js';
import { ok } from './http.js';

export function createGetStats(deps: MarketplaceDeps) {
  return defineHttpFunction('getStats', {
    table: ['get'],
    handler: async () => ok(await deps.store.getStats()),
  });
}
