/**
 * An HTTP function's input as people are shown it (`leedz invoke NAME --help`, `GET /local/functions/NAME`,
 * the console's Send tab): not the whole request every function validates, but what the edge hands it
 * for its route (src/edge/api-app.ts) — `caller` when the route has a session, the path's params, the
 * query as the text it arrives as, and the body — with an example that runs: the API reference's
 * (src/leedz/functions/api-docs.ts) where one is written.
 *
 * @example
 * describeRouteInput(ROUTES.find((route) => route.function === 'upcomingLeedz')!).example;
 * // → { params: { trade: 'dj' }, query: { from: '2027-…', after: 'aaaaaaaa', limit: '1' } }
 */
import { z } from 'zod';
import { describeSchema, type InputDescription } from '../../framework/input-docs.js';
import { EXAMPLES } from './api-docs.js';
import type { RouteSpec } from './routes.js';

/** Who is signed in, as the edge puts it in the request once it has verified the session's token. */
const CALLER = z
  .object({ username: z.string(), email: z.email() })
  .describe('who is signed in: the edge puts the user of the verified session here (a request without one has no caller)');
const CALLER_EXAMPLE = { username: 'pat', email: 'pat@example.com' };
/** A path parameter's example, by its name; an unknown name gets "example". */
const PARAM_EXAMPLES: Readonly<Record<string, string>> = { trade: 'dj', id: 'l_Zp3Yw2', username: 'pat', file: 'the-feed-token.ics' };

type Json = Record<string, unknown>;

export function describeRouteInput(route: RouteSpec): InputDescription {
  const params = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]!);
  const input = z.object({
    ...(route.auth === 'session' ? { caller: CALLER } : route.auth === 'optional' ? { caller: CALLER.optional() } : {}),
    params: z.object(Object.fromEntries(params.map((name) => [name, z.string()]))),
    ...(route.query === undefined ? {} : { query: route.query }),
    ...(route.body === undefined ? {} : { body: route.body }),
  });
  const described = describeSchema(input);
  const properties = described.schema.properties as Record<string, Json>;
  if (properties.query !== undefined) properties.query = queryAsText(properties.query);
  const generated = described.example as { query?: Record<string, unknown>; body?: unknown };
  const written = EXAMPLES[route.function] ?? {};
  const query = written.query ?? (generated.query === undefined ? undefined : textValues(generated.query));
  const body = written.body ?? generated.body;
  const example = {
    ...(route.auth === 'session' || route.auth === 'optional' ? { caller: CALLER_EXAMPLE } : {}),
    params: Object.fromEntries(params.map((name) => [name, PARAM_EXAMPLES[name] ?? 'example'])),
    ...(query === undefined ? {} : { query }),
    ...(body === undefined ? {} : { body }),
  };
  return { schema: described.schema, example };
}

/**
 * A query's schema as its values arrive, text: a number or a yes/no field becomes a string whose
 * content is that value (JSON Schema's `contentSchema`), so that an example of it is "1", not 1.
 */
function queryAsText(query: Json): Json {
  const properties = (query.properties ?? {}) as Record<string, Json>;
  const textual = Object.entries(properties).map(([name, property]) =>
    ['number', 'integer', 'boolean'].includes(property.type as string) ? [name, { type: 'string', contentMediaType: 'application/json', contentSchema: property }] : [name, property],
  );
  return { ...query, properties: Object.fromEntries(textual) };
}

/** An example query's values as the text they are sent as. */
function textValues(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]));
}
