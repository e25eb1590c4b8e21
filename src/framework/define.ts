/**
 * `defineFunction` and `defineController`: the two kinds of function in the pattern.
 *
 * A **function** is request-response: an input schema and a handler that does only what the client
 * must wait for. A **controller** is the typed "grand match statement": routes, each with a payload
 * schema and a handler, reached by the envelope's `function` field and invoked asynchronously.
 *
 * @example
 * const emailHelper = defineController('emailHelper', {
 *   notifyUsers: { payload: z.object({ leedId: z.string() }), handler: async ({ leedId }, ctx) => {} },
 * }, { maximumRetryAttempts: 2 });
 *
 * const addLeed = defineFunction('addLeed', {
 *   input: z.object({ title: z.string() }),
 *   invokes: [emailHelper],
 *   handler: async (input, ctx) => {
 *     await invoke(ctx, emailHelper).notifyUsers.event({ leedId: 'l_1' });
 *     return { ok: true };
 *   },
 * });
 */
import type { z } from 'zod';
import type { InvocationContext } from './context.js';
import { splitEnvelope } from './envelope.js';
import { InvalidPayloadError, UnknownFunctionError, runWithRetryAfter, type FieldIssue } from './errors.js';
import { describeSchema, type InputDescription } from './input-docs.js';

/** Lambda's per-function settings that the code declares; the local runtime applies them and CDK deploys them. */
/** Lambda's longest `Timeout`: 900 seconds, 15 minutes. */
export const MAX_TIMEOUT_SECONDS = 900;

export interface FunctionConfig {
  /** Lambda's `Timeout`, in seconds (default 3, as on Lambda; 1–900). */
  timeoutSeconds?: number;
  /** Reserved concurrency; unset means bounded only by the runtime's pool. */
  reservedConcurrency?: number;
  /** `MaximumRetryAttempts` of asynchronous invocation: 0–2, default 2. */
  maximumRetryAttempts?: number;
  /** `MaximumEventAgeInSeconds`: 60–21,600, default 21,600. */
  maximumEventAgeSeconds?: number;
  /** Destination for records of successful asynchronous invocations: a function name. */
  onSuccess?: string;
  /** Destination for records of failed asynchronous invocations: a function name, or unset for the dead-letter store. */
  onFailure?: string;
  /**
   * The actions the code sends to the application's table, each one it may send on any path
   * (`['get', 'query']` for a reader; a transaction's items count as the put, update, delete or
   * condition check each is); unset: it does not use the table. Declared beside the code as
   * `invokes` is, and for the same reason: on AWS it becomes the function's IAM policy on the table.
   */
  table?: TableAccess;
}

/**
 * The actions a function may declare on the table: item reads, queries (of the table and its
 * indexes), and the item writes — alone or as the items of a transaction.
 */
export const TABLE_ACTION_NAMES = ['get', 'query', 'put', 'update', 'delete', 'condition-check'] as const;

/** One action on the application's table (see {@link TABLE_ACTION_NAMES}). */
export type TableAction = (typeof TABLE_ACTION_NAMES)[number];

/** A function's access to the application's table: the actions its code sends (see {@link FunctionConfig.table}). */
export type TableAccess = readonly TableAction[];

/**
 * A controller's settings: Lambda's, plus the functions it may invoke, by name — a controller that
 * fans out invokes itself, and cannot pass itself as an object while it is being defined. On AWS this
 * becomes its IAM policy, as a function's `invokes` does.
 */
export interface ControllerConfig extends FunctionConfig {
  invokes?: readonly string[];
}

/** What the runtime registers and the Lambda entry files export: a name, settings, and one entry point. */
export interface Deployable {
  readonly kind: 'function' | 'controller';
  readonly name: string;
  readonly config: Readonly<FunctionConfig>;
  /** Names of the controllers this function may invoke (its IAM policy on AWS). */
  readonly invokes: readonly string[];
  /**
   * Dotted paths of the payload that hold secrets (`query.token`; `body.*` for every field of the
   * body): the local runtime's invocation log stores `"[redacted]"` in their place. The handler
   * still receives them.
   */
  readonly sensitive: readonly string[];
  /** What a caller sends, as JSON Schema with an example: one for a function, one per route for a controller. */
  describeInput(): InputDescription[];
  /** The one entry point: Lambda's handler, the local worker and the Invoke API all call it. */
  handle(event: unknown, ctx: InvocationContext): Promise<unknown>;
}

