import { join } from 'node:path';
import {
  InvalidParameterValueException,
  InvalidRequestContentException,
  InvokeCommand,
  LambdaClient,
  LambdaServiceException,
  ResourceNotFoundException,
  TooManyRequestsException,
  type InvokeCommandInput,
  type InvokeCommandOutput,
} from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineController, defineFunction } from '../../src/framework/define.js';
import { createInvokeApi } from '../../src/runtime/invoke-api.js';
import { EVENT_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT, createLocalRuntime, type LocalRuntime } from '../../src/runtime/local-runtime.js';
import { RESPONSE_PAYLOAD_LIMIT } from '../../src/runtime/handler-run.js';
import { startInvokeApi } from '../helpers/invoke-api-server.js';
import { lambdaClient, signedAppRequest, TEST_CREDENTIALS } from '../helpers/signed.js';
import { signRequest } from '../../src/server/signed-fetch.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof tempDir>;
let runtime: LocalRuntime;
let api: Awaited<ReturnType<typeof startInvokeApi>>;
let client: LambdaClient;
let recorded: string[];
let releaseGate: () => void;
let gateEntered: Promise<void>;
let enterGate: () => void;

const greet = defineFunction('greet', {
  input: z.object({ name: z.string() }),
  handler: ({ name }, ctx) => {
    ctx.log(`greeting ${name}`);
    return { greeting: `hello ${name}` };
  },
});

const explode = defineFunction('explode', {
  input: z.object({}),
  handler: () => {
    throw new TypeError('the function exploded');
  },
});

/** Throws what its payload names, none of it an Error. */
const throwThat = defineFunction('throwThat', {
  input: z.object({ kind: z.string() }),
  handler: ({ kind }) => {
    const things: Record<string, unknown> = {
      null: null,
      undefined: undefined,
      string: 'no leed',
      number: 42,
      plain: { why: 'no leed' },
      errorLike: { name: 'QuotaError', message: 'over quota', stack: 'QuotaError: over quota\n    at somewhere' },
    };
    throw things[kind];
  },
});

/** Outlives its one-second timeout. */
const overrun = defineFunction('overrun', {
  input: z.object({}),
  timeoutSeconds: 1,
  handler: (_input, ctx) => new Promise<string>((resolve) => ctx.signal.addEventListener('abort', () => resolve('too late'))),
});

/** Returns the length of the string it is sent: lets a test send a payload of an exact size. */
const measure = defineFunction('measure', { input: z.string(), handler: (text) => ({ length: text.length }) });
const echoString = defineFunction('echoString', { input: z.object({ length: z.number().int() }), handler: ({ length }) => 'x'.repeat(length) });

const showClientContext = defineFunction('showClientContext', { input: z.object({}), handler: (_input, ctx) => ({ clientContext: ctx.clientContext ?? null }) });

/** Holds its invocation open until the test releases it (reserved concurrency 1). */
const gate = defineFunction('gate', {
  input: z.object({}),
  reservedConcurrency: 1,
  handler: () =>
    new Promise<string>((resolve) => {
      releaseGate = () => resolve('released');
      enterGate();
    }),
});

const recorder = defineController('recorder', {
  record: {
    payload: z.object({ key: z.string() }),
    handler: ({ key }) => {
      recorded.push(key);
      return { recorded: key };
    },
  },
  fail: {
    payload: z.object({ key: z.string() }),
    handler: ({ key }) => {
      throw new Error(`cannot record ${key}`);
    },
  },
});

const sink = defineFunction('sink', { input: z.unknown(), handler: () => null });

const encoder = new TextEncoder();
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));
const payloadOf = (output: InvokeCommandOutput): unknown => JSON.parse(Buffer.from(output.Payload!).toString('utf8'));
/** A JSON string of exactly `bytes` bytes (its quotes included). */
const jsonStringOfSize = (bytes: number): Uint8Array => json('x'.repeat(bytes - 2));
const base64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

