/**
 * The HTTP API's routes, read from `ROUTES` (src/leedz/functions/routes.ts): one Lambda integration
 * per function, Cognito's JWT check on the routes that need a session, and on the stage the
 * throttling (tighter on sign-in, which sends an email) and the access logs.
 *
 * @example
 * addApiRoutes(stack, api, { deployed, userPool, userPoolClient, concurrency, sesMaxSendRate: 14 });
 * routeKey({ method: 'GET', path: '/api/leedz/:trade/:id' }); // 'GET /api/leedz/{trade}/{id}'
 */
import { RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { type CfnStage, type HttpApi, HttpMethod, type HttpRoute, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { API_FRONT_FUNCTION, ROUTES, type RouteSpec } from '../src/leedz/functions/routes.js';
import { type ConcurrencyPlan, signInThrottle, stageThrottle } from './edge-limits.js';

/** API Gateway's greedy path for everything under /api/ that no other route matches. */
export const API_FALLBACK_PATH = '/api/{proxy+}';

/** Every route of `ROUTES` on `api`, a catch-all for the rest of /api/, and the default stage's throttling and access logs. */
export function addApiRoutes(
  stack: Stack,
  api: HttpApi,
  options: { deployed(name: string): IFunction; userPool: UserPool; userPoolClient: UserPoolClient; concurrency: ConcurrencyPlan; sesMaxSendRate: number },
): void {
  // API Gateway checks the session JWT of `session` routes before the function runs. A JWT
  // authorizer reads a header or the query string, never a cookie: those routes need
  // `Authorization: Bearer <token>` (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html).
  const sessionAuthorizer = new HttpUserPoolAuthorizer('Session', options.userPool, {
    userPoolClients: [options.userPoolClient],
    identitySource: ['$request.header.Authorization'],
  });
  const integrations = new Map<string, HttpLambdaIntegration>();
  const routes = new Map<string, HttpRoute>();
  for (const route of ROUTES) {
    const integration = integrations.get(route.function) ?? new HttpLambdaIntegration(`${route.function}Integration`, options.deployed(route.function));
    integrations.set(route.function, integration);
    const [added] = api.addRoutes({
      path: apiGatewayPath(route),
      methods: [HttpMethod[route.method]],
      integration,
      ...(route.auth === 'session' ? { authorizer: sessionAuthorizer as IHttpRouteAuthorizer } : {}),
    });
    routes.set(routeKey(route), added!);
  }
  // What no route matches under /api/ goes to the API's front function, whose application serves the
  // API reference and answers the API's own 404 or 405 (src/lambda/http-handler.ts), as the local
  // server does, instead of API Gateway's {"message":"Not Found"}. API Gateway prefers an exact route,
  // so no operation's request comes here (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html).
  const fallback = ROUTES.find((route) => route.function === API_FRONT_FUNCTION);
  if (fallback === undefined) throw new Error(`ROUTES has no route to ${API_FRONT_FUNCTION}, which answers the rest of /api/`);
  api.addRoutes({ path: API_FALLBACK_PATH, methods: [HttpMethod.ANY], integration: integrations.get(fallback.function)! });

  // The edge: throttling and access logs on the stage.
  // Escape hatches: the L2 default stage takes neither per-route throttling nor (on creation) access logs.
  const stage = api.defaultStage!.node.defaultChild as CfnStage;
  const accessLogs = new LogGroup(stack, 'ApiAccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
  stage.accessLogSettings = { destinationArn: accessLogs.logGroupArn, format: JSON.stringify(ACCESS_LOG_FORMAT) };
  const apiThrottle = stageThrottle(options.concurrency);
  stage.defaultRouteSettings = { throttlingRateLimit: apiThrottle.rateLimit, throttlingBurstLimit: apiThrottle.burstLimit };
  // Every sign-in request sends an email: no faster than SES sends them.
  const signIn = ROUTES.find((route) => route.function === 'login');
  if (signIn === undefined) throw new Error('ROUTES has no route to the login function');
  const signInLimit = signInThrottle(options.sesMaxSendRate);
  // RouteSettings is untyped JSON in CloudFormation: CDK writes its keys as they are, so in its own casing.
  stage.routeSettings = { [routeKey(signIn)]: { ThrottlingRateLimit: signInLimit.rateLimit, ThrottlingBurstLimit: signInLimit.burstLimit } };
  // A route's settings need the route to exist first.
  stage.node.addDependency(routes.get(routeKey(signIn))!);
}

/**
 * What each access log line holds, as JSON: who asked what, what came back and how fast, and what
 * failed in the authorizer or the integration — never a header, a cookie or a token
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html).
 */
export const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  userAgent: '$context.identity.userAgent',
} as const;

/** A route's key as API Gateway writes it: `POST /api/auth/login`. */
export function routeKey(route: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${route.method} ${apiGatewayPath(route)}`;
}

/** `/api/leedz/:trade/:id` → `/api/leedz/{trade}/{id}`. */
export function apiGatewayPath(route: Pick<RouteSpec, 'path'>): string {
  return route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
