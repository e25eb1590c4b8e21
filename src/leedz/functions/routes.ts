/**
 * The HTTP contract of docs/marketplace.md (HTTP operations) as data: one row per operation, naming
 * the function that serves it.
 * The local server mounts these on hono, the OpenAPI document is generated from them, and the CDK
 * stack turns them into API Gateway routes — one list, so they cannot disagree.
 */
import { z } from 'zod';
import { newLeedInputSchema, leedPatchInputSchema } from '../domain/leed.js';
import { profilePatchInputSchema } from '../domain/user.js';
import { callbackBodySchema, loginBodySchema } from './login.js';
import { reportBodySchema } from './report-leed.js';
import { searchQuerySchema } from './search-leedz.js';
import { unsubscribeQuerySchema } from './unsubscribe.js';
import { upcomingQuerySchema } from './upcoming-leedz.js';
import { API_TYPES, EXAMPLES, RESPONSES, routeErrors } from './api-docs.js';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  method: HttpMethod;
  /** hono / express style: `/api/leedz/:trade/:id`. */
  path: string;
  function: string;
  /** `session`: needs a signed-in user (401 without). `signature`: the payment provider's signed webhook. */
  auth: 'none' | 'optional' | 'session' | 'signature';
  summary: string;
  /** The query parameters it takes. Absent: it takes none, and the edge refuses any (400 naming each). */
  query?: z.ZodType;
  /**
   * The JSON body it takes. Absent: it takes no field, and the edge refuses a JSON object that has any
   * (400 naming each); but a signed webhook's body is the provider's event, and a form (`accepts`) the mail client's.
   */
  body?: z.ZodType;
  /**
   * Content types the route takes besides JSON, passed to the function as the raw body only: the
   * form a mail client's one-click unsubscribe POSTs (RFC 8058). Absent: JSON only.
   */
  accepts?: readonly ('application/x-www-form-urlencoded' | 'multipart/form-data')[];
  /** Success status and what it returns, for the documentation. */
  success: { status: number; description: string };
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/api/trades', function: 'getTrades', auth: 'none', summary: 'List trades, busiest first', success: { status: 200, description: '{trades: Trade[]}' } },
  { method: 'GET', path: '/api/stats', function: 'getStats', auth: 'none', summary: 'Marketplace totals and the last posted and sold leed', success: { status: 200, description: 'Stats' } },
  { method: 'GET', path: '/api/leedz', function: 'searchLeedz', auth: 'optional', summary: 'Search active leedz of some trades in a date range, optionally near a zip (a signed-in vendor\'s own leedz are in, whatever the distance)', query: searchQuerySchema, success: { status: 200, description: '{leedz: LeedPreview[]} (never the location); with perDay, the first perDay leedz of each day and {days: {date: count}}' } },
  { method: 'GET', path: '/api/trades/:trade/leedz', function: 'upcomingLeedz', auth: 'none', summary: 'Every upcoming active leed of one trade, soonest first (page with from = the last start)', query: upcomingQuerySchema, success: { status: 200, description: '{leedz: LeedPreview[]} (never the location)' } },
  { method: 'POST', path: '/api/leedz', function: 'addLeed', auth: 'session', summary: 'Post a leed (subscribers are emailed asynchronously)', body: newLeedInputSchema, success: { status: 201, description: '{id, trade, title, price, timeZone, when}' } },
  { method: 'GET', path: '/api/leedz/:trade/:id', function: 'getLeed', auth: 'optional', summary: 'A leed, as its visibility allows for the caller', success: { status: 200, description: 'LeedView with `hidden` listing the fields to buy' } },
  { method: 'PATCH', path: '/api/leedz/:trade/:id', function: 'editLeed', auth: 'session', summary: 'Change an active leed (creator only)', body: leedPatchInputSchema, success: { status: 200, description: 'the updated Leed' } },
  { method: 'DELETE', path: '/api/leedz/:trade/:id', function: 'deleteLeed', auth: 'session', summary: 'Delete an active, unsold leed (creator only)', success: { status: 204, description: 'deleted' } },
  { method: 'POST', path: '/api/leedz/:trade/:id/report', function: 'reportLeed', auth: 'session', summary: 'Report a leed to the admin', body: reportBodySchema, success: { status: 202, description: 'the admin will be emailed' } },
  { method: 'POST', path: '/api/leedz/:trade/:id/checkout', function: 'buyLeed', auth: 'session', summary: 'Buy a leed: free ones are sold at once; paid ones are reserved 15 minutes and return a checkout URL', success: { status: 200, description: '{checkoutUrl, reservedUntil} or {sold: true, receiptUrl}' } },
  { method: 'DELETE', path: '/api/leedz/:trade/:id/checkout', function: 'cancelCheckout', auth: 'session', summary: 'Cancel your checkout of a leed: the hold goes at once, so another vendor can buy it', success: { status: 204, description: 'cancelled (also when there was nothing to cancel)' } },
  { method: 'POST', path: '/api/payments/webhook', function: 'paymentWebhook', auth: 'signature', summary: 'Payment provider webhook (signature verified); marks the leed sold exactly once', success: { status: 200, description: '{received: true, sold}' } },
  { method: 'GET', path: '/api/session', function: 'getSession', auth: 'optional', summary: 'Who is signed in: asked by every page, so signed out is an answer, not an error', success: { status: 200, description: '{signedIn: false} or {signedIn: true, user: User}' } },
  { method: 'GET', path: '/api/me', function: 'getMe', auth: 'session', summary: 'Your own profile, email included', success: { status: 200, description: 'User' } },
  { method: 'GET', path: '/api/me/leedz', function: 'myLeedz', auth: 'session', summary: 'Your leedz: those you posted and those you bought, with what you earned, spent and paid in fees', success: { status: 200, description: '{posted: MyLeed[], bought: MyLeed[], totals}' } },
  { method: 'GET', path: '/api/me/calendar', function: 'getCalendarFeed', auth: 'session', summary: 'Whether you have a calendar feed of the gigs you bought, and since when', success: { status: 200, description: '{feed: {createdAt} | null}' } },
  { method: 'POST', path: '/api/me/calendar', function: 'newCalendarFeed', auth: 'session', summary: 'A new private calendar feed URL (shown once); the previous one stops working', success: { status: 201, description: '{url, createdAt}' } },
  { method: 'DELETE', path: '/api/me/calendar', function: 'revokeCalendarFeed', auth: 'session', summary: 'Turn your calendar feed off: its URL stops working', success: { status: 204, description: 'turned off' } },
  { method: 'GET', path: '/api/calendar/:file', function: 'calendarFeed', auth: 'none', summary: 'A calendar feed (iCalendar, RFC 5545) of the gigs a vendor bought, at the private URL POST /api/me/calendar gave', success: { status: 200, description: 'text/calendar' } },
  { method: 'PATCH', path: '/api/me', function: 'updateMe', auth: 'session', summary: 'Edit your profile and subscriptions (at most 6)', body: profilePatchInputSchema, success: { status: 200, description: 'User' } },
  { method: 'GET', path: '/api/users/:username', function: 'getUser', auth: 'none', summary: 'A public profile', success: { status: 200, description: 'PublicProfile' } },
  { method: 'POST', path: '/api/auth/login', function: 'login', auth: 'none', summary: 'Email a sign-in link (valid 15 minutes, single use)', body: loginBodySchema, success: { status: 202, description: 'the link is on its way' } },
  { method: 'POST', path: '/api/auth/logout', function: 'logout', auth: 'none', summary: 'Sign out of this browser (expires the session cookie)', success: { status: 204, description: 'signed out' } },
  { method: 'POST', path: '/api/unsubscribe', function: 'unsubscribe', auth: 'none', summary: 'One-click unsubscribe (RFC 8058) from the trade a bulk email was about: no session, the signed token of its link says who; the body is the form a mail app sends', query: unsubscribeQuerySchema, accepts: ['application/x-www-form-urlencoded', 'multipart/form-data'], success: { status: 200, description: '{unsubscribed: true, trade}' } },
  { method: 'GET', path: '/api/unsubscribe', function: 'openUnsubscribeLink', auth: 'none', summary: 'An unsubscribe link opened in a browser: never unsubscribes (mail scanners open links); sends it to the page /unsubscribe#token=…, whose button POSTs', query: unsubscribeQuerySchema, success: { status: 303, description: 'to the web app\'s unsubscribe page' } },
  { method: 'POST', path: '/api/auth/callback', function: 'authCallback', auth: 'none', summary: 'Redeem the token of a sign-in link for a session (JSON and cookie); the link opens /signin/confirm#token=…, whose button sends it here', body: callbackBodySchema, success: { status: 200, description: '{token, user}' } },
];

