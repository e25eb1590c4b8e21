/**
 * Parity 4 — the management API that SDKs, the AWS CLI and tools call, in AWS's shapes, with changes
 * that take effect and survive a restart, and a typed JSON error for every other operation.
 *
 * What AWS does (API reference, https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html):
 * - ListFunctions pages with `MaxItems` (an integer, 1–10000, at most 50 a page) and `NextMarker`;
 *   `FunctionVersion` is only ALL (API_ListFunctions.html); GetFunction and
 *   GetFunctionConfiguration describe one function (API_GetFunction.html, API_GetFunctionConfiguration.html).
 * - Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s): Put replaces the configuration, Update
 *   merges into it, Get of a function without one is ResourceNotFoundException; `MaximumRetryAttempts`
 *   is 0–2 and `MaximumEventAgeInSeconds` 60–21600, else ValidationException; a call with no setting
 *   is InvalidParameterValueException, and Update of a configuration that does not exist is
 *   ResourceNotFoundException
 *   (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html,
 *   API_UpdateFunctionEventInvokeConfig.html).
 * - Put/Get/DeleteFunctionConcurrency: reserved concurrency 0 runs nothing: an Event goes to the
 *   on-failure destination at once, without any attempt, and synchronous calls get
 *   TooManyRequestsException with `Reason` ReservedFunctionConcurrentInvocationLimitExceeded
 *   (API_PutFunctionConcurrency.html,
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 * - GetAccountSettings reports `AccountLimit` and `AccountUsage` (API_GetAccountSettings.html).
 * - Errors carry the exception name in `x-amzn-ErrorType` and a JSON body, which the SDKs raise as
 *   typed exceptions (https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html).
 */
import {
  CreateFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  GetPolicyCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaServiceException,
  ListAliasesCommand,
  ListFunctionEventInvokeConfigsCommand,
  ListFunctionsCommand,
  paginateListFunctions,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateFunctionEventInvokeConfigCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineController, defineFunction, type Deployable } from '../../src/framework/define.js';
import { createLocalRuntime, type LocalRuntime } from '../../src/runtime/local-runtime.js';
import { signedFetch } from '../../src/server/signed-fetch.js';
import { startInvokeApi } from '../helpers/invoke-api-server.js';
import { awsCli, HAS_AWS_CLI, PARITY_TIME_SCALE, recordSink, tempRuntime, type TempRuntime } from '../helpers/parity.js';
import { lambdaClient, TEST_CREDENTIALS } from '../helpers/signed.js';

const POOL_SIZE = 8;
const ARN = (name: string) => `arn:aws:lambda:local:000000000000:function:${name}`;

/** Fails when asked to: the subject of the retry and destination settings. It declares no asynchronous settings. */
const emailHelper = defineController(
  'emailHelper',
  {
    send: {
      payload: z.object({ to: z.string(), fail: z.boolean().default(false) }),
      handler: ({ to, fail }) => {
        if (fail) throw new Error(`the mailbox of ${to} is full`);
        return { sent: to };
      },
    },
  },
  { timeoutSeconds: 30 },
);

/** Declares its asynchronous settings in code: what the stack deploys as its event invoke config. */
const bookkeeping = defineController('bookkeeping', { count: { payload: z.object({}), handler: () => ({ counted: true }) } }, { timeoutSeconds: 30, maximumRetryAttempts: 1 });
const getTrades = defineFunction('getTrades', { input: z.object({}), handler: () => ({ trades: [] }) });
const placeOrder = defineFunction('placeOrder', { input: z.object({}), handler: () => ({ ordered: true }) });

let sink: ReturnType<typeof recordSink>;

function registerAll(runtime: LocalRuntime): LocalRuntime {
  const deployables: Deployable[] = [sink.sink, emailHelper, bookkeeping, getTrades, placeOrder];
  return runtime.registerAll(deployables).start();
}

let local: TempRuntime;
let api: Awaited<ReturnType<typeof startInvokeApi>>;
let client: LambdaClient;

beforeEach(async () => {
  sink = recordSink('failures');
  local = tempRuntime({ poolSize: POOL_SIZE });
  registerAll(local.runtime);
  api = await startInvokeApi(local.runtime);
  client = lambdaClient(api.url);
});

