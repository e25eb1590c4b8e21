/**
 * The runtime's credentials in tests, and requests signed with them: the Invoke API, the management
 * API and `/local` refuse anything unsigned (src/runtime/access.ts).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Hono } from 'hono';
import type { RuntimeCredentials } from '../../src/runtime/credentials.js';
import { signRequest } from '../../src/server/signed-fetch.js';

/** A fixed key pair for runtimes built in tests (a server makes its own in its data folder). */
export const TEST_CREDENTIALS: RuntimeCredentials = { accessKeyId: 'AKIATESTTESTTESTTEST', secretAccessKey: 'test/secret+key/for/the/local/runtime00' };

/** The AWS SDK's Lambda client for a runtime at `endpoint`. */
export function lambdaClient(endpoint: string, credentials: RuntimeCredentials = TEST_CREDENTIALS): LambdaClient {
  // A copy: the SDK marks the credentials object it is given (`$source`).
  return new LambdaClient({ endpoint, region: 'local', credentials: { ...credentials } });
}

/** `app.request` with a SigV4-signed request, as a client of the runtime would send it. */
export async function signedAppRequest(
  app: Hono,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  credentials: RuntimeCredentials = TEST_CREDENTIALS,
): Promise<Response> {
  const method = init.method ?? 'GET';
  const url = `http://localhost${path}`;
  const headers = await signRequest(url, { method, ...(init.headers === undefined ? {} : { headers: init.headers }), ...(init.body === undefined ? {} : { body: init.body }) }, credentials);
  return app.request(path, { method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
}
