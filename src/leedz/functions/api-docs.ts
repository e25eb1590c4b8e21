/**
 * What the API reference says beyond the route table's own schemas: what each operation returns
 * (named types, shown once each), the errors it can return, and examples. Documentation only: no
 * function validates its answers with these; the e2e suite checks that answers have these shapes.
 */
import { z } from 'zod';
import { leedSchema } from '../domain/leed.js';
import { tradeSchema } from '../domain/trade.js';
import { publicProfileSchema, userSchema } from '../domain/user.js';
import { leedPreviewSchema, leedViewSchema } from '../domain/visibility.js';
import { DEFAULT_SETTINGS } from '../deps.js';
import { ERROR_STATUS, type ErrorCode } from './http.js';
import { DOUBLE_BOOKING_COST } from './placement-limit.js';

/** What {@link routeErrors} reads of a route (a RouteSpec; not imported, so that routes.ts may import this file). */
interface RouteShape {
  method: string;
  path: string;
  function: string;
  auth: string;
  query?: unknown;
  body?: unknown;
  accepts?: readonly string[];
}

const statsEventSchema = z.object({ trade: z.string(), price: z.int().min(0), zip: z.string(), at: z.iso.datetime() });
const statsSchema = z.object({ posted: z.int().min(0), sold: z.int().min(0), users: z.int().min(0), lastPosted: statsEventSchema.nullable(), lastSold: statsEventSchema.nullable() });
const myLeedSchema = leedSchema.extend({ when: z.string(), fee: z.int().min(0) });
const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/**
 * The named types: each has a section of its own in the reference and in the OpenAPI document's
 * `components.schemas`; everywhere else they are referred to by name.
 */
export const API_TYPES = z.registry<{ id: string; description: string }>();
API_TYPES.add(tradeSchema, { id: 'Trade', description: 'A trade (a kind of gig work) and how many active leedz it has.' });
API_TYPES.add(leedPreviewSchema, { id: 'LeedPreview', description: 'A leed in a list: its public fields only (never the location).' });
API_TYPES.add(leedViewSchema, { id: 'LeedView', description: 'A leed as its viewer may see it: the public fields, the hideable fields its creator shows (all of them for the creator and the buyer), `hidden` naming the rest.' });
API_TYPES.add(leedSchema, { id: 'Leed', description: 'A leed with every field: what its creator and its buyer see.' });
API_TYPES.add(myLeedSchema, { id: 'MyLeed', description: 'One of your leedz: every field, when it is, and the platform fee once sold.' });
API_TYPES.add(userSchema, { id: 'User', description: 'Your own profile, email included.' });
API_TYPES.add(publicProfileSchema, { id: 'PublicProfile', description: 'What anyone may read about a vendor.' });
API_TYPES.add(statsSchema, { id: 'Stats', description: 'Marketplace totals and the last posted and sold leed.' });
API_TYPES.add(errorSchema, { id: 'Error', description: 'Every error: a code, a message, and for a 400 each bad field and why.' });

/** What each operation returns on success, by function. */
export const RESPONSES: Readonly<Record<string, z.ZodType>> = {
  getTrades: z.object({ trades: z.array(tradeSchema) }),
  getStats: statsSchema,
  searchLeedz: z.object({
    leedz: z.array(leedPreviewSchema),
    days: z
      .record(z.string(), z.int())
      .optional()
      .describe('With `perDay`: how many leedz each day has, by the date where the gig is (`YYYY-MM-DD`); `leedz` then holds the first `perDay` of each day'),
  }),
  upcomingLeedz: z.object({ leedz: z.array(leedPreviewSchema) }),
  addLeed: z.object({ id: z.string(), trade: z.string(), title: z.string(), price: z.int(), timeZone: z.string(), when: z.string() }),
  getLeed: leedViewSchema,
  editLeed: leedSchema.extend({ when: z.string() }),
  reportLeed: z.object({ accepted: z.literal(true) }),
  buyLeed: z.union([z.object({ checkoutUrl: z.url(), reservedUntil: z.iso.datetime() }), z.object({ sold: z.literal(true), receiptUrl: z.url() })]),
  paymentWebhook: z.object({ received: z.literal(true), sold: z.boolean().optional(), ignored: z.boolean().optional(), duplicate: z.boolean().optional(), refunded: z.boolean().optional() }),
  getSession: z.union([z.object({ signedIn: z.literal(false) }), z.object({ signedIn: z.literal(true), user: userSchema })]),
  getMe: userSchema,
  myLeedz: z.object({
    posted: z.array(myLeedSchema),
    bought: z.array(myLeedSchema),
    totals: z.object({ posted: z.int(), sold: z.int(), bought: z.int(), earned: z.int(), fees: z.int(), spent: z.int() }),
  }),
  getCalendarFeed: z.object({ feed: z.object({ createdAt: z.iso.datetime() }).nullable() }),
  newCalendarFeed: z.object({ url: z.url(), createdAt: z.iso.datetime() }),
  updateMe: userSchema,
  getUser: publicProfileSchema,
  login: z.object({ sent: z.literal(true), message: z.string() }),
  authCallback: z.object({ token: z.string(), user: userSchema }),
  unsubscribe: z.object({ unsubscribed: z.literal(true), trade: z.string() }),
};