afterEach(async () => {
  client.destroy();
  await api.close();
  await local.cleanup();
});

/** Send a failing event to emailHelper; resolves with its invocation once it has ended. */
async function failingEvent(runtime = local.runtime) {
  const accepted = await runtime.invoke('emailHelper', { function: 'send', to: 'pat@example.com', fail: true }, 'Event');
  await runtime.drain();
  return runtime.getInvocation(accepted.requestId!)!;
}

/** The rejection of `promise`, which must reject. */
async function rejection(promise: Promise<unknown>): Promise<LambdaServiceException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(LambdaServiceException);
    return error as LambdaServiceException;
  }
  throw new Error('expected the call to fail');
}

/** A signed call with a body the SDK would never send (wrong types, no settings): status, error name and body. */
async function raw(method: string, path: string, body?: string): Promise<{ status: number; errorType: string | null; body: Record<string, unknown> | null }> {
  const init = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body };
  const response = await signedFetch(`${api.url}${path}`, init, TEST_CREDENTIALS);
  const text = await response.text();
  return { status: response.status, errorType: response.headers.get('x-amzn-errortype'), body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

const EVENT_INVOKE_CONFIG = '/2019-09-25/functions/emailHelper/event-invoke-config';

describe('functions', () => {
  it('ListFunctions pages with MaxItems and NextMarker, and the pages together list every function once', async () => {
    const first = await client.send(new ListFunctionsCommand({ MaxItems: 2 }));
    expect(first.Functions).toHaveLength(2);
    expect(first.NextMarker).toEqual(expect.any(String));

    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListFunctions({ client, pageSize: 2 }, {})) {
      pages += 1;
      expect(page.Functions!.length).toBeLessThanOrEqual(2);
      names.push(...page.Functions!.map((f) => f.FunctionName!));
    }
    expect(pages).toBe(3);
    expect(names.sort()).toEqual(['bookkeeping', 'emailHelper', 'failures', 'getTrades', 'placeOrder']);

    // A marker this API did not make is refused, not read as far as it parses ('2x' is not 2).
    for (const made of [Buffer.from('2x').toString('base64url'), Buffer.from('-1').toString('base64url'), 'not base64!', `${first.NextMarker!}=`]) {
      await expect(client.send(new ListFunctionsCommand({ Marker: made })), made).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    }
  });

  it('each function is described in FunctionConfiguration’s shape, as the stack deploys it (runtime, architecture, memory, handler, tracing)', async () => {
    const { Functions } = await client.send(new ListFunctionsCommand({}));
    const described = Functions!.find((f) => f.FunctionName === 'emailHelper')!;
    expect(described).toMatchObject({
      FunctionName: 'emailHelper',
      FunctionArn: ARN('emailHelper'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      Timeout: 30,
      MemorySize: 512,
      Version: '$LATEST',
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: 'Zip',
      LastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/),
    });
  });

  it('GetFunction and GetFunctionConfiguration describe one function; the default timeout is Lambda’s 3 s', async () => {
    const fn = await client.send(new GetFunctionCommand({ FunctionName: 'emailHelper' }));
    expect(fn.Configuration).toMatchObject({ FunctionName: 'emailHelper', FunctionArn: ARN('emailHelper'), Timeout: 30 });
    expect(fn.Code).toBeDefined();
    expect(fn.Concurrency).toBeUndefined();
    const configuration = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'getTrades' }));
    expect(configuration).toMatchObject({ FunctionName: 'getTrades', Timeout: 3, Version: '$LATEST' });
  });

  it('an unknown function is ResourceNotFoundException', async () => {
    await expect(client.send(new GetFunctionCommand({ FunctionName: 'nothingHere' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('ListFunctions takes MaxItems as a plain integer only (1e1, " 1" are ValidationException) and FunctionVersion only as ALL', async () => {
    for (const query of ['MaxItems=1e1', 'MaxItems=%201', 'MaxItems=1.0', 'MaxItems=0x2']) {
      const refused = await raw('GET', `/2015-03-31/functions/?${query}`);
      expect({ query, status: refused.status, errorType: refused.errorType }).toEqual({ query, status: 400, errorType: 'ValidationException' });
      expect(refused.body!.message).toMatch(/at 'maxItems' failed to satisfy constraint: Member must be an integer/);
    }
    const tooMany = await raw('GET', '/2015-03-31/functions/?MaxItems=10001');
    expect(tooMany.body!.message).toMatch(/at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 10000/);
    const bogus = await rejection(client.send(new ListFunctionsCommand({ FunctionVersion: 'bogus' as 'ALL' })));
    expect(bogus.name).toBe('ValidationException');
    expect(bogus.message).toBe("1 validation error detected: Value 'bogus' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]");
    expect((await client.send(new ListFunctionsCommand({ FunctionVersion: 'ALL' }))).Functions).toHaveLength(5);
  });

  it('ListFunctions answers at most 50 functions a page, whatever MaxItems asks for (up to its 10000)', async () => {
    const many = tempRuntime({ poolSize: 2 });
    many.runtime.registerAll(Array.from({ length: 55 }, (_, i) => defineFunction(`fn${String(i).padStart(2, '0')}`, { input: z.object({}), handler: () => ({}) }))).start();
    const manyApi = await startInvokeApi(many.runtime);
    const manyClient = lambdaClient(manyApi.url);
    try {
      const first = await manyClient.send(new ListFunctionsCommand({ MaxItems: 100 }));
      expect(first.Functions).toHaveLength(50);
      const rest = await manyClient.send(new ListFunctionsCommand({ MaxItems: 100, Marker: first.NextMarker! }));
      expect(rest.Functions).toHaveLength(5);
      expect(rest.NextMarker).toBeUndefined();
    } finally {
      manyClient.destroy();
      await manyApi.close();
      await many.cleanup();
    }
  });
});

describe('asynchronous invocation settings (FunctionEventInvokeConfig)', () => {
  it('a call with a body is read once the signature check has read it: a signed Put answers 200, not ServiceException “Body is unusable”', async () => {
    const response = await signedFetch(
      `${api.url}/2019-09-25/functions/emailHelper/event-invoke-config`,
      { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ MaximumRetryAttempts: 1 }) },
      TEST_CREDENTIALS,
    );
    const body = (await response.json()) as Record<string, unknown>;
    expect({ status: response.status, errorType: response.headers.get('x-amzn-errortype'), message: body.message }).toEqual({ status: 200, errorType: null, message: undefined });
    expect(body.MaximumRetryAttempts).toBe(1);
  });

  it('a function that declares none has none (ResourceNotFoundException); one that declares them in code reports them', async () => {
    await expect(client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    const declared = await client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'bookkeeping' }));
    expect(declared).toMatchObject({ FunctionArn: `${ARN('bookkeeping')}:$LATEST`, MaximumRetryAttempts: 1 });
  });

  it('Put MaximumRetryAttempts 0: the response has AWS’s shape, and a failing event then gets one attempt', async () => {
    expect((await failingEvent()).attempts).toBe(3);
    const put = await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 0 }));
    expect(put).toMatchObject({
      FunctionArn: `${ARN('emailHelper')}:$LATEST`,
      MaximumRetryAttempts: 0,
      LastModified: expect.any(Date),
      DestinationConfig: { OnSuccess: {}, OnFailure: {} },
    });
    expect(Math.abs(put.LastModified!.getTime() - Date.now())).toBeLessThan(5_000);
    expect(await failingEvent()).toMatchObject({ outcome: 'RetriesExhausted', attempts: 1 });
  });

  it('Update merges: an OnFailure destination added later keeps the retry setting, and the failure record arrives there', async () => {
    await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 0 }));
    const updated = await client.send(
      new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', DestinationConfig: { OnFailure: { Destination: ARN('failures') } } }),
    );
    expect(updated).toMatchObject({ MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: ARN('failures') } } });

    const failed = await failingEvent();
    expect(failed.attempts).toBe(1);
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]!.requestContext).toMatchObject({ requestId: failed.id, condition: 'RetriesExhausted', approximateInvokeCount: 1 });
  });

  it('Put MaximumEventAgeInSeconds 60: an event held back longer (its queue paused) is discarded as EventAgeExceeded, its record at the OnFailure destination', async () => {
    await client.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumEventAgeInSeconds: 60, DestinationConfig: { OnFailure: { Destination: ARN('failures') } } }),
    );
    local.runtime.pause('emailHelper');
    const accepted = await local.runtime.invoke('emailHelper', { function: 'send', to: 'pat@example.com' }, 'Event');
    // 60 s at this time scale is 60 ms; AWS's default (6 hours) would be 21.6 s, past the wait.
    await new Promise((resolve) => setTimeout(resolve, 60 * 1000 * PARITY_TIME_SCALE + 50));
    local.runtime.resume('emailHelper');
    await vi.waitFor(() => expect(local.runtime.getInvocation(accepted.requestId!)).toMatchObject({ state: 'failed', outcome: 'EventAgeExceeded' }), { timeout: 10_000, interval: 10 });
    // The record goes to the destination as an Event of its own, after the failure is written.
    await vi.waitFor(() => expect(sink.records).toHaveLength(1), { timeout: 5_000, interval: 10 });
    expect(sink.records[0]!.requestContext).toMatchObject({ requestId: accepted.requestId, condition: 'EventAgeExceeded' });
  });

  it('Put replaces: a setting left out goes back to AWS’s default (two retries)', async () => {
    await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 0 }));
    const replaced = await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumEventAgeInSeconds: 3600 }));
    expect(replaced.MaximumRetryAttempts).toBeUndefined();
    expect(replaced.MaximumEventAgeInSeconds).toBe(3600);
    expect((await failingEvent()).attempts).toBe(3);
  });

  it('List returns the function’s configuration; Delete removes it (Get is then ResourceNotFoundException, and the defaults apply)', async () => {
    await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 0 }));
    const listed = await client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'emailHelper' }));
    expect(listed.FunctionEventInvokeConfigs).toEqual([expect.objectContaining({ FunctionArn: `${ARN('emailHelper')}:$LATEST`, MaximumRetryAttempts: 0 })]);

    await client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }));
    await expect(client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect((await client.send(new ListFunctionEventInvokeConfigsCommand({ FunctionName: 'emailHelper' }))).FunctionEventInvokeConfigs).toEqual([]);
    expect((await failingEvent()).attempts).toBe(3);
  });

  it('values out of AWS’s ranges are ValidationException (400); a destination that is not a function here is InvalidParameterValueException', async () => {
    const retries = await rejection(client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 5 })));
    expect(retries.name).toBe('ValidationException');
    expect(retries.$metadata.httpStatusCode).toBe(400);
    expect(retries.message).toMatch(/maximumRetryAttempts.*less than or equal to 2/);
    const age = await rejection(client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumEventAgeInSeconds: 30 })));
    expect(age.name).toBe('ValidationException');
    const queue = await rejection(
      client.send(
        new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:nowhere' } } }),
      ),
    );
    expect(queue).toBeInstanceOf(InvalidParameterValueException);
    // What it may be instead: an ARN (a bare name is refused, as the next test shows).
    expect(queue.message).toMatch(/to its own functions only \(the ARN of one of: .*emailHelper/);
    // Nothing was stored by the refused calls.
    await expect(client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('a destination must be an ARN, as AWS’s pattern says: a bare function name is ValidationException naming the member, and changes nothing', async () => {
    const error = await rejection(client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', DestinationConfig: { OnFailure: { Destination: 'failures' } } })));
    expect(error.name).toBe('ValidationException');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toMatch(/Value 'failures' at 'destinationConfig\.onFailure\.destination' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    const long = await rejection(
      client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', DestinationConfig: { OnSuccess: { Destination: `${ARN('failures')}${'x'.repeat(350)}` } } })),
    );
    expect(long.name).toBe('ValidationException');
    expect(long.message).toMatch(/length less than or equal to 350/);
    await expect(client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('a destination’s ARN, of any region and account, is read back as it was set, and its records still reach that function here', async () => {
    const deployed = 'arn:aws:lambda:eu-west-1:111122223333:function:failures';
    await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: deployed } } }));
    expect(await client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).toMatchObject({ DestinationConfig: { OnFailure: { Destination: deployed } } });
    // An Update without destinations keeps it as it was set.
    await client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 1 }));
    expect(await client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).toMatchObject({
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: deployed } },
    });
    await client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 0 }));
    expect((await failingEvent()).attempts).toBe(1);
    expect(sink.records.at(-1)!.requestContext.condition).toBe('RetriesExhausted');
  });

  it('Put and Update with no setting ({}, an empty body, only unknown keys) are InvalidParameterValueException, and what is stored stays', async () => {
    await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: ARN('failures') } } }));
    for (const method of ['PUT', 'POST']) {
      for (const body of ['{}', '', '{"MaxRetryAttempts":0}']) {
        const refused = await raw(method, EVENT_INVOKE_CONFIG, body);
        expect({ method, body, status: refused.status, errorType: refused.errorType, message: refused.body!.message }).toEqual({
          method,
          body,
          status: 400,
          errorType: 'InvalidParameterValueException',
          message: 'You must specify at least one of error handling or destination setting.',
        });
      }
    }
    const sdk = await rejection(client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' })));
    expect(sdk).toBeInstanceOf(InvalidParameterValueException);
    expect(await client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).toMatchObject({
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: ARN('failures') } },
    });
  });

  it('Update of a function that has no configuration is ResourceNotFoundException, and creates none', async () => {
    const error = await rejection(client.send(new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 1 })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.message).toBe(`The function ${ARN('emailHelper')}:$LATEST doesn't have an EventInvokeConfig`);
    await expect(client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect((await failingEvent()).attempts).toBe(3);
  });

  it('a destination that is not a structure (OnFailure: "…") is ValidationException naming it, and changes nothing', async () => {
    await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', DestinationConfig: { OnFailure: { Destination: ARN('failures') } } }));
    for (const method of ['PUT', 'POST']) {
      for (const [member, body] of [
        ['onFailure', { DestinationConfig: { OnFailure: ARN('failures') } }],
        ['onSuccess', { DestinationConfig: { OnSuccess: [ARN('failures')] } }],
        ['onFailure.destination', { DestinationConfig: { OnFailure: { Destination: 7 } } }],
      ] as const) {
        const refused = await raw(method, EVENT_INVOKE_CONFIG, JSON.stringify(body));
        expect({ method, status: refused.status, errorType: refused.errorType }).toEqual({ method, status: 400, errorType: 'ValidationException' });
        expect(refused.body!.message).toContain(`at 'destinationConfig.${member}' failed to satisfy constraint: Member must be a`);
      }
    }
    expect((await client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).DestinationConfig).toMatchObject({ OnFailure: { Destination: ARN('failures') } });
  });

  it('a value of the wrong type is refused as a wrong type (not by a range it does not break), and changes nothing', async () => {
    await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 0 }));
    await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'emailHelper', ReservedConcurrentExecutions: 2 }));
    for (const [method, path, body, member] of [
      ['PUT', EVENT_INVOKE_CONFIG, { MaximumRetryAttempts: '1' }, 'maximumRetryAttempts'],
      ['POST', EVENT_INVOKE_CONFIG, { MaximumRetryAttempts: 1.5 }, 'maximumRetryAttempts'],
      ['PUT', EVENT_INVOKE_CONFIG, { MaximumEventAgeInSeconds: [60] }, 'maximumEventAgeInSeconds'],
      ['PUT', '/2017-10-31/functions/emailHelper/concurrency', { ReservedConcurrentExecutions: '3' }, 'reservedConcurrentExecutions'],
      ['PUT', '/2017-10-31/functions/emailHelper/concurrency', { ReservedConcurrentExecutions: true }, 'reservedConcurrentExecutions'],
    ] as const) {
      const refused = await raw(method, path, JSON.stringify(body));
      expect({ member, status: refused.status, errorType: refused.errorType }).toEqual({ member, status: 400, errorType: 'ValidationException' });
      expect(refused.body!.message).toMatch(new RegExp(`^1 validation error detected: Value '.*' at '${member}' failed to satisfy constraint: Member must be an integer$`));
    }
    expect(await client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).toMatchObject({ MaximumRetryAttempts: 0 });
    expect(await client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'emailHelper' }))).toMatchObject({ ReservedConcurrentExecutions: 2 });
  });
});

