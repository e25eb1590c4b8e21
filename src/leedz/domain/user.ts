/**
 * Users: a public handle, a private email, a home zip and radius for leed alerts, and the trades
 * they subscribe to. Created on first login; counters and badges are the server's alone.
 */
import { z } from 'zod';
import { zipSchema } from './address.js';
import { badgeIdSchema } from './badges.js';
import { tradeNameSchema } from './trade.js';
import { bodyOf, changeBodyErrors, CONTROL_MESSAGE, describeIssue, fieldErrorsOf, hasControlCharacters, type ValidationResult, withLikelyKey } from './validation.js';

/**
 * The radii (miles) a user may choose for "leedz near me".
 *
 * @example
 * RADIUS_MILES.includes(35); // → true
 */
export const RADIUS_MILES = [5, 10, 20, 35, 50, 80, 100] as const;

/** One of {@link RADIUS_MILES}. */
export type RadiusMiles = (typeof RADIUS_MILES)[number];

/**
 * A radius in miles, one of {@link RADIUS_MILES}.
 *
 * @example
 * radiusSchema.safeParse(15).success; // → false
 */
export const radiusSchema = z.literal(RADIUS_MILES, { error: `must be one of ${RADIUS_MILES.join(', ')} (miles)` });

/** The most trades one user may subscribe to. */
export const MAX_SUBSCRIPTIONS = 6;

/** The longest "about" text. */
export const ABOUT_MAX_LENGTH = 350;

/** The longest website address. */
export const WEBSITE_MAX_LENGTH = 200;

/**
 * A username: 3–30 characters of `a–z`, `0–9`, `_` and `-`. Lowercase only, so that two users cannot
 * hold "Pat" and "pat"; no dots or spaces, so that it is safe in a URL path (`/api/users/{username}`).
 *
 * @example
 * usernameSchema.safeParse('face_painter-7').success; // → true
 * usernameSchema.safeParse('Pat').success;            // → false
 */
export const usernameSchema = z
  .string()
  .regex(/^[a-z0-9_-]{3,30}$/, 'must be 3 to 30 characters of a-z, 0-9, _ and -');

/**
 * The trades a user follows: at most 6, each named once (repeats are dropped, not refused).
 *
 * @example
 * subscriptionsSchema.parse(['dj', 'dj', 'caricatures']); // → ['dj', 'caricatures']
 */
export const subscriptionsSchema = z
  .array(tradeNameSchema, { error: (issue) => (issue.input === undefined ? undefined : 'must be a list of trades, like ["dj"]') })
  .overwrite((trades) => [...new Set(trades)])
  .max(MAX_SUBSCRIPTIONS, `must list at most ${MAX_SUBSCRIPTIONS} trades`);

/**
 * A website: an https address of a site named by its domain. Not an IP address (a public profile's link
 * to a bare address is a way to phish, or to point at someone's own network), and nothing before the
 * host (`https://good.com@evil.com/` reads as good.com and opens evil.com).
 *
 * @example
 * websiteSchema.safeParse('https://pat-draws.com/gallery').success; // → true
 * websiteSchema.safeParse('http://pat-draws.com').success;          // → false: https only
 */
const websiteSchema = z
  .string()
  .max(WEBSITE_MAX_LENGTH, `must be at most ${WEBSITE_MAX_LENGTH} characters`)
  .check((ctx) => {
    const message = websiteProblem(ctx.value);
    if (message !== undefined) ctx.issues.push({ code: 'custom', message, input: ctx.value });
  })
  .describe('An https address, by domain name');

