/**
 * The local runtime over HTTP: Lambda's Invoke REST API, so that `@aws-sdk/client-lambda` and
 * `aws lambda invoke --endpoint-url` work against it unchanged, and under `/local/` (not an AWS path)
 * the JSON endpoints of the operations console and the CLI (invocation log, dead letters,
 * destination records, metrics, functions).
 *
 * Each handler only converts: request → one runtime call → response. Lambda's rules (name
 * resolution, payload limits, JSON parsing, DryRun/Event/RequestResponse) live in {@link LocalRuntime}.
 * Status codes, headers and error bodies follow https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html.
 *
 * @example
 * const app = new Hono();
 * app.route('/', createInvokeApi(runtime));
 * serve({ fetch: app.fetch, port: 3000 });
 * // new LambdaClient({ endpoint: 'http://127.0.0.1:3000', region: 'local', credentials }) now reaches `runtime`
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { INVOCATION_TYPES, InvokeError, type InvocationType, type InvokeOptions, type InvokeResult } from '../framework/transport.js';
import { parseFunctionName } from './function-name.js';
import { EVENT_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT, decodeClientContext, type LocalRuntime } from './local-runtime.js';
import type { InvocationState, Outcome } from './runtime-db.js';

/** Lambda's Qualifier pattern: `$LATEST`, a version number or an alias name. */
const QUALIFIER = /^(\$LATEST|[A-Za-z0-9_-]{1,128})$/;
const LOG_TYPES = ['None', 'Tail'] as const;

export function createInvokeApi(runtime: LocalRuntime): Hono {
  const app = new Hono();
  app.route('/2015-03-31/functions', createLambdaRoutes(runtime));
  app.route('/local', createLocalRoutes(runtime));
  return app;
}

// ── Lambda's Invoke ─────────────────────────────────────────────────────────

function createLambdaRoutes(runtime: LocalRuntime): Hono {
  const app = new Hono();

  app.post('/:FunctionName/invocations', async (c) => {
    const type = invocationTypeOf(c.req.header('X-Amz-Invocation-Type'));
    const options = invokeOptionsOf(c);
    const functionName = qualifiedName(c.req.param('FunctionName'), c.req.query('Qualifier'));
    const body = await readPayload(c.req.raw, type);
    const result = await runtime.invokeRaw(functionName, body, type, options);
    return invokeResponse(result);
  });

  app.onError((error) => {
    if (error instanceof InvokeError) return errorResponse(error);
    // Never an HTML page or a bare 500: the SDK needs a typed error to throw.
    return errorResponse(new InvokeError('ServiceException', `The local runtime failed: ${(error as Error).message}`, { cause: error }));
  });

  return app;
}

function invocationTypeOf(header: string | undefined): InvocationType {
  if (header === undefined) return 'RequestResponse';
  if ((INVOCATION_TYPES as readonly string[]).includes(header)) return header as InvocationType;
  throw new InvokeError(
    'InvalidParameterValueException',
    `1 validation error detected: Value '${header}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [${INVOCATION_TYPES.join(', ')}]`,
  );
}

function invokeOptionsOf(c: Context): InvokeOptions {
  const options: InvokeOptions = {};
  const logType = c.req.header('X-Amz-Log-Type');
  if (logType !== undefined) {
    if (!(LOG_TYPES as readonly string[]).includes(logType)) {
      throw new InvokeError(
        'InvalidParameterValueException',
        `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [${LOG_TYPES.join(', ')}]`,
      );
    }
    options.logType = logType as InvokeOptions['logType'];
  }
  const clientContext = c.req.header('X-Amz-Client-Context');
  if (clientContext !== undefined) {
    // Checked here for every invocation type; the runtime only decodes it for synchronous calls.
    decodeClientContext(clientContext);
    options.clientContext = clientContext;
  }
  return options;
}

/**
 * Fold `?Qualifier=` into the name, as Lambda does: the qualifier may be in either place, and when
 * it is in both they must agree.
 */