describe('concurrency', () => {
  it('PutFunctionConcurrency 0: an Event goes to the OnFailure destination at once, never run; a synchronous call is TooManyRequestsException; Delete lets new ones run', async () => {
    await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', DestinationConfig: { OnFailure: { Destination: ARN('failures') } } }));
    expect(await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'emailHelper', ReservedConcurrentExecutions: 0 }))).toMatchObject({ ReservedConcurrentExecutions: 0 });
    expect(await client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'emailHelper' }))).toMatchObject({ ReservedConcurrentExecutions: 0 });
    expect((await client.send(new GetFunctionCommand({ FunctionName: 'emailHelper' }))).Concurrency).toEqual({ ReservedConcurrentExecutions: 0 });

    const payload = { function: 'send', to: 'pat@example.com' };
    const accepted = await local.runtime.invoke('emailHelper', payload, 'Event');
    expect(accepted.statusCode).toBe(202);
    // Not held for the six hours of its maximum age: sent on at once, with no attempt and no retry.
    await vi.waitFor(() => expect(sink.records).toHaveLength(1), { timeout: 5_000, interval: 10 });
    expect(sink.records[0]).toMatchObject({ requestContext: { requestId: accepted.requestId, condition: 'ZeroReservedConcurrency', approximateInvokeCount: 0 }, requestPayload: payload });
    expect(sink.records[0]!.responsePayload).toBeUndefined();
    expect(local.runtime.getInvocation(accepted.requestId!)).toMatchObject({ state: 'failed', outcome: 'ZeroReservedConcurrency', attempts: 0 });

    // The SDK retries a throttle by itself (as it would on AWS); one attempt shows the answer.
    const once = new LambdaClient({ endpoint: api.url, region: 'local', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    try {
      const sync = once.send(new InvokeCommand({ FunctionName: 'emailHelper', Payload: new TextEncoder().encode(JSON.stringify({ function: 'send', to: 'x' })) }));
      await expect(sync).rejects.toBeInstanceOf(TooManyRequestsException);
    } finally {
      once.destroy();
    }

    await client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'emailHelper' }));
    expect((await client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'emailHelper' }))).ReservedConcurrentExecutions).toBeUndefined();
    const after = await local.runtime.invoke('emailHelper', payload, 'Event');
    await local.runtime.drain();
    expect(local.runtime.getInvocation(after.requestId!)).toMatchObject({ outcome: 'Success', attempts: 1 });
    expect(sink.records).toHaveLength(1);
  });

  it('a synchronous call throttled by reserved concurrency carries Reason ReservedFunctionConcurrentInvocationLimitExceeded; other errors carry none', async () => {
    await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'emailHelper', ReservedConcurrentExecutions: 0 }));
    const once = new LambdaClient({ endpoint: api.url, region: 'local', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    try {
      const throttled = await rejection(once.send(new InvokeCommand({ FunctionName: 'emailHelper', Payload: new TextEncoder().encode('{"function":"send","to":"x"}') })));
      expect(throttled).toBeInstanceOf(TooManyRequestsException);
      expect((throttled as TooManyRequestsException).Reason).toBe('ReservedFunctionConcurrentInvocationLimitExceeded');
      const missing = await rejection(once.send(new InvokeCommand({ FunctionName: 'nothingHere' })));
      expect(missing).not.toHaveProperty('Reason');
    } finally {
      once.destroy();
    }
    const response = await signedFetch(`${api.url}/2015-03-31/functions/emailHelper/invocations`, { method: 'POST', body: '{"function":"send","to":"x"}' }, TEST_CREDENTIALS);
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({ Type: 'User', message: expect.any(String), Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
  });

  it('a negative reservation is ValidationException', async () => {
    const error = await rejection(client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'emailHelper', ReservedConcurrentExecutions: -1 })));
    expect(error.name).toBe('ValidationException');
  });
});