function invoke(input: InvokeCommandInput, using = client): Promise<InvokeCommandOutput> {
  return using.send(new InvokeCommand(input));
}

/**
 * A raw HTTP request to the Invoke API, for what the SDK will not send (or to see the wire format),
 * signed as the SDK would sign it; a streamed body is signed as unsigned payload.
 */
async function post(functionName: string, body: BodyInit | null, headers: Record<string, string> = {}, query = ''): Promise<Response> {
  const url = `${api.url}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations${query}`;
  const stream = body instanceof ReadableStream;
  const bytes = body === null || stream ? undefined : typeof body === 'string' ? body : (body as Uint8Array);
  const signedHeaders = await signRequest(url, { method: 'POST', headers: { ...headers, ...(stream ? { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } : {}) }, ...(bytes === undefined ? {} : { body: bytes }) }, TEST_CREDENTIALS);
  const { host: _host, ...sent } = signedHeaders;
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', body: stream ? body : ((bytes as BodyInit | undefined) ?? null), headers: sent };
  if (stream) init.duplex = 'half';
  return fetch(url, init);
}

async function expectLambdaError(response: Response, status: number, errorType: string, members: Record<string, unknown> = {}): Promise<{ Type: string; message: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get('x-amzn-ErrorType')).toBe(errorType);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { Type: string; message: string };
  expect(body).toEqual({ Type: expect.any(String), message: expect.any(String), ...members });
  return body;
}

beforeEach(async () => {
  dir = tempDir();
  recorded = [];
  releaseGate = () => {};
  gateEntered = new Promise((resolve) => (enterGate = resolve));
  runtime = createLocalRuntime({ dbPath: join(dir.path, 'runtime.db'), pollIntervalMs: 20 });
  runtime.registerAll([greet, explode, throwThat, overrun, measure, echoString, showClientContext, gate, sink]);
  runtime.register(recorder, { maximumRetryAttempts: 0, onSuccess: 'sink' });
  api = await startInvokeApi(runtime);
  client = lambdaClient(api.url);
});

afterEach(async () => {
  releaseGate();
  client.destroy();
  await api.close();
  await runtime.close();
  dir.cleanup();
});

