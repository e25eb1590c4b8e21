import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createInvokeApi } from '../../src/runtime/invoke-api.js';
import type { LocalRuntime } from '../../src/runtime/local-runtime.js';

/** The runtime's Invoke API on a free loopback port, over real HTTP (what the AWS SDK needs). */
export async function startInvokeApi(runtime: LocalRuntime): Promise<{ url: string; close(): Promise<void> }> {
  const app = createInvokeApi(runtime);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; close them so `close` does not wait for their timeout.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