describe('Qualifier', () => {
  it('an empty ?Qualifier= on Invoke is refused for its length, not by a pattern that accepts the empty string', async () => {
    const refused = await raw('POST', '/2015-03-31/functions/emailHelper/invocations?Qualifier=', '{}');
    expect({ status: refused.status, errorType: refused.errorType }).toEqual({ status: 400, errorType: 'ValidationException' });
    expect(refused.body!.message).toBe("1 validation error detected: Value '' at 'qualifier' failed to satisfy constraint: Member must have length greater than or equal to 1");
  });

  it('on Invoke, a qualifier that breaks Lambda’s pattern is blamed on the pattern; one that keeps it but names no version here is ResourceNotFoundException', async () => {
    const spaced = await raw('POST', '/2015-03-31/functions/emailHelper/invocations?Qualifier=a%20b', '{}');
    expect(spaced.errorType).toBe('ValidationException');
    expect(spaced.body!.message).toBe("1 validation error detected: Value 'a b' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)");
    const long = await raw('POST', `/2015-03-31/functions/emailHelper/invocations?Qualifier=${'a'.repeat(129)}`, '{}');
    expect(long.body!.message).toMatch(/at 'qualifier' failed to satisfy constraint: Member must have length less than or equal to 128$/);
    const dollar = await raw('POST', '/2015-03-31/functions/emailHelper/invocations?Qualifier=a%24b', '{}');
    expect({ status: dollar.status, errorType: dollar.errorType, message: dollar.body!.message }).toEqual({
      status: 404,
      errorType: 'ResourceNotFoundException',
      message: expect.stringContaining(`Function not found: ${ARN('emailHelper')}:a$b`),
    });
  });

  it('on management operations, a bad ?Qualifier= is blamed on qualifier, not on functionName', async () => {
    for (const [query, rule] of [
      ['a%20b', "Value 'a b' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)"],
      ['', "Value '' at 'qualifier' failed to satisfy constraint: Member must have length greater than or equal to 1"],
    ] as const) {
      for (const path of ['/2015-03-31/functions/emailHelper', '/2015-03-31/functions/emailHelper/configuration', EVENT_INVOKE_CONFIG]) {
        const refused = await raw('GET', `${path}?Qualifier=${query}`);
        expect({ path, status: refused.status, errorType: refused.errorType, message: refused.body!.message }).toEqual({
          path,
          status: 400,
          errorType: 'ValidationException',
          message: `1 validation error detected: ${rule}`,
        });
      }
    }
    const dollar = await rejection(client.send(new GetFunctionCommand({ FunctionName: 'emailHelper', Qualifier: 'a$b' })));
    expect(dollar).toBeInstanceOf(ResourceNotFoundException);
    expect((await client.send(new GetFunctionCommand({ FunctionName: 'emailHelper', Qualifier: '$LATEST' }))).Configuration?.FunctionName).toBe('emailHelper');
  });
});

