/**
 * The findings of cdk-nag's AwsSolutions pack that the stack keeps on purpose, each with its reason
 * in one line. `test/infra/cdk-nag.test.ts` runs the pack on the whole stack (the web app included)
 * with these and fails on any other finding; a finding fixed in the stack is removed from here.
 *
 * @example
 * suppressNagFindings(stack);
 * Aspects.of(app).add(new AwsSolutionsChecks());
 */
import { Stack } from 'aws-cdk-lib';
import { CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { NagSuppressions } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ROUTES } from '../src/leedz/functions/routes.js';
import type { LeedzStack } from './leedz-stack.js';
import { API_FALLBACK_PATH, routeKey } from './http-api.js';

/** Why a route that API Gateway does not authorise is still safe, by the route's `auth` in ROUTES. */
const OPEN_ROUTE = {
  none: 'public by design (ROUTES auth "none"): anyone may read it or ask for it, and the function limits what it gives',
  optional: 'public by design (ROUTES auth "optional"): a session, when sent, is verified by the function’s HTTP edge and only shows more',
  signature: 'Square’s webhook: the function verifies its HMAC signature before anything else, as Square cannot send a session',
} as const;

/** Apply every suppression to `stack` (see the module comment). */
export function suppressNagFindings(stack: LeedzStack): void {
  const suppress = (construct: IConstruct, id: string, reason: string, appliesTo?: string[]) =>
    NagSuppressions.addResourceSuppressions(construct, [{ id, reason, ...(appliesTo === undefined ? {} : { appliesTo }) }], true);

  for (const [name, fn] of stack.functions) {
    suppress(fn.role!, 'AwsSolutions-IAM5', 'X-Ray’s PutTraceSegments and PutTelemetryRecords take no resource (active tracing); the template test allows "*" for nothing else', ['Resource::*']);
    if (name === 'emailHelper' || name === 'emailHelperBulk') {
      suppress(fn.role!, 'AwsSolutions-IAM5', 'in the SES sandbox SES also authorises each recipient’s identity, unknown at deploy time; the From address is pinned by the ses:FromAddress condition', [
        'Resource::arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/*',
      ]);
    }
  }

  for (const construct of stack.api.node.findAll()) {
    if (!(construct instanceof CfnRoute) || construct.authorizationType === 'JWT') continue;
    const key = Stack.of(stack).resolve(construct.routeKey) as string;
    if (key === `ANY ${API_FALLBACK_PATH}`) {
      suppress(construct, 'AwsSolutions-APIG4', `${key}: serves no operation, only the API's 404 or 405 for a path or method no route takes`);
      continue;
    }
    const route = ROUTES.find((r) => routeKey(r) === key);
    if (route === undefined || route.auth === 'session') continue;
    suppress(construct, 'AwsSolutions-APIG4', `${routeKey(route)}: ${OPEN_ROUTE[route.auth]}`);
  }

  const child = (id: string) => stack.node.tryFindChild(id);
  suppress(child('Users')!, 'AwsSolutions-COG2', 'nobody has a password to add a factor to: a session is minted by the server only after a single-use link sent to the address is redeemed');
  suppress(child('Users')!, 'AwsSolutions-COG8', 'the Plus tier’s threat protection guards password and hosted-UI sign-ins, which this pool does not allow (admin-only sign-in)');
  suppress(child('SquareKeys')!, 'AwsSolutions-SMG4', 'Square’s keys are issued and rotated in Square’s dashboard; Secrets Manager has no rotation function for them');
  for (const queue of ['emailHelperFailures', 'bookkeepingFailures', 'OutboxRelayFailures']) {
    const found = child(queue);
    if (found !== undefined) suppress(found, 'AwsSolutions-SQS3', 'this queue is itself a dead-letter destination (failure records), watched by an alarm');
  }

  const web = child('Web');
  if (web !== undefined) {
    suppress(web, 'AwsSolutions-S1', 'the bucket holds the public web app and is read only by CloudFront (origin access control); API requests are access-logged at the API stage');
    suppress(web, 'AwsSolutions-CFR3', 'the distribution serves the public web app and proxies the API, whose requests are access-logged at the API stage');
    if (stack.webSite?.domainName === undefined) {
      suppress(web, 'AwsSolutions-CFR4', 'the default *.cloudfront.net certificate fixes the viewer TLS policy; a custom domain (domainName) sets TLSv1.2_2021');
    }
    suppress(web, 'AwsSolutions-CFR1', 'a marketplace open to vendors anywhere: no geographic restriction');
    suppress(
      stack.webSite!.originVerify,
      'AwsSolutions-SMG4',
      'it only tells the API that a request came through CloudFront, and guards no data; a new value must reach the distribution and every API Lambda at once, which a deploy does',
    );
    suppress(web, 'AwsSolutions-CFR2', 'no WAF at this size: the API stage is throttled (the sign-in route to the SES rate) and the functions limit sign-ins per mailbox and client');
  }
  // CDK's BucketDeployment: its provider Lambda, role and policy are aws-cdk-lib's, copying the app into its bucket at deploy.
  for (const construct of stack.node.findAll()) {
    if (!construct.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
    const reason = 'aws-cdk-lib’s BucketDeployment provider (copies the web app from the CDK assets bucket into the app’s bucket at deploy)';
    suppress(construct, 'AwsSolutions-IAM4', reason);
    suppress(construct, 'AwsSolutions-IAM5', reason);
    suppress(construct, 'AwsSolutions-L1', `${reason}; aws-cdk-lib chooses its runtime`);
  }
}