export interface RouteError {
  /** From the code ({@link ERROR_STATUS}). */
  status: number;
  code: ErrorCode;
  when: string;
}

/** An error of an operation, its status from its code. */
const routeError = (code: ErrorCode, when: string): RouteError => ({ status: ERROR_STATUS[code], code, when });

/** The placement limit's words (src/leedz/functions/placement-limit.ts). */
const PLACEMENTS = `${DEFAULT_SETTINGS.placementsPerHour} times, a double booking refused counting as ${DOUBLE_BOOKING_COST},`;

/** Errors particular to one operation, beyond those of its kind ({@link routeErrors}). */
const PARTICULAR: Readonly<Record<string, readonly RouteError[]>> = {
  searchLeedz: [routeError('VALIDATION', 'the zip is not a known US zip code, or the range is longer than 93 days')],
  addLeed: [
    routeError('VALIDATION', 'the location cannot be found, or the trade does not exist'),
    routeError('CONFLICT', 'a leed of the same trade is already booked at that place at an overlapping time'),
    routeError('RATE_LIMITED', `you posted or moved leedz ${PLACEMENTS} in this hour (Retry-After says when to try again)`),
  ],
  editLeed: [
    routeError('FORBIDDEN', 'you are not the creator of the leed'),
    routeError('CONFLICT', 'the leed is no longer active, the new time or place is already booked, or the price changes while a buyer is checking the leed out'),
    routeError('RATE_LIMITED', `a new time or place, when you posted or moved leedz ${PLACEMENTS} in this hour (Retry-After says when to try again)`),
  ],
  deleteLeed: [
    routeError('FORBIDDEN', 'you are not the creator of the leed'),
    routeError('CONFLICT', 'the leed is sold, or a request racing this one deleted it first (once deleted, it is a 404)'),
  ],
  buyLeed: [
    routeError('FORBIDDEN', 'it is your own leed'),
    routeError('CONFLICT', 'the leed is sold, expired, or another vendor is checking it out (the message says until when)'),
    routeError('UNAVAILABLE', 'the payment provider could not create the checkout (the leed is not held for you)'),
    routeError('RATE_LIMITED', 'you started 2 checkouts of this leed in this hour, or 10 of any leedz in 15 minutes (Retry-After says when to try again)'),
  ],
  paymentWebhook: [routeError('UNAUTHENTICATED', 'the signature is missing or wrong (a genuine event that is not a payment for a leed gets 200)')],
  login: [routeError('RATE_LIMITED', 'too many sign-in links for this mailbox or this network address in 15 minutes (Retry-After says when to try again)')],
  authCallback: [routeError('LINK_USED_OR_EXPIRED', 'the link was used already, or is more than 15 minutes old')],
  updateMe: [routeError('VALIDATION', 'more than 6 subscriptions, a trade that does not exist, or a zip that is not known')],
  calendarFeed: [routeError('NOT_FOUND', 'no feed has this token (never made, replaced or turned off)')],
  unsubscribe: [routeError('VALIDATION', 'the token is not one this marketplace signed (`fields` names `token`)')],
};

