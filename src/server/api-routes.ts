/**
 * The marketplace's API on the local server: the HTTP edge (`src/edge/api-app.ts`) with each route
 * reaching its function through the runtime (RequestResponse), so every call is in the invocation log.
 */
import type { HttpBindings } from '@hono/node-server';
import type { Context, Hono } from 'hono';
import { createApiApp } from '../edge/api-app.js';
import { isPayloadTooLarge, type Transport } from '../framework/transport.js';
import { problem, type HttpResult } from '../leedz/functions/http.js';
import type { Identity } from '../leedz/ports.js';

export interface ApiRoutesOptions {
  transport: Transport;
  identity: Pick<Identity, 'verifySession'>;
  /** The public URL's origin: pages served there may change things. */
  allowedOrigins?: readonly string[];
  log?: (line: string) => void;
}

export function mountApiRoutes(app: Hono, options: ApiRoutesOptions): void {
  const log = options.log ?? (() => {});
  app.route(
    '/',
    createApiApp({
      identity: options.identity,
      ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
      clientIp: (c: Context) => (c.env as Partial<HttpBindings> | undefined)?.incoming?.socket.remoteAddress,
      log,
      async call(route, request) {
        try {
          const invocation = await options.transport.invoke(route.function, request, 'RequestResponse');
          if (invocation.functionError === undefined) return invocation.payload as HttpResult;
          const error = invocation.payload as { errorType?: string; errorMessage?: string };
          log(`${route.function} failed: ${error.errorType}: ${error.errorMessage}`);
          return problem('INTERNAL', 'something went wrong on our side; it has been logged');
        } catch (error) {
          const name = (error as Error).name;
          log(`${route.function} could not be invoked: ${name}: ${(error as Error).message}`);
          if (name === 'TooManyRequestsException') return problem('RATE_LIMITED', 'the service is busy; try again shortly');
          // The request itself cannot be passed on (the edge refuses what it can see first): trying again changes nothing.
          if (name === 'InvalidRequestContentException' || isPayloadTooLarge(name)) {
            return problem('VALIDATION', 'the request cannot be passed to its function', [{ path: '(body)', message: (error as Error).message }]);
          }
          return problem('UNAVAILABLE', 'the service is busy; try again shortly');
        }
      },
    }),
  );
}
