/**
 * How often a vendor may put a leed at a place and time: posting one, or moving one (a new place or
 * time), in each hour. A hidden location is what a buyer pays for, and the double-booking check
 * answers whether a trade's leed is already at a place and time (409): without a limit, posting or
 * moving one's own leed to guess after guess would confirm a hidden address for free. Each
 * placement counts 1 and each double booking refused counts {@link DOUBLE_BOOKING_COST}, so that a
 * vendor gets a whole day's ordinary work done in an hour but only a few answers of that kind. The
 * limit is checked before the store looks for a double booking, so a refusal says nothing of the place.
 *
 * @example
 * const limited = await placementLimited(deps, caller.username);
 * if (limited !== undefined) return limited;
 * try { await deps.store.insertLeed(leed, outbox); } catch (error) { await chargeDoubleBooking(deps, caller.username, error); … }
 */
import type { MarketplaceDeps } from '../deps.js';
import { ConflictError } from '../ports.js';
import { rateLimited, type HttpResult } from './http.js';

const HOUR_MS = 60 * 60_000;
/** What a double booking refused counts for, in placements. */
export const DOUBLE_BOOKING_COST = 10;

const keyOf = (username: string) => `placements:${username}`;

/** Count this placement; the 429 to answer when the vendor's hour is spent, else undefined. */
export async function placementLimited(deps: MarketplaceDeps, username: string): Promise<HttpResult | undefined> {
  const now = deps.now();
  const limit = deps.settings.placementsPerHour;
  const count = await deps.store.countRequest(keyOf(username), HOUR_MS, now.toISOString());
  if (count <= limit) return undefined;
  return rateLimited(
    `you have posted or moved leedz ${limit} times in this hour (a double booking refused counts as ${DOUBLE_BOOKING_COST})`,
    HOUR_MS,
    now.getTime(),
  );
}

/** A store's refusal of a double booking costs the vendor more of the hour's placements (the counted one included). */
export async function chargeDoubleBooking(deps: MarketplaceDeps, username: string, error: unknown): Promise<void> {
  if (!(error instanceof ConflictError)) return;
  await deps.store.countRequest(keyOf(username), HOUR_MS, deps.now().toISOString(), DOUBLE_BOOKING_COST - 1);
}
