/**
 * The local runtime over HTTP: Lambda's Invoke REST API and the management operations
 * (`src/runtime/management-api.ts`), so that `@aws-sdk/client-lambda`, boto3 and `aws lambda …
 * --endpoint-url` work against it unchanged, and under `/local/` (not an AWS path) the JSON endpoints
 * of the operations console and the CLI (invocation log, dead letters, destination records, metrics,
 * functions). Every one of them needs the runtime's credentials or the operator's console session
 * (`src/runtime/access.ts`).
 *
 * Each handler only converts: request → one runtime call → response. Lambda's rules (name
 * resolution, payload limits, JSON parsing, DryRun/Event/RequestResponse) live in {@link LocalRuntime}.
 * Status codes, headers and error bodies follow https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html.
 *
 * @example
 * const app = new Hono();
 * app.route('/', createInvokeApi(runtime, { credentials }));
 * serve({ fetch: app.fetch, port: 3000 });
 * // new LambdaClient({ endpoint: 'http://127.0.0.1:3000', region: 'local', credentials }) now reaches `runtime`
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie } from 'hono/cookie';
import { InvokeError } from '../framework/transport.js';
import { z } from 'zod';
import { createAccess, requestBody, requestTooLarge, type Access, type AccessOptions } from './access.js';
import { handleInvoke } from './invoke-handler.js';
import { lambdaErrorResponse, toResponse } from './lambda-errors.js';
import type { LocalRuntime } from './local-runtime.js';
import { MAX_TEXT_FILTER } from './invocation-log.js';
import { MAX_WINDOW_SECONDS } from './log-metrics.js';
import { OPERATOR_COOKIE } from './operator-sessions.js';
import { createManagementApi, createUnknownOperationApi } from './management-api.js';
import { OUTCOMES, type FunctionDetail, type FunctionView, type InvocationState, type StorageView } from './views.js';

export interface InvokeApiOptions extends AccessOptions {
  /** Makes a console sign-in link for `POST /local/console-link` (the server's URL and a token). */
  consoleLink?: () => string;
  /** The server's other databases for `GET /local/storage` (the runtime's own is always there). */
  storage?: () => StorageView[];
}

/** Lambda's API and the runtime's JSON, behind the runtime's credentials; `access` is returned for the server's other guarded pages. */
export function createInvokeApi(runtime: LocalRuntime, options: InvokeApiOptions): Hono & { access: Access } {
  const access = createAccess(options);
  const app = new Hono();
  // Every path of Lambda's API is signed, served or not: an unsigned caller learns nothing.
  app.use('/:version{20\\d\\d-\\d\\d-\\d\\d}/*', access.requireSignature());
  app.use('/local/*', access.requireSignatureOrOperator());
  app.route('/2015-03-31/functions', createLambdaRoutes(runtime));
  app.route('/', createManagementApi(runtime));
  app.route('/', createUnknownOperationApi());
  app.route('/local', createLocalRoutes(runtime, options));
  return Object.assign(app, { access });
}

// ── Lambda's Invoke ─────────────────────────────────────────────────────────

function createLambdaRoutes(runtime: LocalRuntime): Hono {
  const app = new Hono();

  app.post('/:FunctionName/invocations', async (c) => {
    // The signature check has read the body already (it signs the body).
    const body = await requestBody(c);
    const answer = await handleInvoke(runtime, { functionName: c.req.param('FunctionName'), qualifier: c.req.query('Qualifier'), header: (name) => c.req.header(name), body });
    return toResponse(answer);
  });

  app.onError((error) => lambdaErrorResponse(error));

  return app;
}

// ── /local: the console's and the CLI's endpoints ───────────────────────────

const STATES = { queued: 'queued', running: 'running', succeeded: 'succeeded', failed: 'failed' } as const satisfies {
  [K in InvocationState]: K;
};

const limit = z.coerce.number().int().min(1).max(10_000).optional();
const text = z.string().min(1).optional();
const flag = z.enum(['true', 'false']).transform((value) => value === 'true').optional();

// Strict: a misspelt parameter (`?fucntion=`) is an error, not a silently unfiltered list.
const instant = z
  .string()
  .transform((value, ctx) => {
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    if (Number.isNaN(ms)) ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 time or epoch milliseconds' });
    return ms;
  })
  .optional();

