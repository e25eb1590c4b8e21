/**
 * The `aws-local` profile's emulators answer on 127.0.0.1 without credentials: what they owe the
 * browser next to them. A page of another site must not call them (cognito-local allows every origin
 * out of the box), nor reach them under its own name (DNS rebinding), nor change them blind
 * (`no-cors` POSTs); the server's SDK clients and the SES web UI in its own tab still work. Real
 * emulators, real HTTP, and Chromium for what only a browser decides (CORS).
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../../src/server/emulator-guard.js';
import { openBrowser, requireChromium, skipChromium, visible, type BrowserUser } from '../browser/browser.js';
import { startCognitoLocal, type CognitoLocal } from '../helpers/cognito-local.js';
import { requireJava, startDynamoDbLocal, type DynamoDbLocal } from '../helpers/dynamodb-local.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startSesLocal, type SesLocal } from '../helpers/ses-local.js';

const hasJava = requireJava();

let ses: SesLocal;
let cognito: CognitoLocal;
let dynamo: DynamoDbLocal | undefined;
/** A page of another site: any origin the developer's browser may have open. */
let page: Server;
let pageUrl: string;

beforeAll(async () => {
  [ses, cognito, dynamo] = await Promise.all([startSesLocal(), startCognitoLocal(), hasJava ? startDynamoDbLocal() : undefined]);
  page = createServer((_request, response) => response.end('<!doctype html><title>another site</title><p>hello</p>'));
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://localhost:${(page.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await Promise.all([ses?.stop(), cognito?.stop(), dynamo?.stop(), new Promise((resolve) => page?.close(resolve))]);
});

async function sendEmail(subject: string): Promise<void> {
  const client = new SESv2Client(ses.clientConfig);
  await client.send(
    new SendEmailCommand({
      FromEmailAddress: 'noreply@leedz.example',
      Destination: { ToAddresses: ['vendor@example.com'] },
      Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'Sign in: http://127.0.0.1/secret-link' } } } },
    }),
  );
  client.destroy();
}

describe('the guard of the Node emulators', () => {
  it('lets the server’s own clients through: no Origin, no Sec-Fetch headers', () => {
    expect(refusal({ method: 'POST', headers: { host: '127.0.0.1:4566' } })).toBeUndefined();
  });

  it('refuses a foreign Host, a foreign Origin and what the browser marks as another site’s, but not a top-level navigation', () => {
    expect(refusal({ method: 'GET', headers: { host: 'evil.example:4566' } })?.status).toBe(421);
    expect(refusal({ method: 'POST', headers: { host: '127.0.0.1:4566', origin: 'http://localhost:3000' } })?.status).toBe(403);
    expect(refusal({ method: 'GET', headers: { host: '127.0.0.1:4566', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' } })?.status).toBe(403);
    expect(refusal({ method: 'GET', headers: { host: '127.0.0.1:4566', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'iframe' } })?.status).toBe(403);
    // Its own page's requests, and a link followed to it (the redirect from /api/dev/outbox).
    expect(refusal({ method: 'POST', headers: { host: '127.0.0.1:4566', origin: 'http://127.0.0.1:4566', 'sec-fetch-site': 'same-origin' } })).toBeUndefined();
    expect(refusal({ method: 'GET', headers: { host: '127.0.0.1:4566', 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' } })).toBeUndefined();
  });

  it('stands in front of aws-ses-v2-local and cognito-local: a rebinding Host and a foreign Origin are refused, the plain request answered', async () => {
    for (const endpoint of [ses.endpoint, cognito.endpoint]) {
      const health = endpoint === ses.endpoint ? '/health-check' : '/health';
      expect((await rawRequest(`${endpoint}${health}`, { headers: { host: new URL(endpoint).host } })).status).toBe(200);
      expect((await rawRequest(`${endpoint}${health}`, { headers: { host: `rebind.example:${new URL(endpoint).port}` } })).status).toBe(421);
      expect((await rawRequest(`${endpoint}${health}`, { headers: { host: new URL(endpoint).host, origin: pageUrl } })).status).toBe(403);
    }
    // cognito-local's CORS would have allowed the preflight of any origin.
    const preflight = await rawRequest(`${cognito.endpoint}/`, {
      method: 'OPTIONS',
      headers: { host: new URL(cognito.endpoint).host, origin: pageUrl, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-amz-target' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe.skipIf(skipChromium)('the emulators, from a page of another site in Chromium', () => {
  let browser: BrowserUser;

  beforeAll(async () => {
    requireChromium();
    browser = await openBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('cannot list the user pools, read DynamoDB or clear the SES store; the SES web UI still shows the emails in its own tab', async () => {
    await sendEmail('Your sign-in link');
    await browser.page.goto(pageUrl);
    const attempt = (url: string, init: RequestInit) =>
      browser.page.evaluate(
        async ([target, options]) => {
          try {
            const response = await fetch(target, options);
            return `answered ${response.status}: ${(await response.text()).slice(0, 100)}`;
          } catch (error) {
            return `blocked: ${(error as Error).name}`;
          }
        },
        [url, init] as const,
      );
    const listUserPools = {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.ListUserPools' },
      body: '{"MaxResults":10}',
    };
    expect(await attempt(`${cognito.endpoint}/`, listUserPools)).toBe('blocked: TypeError');
    if (dynamo !== undefined) {
      const listTables = {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00',
        },
        body: '{}',
      };
      expect(await attempt(`${dynamo.endpoint}/`, listTables)).toBe('blocked: TypeError');
    }
    // A blind POST needs no CORS: the browser sends it and hides the answer. The guard refuses it.
    await attempt(`${ses.endpoint}/clear-store`, { method: 'POST', mode: 'no-cors' });
    expect((await ses.emails()).map((email) => email.subject)).toContain('Your sign-in link');

    await browser.page.goto(ses.endpoint);
    await visible(browser.page.getByText('Your sign-in link'));
  }, 60_000);
});
