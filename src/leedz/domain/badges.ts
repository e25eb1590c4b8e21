/**
 * Badges shown on a user's profile. Only the server awards them, from its own counters (the original
 * let a client write its own badge list): {@link badgesFor} is the whole rule.
 */
import { z } from 'zod';

/**
 * Badge ids and their names, as docs/marketplace.md (Badges) numbers them (the numbers are stored, so
 * they never change).
 *
 * @example
 * BADGE_NAMES[3]; // → 'Top Seller'
 */
export const BADGE_NAMES = {
  0: 'Account Secured',
  1: 'Founding Member',
  2: 'Top Poster',
  3: 'Top Seller',
  4: 'Top Buyer',
  5: 'Payments Connected',
} as const;

/** A badge id, 0–5. */
export type BadgeId = keyof typeof BADGE_NAMES;

/**
 * A badge id in JSON.
 *
 * @example
 * badgeIdSchema.safeParse(6).success; // → false
 */
export const badgeIdSchema = z.literal([0, 1, 2, 3, 4, 5]);

/** How many leedz a user must have posted, sold or bought for the matching "Top" badge. */
export const TOP_BADGE_THRESHOLD = 10;

/** The counters that badges depend on. */
export interface ActivityCounters {
  posted: number;
  sold: number;
  bought: number;
}

/**
 * Every badge a user has earned, in id order. 0 and 1 come with the account itself.
 *
 * @example
 * badgesFor({ posted: 10, sold: 2, bought: 0 }, { paymentsConnected: true }); // → [0, 1, 2, 5]
 */
export function badgesFor(counters: ActivityCounters, status: { paymentsConnected: boolean }): BadgeId[] {
  const badges: BadgeId[] = [0, 1];
  if (counters.posted >= TOP_BADGE_THRESHOLD) badges.push(2);
  if (counters.sold >= TOP_BADGE_THRESHOLD) badges.push(3);
  if (counters.bought >= TOP_BADGE_THRESHOLD) badges.push(4);
  if (status.paymentsConnected) badges.push(5);
  return badges;
}