type AnySchema = z.ZodType;

export interface RouteDefinition<S extends AnySchema = AnySchema, R = unknown> {
  payload: S;
  handler: (payload: z.output<S>, ctx: InvocationContext) => Promise<R> | R;
}

export interface Controller<
  Name extends string = string,
  Schemas extends Record<string, AnySchema> = Record<string, AnySchema>,
  Results extends { [K in keyof Schemas]: unknown } = { [K in keyof Schemas]: unknown },
> extends Deployable {
  readonly kind: 'controller';
  readonly name: Name;
  readonly routeNames: readonly (keyof Schemas & string)[];
  /** Type-only: the payload (input) type and result type of each route. */
  readonly __routes?: { [K in keyof Schemas]: { payload: z.input<Schemas[K]>; result: Awaited<Results[K]> } };
  /** Validate a route's payload without running it (what `dryRun` and the invoker check). */
  validate(route: string, payload: unknown): void;
  /** Route an envelope to its handler. Unknown route or invalid payload → a non-retriable error. */
  dispatch(event: unknown, ctx: InvocationContext): Promise<unknown>;
}

export interface LambdaFunction<Name extends string = string, Input = unknown, Output = unknown> extends Deployable {
  readonly kind: 'function';
  readonly name: Name;
  readonly __io?: { input: Input; output: Output };
}

/**
 * Define a controller. Route names and payload types flow from this object literal to every
 * invoker, so a wrong route or payload does not compile.
 */
export function defineController<
  const Name extends string,
  Schemas extends Record<string, AnySchema>,
  Definitions extends { [K in keyof Schemas]: RouteDefinition<Schemas[K], unknown> },
>(
  name: Name,
  routes: Definitions & { [K in keyof Schemas]: RouteDefinition<Schemas[K], unknown> },
  config: ControllerConfig = {},
): Controller<Name, Schemas, { [K in keyof Schemas]: ReturnType<Definitions[K]['handler']> }> {
  assertFunctionName(name);
  const { invokes = [], ...lambdaConfig } = config;
  validateConfig(name, lambdaConfig);
  for (const target of invokes) assertFunctionName(target);
  // A Map, not the object: a route named by the caller (`constructor`, `__proto__`) must not reach Object.prototype.
  const table = new Map<string, RouteDefinition>();
  for (const [route, definition] of Object.entries(routes) as [string, RouteDefinition][]) {
    table.set(route, definition);
  }
  const routeNames = [...table.keys()];

  function lookup(route: unknown): RouteDefinition {
    const definition = typeof route === 'string' ? table.get(route) : undefined;
    if (definition === undefined) throw new UnknownFunctionError(name, route, routeNames);
    return definition;
  }

  function parse(route: string, definition: RouteDefinition, fields: unknown): unknown {
    const result = definition.payload.safeParse(fields);
    if (!result.success) throw new InvalidPayloadError(`${name}.${route}`, toFieldIssues(result.error), result.error);
    return result.data;
  }

  async function dispatch(event: unknown, ctx: InvocationContext): Promise<unknown> {
    const { route, fields } = splitEnvelope(event);
    const definition = lookup(route);
    const payload = parse(route as string, definition, fields);
    return runWithRetryAfter(ctx, () => definition.handler(payload, ctx));
  }

  return {
    kind: 'controller',
    name,
    config: Object.freeze(lambdaConfig),
    invokes: [...invokes],
    sensitive: [],
    describeInput: () =>
      routeNames.map((route) => {
        const { schema, example } = describeSchema(table.get(route)!.payload);
        // The flat envelope: the route's name beside its fields.
        return { route, schema, example: { function: route, ...(example as object) } };
      }),
    routeNames: routeNames as (keyof Schemas & string)[],
    validate(route, payload) {
      const definition = lookup(route);
      parse(route, definition, splitEnvelope({ ...(payload as object), function: route }).fields);
    },
    dispatch,
    handle: dispatch,
  };
}