function qualifiedName(functionName: string, qualifier: string | undefined): string {
  if (qualifier === undefined) return functionName;
  if (!QUALIFIER.test(qualifier)) {
    throw new InvokeError(
      'InvalidParameterValueException',
      `1 validation error detected: Value '${qualifier}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`,
    );
  }
  const parsed = parseFunctionName(functionName);
  // Not one of Lambda's forms: the runtime answers ResourceNotFoundException for it.
  if (parsed === undefined) return functionName;
  if (parsed.qualifier === undefined) return `${functionName}:${qualifier}`;
  if (parsed.qualifier !== qualifier) {
    throw new InvokeError('InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
  }
  return functionName;
}

/**
 * The body as text, read with a cap so that a huge body costs at most the limit in memory: beyond
 * 6 MB nothing is invocable, whatever the type. The exact per-type limits (1 MB for Event) are the
 * runtime's, checked on this text before it is parsed.
 */
async function readPayload(request: Request, type: InvocationType): Promise<string> {
  const bytes = await readAtMost(request, SYNC_PAYLOAD_LIMIT);
  if (bytes === undefined) {
    const limit = type === 'Event' ? EVENT_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    throw new InvokeError('RequestTooLargeException', `Request must be smaller than ${limit} bytes for the ${type} invocation type`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InvokeError('InvalidRequestContentException', 'Could not parse request body into json: the body is not valid UTF-8');
  }
}

/** The request body, or `undefined` when it is longer than `limit` bytes (the server drains the rest). */
async function readAtMost(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = request.headers.get('content-length');
  if (Number(declared) > limit) return undefined;
  if (request.body === null) return new Uint8Array(0);
  // With a declared length within the limit, read it whole: @hono/node-server then reads the socket
  // directly instead of building a web stream (a third faster per request in bench/queue.ts).
  if (declared !== null && /^\d+$/.test(declared)) return new Uint8Array(await request.arrayBuffer());
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
}

function invokeResponse(result: InvokeResult): Response {
  const headers = new Headers({
    'X-Amz-Executed-Version': result.executedVersion ?? '$LATEST',
    'x-amzn-RequestId': result.requestId ?? randomUUID(),
  });
  if (result.statusCode !== 200) return new Response(null, { status: result.statusCode, headers });
  headers.set('Content-Type', 'application/json');
  if (result.functionError !== undefined) headers.set('X-Amz-Function-Error', result.functionError);
  if (result.logResult !== undefined) headers.set('X-Amz-Log-Result', result.logResult);
  return new Response(JSON.stringify(result.payload ?? null), { status: 200, headers });
}

/**
 * Lambda's error shape: the full exception name in `x-amzn-ErrorType` (the SDK maps it to a typed
 * exception) and a JSON body `{Type, message}`.
 */
function errorResponse(error: InvokeError): Response {
  const headers = new Headers({
    'Content-Type': 'application/json',
    'x-amzn-ErrorType': error.name,
    'x-amzn-RequestId': randomUUID(),
  });
  if (error.retryAfterSeconds !== undefined) headers.set('Retry-After', String(error.retryAfterSeconds));
  const body = { Type: error.name === 'ServiceException' ? 'Service' : 'User', message: error.message };
  return new Response(JSON.stringify(body), { status: error.statusCode, headers });
}

// ── /local: the console's and the CLI's endpoints ───────────────────────────

const OUTCOMES = {
  Success: 'Success',
  RetriesExhausted: 'RetriesExhausted',
  EventAgeExceeded: 'EventAgeExceeded',
  RecursiveInvocationException: 'RecursiveInvocationException',
  FunctionError: 'FunctionError',
} as const satisfies { [K in Outcome]: K };

const STATES = { queued: 'queued', running: 'running', succeeded: 'succeeded', failed: 'failed' } as const satisfies {
  [K in InvocationState]: K;
};

const limit = z.coerce.number().int().min(1).max(10_000).optional();
const text = z.string().min(1).optional();
const flag = z.enum(['true', 'false']).transform((value) => value === 'true').optional();

// Strict: a misspelt parameter (`?fucntion=`) is an error, not a silently unfiltered list.
const invocationsQuery = z.strictObject({
  function: text,
  outcome: z.enum(OUTCOMES).optional(),
  state: z.enum(STATES).optional(),
  type: z.enum(['Event', 'RequestResponse']).optional(),
  parentId: text,
  traceId: text,
  limit,
  /** Include each invocation's payload (the console shows a controller's route from it). */
  withPayload: flag,
});
const deadLettersQuery = z.strictObject({ includeReplayed: flag, limit });
const destinationRecordsQuery = z.strictObject({ invocationId: text, limit });
const metricsQuery = z.strictObject({ windowSeconds: z.coerce.number().positive().optional() });
const DEAD_LETTER_ID = /^[1-9]\d*$/;

/** A request the endpoint cannot serve, answered as `{message, fields?}` with its status. */
class LocalApiError extends Error {
  readonly status: 400 | 404 | 409;
  readonly fields?: { parameter: string; message: string }[];

  constructor(status: 400 | 404 | 409, message: string, fields?: { parameter: string; message: string }[]) {
    super(message);
    this.status = status;
    if (fields !== undefined) this.fields = fields;
  }
}

function createLocalRoutes(runtime: LocalRuntime): Hono {
  const app = new Hono();

  app.get('/invocations', (c) => c.json(runtime.listInvocations(parseQuery(c, invocationsQuery))));

  app.get('/invocations/:id', (c) => {
    const invocation = runtime.getInvocation(c.req.param('id'));
    if (invocation === undefined) throw new LocalApiError(404, `invocation ${c.req.param('id')}: not found`);
    return c.json(invocation);
  });

  app.get('/dead-letters', (c) => c.json(runtime.listDeadLetters(parseQuery(c, deadLettersQuery))));

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

  app.get('/functions', (c) =>
    c.json(
      runtime.functionNames().map((name) => {
        const fn = runtime.describe(name)!;
        return { name, kind: fn.deployable.kind, config: fn.config };
      }),
    ),
  );

  app.onError((error, c) => {
    if (error instanceof LocalApiError) {
      return c.json(error.fields === undefined ? { message: error.message } : { message: error.message, fields: error.fields }, error.status);
    }
    return c.json({ message: `The local runtime failed: ${(error as Error).message}` }, 500);
  });

  return app;
}

/** Validate the query string; a bad value is a 400 that names the parameter. */
function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ parameter: key, message: 'unknown query parameter' }))
      : [{ parameter: issue.path.map(String).join('.'), message: issue.message }],
  );
  throw new LocalApiError(400, `invalid query: ${fields.map((f) => `${f.parameter}: ${f.message}`).join('; ')}`, fields);
}
