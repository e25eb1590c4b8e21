import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { RuntimeCredentials } from '../../src/runtime/credentials.js';
import { createInvokeApi } from '../../src/runtime/invoke-api.js';
import type { LocalRuntime } from '../../src/runtime/local-runtime.js';
import { TEST_CREDENTIALS } from './signed.js';

/** The runtime's Invoke API on a free loopback port, over real HTTP (what the AWS SDK needs), checking {@link TEST_CREDENTIALS}. */
export async function startInvokeApi(runtime: LocalRuntime, credentials: RuntimeCredentials = TEST_CREDENTIALS): Promise<{ url: string; credentials: RuntimeCredentials; close(): Promise<void> }> {
  const app = createInvokeApi(runtime, { credentials });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    credentials,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; close them so `close` does not wait for their timeout.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
