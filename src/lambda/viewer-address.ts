/**
 * The address of the person behind a request to an API Lambda. Behind CloudFront, the address API
 * Gateway sees (`requestContext.http.sourceIp`) is one of CloudFront's own servers, shared by every
 * viewer routed through it: a limit per client address (the sign-in's) would count them all as one,
 * so one stranger could use up everybody's budget.
 *
 * CloudFront knows the viewer's address. The stack's CloudFront Function on `/api/*`
 * (infra/web-site.ts) writes it into {@link VIEWER_IP_HEADER}, over any value a viewer sent, and
 * the distribution adds {@link ORIGIN_VERIFY_HEADER} with a secret only it and the API Lambdas know
 * (a generated Secrets Manager value). The header is believed only with that secret: a request sent
 * straight to the API's own URL (execute-api) could name any address, and is counted by the one API
 * Gateway saw, which is its sender's.
 *
 * Custom origin headers: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html
 * The viewer's address in a CloudFront Function (`event.viewer.ip`): https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html
 *
 * @example
 * viewerAddress(event, config.originVerify); // '203.0.113.7' through CloudFront, else requestContext.http.sourceIp
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isIP } from 'node:net';
import { sameSecret } from '../framework/same-secret.js';

/** Set by the CloudFront Function on `/api/*`: the viewer's IP address, as CloudFront saw it. */
export const VIEWER_IP_HEADER = 'x-leedz-viewer-ip';
/** Added by CloudFront to every request it sends the API: the secret that says it came that way. */
export const ORIGIN_VERIFY_HEADER = 'x-leedz-origin-verify';

/** The viewer's address when CloudFront vouches for it (the secret matches), else the address API Gateway saw. */
export function viewerAddress(event: Pick<APIGatewayProxyEventV2, 'headers' | 'requestContext'>, originSecret: string | undefined): string {
  const seen = event.requestContext.http.sourceIp;
  if (originSecret === undefined || originSecret === '') return seen;
  // API Gateway hands HTTP API (payload 2.0) headers with lower-case names.
  const proof = event.headers?.[ORIGIN_VERIFY_HEADER];
  const viewer = event.headers?.[VIEWER_IP_HEADER];
  if (proof === undefined || viewer === undefined || !sameSecret(originSecret, proof)) return seen;
  return isIP(viewer) === 0 ? seen : viewer;
}
