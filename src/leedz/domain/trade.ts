/**
 * Trades: the kinds of gig work (`caricatures`, `dj`, `face painting`). Names are lowercase so that
 * one trade has one spelling in keys, subscriptions and routes (`/api/leedz/{trade}/{id}`).
 */
import { z } from 'zod';

/** The longest trade name accepted. */
export const TRADE_NAME_MAX_LENGTH = 40;

/**
 * A trade's name: lowercase, 1–40 characters. Uppercase is refused rather than folded, so that a
 * client learns the exact spelling (from `GET /api/trades`) instead of relying on the server's guess.
 *
 * @example
 * tradeNameSchema.parse('face painting'); // → 'face painting'
 * tradeNameSchema.safeParse('DJ').success; // → false
 */
export const tradeNameSchema = z
  .string()
  .min(1, 'is required')
  .max(TRADE_NAME_MAX_LENGTH, `must be at most ${TRADE_NAME_MAX_LENGTH} characters`)
  .refine((name) => name === name.toLowerCase(), 'must be lowercase, like "face painting"');

/**
 * A trade as listed by `GET /api/trades`.
 *
 * @example
 * const dj: Trade = tradeSchema.parse({ name: 'dj', leedCount: 3 });
 */
export const tradeSchema = z.object({
  name: tradeNameSchema,
  /** Active leedz of this trade. */
  leedCount: z.int().min(0),
  /** A CSS colour for the UI, when an admin chose one. */
  color: z.string().optional(),
});

/** A trade as listed by `GET /api/trades`. */
export type Trade = z.infer<typeof tradeSchema>;