/** What is wrong with a website address, or undefined. */
function websiteProblem(text: string): string | undefined {
  if (hasControlCharacters(text)) return CONTROL_MESSAGE;
  const url = /^https:\/\//i.test(text) && URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined) return 'must be a web address starting with https://';
  // Whatever precedes an `@` in the authority is a user name and password, even an empty one (`https://@x.com`).
  if (/^https:\/\/[^/?#]*@/i.test(text)) return 'must not have a user name or password before the site (user@…)';
  if (/^[\d.]+$/.test(url.hostname) || url.hostname.startsWith('[')) return 'must name the site by its domain, not an IP address';
  if (!z.regexes.domain.test(url.hostname)) return 'must name the site by its domain, like https://example.com';
  return undefined;
}

const aboutSchema = z
  .string()
  .max(ABOUT_MAX_LENGTH, `must be at most ${ABOUT_MAX_LENGTH} characters`)
  .refine((text) => !hasControlCharacters(text, { lines: true }), CONTROL_MESSAGE);

/**
 * A stored user. `email` is private (only `GET /api/me` returns it); see {@link publicProfile}.
 *
 * @example
 * const user: User = userSchema.parse(row);
 */
export const userSchema = z.object({
  username: usernameSchema,
  email: z.email(),
  website: z.string().nullable(),
  about: z.string().nullable(),
  /** `null`: no home zip, so alerts come from everywhere. */
  zip: zipSchema.nullable(),
  radius: radiusSchema,
  subscriptions: z.array(tradeNameSchema),
  posted: z.int().min(0),
  bought: z.int().min(0),
  sold: z.int().min(0),
  badges: z.array(badgeIdSchema),
  paymentsConnected: z.boolean(),
});

/** A stored user. */
export type User = z.infer<typeof userSchema>;

/**
 * What `GET /api/session` answers: signed out, or the signed-in user's own profile.
 *
 * @example
 * const state: SessionState = { signedIn: false };
 */
export type SessionState = { signedIn: false } | { signedIn: true; user: User };

/**
 * What anyone may read about a user (`GET /api/users/{username}`): no email, no zip, no payment
 * details.
 *
 * @example
 * const profile: PublicProfile = publicProfileSchema.parse(publicProfile(user));
 */
export const publicProfileSchema = userSchema.pick({
  username: true,
  website: true,
  about: true,
  subscriptions: true,
  badges: true,
  posted: true,
  bought: true,
  sold: true,
});

/** What anyone may read about a user. */
export type PublicProfile = z.infer<typeof publicProfileSchema>;

/**
 * A user's public profile. Fields are listed one by one so that a field added to User later stays
 * private until someone decides otherwise.
 *
 * @example
 * publicProfile(user).username; // → 'pat'
 */
export function publicProfile(user: User): PublicProfile {
  return {
    username: user.username,
    website: user.website,
    about: user.about,
    subscriptions: user.subscriptions,
    badges: user.badges,
    posted: user.posted,
    bought: user.bought,
    sold: user.sold,
  };
}

/**
 * The body of `PATCH /api/me`: any of these fields; `null` (or a blank string) clears `website`,
 * `about` or `zip`. Username, email, counters and badges are not the user's to edit here.
 *
 * @example
 * profilePatchInputSchema.parse({ zip: '02134', radius: 20 });
 */
export const profilePatchInputSchema = z.strictObject({
  website: websiteSchema.nullish(),
  about: aboutSchema.nullish(),
  zip: zipSchema.nullish(),
  radius: radiusSchema.optional(),
  subscriptions: subscriptionsSchema.optional(),
});

/** The body of `PATCH /api/me`, as sent. */
export type ProfilePatchInput = z.input<typeof profilePatchInputSchema>;

/** The validated changes of a profile edit, to apply with `{...user, ...changes}`. */
export type ProfileChanges = Partial<Pick<User, 'website' | 'about' | 'zip' | 'radius' | 'subscriptions'>>;

const USER_KEYS = new Set(Object.keys(userSchema.shape));

/**
 * Validates a profile edit and returns the normalised changes (trimmed text, `null` for cleared
 * fields, subscriptions without repeats). Whether each subscribed trade exists is the store's
 * question, not this one's. Never throws; a refusal names each bad field once.
 *
 * @example
 * validateProfilePatch({ zip: 2134 });
 * // → { ok: false, fields: [{ path: 'zip', message: 'must be 5 digits, like "02134"' }] }
 */
export function validateProfilePatch(input: unknown): ValidationResult<ProfileChanges> {
  const notAnObject = changeBodyErrors(input, '{"zip": "02134"}');
  if (notAnObject.length > 0) return { ok: false, fields: notAnObject };
  const body = bodyOf(input);
  const parsed = profilePatchInputSchema.safeParse(body, { error: describeIssue });
  if (!parsed.success) {
    const unknownKey = (key: string): string => (USER_KEYS.has(key) ? 'cannot be changed here' : withLikelyKey('is not a field of a profile', key, Object.keys(profilePatchInputSchema.shape)));
    return { ok: false, fields: fieldErrorsOf(parsed.error, unknownKey) };
  }
  const changes: ProfileChanges = {};
  const data = parsed.data;
  if (Object.hasOwn(body, 'website')) changes.website = data.website ?? null;
  if (Object.hasOwn(body, 'about')) changes.about = data.about ?? null;
  if (Object.hasOwn(body, 'zip')) changes.zip = data.zip ?? null;
  if (data.radius !== undefined) changes.radius = data.radius;
  if (data.subscriptions !== undefined) changes.subscriptions = data.subscriptions;
  return { ok: true, value: changes };
}

/**
 * The mailbox an address delivers to, as far as a rate limit must care: lower case, and without a
 * `+tag` in the local part (`Ada+1@Example.com` and `ada@example.com` reach one inbox on the large
 * providers, so they share one budget of sign-in links).
 *
 * @example
 * mailboxOf('Ada+leedz@Example.com'); // → 'ada@example.com'
 */
export function mailboxOf(email: string): string {
  const lower = email.trim().toLowerCase();
  const at = lower.lastIndexOf('@');
  if (at <= 0) return lower;
  const local = lower.slice(0, at).split('+')[0] || lower.slice(0, at);
  return `${local}${lower.slice(at)}`;
}