export interface FunctionDefinition<S extends AnySchema, R> extends FunctionConfig {
  input: S;
  /** Controllers this function may invoke; anything else is refused (and not granted on AWS). */
  invokes?: readonly Deployable[];
  /** Dotted paths of the input that hold secrets, kept out of the local invocation log (see {@link Deployable.sensitive}). */
  sensitive?: readonly string[];
  /** What callers send, when it is narrower than what `input` validates (an HTTP route's params and body): for {@link Deployable.describeInput}. */
  documentedInput?: AnySchema;
  handler: (input: z.output<S>, ctx: InvocationContext) => Promise<R> | R;
}

/** Define a request-response function: validated input, a handler, and the controllers it may invoke. */
export function defineFunction<const Name extends string, S extends AnySchema, R>(
  name: Name,
  definition: FunctionDefinition<S, R>,
): LambdaFunction<Name, z.input<S>, Awaited<R>> {
  assertFunctionName(name);
  const { input, invokes = [], sensitive = [], documentedInput, handler, ...config } = definition;
  validateConfig(name, config);
  return {
    kind: 'function',
    name,
    config: Object.freeze(config),
    invokes: invokes.map((target) => target.name),
    sensitive: [...sensitive],
    describeInput: () => [describeSchema(documentedInput ?? input)],
    async handle(event, ctx) {
      const { _meta: _ignored, ...fields } = isPlainObject(event) ? event : { _meta: undefined };
      const parsed = input.safeParse(isPlainObject(event) ? fields : event);
      if (!parsed.success) throw new InvalidPayloadError(name, toFieldIssues(parsed.error), parsed.error);
      return runWithRetryAfter(ctx, () => handler(parsed.data, ctx));
    },
  };
}

/** Turn a zod error into one issue per field, with a dotted path. */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** Lambda's function-name rule: 1–64 characters of letters, digits, hyphens and underscores. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function assertFunctionName(name: string): void {
  if (!FUNCTION_NAME.test(name)) {
    throw new TypeError(`function name "${name}": must be 1–64 letters, digits, "-" or "_" (Lambda's rule)`);
  }
}

function validateConfig(name: string, config: FunctionConfig): void {
  const check = (field: keyof FunctionConfig, ok: boolean, rule: string) => {
    if (config[field] !== undefined && !ok) throw new RangeError(`${name}: ${field} ${rule}`);
  };
  const int = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
  check('timeoutSeconds', int(config.timeoutSeconds, 1, MAX_TIMEOUT_SECONDS), `must be an integer from 1 to ${MAX_TIMEOUT_SECONDS}`);
  check('reservedConcurrency', int(config.reservedConcurrency, 1, 1000), 'must be an integer from 1 to 1000');
  check('maximumRetryAttempts', int(config.maximumRetryAttempts, 0, 2), 'must be 0, 1 or 2');
  check('maximumEventAgeSeconds', int(config.maximumEventAgeSeconds, 60, 21_600), 'must be an integer from 60 to 21600');
  const tableProblem = tableRule(config.table);
  check('table', tableProblem === undefined, tableProblem ?? '');
  for (const field of ['onSuccess', 'onFailure'] as const) {
    const target = config[field];
    check(field, typeof target === 'string' && FUNCTION_NAME.test(target), 'must be a function name');
  }
}

/** What is wrong with a `table` declaration, or undefined when it is a list of distinct table actions. */
function tableRule(table: unknown): string | undefined {
  const names = TABLE_ACTION_NAMES.map((action) => `"${action}"`).join(', ');
  if (!Array.isArray(table) || table.length === 0) {
    return `must be a non-empty list of the table actions the code sends (${names}); leave it out when the code does not use the table`;
  }
  const unknown = table.findIndex((action) => !(TABLE_ACTION_NAMES as readonly unknown[]).includes(action));
  if (unknown !== -1) return `lists ${JSON.stringify(table[unknown]) ?? 'undefined'}, which is not a table action: each must be one of ${names}`;
  const twice = table.findIndex((action, i) => table.indexOf(action) !== i);
  if (twice !== -1) return `lists "${table[twice]}" twice`;
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