describe('account', () => {
  it('GetAccountSettings: the pool is the account’s concurrency, reservations come off the unreserved part, and every function counts', async () => {
    await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'emailHelper', ReservedConcurrentExecutions: 3 }));
    const settings = await client.send(new GetAccountSettingsCommand({}));
    expect(settings.AccountLimit).toMatchObject({
      ConcurrentExecutions: POOL_SIZE,
      UnreservedConcurrentExecutions: POOL_SIZE - 3,
      TotalCodeSize: expect.any(Number),
      CodeSizeUnzipped: expect.any(Number),
      CodeSizeZipped: expect.any(Number),
    });
    expect(settings.AccountUsage).toMatchObject({ FunctionCount: 5, TotalCodeSize: expect.any(Number) });
  });
});

describe('a restart', () => {
  it('keeps every change: a new runtime on the same database, with the same functions registered, applies them', async () => {
    await client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: ARN('failures') } } }));
    await client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'getTrades', ReservedConcurrentExecutions: 2 }));
    await client.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'bookkeeping' }));
    client.destroy();
    await api.close();
    await local.runtime.close();

    sink = recordSink('failures');
    const restarted = registerAll(createLocalRuntime({ dbPath: local.dbPath, timeScale: PARITY_TIME_SCALE, pollIntervalMs: 20, poolSize: POOL_SIZE }));
    api = await startInvokeApi(restarted);
    client = lambdaClient(api.url);
    try {
      expect(await client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'emailHelper' }))).toMatchObject({
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: ARN('failures') } },
      });
      expect(await client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'getTrades' }))).toMatchObject({ ReservedConcurrentExecutions: 2 });
      // A deletion is a change too: the code's declaration does not come back with the restart.
      await expect(client.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'bookkeeping' }))).rejects.toBeInstanceOf(ResourceNotFoundException);

      const failed = await failingEvent(restarted);
      expect(failed.attempts).toBe(1);
      expect(sink.records.map((r) => r.requestContext.requestId)).toEqual([failed.id]);
    } finally {
      await restarted.close();
    }
  });
});

