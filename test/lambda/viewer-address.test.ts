import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleLambdaEnvironment } from '../../infra/sample-environment.js';
import { defineFunction } from '../../src/framework/define.js';
import { AWS_ENV } from '../../src/lambda/aws-config.js';
import { httpEntry } from '../../src/lambda/entry.js';
import { createHttpHandler } from '../../src/lambda/http-handler.js';
import { ORIGIN_VERIFY_HEADER, VIEWER_IP_HEADER, viewerAddress } from '../../src/lambda/viewer-address.js';
import { DEFAULT_SETTINGS } from '../../src/leedz/deps.js';
import { httpRequestSchema, type HttpRequest } from '../../src/leedz/functions/http.js';
import { apiEvent, lambdaContext, localMarketplace, recordingTransport, type LocalMarketplace } from './fakes.js';

const SECRET = 'k3Jd9sQ2mZ8xL1vB7nC4wT6yR0pA5eHu';
/** One of CloudFront's own addresses, as API Gateway sees every request CloudFront sends. */
const CLOUDFRONT = '130.176.91.12';

/** A request as it reaches API Gateway from CloudFront (or from anyone naming these headers). */
function through(sourceIp: string, headers: Record<string, string>): Pick<APIGatewayProxyEventV2, 'headers' | 'requestContext'> {
  const event = apiEvent('login.json');
  event.requestContext.http.sourceIp = sourceIp;
  event.headers = { ...event.headers, ...headers };
  return event;
}

describe("the viewer's address", () => {
  it('is the one CloudFront names when its secret comes with it (IPv4 or IPv6)', () => {
    for (const viewer of ['203.0.113.7', '2001:db8::7']) {
      expect(viewerAddress(through(CLOUDFRONT, { [ORIGIN_VERIFY_HEADER]: SECRET, [VIEWER_IP_HEADER]: viewer }), SECRET)).toBe(viewer);
    }
  });

  it('is the one API Gateway saw when the secret is missing or wrong: a request sent to the API directly names what it likes', () => {
    const sender = '198.51.100.23';
    expect(viewerAddress(through(sender, { [VIEWER_IP_HEADER]: '203.0.113.7' }), SECRET)).toBe(sender);
    expect(viewerAddress(through(sender, { [ORIGIN_VERIFY_HEADER]: SECRET.slice(0, -1) + 'x', [VIEWER_IP_HEADER]: '203.0.113.7' }), SECRET)).toBe(sender);
    expect(viewerAddress(through(sender, { [ORIGIN_VERIFY_HEADER]: `${SECRET}x`, [VIEWER_IP_HEADER]: '203.0.113.7' }), SECRET)).toBe(sender);
    expect(viewerAddress(through(sender, { [ORIGIN_VERIFY_HEADER]: '', [VIEWER_IP_HEADER]: '203.0.113.7' }), SECRET)).toBe(sender);
  });

  it('is the one API Gateway saw without a web site (no secret), and when what CloudFront sent is not an address', () => {
    const vouched = { [ORIGIN_VERIFY_HEADER]: SECRET, [VIEWER_IP_HEADER]: '203.0.113.7' };
    expect(viewerAddress(through(CLOUDFRONT, vouched), undefined)).toBe(CLOUDFRONT);
    expect(viewerAddress(through(CLOUDFRONT, { ...vouched, [ORIGIN_VERIFY_HEADER]: '' }), '')).toBe(CLOUDFRONT);
    for (const junk of ['', 'unknown', '203.0.113.7, 198.51.100.1', '203.0.113.7:443']) {
      expect(viewerAddress(through(CLOUDFRONT, { ...vouched, [VIEWER_IP_HEADER]: junk }), SECRET), junk).toBe(CLOUDFRONT);
    }
    expect(viewerAddress(through(CLOUDFRONT, { [ORIGIN_VERIFY_HEADER]: SECRET }), SECRET)).toBe(CLOUDFRONT);
  });
});

