/**
 * Parity 5 — the names a caller written for AWS uses reach the same function locally.
 *
 * What AWS does: `FunctionName` may be a name, `name:qualifier`, a partial ARN
 * (`123456789012:function:name`) or a full ARN, and is checked against Lambda's pattern before it is
 * looked up: a malformed one is `ValidationException` (400), a well-formed unknown one
 * `ResourceNotFoundException` (404) (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_RequestSyntax).
 * The stack deploys each function as `<stackName>-<name>` (`Leedz-emailHelper`), so a caller written
 * for AWS names it that way.
 *
 * Locally the runtime answers to the deployed names (`functionNamePrefixes: ['Leedz-']`, the server
 * sets it from `LEEDZ_STACK_NAME`) and to ARNs of any region and account.
 */
import { InvokeCommand, LambdaServiceException, ResourceNotFoundException, type LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController } from '../../src/framework/define.js';
import { signedFetch } from '../../src/server/signed-fetch.js';
import { startInvokeApi } from '../helpers/invoke-api-server.js';
import { HAS_BOTO3, python, tempRuntime, type TempRuntime } from '../helpers/parity.js';
import { lambdaClient, TEST_CREDENTIALS } from '../helpers/signed.js';

let received: { leedId: string; trade: string; functionName: string }[];

const emailHelper = defineController('emailHelper', {
  notifyUsers: {
    payload: z.object({ leedId: z.string(), trade: z.string() }),
    handler: ({ leedId, trade }, ctx) => {
      received.push({ leedId, trade, functionName: ctx.functionName });
      return { notified: leedId };
    },
  },
});

let local: TempRuntime;
let api: Awaited<ReturnType<typeof startInvokeApi>>;
let client: LambdaClient;

beforeAll(async () => {
  local = tempRuntime({ functionNamePrefixes: ['Leedz-'] });
  local.runtime.register(emailHelper).start();
  api = await startInvokeApi(local.runtime);
  client = lambdaClient(api.url);
});

afterAll(async () => {
  client?.destroy();
  await api?.close();
  await local?.cleanup();
});

beforeEach(() => {
  received = [];
});

async function invoke(FunctionName: string, type: 'RequestResponse' | 'Event' = 'RequestResponse') {
  return client.send(
    new InvokeCommand({ FunctionName, InvocationType: type, Payload: new TextEncoder().encode(JSON.stringify({ function: 'notifyUsers', leedId: 'l_1', trade: 'dj' })) }),
  );
}

describe('the names of a deployed function', () => {
  it.each([
    ['the deployed name', 'Leedz-emailHelper'],
    ['the deployed name with $LATEST', 'Leedz-emailHelper:$LATEST'],
    ['the code’s own name', 'emailHelper'],
    ['a full ARN in another region and account', 'arn:aws:lambda:eu-west-3:123456789012:function:Leedz-emailHelper'],
    ['a full ARN with its qualifier', 'arn:aws:lambda:us-east-1:210987654321:function:Leedz-emailHelper:$LATEST'],
    ['a full ARN in another partition', 'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:Leedz-emailHelper'],
    ['a partial ARN', '123456789012:function:Leedz-emailHelper'],
  ])('%s (%s) invokes the function', async (_form, name) => {
    const result = await invoke(name);
    expect(result.StatusCode).toBe(200);
    expect(result.FunctionError).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(result.Payload))).toEqual({ notified: 'l_1' });
    expect(received).toEqual([{ leedId: 'l_1', trade: 'dj', functionName: 'emailHelper' }]);
  });

  it('an Event by ARN is queued for the function itself (one log row, under its own name)', async () => {
    const accepted = await invoke('arn:aws:lambda:ap-southeast-2:123456789012:function:Leedz-emailHelper', 'Event');
    expect(accepted.StatusCode).toBe(202);
    await local.runtime.drain();
    expect(received).toHaveLength(1);
    expect(local.runtime.listInvocations({ function: 'emailHelper', type: 'Event', limit: 1 })[0]).toMatchObject({ outcome: 'Success' });
  });

  it.skipIf(!HAS_BOTO3)('boto3’s plain caller, boto3.client("lambda").invoke(FunctionName="Leedz-emailHelper"), works unchanged', async () => {
    const script = [
      'import json, sys, boto3',
      // Credentials and region come from the environment, as on AWS; only the endpoint differs.
      "client = boto3.client('lambda', endpoint_url=sys.argv[1])",
      "event = client.invoke(FunctionName='Leedz-emailHelper', InvocationType='Event', Payload=json.dumps({'function': 'notifyUsers', 'leedId': 'l_9', 'trade': 'dj'}))",
      "sync = client.invoke(FunctionName='Leedz-emailHelper', Payload=json.dumps({'function': 'notifyUsers', 'leedId': 'l_8', 'trade': 'dj'}))",
      "print(json.dumps({'event': event['StatusCode'], 'sync': sync['StatusCode'], 'payload': json.loads(sync['Payload'].read())}))",
    ].join('\n');
    const output = JSON.parse(await python(script, api.url, TEST_CREDENTIALS));
    expect(output).toEqual({ event: 202, sync: 200, payload: { notified: 'l_8' } });
    await local.runtime.drain();
    expect(received.map((r) => r.leedId).sort()).toEqual(['l_8', 'l_9']);
  });
});

describe('a name Lambda would not accept', () => {
  it.each([
    ['a space and a "!"', 'bad name!', /failed to satisfy constraint: Member must satisfy regular expression pattern/],
    ['longer than 170 characters', 'x'.repeat(171), /failed to satisfy constraint: Member must have length less than or equal to 170$/],
  ])('with %s is ValidationException (400), not ResourceNotFoundException (404), naming the rule it breaks', async (_why, name, rule) => {
    let failure: unknown;
    try {
      await invoke(name);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(LambdaServiceException);
    expect(failure).not.toBeInstanceOf(ResourceNotFoundException);
    expect((failure as LambdaServiceException).name).toBe('ValidationException');
    expect((failure as LambdaServiceException).$metadata.httpStatusCode).toBe(400);
    expect((failure as Error).message).toMatch(rule);
    expect(received).toEqual([]);
  });

  it('raw HTTP: 400 with x-amzn-ErrorType ValidationException and a JSON body', async () => {
    const response = await signedFetch(`${api.url}/2015-03-31/functions/${encodeURIComponent('bad name!')}/invocations`, { method: 'POST', body: '{}' }, TEST_CREDENTIALS);
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(await response.json()).toEqual({ Type: 'User', message: expect.stringContaining("Value 'bad name!' at 'functionName'") });
  });

  it('a well-formed name of no function is ResourceNotFoundException (404) naming its ARN', async () => {
    await expect(invoke('Leedz-nothingHere')).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(invoke('Leedz-nothingHere')).rejects.toThrow('Function not found: arn:aws:lambda:local:000000000000:function:Leedz-nothingHere');
  });

  // The pattern (API_Invoke.html#API_Invoke_RequestSyntax) admits a dot, and a name of any length
  // within the 170 characters: such a name is looked up, and names no function.
  it.each([
    ['a dot', 'email.Helper'],
    ['a dot in an ARN', 'arn:aws:lambda:us-east-1:123456789012:function:email.Helper'],
    ['65 characters', 'e'.repeat(65)],
  ])('a name with %s, which the pattern admits, is ResourceNotFoundException (404), not ValidationException', async (_why, name) => {
    await expect(invoke(name)).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(received).toEqual([]);
  });
});