describe('any other operation', () => {
  const unknown = [
    ['ListAliases', () => new ListAliasesCommand({ FunctionName: 'emailHelper' })],
    ['CreateFunction', () => new CreateFunctionCommand({ FunctionName: 'newOne', Role: 'arn:aws:iam::000000000000:role/x', Code: { ZipFile: new Uint8Array([1]) } })],
    ['GetPolicy', () => new GetPolicyCommand({ FunctionName: 'emailHelper' })],
  ] as const;

  it.each(unknown)('%s is a typed LambdaServiceException named UnknownOperationException (400), not a SyntaxError', async (_name, command) => {
    const error = await rejection(client.send(command() as never));
    expect(error.name).toBe('UnknownOperationException');
    expect(error.$fault).toBe('client');
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('its body is JSON in AWS’s shape, with the exception name in x-amzn-ErrorType', async () => {
    const response = await signedFetch(`${api.url}/2015-03-31/functions/emailHelper/aliases`, { method: 'GET' }, TEST_CREDENTIALS);
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ Type: 'User', message: expect.stringContaining('/2015-03-31/functions/emailHelper/aliases') });
  });
});

describe.skipIf(!HAS_AWS_CLI)('the AWS CLI against the runtime on a port', () => {
  const cli = (...args: string[]) => awsCli(api.url, TEST_CREDENTIALS, ['lambda', ...args]);

  it('list-functions (following NextMarker), get-account-settings, and list-aliases’s UnknownOperationException', async () => {
    const [list, account, aliases] = await Promise.all([cli('list-functions', '--page-size', '2'), cli('get-account-settings'), cli('list-aliases', '--function-name', 'emailHelper')]);
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout).Functions as { FunctionName: string }[]).map((f) => f.FunctionName).sort()).toEqual([
      'bookkeeping',
      'emailHelper',
      'failures',
      'getTrades',
      'placeOrder',
    ]);
    expect(account.code, account.stderr).toBe(0);
    expect(JSON.parse(account.stdout)).toMatchObject({ AccountLimit: { ConcurrentExecutions: POOL_SIZE }, AccountUsage: { FunctionCount: 5 } });
    expect(aliases.code).not.toBe(0);
    expect(aliases.stderr).toMatch(/An error occurred \(UnknownOperationException\) when calling the ListAliases operation/);
  });

  it('put-function-event-invoke-config then get-function-event-invoke-config, and the setting takes effect', async () => {
    const put = await cli(
      'put-function-event-invoke-config',
      '--function-name',
      'emailHelper',
      '--maximum-retry-attempts',
      '0',
      '--destination-config',
      JSON.stringify({ OnFailure: { Destination: ARN('failures') } }),
    );
    expect(put.code, put.stderr).toBe(0);
    expect(JSON.parse(put.stdout)).toMatchObject({ FunctionArn: `${ARN('emailHelper')}:$LATEST`, MaximumRetryAttempts: 0 });
    const get = await cli('get-function-event-invoke-config', '--function-name', 'emailHelper');
    expect(get.code, get.stderr).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: ARN('failures') } } });

    const failed = await failingEvent();
    expect(failed.attempts).toBe(1);
    expect(sink.records).toHaveLength(1);
  });

  it('a value out of range is the CLI’s ValidationException', async () => {
    const refused = await cli('put-function-event-invoke-config', '--function-name', 'emailHelper', '--maximum-retry-attempts', '5');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/\(ValidationException\)/);
  });
});
