import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFunction } from '../../src/framework/define.js';
import { InvokeError } from '../../src/framework/transport.js';
import { createLocalRuntime } from '../../src/runtime/local-runtime.js';
import { createLambdaTransport } from '../../src/transports/lambda-transport.js';
import { describeTransportContract } from '../contracts/transport.js';
import { startInvokeApi } from '../helpers/invoke-api-server.js';
import { lambdaClient, TEST_CREDENTIALS } from '../helpers/signed.js';
import { tempDir } from '../helpers/temp-dir.js';

describeTransportContract('lambda (AWS SDK → local Invoke API over HTTP)', async () => {
  const dir = tempDir();
  const runtime = createLocalRuntime({ dbPath: join(dir.path, 'runtime.db'), pollIntervalMs: 20 });
  const api = await startInvokeApi(runtime);
  const client = lambdaClient(api.url);
  return {
    transport: createLambdaTransport({ client }),
    runtime,
    teardown: async () => {
      client.destroy();
      await api.close();
      await runtime.close();
      dir.cleanup();
    },
  };
});

describe('createLambdaTransport', () => {
  it('with an endpoint and the runtime’s credentials, reaches the local Invoke API with the SDK’s own client', async () => {
    const dir = tempDir();
    const runtime = createLocalRuntime({ dbPath: join(dir.path, 'runtime.db') });
    const api = await startInvokeApi(runtime);
    try {
      const transport = createLambdaTransport({ endpoint: api.url, credentials: TEST_CREDENTIALS });
      const error = await transport.invoke('missing', {}, 'DryRun').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvokeError);
      expect((error as InvokeError).name).toBe('ResourceNotFoundException');
      expect((error as InvokeError).cause).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    } finally {
      await api.close();
      await runtime.close();
      dir.cleanup();
    }
  });

  it('carries a throttle’s Retry-After and Reason over from the SDK’s exception', async () => {
    const dir = tempDir();
    const runtime = createLocalRuntime({ dbPath: join(dir.path, 'runtime.db') });
    runtime.register(defineFunction('held', { input: z.unknown(), handler: () => null }), { reservedConcurrency: 0 });
    const api = await startInvokeApi(runtime);
    try {
      const transport = createLambdaTransport({ endpoint: api.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
      const error = await transport.invoke('held', {}, 'RequestResponse').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvokeError);
      expect(error).toMatchObject({ name: 'TooManyRequestsException', retryAfterSeconds: 1, reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    } finally {
      await api.close();
      await runtime.close();
      dir.cleanup();
    }
  });

  it('rethrows what is not a Lambda invoke exception (a refused connection) as the SDK threw it', async () => {
    const transport = createLambdaTransport({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    const error = await transport.invoke('anything', {}, 'RequestResponse').catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(InvokeError);
    expect(error).toBeInstanceOf(Error);
  });

  it('refuses a payload that is not JSON-serialisable before sending it', async () => {
    const transport = createLambdaTransport({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    const error = await transport.invoke('anything', { n: 1n }, 'RequestResponse').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidRequestContentException' });
  });
});
