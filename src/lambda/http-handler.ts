/**
 * The Lambda entry of a request-response function behind API Gateway's HTTP API (payload format
 * 2.0): the marketplace's HTTP edge (`src/edge/api-app.ts`, the same application the local server
 * mounts) for this function's routes, run through hono's Lambda adapter, which converts the event to
 * a `Request` and the `Response` back — cookies into `cookies`, base64 bodies decoded
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 *
 * The function runs in this Lambda, by its `handle`: a thrown error is a fault, logged, and answered
 * with a 500 (expected outcomes are results with a status).
 *
 * @example
 * export const handler = createHttpHandler(marketplace.functions.find((f) => f.name === 'getTrades')!, transport, deps.identity);
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { createApiApp, mountApiFallback } from '../edge/api-app.js';
import type { Deployable } from '../framework/define.js';
import { serializeError } from '../framework/errors.js';
import type { Transport } from '../framework/transport.js';
import type { HttpResult } from '../leedz/functions/http.js';
import { API_FRONT_FUNCTION, ROUTES } from '../leedz/functions/routes.js';
import type { Identity } from '../leedz/ports.js';
import { invocationContextFromLambda } from './lambda-context.js';
import { mountApiReference } from '../edge/api-reference.js';
import { viewerAddress } from './viewer-address.js';

export type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

interface LambdaBindings {
  event: APIGatewayProxyEventV2;
  lambdaContext: Context;
}

/** The API Gateway v2 handler of one request-response function. */
export function createHttpHandler(
  fn: Deployable,
  transport: Transport,
  identity: Pick<Identity, 'verifySession'>,
  options: { allowedOrigins?: readonly string[]; publicUrl?: string; originSecret?: string } = {},
): HttpHandler {
  const app = createApiApp({
    routes: ROUTES.filter((route) => route.function === fn.name),
    identity,
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
    // Behind CloudFront, the viewer's address as CloudFront vouches for it; else the one API Gateway saw.
    clientIp: (c) => viewerAddress((c.env as LambdaBindings).event, options.originSecret),
    // The edge's own lines (a session check that could not reach the identity provider) go to CloudWatch Logs.
    log: (line) => console.error(line),
    async call(_route, request, c) {
      const { lambdaContext } = c.env as LambdaBindings;
      try {
        return (await fn.handle(request, invocationContextFromLambda(fn, lambdaContext, {}, transport))) as HttpResult;
      } catch (error) {
        console.error(JSON.stringify({ function: fn.name, requestId: lambdaContext.awsRequestId, error: serializeError(error) }));
        throw error;
      }
    },
  });
  // What API Gateway's catch-all route brings to the front function: the API reference, at the
  // address the site is served from, and for the rest the same 404 or 405 as the local server's.
  if (fn.name === API_FRONT_FUNCTION && options.publicUrl !== undefined) mountApiReference(app, options.publicUrl);
  mountApiFallback(app);
  const run = handle(app);
  return async (event, context) => (await run(event as unknown as LambdaEvent, context as unknown as LambdaContext)) as APIGatewayProxyStructuredResultV2;
}
