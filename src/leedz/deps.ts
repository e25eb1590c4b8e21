/**
 * What the marketplace's functions and controllers are built with. Only composition roots (the
 * local server, the Lambda entry files, tests) fill it in, choosing one adapter per port.
 *
 * @example
 * const marketplace = createMarketplace({ store, mailer, geocoder, identity, payments, idempotency, now: () => new Date(), settings });
 */
import type { Idempotency } from '../framework/idempotency.js';
import type { Geocoder, Identity, Mailer, Payments, Store } from './ports.js';

export interface MarketplaceSettings {
  /** Public URL of the web app, for links in emails ("http://127.0.0.1:3000"). */
  publicUrl: string;
  /** Who receives reports of leedz. */
  adminEmail: string;
  /** Subscribers per `notifyBatch` invocation of the fan-out. */
  fanOutBatchSize: number;
  /** How long a checkout reserves a leed for its buyer. */
  checkoutMinutes: number;
  /** Magic-link requests allowed per mailbox (`a+1@x` is `a@x`) per 15 minutes. */
  loginRequestsPer15Minutes: number;
  /** Magic-link requests allowed per client address per 15 minutes, whatever the mailboxes. */
  loginRequestsPerClientPer15Minutes: number;
  /** Leedz a vendor may post or move (a new place or time) per hour; a double booking refused counts 10 (src/leedz/functions/placement-limit.ts). */
  placementsPerHour: number;
}

export const DEFAULT_SETTINGS: Omit<MarketplaceSettings, 'publicUrl' | 'adminEmail'> = {
  fanOutBatchSize: 100,
  checkoutMinutes: 15,
  loginRequestsPer15Minutes: 5,
  loginRequestsPerClientPer15Minutes: 30,
  placementsPerHour: 60,
};

export interface MarketplaceDeps {
  store: Store;
  mailer: Mailer;
  geocoder: Geocoder;
  identity: Identity;
  payments: Payments;
  /** Keys each email so a redelivered event sends nothing twice. */
  idempotency: Idempotency;
  /** The clock, injectable for tests. */
  now: () => Date;
  settings: MarketplaceSettings;
}