/**
 * On AWS, the function that answers what no route of {@link ROUTES} matches under /api/ (API Gateway's
 * catch-all route, infra/http-api.ts): the API reference and the API's own 404 or 405, as the local
 * server answers them. Any API function could; this one loads least.
 */
export const API_FRONT_FUNCTION = 'getTrades';

/** The OpenAPI 3.1 document of {@link ROUTES}, generated from the same schemas that validate requests. */
export function openApiDocument(serverUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (route.query !== undefined) {
      const schema = jsonSchema(route.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property });
      }
    }
    const example = EXAMPLES[route.function];
    const response = RESPONSES[route.function];
    const responses: Record<string, unknown> = {
      [route.success.status]: {
        description: route.success.description,
        ...(response === undefined ? {} : { content: { 'application/json': { schema: jsonSchema(response, 'output'), ...(example?.response === undefined ? {} : { example: example.response }) } } }),
      },
    };
    for (const error of routeErrors(route)) {
      responses[error.status] ??= { description: '', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
      const entry = responses[error.status] as { description: string };
      entry.description = [entry.description, `${error.code}: ${error.when}`].filter(Boolean).join('; ');
    }
    const operation: Record<string, unknown> = { operationId: route.function, summary: route.summary, parameters, responses };
    if (route.auth === 'session') operation.security = [{ session: [] }];
    if (route.body !== undefined) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(route.body), ...(example?.body === undefined ? {} : { example: example.body }) } } };
    }
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  const schemas = (z.toJSONSchema(API_TYPES, { io: 'output', unrepresentable: 'any', uri: (id: string) => `#/components/schemas/${id}` }) as { schemas: Record<string, Record<string, unknown>> }).schemas;
  for (const schema of Object.values(schemas)) delete schema.$id;
  return {
    openapi: '3.1.0',
    info: { title: 'The Leedz API', version: '1.0.0', description: 'Post and sell leedz (bookings you cannot take) to vendors of the same trade.' },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: { session: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: fixRefs(schemas),
    },
  };
}

/**
 * A request or response schema as JSON Schema: the named types ({@link API_TYPES}) referred to as
 * `#/components/schemas/<name>`, everything else inline.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any', metadata: DOCUMENTED }) as Record<string, unknown>;
  delete generated.$schema;
  delete generated.$defs;
  return fixRefs(generated);
}

/**
 * What the generator reads of each schema: a named type's id (and description) from {@link API_TYPES},
 * and for every other schema its description from zod's global registry (`.describe()`), without an id.
 */
const DOCUMENTED = {
  get(schema: z.core.$ZodType) {
    const own = API_TYPES.get(schema);
    if (own !== undefined) return own;
    const global = z.globalRegistry.get(schema);
    if (global === undefined) return undefined;
    const { id: _id, ...rest } = global;
    return rest;
  },
} as unknown as typeof API_TYPES;

/** zod writes `#/$defs/<name>`; in the OpenAPI document the named types live in components. */
function fixRefs<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/"#\/\$defs\/([A-Za-z]+)"/g, '"#/components/schemas/$1"')) as T;
}