/** Every error an operation can return: those of its kind (input, session, path, body) and its own. */
export function routeErrors(route: RouteShape): RouteError[] {
  const errors: RouteError[] = [];
  const changes = route.method !== 'GET';
  const hasPath = /:(trade|id|username|file)\b/.test(route.path);
  // Every operation refuses a query parameter it does not take, and every POST or PATCH a body that is not JSON (src/edge/api-app.ts).
  errors.push(routeError('VALIDATION', '`fields` names each bad field of the path, the query or the body, and why'));
  if (route.auth === 'session') errors.push(routeError('UNAUTHENTICATED', 'no valid session (sign in first)'));
  // A route that takes a form (one-click unsubscribe) acts on no session: its Origin is not checked.
  if (changes && route.accepts === undefined) errors.push(routeError('FORBIDDEN', "the request comes from another site's page (its Origin)"));
  if (hasPath && route.function !== 'calendarFeed') errors.push(routeError('NOT_FOUND', /:username/.test(route.path) ? 'no such vendor' : /:id/.test(route.path) ? 'no such leed, or it was deleted' : 'no such trade'));
  if (route.method === 'POST' || route.method === 'PATCH') {
    const wanted = route.accepts === undefined ? 'the body is not sent as Content-Type: application/json' : 'the body is neither a form (one-click) nor JSON';
    errors.push(routeError('PAYLOAD_TOO_LARGE', 'the body is over 64 KB'), routeError('UNSUPPORTED_MEDIA_TYPE', wanted));
  }
  errors.push(...(PARTICULAR[route.function] ?? []));
  errors.push(routeError('UNAVAILABLE', 'the service is busy; try again shortly'));
  // One row per status and code: what each says of it, together.
  const byKey = new Map<string, RouteError>();
  for (const error of errors) {
    const key = `${error.status} ${error.code}`;
    const known = byKey.get(key);
    byKey.set(key, known === undefined ? error : { ...known, when: `${known.when}; or ${error.when}` });
  }
  return [...byKey.values()].sort((a, b) => a.status - b.status);
}

/** Examples written by hand where a generated one would say too little. */
export const EXAMPLES: Readonly<Record<string, { query?: Record<string, string>; body?: unknown; response?: unknown }>> = {
  searchLeedz: {
    query: { trades: 'dj,caricatures', from: '2027-01-01T00:00:00Z', to: '2027-01-31T23:59:59Z', zip: '62701', radius: '20' },
    response: { leedz: [{ id: 'l_Zp3Yw2', trade: 'dj', title: 'Wedding needs a DJ', creator: 'pat', zip: '62701', start: '2027-01-10T00:00:00.000Z', end: '2027-01-10T05:00:00.000Z', timeZone: 'America/Chicago', price: 2500, status: 'active', postedAt: '2026-12-01T15:00:00.000Z' }] },
  },
  addLeed: {
    body: { trade: 'dj', title: 'Wedding needs a DJ', location: '123 Main Street, Springfield, IL 62701', start: '2027-01-09T18:00', end: '2027-01-09T23:00', price: 2500, clientEmail: 'bride@example.com', clientPhone: '(555) 123-4567', details: 'Two sets, first dance at 7', visibility: { details: 'shown' } },
    response: { id: 'l_Zp3Yw2', trade: 'dj', title: 'Wedding needs a DJ', price: 2500, timeZone: 'America/Chicago', when: 'Sat, Jan 9, 2027, 6:00 PM – 11:00 PM CST' },
  },
  getLeed: {
    response: {
      id: 'l_Zp3Yw2', trade: 'dj', title: 'Wedding needs a DJ', creator: 'pat', zip: '62701', start: '2027-01-10T00:00:00.000Z', end: '2027-01-10T05:00:00.000Z', timeZone: 'America/Chicago',
      price: 2500, status: 'active', postedAt: '2026-12-01T15:00:00.000Z', details: 'Two sets, first dance at 7', requirements: 'Own speakers and lights',
      hidden: ['location', 'clientEmail', 'clientPhone'], when: 'Sat, Jan 9, 2027, 6:00 PM – 11:00 PM CST',
    },
  },
  editLeed: { body: { start: '2027-01-09T19:00', end: '2027-01-10T00:00' } },
  reportLeed: { body: { reason: 'The same ad is posted every day.' }, response: { accepted: true } },
  buyLeed: { response: { checkoutUrl: 'https://leedz.example.com/pay/checkout/c_81f0', reservedUntil: '2026-12-01T15:15:00.000Z' } },
  updateMe: { body: { zip: '62701', radius: 20, subscriptions: ['dj', 'caricatures'] } },
  login: { body: { email: 'pat@example.com' }, response: { sent: true, message: 'a sign-in link is on its way to pat@example.com' } },
  authCallback: { body: { token: 'the token after #token= in the link' } },
  getSession: { response: { signedIn: false } },
};