describe('an API Lambda behind CloudFront', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = saved;
  });

  it('hands its function the viewer address when the stack gives it the secret (LEEDZ_ORIGIN_VERIFY), and never the secret', async () => {
    const seen: HttpRequest[] = [];
    const probe = defineFunction('getTrades', {
      input: httpRequestSchema,
      handler: (request) => {
        seen.push(request);
        return { status: 200, body: {} };
      },
    });
    const event = apiEvent('get-trades.json');
    event.requestContext.http.sourceIp = CLOUDFRONT;
    event.headers = { ...event.headers, [ORIGIN_VERIFY_HEADER]: SECRET, [VIEWER_IP_HEADER]: '203.0.113.7' };
    for (const [given, expected] of [
      [SECRET, '203.0.113.7'],
      [undefined, CLOUDFRONT],
    ] as const) {
      process.env = { ...saved, ...sampleLambdaEnvironment('getTrades'), ...(given === undefined ? {} : { [AWS_ENV.originVerify]: given }) };
      const handler = httpEntry(() => probe);
      expect((await handler(structuredClone(event), lambdaContext('getTrades'))).statusCode).toBe(200);
      expect(seen.at(-1)?.sourceIp, String(given)).toBe(expected);
    }
    expect(JSON.stringify(seen)).not.toContain(SECRET);
  });

  it('refuses a secret too short to be one at its first cold start, naming the variable', () => {
    process.env = { ...saved, ...sampleLambdaEnvironment('getTrades'), [AWS_ENV.originVerify]: 'short' };
    expect(() => httpEntry(() => defineFunction('getTrades', { input: httpRequestSchema, handler: () => ({ status: 200, body: {} }) }))).toThrow(
      'LEEDZ_ORIGIN_VERIFY: must be at least 16 characters',
    );
  });
});

describe('sign-in behind CloudFront', () => {
  let m: LocalMarketplace;
  beforeEach(async () => {
    m = await localMarketplace();
  });
  afterEach(() => m.close());

  const perClient = DEFAULT_SETTINGS.loginRequestsPerClientPer15Minutes;

  /** `POST /api/auth/login` for `email` from `viewer`, as CloudFront sends it (its own address, its secret). */
  function signInFrom(viewer: string, email: string, secret = SECRET): APIGatewayProxyEventV2 {
    const event = apiEvent('login.json');
    event.requestContext.http.sourceIp = CLOUDFRONT;
    event.body = JSON.stringify({ email });
    event.isBase64Encoded = false;
    const { 'content-length': _length, ...headers } = event.headers;
    event.headers = { ...headers, [ORIGIN_VERIFY_HEADER]: secret, [VIEWER_IP_HEADER]: viewer };
    return event;
  }

  it("counts each viewer's sign-ins apart: one viewer past the limit does not lock out the others CloudFront brings from the same address", async () => {
    const login = createHttpHandler(m.deployable('login'), recordingTransport(), m.deps.identity, { originSecret: SECRET });
    const status = async (event: APIGatewayProxyEventV2) => (await login(event, lambdaContext('login'))).statusCode;
    for (let i = 0; i < perClient; i++) expect(await status(signInFrom('203.0.113.7', `vendor${i}@example.com`))).toBe(202);
    expect(await status(signInFrom('203.0.113.7', 'one-more@example.com'))).toBe(429);
    // Another viewer, through the same CloudFront address.
    expect(await status(signInFrom('203.0.113.8', 'someone-else@example.com'))).toBe(202);
    // A sender naming a fresh address without the secret is counted by the address API Gateway saw: CloudFront's, used up above by nobody else here.
    const forged = (viewer: string, email: string) => signInFrom(viewer, email, 'not-the-secret-at-all-0123456789');
    for (let i = 0; i < perClient; i++) expect(await status(forged(`198.51.100.${i}`, `forged${i}@example.com`))).toBe(202);
    expect(await status(forged('198.51.100.200', 'forged-more@example.com'))).toBe(429);
  });

  it("counts an IPv6 viewer by its /64 network: another address of the same network is the same client, another network is not", async () => {
    const login = createHttpHandler(m.deployable('login'), recordingTransport(), m.deps.identity, { originSecret: SECRET });
    const status = async (event: APIGatewayProxyEventV2) => (await login(event, lambdaContext('login'))).statusCode;
    for (let i = 0; i < perClient; i++) expect(await status(signInFrom(`2001:db8:1:2::${(i + 1).toString(16)}`, `v6-${i}@example.com`))).toBe(202);
    expect(await status(signInFrom('2001:db8:1:2:ffff:ffff:ffff:ffff', 'v6-more@example.com'))).toBe(429);
    expect(await status(signInFrom('2001:db8:1:3::1', 'v6-neighbour@example.com'))).toBe(202);
  });
});