const invocationsQuery = z.strictObject({
  id: text,
  function: text,
  outcome: z.enum(OUTCOMES).optional(),
  state: z.enum(STATES).optional(),
  type: z.enum(['Event', 'RequestResponse']).optional(),
  parentId: text,
  traceId: text,
  http: z.enum(['2xx', '3xx', '4xx', '5xx', 'error']).optional(),
  from: instant,
  to: instant,
  /** The last id of the previous page. */
  before: text,
  /** Text the payload contains. */
  text: z.string().min(1).max(MAX_TEXT_FILTER).optional(),
  limit,
  /** Include each invocation's payload (the console shows a controller's route from it). */
  withPayload: flag,
});
const compactQuery = z.strictObject({ vacuum: flag });
const invokeBody = z.strictObject({
  type: z.enum(['Event', 'RequestResponse'], { error: 'must be Event or RequestResponse' }),
  payload: z.unknown().refine((value) => value !== undefined, 'is required: the JSON the function is given'),
});
/** Two per row of the longest page (an id and its parent). */
const shortIdsBody = z.strictObject({ ids: z.array(z.string().min(1).max(64)).max(20_000, 'must be at most 20,000 ids') });
const deadLettersQuery = z.strictObject({ includeReplayed: flag, limit });
const destinationRecordsQuery = z.strictObject({ invocationId: text, limit });
const metricsQuery = z.strictObject({ windowSeconds: z.coerce.number().positive().max(MAX_WINDOW_SECONDS, `must be at most ${MAX_WINDOW_SECONDS} (ten years)`).optional() });
const DEAD_LETTER_ID = /^[1-9]\d*$/;

/** A request the endpoint cannot serve, answered as `{message, fields?}` with its status. */
class LocalApiError extends Error {
  readonly status: 400 | 404 | 409 | 413;
  readonly fields?: { parameter: string; message: string }[];

  constructor(status: 400 | 404 | 409 | 413, message: string, fields?: { parameter: string; message: string }[]) {
    super(message);
    this.status = status;
    if (fields !== undefined) this.fields = fields;
  }
}

function createLocalRoutes(runtime: LocalRuntime, options: InvokeApiOptions): Hono {
  const app = new Hono();

  // `leedz console-url`: a fresh one-time sign-in link for the operations console.
  app.post('/console-link', (c) => {
    if (options.consoleLink === undefined) throw new LocalApiError(404, 'this server has no operations console');
    return c.json({ url: options.consoleLink() });
  });

  // The console's "Sign out": the session ends here, not only in this browser (a copied cookie opens nothing after).
  app.post('/sign-out', (c) => {
    const session = getCookie(c, OPERATOR_COOKIE);
    if (session !== undefined) options.operators?.revoke(session);
    deleteCookie(c, OPERATOR_COOKIE, { path: '/' });
    return c.json({ signedOut: session !== undefined });
  });

  app.get('/invocations', (c) => c.json(runtime.listInvocations(parseQuery(c, invocationsQuery))));

  // The CLI's tables: ids cut to the shortest beginning no other id of the log shares (`--id` takes it back).
  app.post('/short-ids', async (c) => {
    return c.json(runtime.shortIds((await parsedBody(c, shortIdsBody)).ids));
  });

  app.get('/invocations/:id', (c) => {
    const invocation = runtime.getInvocation(c.req.param('id'));
    if (invocation === undefined) throw new LocalApiError(404, `invocation ${c.req.param('id')}: not found`);
    return c.json(invocation);
  });

  // The console's Replay: the same function, payload and type again, as a new invocation.
  app.post('/invocations/:id/replay', async (c) => {
    try {
      return c.json(await runtime.replayInvocation(c.req.param('id')));
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new LocalApiError(error.message.endsWith('not found') ? 404 : 409, error.message);
    }
  });

  // The console's "Send": invoke a function with the operator's session (the Invoke API needs a signature).
  app.post('/invoke/:name', async (c) => {
    const body = await parsedBody(c, invokeBody);
    const name = runtime.registry.nameOf(c.req.param('name'));
    if (name === undefined) throw new LocalApiError(404, `function ${c.req.param('name')}: not found`);
    try {
      return c.json(await runtime.invoke(name, body.payload, body.type));
    } catch (error) {
      if (error instanceof InvokeError) throw new LocalApiError(error.statusCode === 404 ? 404 : 400, `${error.name}: ${error.message}`);
      throw error;
    }
  });

  app.get('/dead-letters', (c) => c.json(runtime.listDeadLetters(parseQuery(c, deadLettersQuery))));
  app.get('/dead-letters/open', (c) => c.json({ open: runtime.countOpenDeadLetters() }));

  app.post('/dead-letters/replay-all', async (c) => c.json({ replayed: await runtime.replayAllDeadLetters() }));

  app.post('/dead-letters/:id/replay', async (c) => {
    const raw = c.req.param('id');
    if (!DEAD_LETTER_ID.test(raw)) throw new LocalApiError(400, `dead letter id "${raw}": must be a positive whole number`);
    const id = Number(raw);
    const letter = runtime.getDeadLetter(id);
    if (letter === undefined) throw new LocalApiError(404, `dead letter ${id}: not found`);
    if (letter.replayedAs !== null) throw new LocalApiError(409, `dead letter ${id}: already replayed as ${letter.replayedAs}`);
    try {
      return c.json({ invocationId: await runtime.replayDeadLetter(id) });
    } catch (error) {
      // Replayed meanwhile, or its invocation is gone from the log: the runtime says which.
      if (error instanceof RangeError) throw new LocalApiError(409, error.message);
      throw error;
    }
  });

  app.get('/destination-records', (c) => c.json(runtime.listDestinationRecords(parseQuery(c, destinationRecordsQuery))));

  app.get('/metrics', (c) => {
    const { windowSeconds } = parseQuery(c, metricsQuery);
    return c.json(runtime.metrics(windowSeconds === undefined ? undefined : windowSeconds * 1000));
  });

  // Hold and release a function's queue (the runtime's own setting, kept across restarts).
  for (const action of ['pause', 'resume'] as const) {
    app.post(`/functions/:name/${action}`, (c) => {
      const name = runtime.registry.nameOf(c.req.param('name'));
      if (name === undefined || runtime.describe(name) === undefined) throw new LocalApiError(404, `function ${c.req.param('name')}: not found`);
      runtime[action](name);
      const fn = runtime.describe(name)!;
      return c.json({ name, kind: fn.deployable.kind, config: fn.config } satisfies FunctionView);
    });
  }

  // Retention now, rather than at its next turn; `?vacuum=true` also gives the freed space back.
  app.post('/compact', async (c) => c.json(await runtime.compact(parseQuery(c, compactQuery))));

  app.get('/storage', (c) =>
    c.json([{ name: 'runtime', description: 'invocation log and queue', bytes: runtime.storageBytes() }, ...(options.storage?.() ?? [])] satisfies StorageView[]),
  );

  app.get('/functions', (c) =>
    c.json(
      runtime.functionNames().map((name): FunctionView => {
        const fn = runtime.describe(name)!;
        return { name, kind: fn.deployable.kind, config: fn.config };
      }),
    ),
  );

  // One function with what a caller sends it: `leedz invoke NAME --help` and the console's forms read this.
  app.get('/functions/:name', (c) => {
    const name = runtime.registry.nameOf(c.req.param('name'));
    const fn = name === undefined ? undefined : runtime.describe(name);
    if (fn === undefined) throw new LocalApiError(404, `function ${c.req.param('name')}: not found`);
    const detail: FunctionDetail = { name: fn.deployable.name, kind: fn.deployable.kind, config: fn.config, inputs: fn.deployable.describeInput() };
    return c.json(detail);
  });

  // The runtime's JSON answers in JSON whatever is asked of it, a path or method it lacks included.
  app.all('*', (c) => c.json({ message: `no runtime endpoint ${c.req.method} ${c.req.path}: the console and \`npm run leedz -- --help\` use the ones there are` }, 404));

  app.onError((error, c) => {
    if (error instanceof LocalApiError) {
      return c.json(error.fields === undefined ? { message: error.message } : { message: error.message, fields: error.fields }, error.status);
    }
    return c.json({ message: `The local runtime failed: ${(error as Error).message}` }, 500);
  });

  return app;
}