describe('the Invoke API with the AWS SDK', () => {
  it('RequestResponse answers 200 with the result, ExecutedVersion $LATEST and the invocation id as request id', async () => {
    const output = await invoke({ FunctionName: 'greet', Payload: json({ name: 'Ada' }) });
    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBeUndefined();
    expect(output.ExecutedVersion).toBe('$LATEST');
    expect(payloadOf(output)).toEqual({ greeting: 'hello Ada' });
    expect(runtime.getInvocation(output.$metadata.requestId!)).toMatchObject({ function: 'greet', type: 'RequestResponse', outcome: 'Success' });
  });

  it('an absent invocation type is RequestResponse, and an absent body is {}', async () => {
    const output = await invoke({ FunctionName: 'showClientContext' });
    expect(output.StatusCode).toBe(200);
    expect(payloadOf(output)).toEqual({ clientContext: null });
  });

  it('Event answers 202 with an empty body once the event is stored; the handler runs afterwards', async () => {
    const output = await invoke({ FunctionName: 'recorder', InvocationType: 'Event', Payload: json({ function: 'record', key: 'k1' }) });
    expect(output.StatusCode).toBe(202);
    expect(output.Payload ?? undefined).toBeUndefined();
    // "The API response only includes a status code" (API_Invoke.html), as the AWS CLI shows { "StatusCode": 202 }.
    expect(output.ExecutedVersion).toBeUndefined();
    expect(recorded).toEqual([]);
    expect(runtime.getInvocation(output.$metadata.requestId!)).toMatchObject({ state: 'queued' });
    runtime.start();
    await runtime.drain();
    expect(recorded).toEqual(['k1']);
    expect(runtime.getInvocation(output.$metadata.requestId!)).toMatchObject({ state: 'succeeded', outcome: 'Success' });
  });

  it('DryRun answers 204 with an empty body and runs nothing', async () => {
    runtime.start();
    const output = await invoke({ FunctionName: 'recorder', InvocationType: 'DryRun', Payload: json({ function: 'record', key: 'dry' }) });
    expect(output.StatusCode).toBe(204);
    expect(output.ExecutedVersion).toBeUndefined();
    await runtime.drain();
    expect(recorded).toEqual([]);
    expect(runtime.listInvocations()).toEqual([]);
  });

  it('a function that throws answers 200 with FunctionError Unhandled and the Node.js runtime’s error payload', async () => {
    const output = await invoke({ FunctionName: 'explode', Payload: json({}) });
    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBe('Unhandled');
    const payload = payloadOf(output) as { errorType: string; errorMessage: string; trace: string[] };
    expect(payload).toMatchObject({ errorType: 'TypeError', errorMessage: 'the function exploded' });
    expect(payload.trace[0]).toBe('TypeError: the function exploded');
    expect(payload.trace.every((line) => typeof line === 'string')).toBe(true);
  });

  it('what is thrown that is not an Error is reported as the Node.js runtime reports it: null as "handled", an error-like object by its name, anything else by its typeof', async () => {
    const thrown = async (kind: string) => payloadOf(await invoke({ FunctionName: 'throwThat', Payload: json({ kind }) }));
    expect(await thrown('null')).toEqual({ errorType: 'string', errorMessage: 'handled', trace: [] });
    expect(await thrown('undefined')).toEqual({ errorType: 'string', errorMessage: 'handled', trace: [] });
    expect(await thrown('string')).toEqual({ errorType: 'string', errorMessage: 'no leed', trace: [] });
    expect(await thrown('number')).toEqual({ errorType: 'number', errorMessage: '42', trace: [] });
    expect(await thrown('plain')).toEqual({ errorType: 'object', errorMessage: '[object Object]', trace: [] });
    expect(await thrown('errorLike')).toEqual({ errorType: 'QuotaError', errorMessage: 'over quota', trace: ['QuotaError: over quota', '    at somewhere'] });
  });

  it('an unknown function is a typed ResourceNotFoundException (404) naming the function’s ARN', async () => {
    const error = await invoke({ FunctionName: 'noSuchFunction', Payload: json({}) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error).toMatchObject({
      message: 'Function not found: arn:aws:lambda:local:000000000000:function:noSuchFunction',
      Type: 'User',
      $metadata: { httpStatusCode: 404, attempts: 1 },
    });
  });

  it('the error wire format is the full exception name in x-amzn-ErrorType and a {Type, message} JSON body', async () => {
    const body = await expectLambdaError(await post('noSuchFunction', '{}'), 404, 'ResourceNotFoundException');
    expect(body).toEqual({ Type: 'User', message: 'Function not found: arn:aws:lambda:local:000000000000:function:noSuchFunction' });
  });

  describe('the body', () => {
    it('a body that is not JSON is InvalidRequestContentException (400), over plain HTTP', async () => {
      const body = await expectLambdaError(await post('greet', '{"name": '), 400, 'InvalidRequestContentException');
      expect(body.message).toMatch(/^Could not parse request body into json/);
    });

    it('a body that is not JSON is a typed InvalidRequestContentException through the SDK', async () => {
      const error = await invoke({ FunctionName: 'greet', Payload: encoder.encode('not json') }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidRequestContentException);
      expect(error).toMatchObject({ $metadata: { httpStatusCode: 400 } });
    });

    it('a body that is not UTF-8 is InvalidRequestContentException', async () => {
      await expectLambdaError(await post('greet', new Uint8Array([0x22, 0xff, 0xfe, 0x22])), 400, 'InvalidRequestContentException');
    });

    it('an Event of exactly 1 MB is accepted; 1 MB + 1 byte is RequestEntityTooLargeException (413), in Lambda’s words, and is not queued', async () => {
      const accepted = await invoke({ FunctionName: 'measure', InvocationType: 'Event', Payload: jsonStringOfSize(EVENT_PAYLOAD_LIMIT) });
      expect(accepted.StatusCode).toBe(202);
      const error = await invoke({ FunctionName: 'measure', InvocationType: 'Event', Payload: jsonStringOfSize(EVENT_PAYLOAD_LIMIT + 1) }).catch((e: unknown) => e);
      // The name Lambda's Invoke sends (not the API model's RequestTooLargeException): the SDK raises it untyped.
      expect(error).toBeInstanceOf(LambdaServiceException);
      expect(error).toMatchObject({
        name: 'RequestEntityTooLargeException',
        message: `${EVENT_PAYLOAD_LIMIT + 1} byte payload is too large for the Event invocation type (limit ${EVENT_PAYLOAD_LIMIT} bytes)`,
        $metadata: { httpStatusCode: 413 },
      });
      expect(runtime.listInvocations().map((i) => i.id)).toEqual([accepted.$metadata.requestId]);
    });

    it('a RequestResponse of exactly 6 MB runs; 6 MB + 1 byte is RequestEntityTooLargeException (413)', async () => {
      const accepted = await invoke({ FunctionName: 'measure', Payload: jsonStringOfSize(SYNC_PAYLOAD_LIMIT) });
      expect(payloadOf(accepted)).toEqual({ length: SYNC_PAYLOAD_LIMIT - 2 });
      const error = await invoke({ FunctionName: 'measure', Payload: jsonStringOfSize(SYNC_PAYLOAD_LIMIT + 1) }).catch((e: unknown) => e);
      // Refused by the signature check, which cannot read further, before the invocation type counts.
      expect(error).toMatchObject({ name: 'RequestEntityTooLargeException', message: `Request must be smaller than ${SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`, $metadata: { httpStatusCode: 413 } });
    });

    it('a response of 6 MB and 100 bytes comes back; one byte more is Function.ResponseSizeTooLarge, with its size, as Lambda words it', async () => {
      const limit = RESPONSE_PAYLOAD_LIMIT;
      // A JSON string: its length and the two quotes.
      expect(payloadOf(await invoke({ FunctionName: 'echoString', Payload: json({ length: limit - 2 }) }))).toHaveLength(limit - 2);
      const over = await invoke({ FunctionName: 'echoString', Payload: json({ length: limit - 1 }) });
      expect(over.FunctionError).toBe('Unhandled');
      expect(payloadOf(over)).toEqual({
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size (${limit + 1} bytes) exceeded maximum allowed payload size (6291556 bytes).`,
        trace: [],
      });
    });

    it('a huge body gets 413 without being read whole, whether its length is declared or streamed, and the server keeps serving', async () => {
      const huge = new Uint8Array(20 * 1024 * 1024).fill(0x20);
      await expectLambdaError(await post('measure', huge), 413, 'RequestEntityTooLargeException');

      const chunk = new Uint8Array(1024 * 1024).fill(0x20);
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < 10) controller.enqueue(chunk);
          else controller.close();
        },
      });
      await expectLambdaError(await post('measure', stream, { 'X-Amz-Invocation-Type': 'Event' }), 413, 'RequestEntityTooLargeException');

      expect(payloadOf(await invoke({ FunctionName: 'greet', Payload: json({ name: 'still here' }) }))).toEqual({ greeting: 'hello still here' });
    });

    it('stops reading a streamed body as soon as it passes 6 MB', async () => {
      const chunk = new Uint8Array(1024 * 1024).fill(0x20);
      let pulled = 0;
      const endless = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++;
          controller.enqueue(chunk);
        },
      });
      const headers = await signRequest('http://localhost/2015-03-31/functions/measure/invocations', { method: 'POST', headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, TEST_CREDENTIALS);
      const init: RequestInit & { duplex: 'half' } = { method: 'POST', body: endless, duplex: 'half', headers };
      const response = await createInvokeApi(runtime, { credentials: TEST_CREDENTIALS }).request('/2015-03-31/functions/measure/invocations', init);
      await expectLambdaError(response, 413, 'RequestEntityTooLargeException');
      expect(pulled).toBeLessThanOrEqual(8);
    });
  });

  describe('function names and qualifiers', () => {
    it('accepts a full ARN, a partial ARN and name:$LATEST', async () => {
      for (const name of [
        'arn:aws:lambda:local:000000000000:function:greet',
        'arn:aws:lambda:local:000000000000:function:greet:$LATEST',
        '000000000000:function:greet',
        'greet:$LATEST',
      ]) {
        const output = await invoke({ FunctionName: name, Payload: json({ name }) });
        expect(payloadOf(output), name).toEqual({ greeting: `hello ${name}` });
      }
    });

    it('accepts Qualifier=$LATEST and answers X-Amz-Executed-Version: $LATEST', async () => {
      const output = await invoke({ FunctionName: 'greet', Qualifier: '$LATEST', Payload: json({ name: 'q' }) });
      expect(output.StatusCode).toBe(200);
      expect(output.ExecutedVersion).toBe('$LATEST');
      const response = await post('greet', '{"name":"q"}', {}, '?Qualifier=%24LATEST');
      expect(response.status).toBe(200);
      expect(response.headers.get('X-Amz-Executed-Version')).toBe('$LATEST');
    });

    it('a qualifier in both the name and the query must agree', async () => {
      const same = await invoke({ FunctionName: 'greet:$LATEST', Qualifier: '$LATEST', Payload: json({ name: 'twice' }) });
      expect(same.StatusCode).toBe(200);
      const error = await invoke({ FunctionName: 'greet:$LATEST', Qualifier: '1', Payload: json({ name: 'x' }) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidParameterValueException);
      expect((error as Error).message).toBe('The derived qualifier from the function name does not match the specified qualifier.');
    });

    it('a version or alias other than $LATEST does not exist locally: ResourceNotFoundException', async () => {
      for (const input of [{ FunctionName: 'greet', Qualifier: '7' }, { FunctionName: 'greet:live' }]) {
        const error = await invoke({ ...input, Payload: json({ name: 'x' }) }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ResourceNotFoundException);
      }
    });

    it('a qualifier that is not one of Lambda’s forms is ValidationException, as GetFunction answers it', async () => {
      const error = await invoke({ FunctionName: 'greet', Qualifier: 'not.valid', Payload: json({ name: 'x' }) }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    });
  });

  describe('headers', () => {
    it('an unknown invocation type is ValidationException (400), as Lambda answers a value outside its enum', async () => {
      const error = await invoke({ FunctionName: 'greet', InvocationType: 'Sideways' as 'Event', Payload: json({ name: 'x' }) }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
      expect(error).toMatchObject({ $metadata: { httpStatusCode: 400 } });
      expect((error as Error).message).toContain('Sideways');
    });

    it('an unknown log type is ValidationException (400)', async () => {
      const error = await invoke({ FunctionName: 'greet', LogType: 'Everything' as 'Tail', Payload: json({ name: 'x' }) }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
      expect((error as Error).message).toContain('Everything');
    });

    it('LogType Tail returns the base64 log tail with START RequestId and the handler’s ctx.log line', async () => {
      const output = await invoke({ FunctionName: 'greet', LogType: 'Tail', Payload: json({ name: 'Tailor' }) });
      const log = Buffer.from(output.LogResult!, 'base64').toString('utf8');
      expect(log).toContain(`START RequestId: ${output.$metadata.requestId} Version: $LATEST`);
      // As Lambda's Node.js runtime writes console.log, which ctx.log is on AWS: time, request id, INFO, the line.
      expect(log).toMatch(new RegExp(`\\n\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${output.$metadata.requestId}\\tINFO\\tgreeting Tailor\\n`));
      expect(log).toContain(`END RequestId: ${output.$metadata.requestId}`);
    });

    it('LogType Tail of a function error ends with the error document Lambda’s Node.js runtime logs, its trace as stack; a timeout with Lambda’s line', async () => {
      const output = await invoke({ FunctionName: 'explode', LogType: 'Tail', Payload: json({}) });
      const id = output.$metadata.requestId!;
      const lines = Buffer.from(output.LogResult!, 'base64').toString('utf8').split('\n');
      const error = lines.find((line) => line.includes('\tERROR\t'));
      expect(error).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${id}\\tERROR\\tInvoke Error \\t\\{`));
      const document = JSON.parse(error!.slice(error!.indexOf('{'))) as { errorType: string; errorMessage: string; stack: string[] };
      expect(document).toMatchObject({ errorType: 'TypeError', errorMessage: 'the function exploded' });
      expect(document.stack[0]).toBe('TypeError: the function exploded');
      expect(lines.indexOf(error!)).toBeLessThan(lines.findIndex((line) => line.startsWith('END RequestId:')));

      const late = await invoke({ FunctionName: 'overrun', LogType: 'Tail', Payload: json({}) });
      expect(late.FunctionError).toBe('Unhandled');
      const tail = Buffer.from(late.LogResult!, 'base64').toString('utf8');
      expect(tail).toMatch(new RegExp(`Z ${late.$metadata.requestId} Task timed out after 1\\.00 seconds\nEND RequestId: `));
    });

    it('without LogType Tail there is no log result', async () => {
      const output = await invoke({ FunctionName: 'greet', Payload: json({ name: 'quiet' }) });
      expect(output.LogResult).toBeUndefined();
    });

    it('a client context reaches ctx.clientContext', async () => {
      const clientContext = { client: { installation_id: 'i-1', app_title: 'leedz' }, custom: { trade: 'dj' } };
      const output = await invoke({ FunctionName: 'showClientContext', ClientContext: base64(clientContext), Payload: json({}) });
      expect(payloadOf(output)).toEqual({ clientContext });
    });

    it('a client context that is not a base64 JSON object, or longer than 3,583 bytes, is InvalidRequestContentException', async () => {
      for (const clientContext of [Buffer.from('{not json').toString('base64'), base64([1]), base64('x'), base64(null), base64({ pad: 'x'.repeat(3000) })]) {
        const error = await invoke({ FunctionName: 'showClientContext', ClientContext: clientContext, Payload: json({}) }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidRequestContentException);
      }
    });
  });

  describe('refusals that depend on the running system', () => {
    it('a synchronous call beyond the reserved concurrency is TooManyRequestsException (429) with Retry-After', async () => {
      const first = invoke({ FunctionName: 'gate', Payload: json({}) });
      await gateEntered;
      // The SDK retries throttles; one attempt shows the server's answer.
      const once = new LambdaClient({ endpoint: api.url, region: 'local', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
      try {
        const error = await invoke({ FunctionName: 'gate', Payload: json({}) }, once).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TooManyRequestsException);
        expect(error).toMatchObject({ retryAfterSeconds: '1', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', $metadata: { httpStatusCode: 429 } });
        const raw = await post('gate', '{}');
        expect(raw.headers.get('Retry-After')).toBe('1');
        await expectLambdaError(raw, 429, 'TooManyRequestsException', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
      } finally {
        once.destroy();
      }
      releaseGate();
      expect(payloadOf(await first)).toBe('released');
    });


    it('an unexpected failure inside the runtime is ServiceException (500) with a JSON body, never an HTML page', async () => {
      vi.spyOn(runtime, 'invokeRaw').mockRejectedValueOnce(new Error('disk on fire'));
      const body = await expectLambdaError(await post('greet', '{"name":"x"}'), 500, 'ServiceException');
      expect(body).toEqual({ Type: 'Service', message: 'The local runtime failed: disk on fire' });
    });
  });
});

describe('the /local endpoints', () => {
  const app = () => createInvokeApi(runtime, { credentials: TEST_CREDENTIALS });
  const get = async (path: string) => {
    const response = await signedAppRequest(app(), path);
    return { status: response.status, body: (await response.json()) as any };
  };
  const postLocal = async (path: string) => {
    const response = await signedAppRequest(app(), path, { method: 'POST' });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('GET /local/invocations lists the invocation log, newest first, with filters', async () => {
    runtime.start();
    const sync = await invoke({ FunctionName: 'greet', Payload: json({ name: 'log' }) });
    const event = await invoke({ FunctionName: 'recorder', InvocationType: 'Event', Payload: json({ function: 'record', key: 'log' }) });
    await runtime.drain();

    const all = await get('/local/invocations');
    expect(all.status).toBe(200);
    const ids = (all.body as { id: string }[]).map((i) => i.id);
    expect(ids).toEqual(expect.arrayContaining([sync.$metadata.requestId, event.$metadata.requestId]));

    const events = await get('/local/invocations?function=recorder&type=Event&outcome=Success&limit=5');
    expect(events.body).toEqual([expect.objectContaining({ id: event.$metadata.requestId, function: 'recorder', type: 'Event', outcome: 'Success', attempts: 1 })]);

    const byTrace = await get(`/local/invocations?traceId=${sync.$metadata.requestId}`);
    expect(byTrace.body.map((i: { id: string }) => i.id)).toEqual([sync.$metadata.requestId]);
  });

  it('GET /local/invocations/:id returns one invocation with its payload and failed attempts; an unknown id is 404', async () => {
    const output = await invoke({ FunctionName: 'explode', Payload: json({}) });
    const found = await get(`/local/invocations/${output.$metadata.requestId}`);
    expect(found.status).toBe(200);
    expect(found.body).toMatchObject({ id: output.$metadata.requestId, function: 'explode', outcome: 'FunctionError', payload: {}, failedAttempts: [] });
    expect(found.body.error).toMatchObject({ errorType: 'TypeError' });

    const missing = await get('/local/invocations/no-such-id');
    expect(missing).toEqual({ status: 404, body: { message: 'invocation no-such-id: not found' } });
  });

  it('a bad query parameter is a 400 that names it', async () => {
    const cases: [string, string][] = [
      ['/local/invocations?limit=abc', 'limit'],
      ['/local/invocations?limit=0', 'limit'],
      ['/local/invocations?outcome=Nope', 'outcome'],
      ['/local/invocations?state=sleeping', 'state'],
      ['/local/invocations?type=DryRun', 'type'],
      ['/local/invocations?fucntion=greet', 'fucntion'],
      ['/local/dead-letters?includeReplayed=maybe', 'includeReplayed'],
      ['/local/destination-records?limit=-1', 'limit'],
      ['/local/metrics?windowSeconds=-5', 'windowSeconds'],
      // Past ten years: the window's start would be no date at all (it was a 500).
      ['/local/metrics?windowSeconds=1e13', 'windowSeconds'],
    ];
    for (const [path, parameter] of cases) {
      const { status, body } = await get(path);
      expect(status, path).toBe(400);
      expect(body.fields.map((f: { parameter: string }) => f.parameter), path).toEqual([parameter]);
      expect(body.message, path).toContain(parameter);
    }
  });

  it('a function named with a version or alias other than $LATEST is not found, as on the Invoke API; $LATEST is the function', async () => {
    const send = (path: string) => signedAppRequest(app(), path, { method: 'POST', body: JSON.stringify({ type: 'RequestResponse', payload: { name: 'q' } }) });
    expect((await send('/local/invoke/greet:prod')).status).toBe(404);
    expect((await signedAppRequest(app(), '/local/functions/greet%3Aprod/pause', { method: 'POST' })).status).toBe(404);
    expect(runtime.describe('greet')?.config.paused).not.toBe(true);
    expect((await send(`/local/invoke/${encodeURIComponent('greet:$LATEST')}`)).status).toBe(200);
  });

  it('answers in JSON what it has no endpoint for, and a body that is not JSON is a 400 that says so', async () => {
    for (const [method, path] of [['GET', '/local/nope'], ['DELETE', '/local/invocations'], ['GET', '/local/invoke/greet']] as const) {
      const response = await signedAppRequest(app(), path, { method });
      expect([path, response.status, response.headers.get('content-type')]).toEqual([path, 404, expect.stringMatching(/^application\/json/)]);
      expect(((await response.json()) as { message: string }).message).toContain(`no runtime endpoint ${method} ${path}`);
    }
    const notJson = await signedAppRequest(app(), '/local/invoke/greet', { method: 'POST', body: '{' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ message: expect.stringMatching(/^invalid body: not JSON/), fields: [{ parameter: '(body)', message: 'must be JSON' }] });
  });

  it('dead letters are listed and replayed once; a second replay is 409 and an unknown id 404', async () => {
    runtime.start();
    await invoke({ FunctionName: 'recorder', InvocationType: 'Event', Payload: json({ function: 'fail', key: 'd1' }) });
    await runtime.drain();

    const letters = await get('/local/dead-letters');
    expect(letters.body).toEqual([expect.objectContaining({ function: 'recorder', condition: 'RetriesExhausted', attempts: 1, replayedAs: null })]);
    const letterId = letters.body[0].id as number;

    const replay = await postLocal(`/local/dead-letters/${letterId}/replay`);
    expect(replay.status).toBe(200);
    expect(runtime.getInvocation(replay.body.invocationId)).toMatchObject({ replayOf: letters.body[0].invocationId });

    expect(await postLocal(`/local/dead-letters/${letterId}/replay`)).toMatchObject({ status: 409, body: { message: expect.stringContaining('already replayed') } });
    expect(await postLocal('/local/dead-letters/999/replay')).toEqual({ status: 404, body: { message: 'dead letter 999: not found' } });
    expect((await postLocal('/local/dead-letters/abc/replay')).status).toBe(400);

    await runtime.drain();
    expect((await get('/local/dead-letters')).body).toHaveLength(1); // the replay failed again: a new dead letter
    const all = await postLocal('/local/dead-letters/replay-all');
    expect(all.status).toBe(200);
    expect(all.body.replayed).toHaveLength(1);
    expect((await get('/local/dead-letters?includeReplayed=true')).body).toHaveLength(2);
  });

  it('GET /local/destination-records lists the records sent to destinations', async () => {
    runtime.start();
    const event = await invoke({ FunctionName: 'recorder', InvocationType: 'Event', Payload: json({ function: 'record', key: 'dest' }) });
    await runtime.drain();
    const { status, body } = await get(`/local/destination-records?invocationId=${event.$metadata.requestId}`);
    expect(status).toBe(200);
    expect(body).toEqual([expect.objectContaining({ function: 'recorder', destination: 'sink', condition: 'Success' })]);
    expect(body[0].record.responsePayload).toEqual({ recorded: 'dest' });
  });

  it('GET /local/metrics returns CloudWatch’s async metrics per function, optionally over a window', async () => {
    runtime.start();
    await invoke({ FunctionName: 'recorder', InvocationType: 'Event', Payload: json({ function: 'record', key: 'm' }) });
    await runtime.drain();
    const { status, body } = await get('/local/metrics?windowSeconds=60');
    expect(status).toBe(200);
    expect(body.find((m: { function: string }) => m.function === 'recorder')).toMatchObject({ AsyncEventsReceived: 1, Invocations: 1, Errors: 0 });
  });

  it('GET /local/functions lists each function with its kind and resolved settings', async () => {
    const { status, body } = await get('/local/functions');
    expect(status).toBe(200);
    expect(body).toContainEqual({
      name: 'recorder',
      kind: 'controller',
      config: { timeoutSeconds: 3, maximumRetryAttempts: 0, maximumEventAgeSeconds: 21_600, onSuccess: 'sink' },
    });
    expect(body).toContainEqual({ name: 'gate', kind: 'function', config: expect.objectContaining({ reservedConcurrency: 1 }) });
  });
});