/** The JSON body as `schema` reads it, or a 400 naming each field and its rule. */
async function parsedBody<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  const parsed = schema.safeParse(await jsonBody(c));
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((issue) => ({ parameter: issue.path.map(String).join('.') || '(body)', message: issue.message }));
  throw new LocalApiError(400, `invalid body: ${fields.map((f) => `${f.parameter}: ${f.message}`).join('; ')}`, fields);
}

/** The request's JSON body (as the signature check kept it, when it read it); 400 when it is not JSON, 413 past the cap. */
async function jsonBody(c: Context): Promise<unknown> {
  const bytes = await requestBody(c);
  if (bytes === undefined) throw new LocalApiError(413, requestTooLarge().message);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new LocalApiError(400, `invalid body: not JSON (${(error as Error).message})`, [{ parameter: '(body)', message: 'must be JSON' }]);
  }
}

/** The parameters of a presigned URL's signature (X-Amz-Algorithm, X-Amz-Signature, …), checked already by src/runtime/access.ts. */
const SIGNATURE_PARAMETER = /^x-amz-/i;

/** Validate the query string, a presigned URL's signature aside; a bad value is a 400 that names the parameter. */
function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const query = Object.fromEntries(Object.entries(c.req.query()).filter(([name]) => !SIGNATURE_PARAMETER.test(name)));
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ parameter: key, message: 'unknown query parameter' }))
      : [{ parameter: issue.path.map(String).join('.'), message: issue.message }],
  );
  throw new LocalApiError(400, `invalid query: ${fields.map((f) => `${f.parameter}: ${f.message}`).join('; ')}`, fields);
}
