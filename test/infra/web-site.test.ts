/**
 * The web app on AWS: the files `writeWebSite` produces, the S3 bucket and CloudFront distribution
 * the stack builds from them (checked on the synthesised template), and the three CloudFront Functions
 * run here on CloudFront's event shape: an unknown page is a 404 on AWS for the paths the local
 * server answers 404 to.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { APP_PAGE_FUNCTION, APP_STATUS_FUNCTION, SESSION_HEADER_FUNCTION } from '../../infra/web-site.js';
import { LeedzStack } from '../../infra/leedz-stack.js';
import { AWS_ENV } from '../../src/lambda/aws-config.js';
import { ORIGIN_VERIFY_HEADER, VIEWER_IP_HEADER } from '../../src/lambda/viewer-address.js';
import { SESSION_COOKIE } from '../../src/leedz/functions/login.js';
import { ROUTES } from '../../src/leedz/functions/routes.js';
import { buildWebAssets, mountWebApp, writeWebSite } from '../../src/server/web-assets.js';
import { testApp } from '../helpers/cdk-app.js';
import { tempDir } from '../helpers/temp-dir.js';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: string[] };

const site = tempDir('leedz-web-site-');
afterAll(() => site.cleanup());

let written: { files: number; bytes: number };
let template: Template;
let resources: Record<string, Resource>;

beforeAll(async () => {
  written = await writeWebSite(site.path);
  const app = testApp();
  const stack = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000, webSiteDir: site.path });
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Record<string, Resource>;
}, 60_000);

function only(type: string): [string, Resource] {
  const found = Object.entries(resources).filter(([, r]) => r.Type === type);
  expect(found, type).toHaveLength(1);
  return found[0]!;
}

/** A CloudFront Function's source, evaluated as CloudFront would call it. */
function cloudFrontFunction(source: string): (event: unknown) => any {
  return new Function(`${source}\nreturn handler;`)() as (event: unknown) => any;
}

describe('the files for S3', () => {
  it('are the app page and every asset it names, and nothing of the console', () => {
    const html = readFileSync(join(site.path, 'index.html'), 'utf8');
    const assets = readdirSync(join(site.path, 'assets'));
    const named = [...html.matchAll(/\/assets\/([^"]+)"/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThanOrEqual(2); // the script and the stylesheet at least
    for (const file of named) expect(assets).toContain(file);
    expect(html).toContain('id="leedz-config"');
    expect(assets.some((file) => file.startsWith('console-'))).toBe(false);
    expect(written.files).toBe(assets.length + 1);
  });
});

describe('the bucket', () => {
  it('is private, encrypted, reachable over TLS only, and read by the distribution alone', () => {
    const [bucketId, bucket] = only('AWS::S3::Bucket');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    const [, policy] = only('AWS::S3::BucketPolicy');
    expect(policy.Properties.Bucket).toEqual({ Ref: bucketId });
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const reads = statements.filter((s) => s.Effect === 'Allow' && s.Principal?.Service === 'cloudfront.amazonaws.com');
    expect(reads).toHaveLength(1);
    expect(reads[0].Action).toBe('s3:GetObject');
    const [distributionId] = only('AWS::CloudFront::Distribution');
    expect(JSON.stringify(reads[0].Condition)).toContain(distributionId);
    // Nobody else is allowed to read.
    expect(statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Principal).includes('"*"'))).toEqual([]);
  });
});

describe('names', () => {
  it('name every account-wide CloudFront resource by stack and region, so that a second region can hold the same stack', () => {
    const named: Record<string, (properties: Record<string, any>) => unknown> = {
      'AWS::CloudFront::OriginAccessControl': (p) => p.OriginAccessControlConfig.Name,
      'AWS::CloudFront::CachePolicy': (p) => p.CachePolicyConfig.Name,
      'AWS::CloudFront::Function': (p) => p.Name,
    };
    const names = Object.values(resources).flatMap((r) => (named[r.Type] === undefined ? [] : [JSON.stringify(named[r.Type]!(r.Properties))]));
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const name of names) {
      expect(name).toContain('{"Ref":"AWS::Region"}');
      expect(name).toContain('Leedz');
    }
  });
});

describe('the distribution', () => {
  let config: any;
  beforeAll(() => {
    config = only('AWS::CloudFront::Distribution')[1].Properties.DistributionConfig;
  });

  it('serves the app from S3 through origin access control, every app path answered by index.html', () => {
    expect(config.DefaultRootObject).toBe('index.html');
    const s3 = config.Origins.find((o: any) => o.S3OriginConfig !== undefined);
    expect(s3.OriginAccessControlId).toBeDefined();
    expect(config.DefaultCacheBehavior.TargetOriginId).toBe(s3.Id);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: expect.anything() },
      { EventType: 'viewer-response', FunctionARN: expect.anything() },
    ]);
    // The response's function is the one tested below, on the JavaScript runtime 2.0.
    const [responseFunctionId] = config.DefaultCacheBehavior.FunctionAssociations[1].FunctionARN['Fn::GetAtt'];
    expect(resources[responseFunctionId]!.Properties.FunctionCode).toBe(APP_STATUS_FUNCTION);
    expect(resources[responseFunctionId]!.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    const assets = config.CacheBehaviors.find((b: any) => b.PathPattern === '/assets/*');
    expect(assets.TargetOriginId).toBe(s3.Id);
    expect(assets.FunctionAssociations).toBeUndefined();
  });

  it('sends /api/* to the HTTP API with every method, the session header and no Host header', () => {
    const api = config.CacheBehaviors.find((b: any) => b.PathPattern === '/api/*');
    const origin = config.Origins.find((o: any) => o.Id === api.TargetOriginId);
    expect(origin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
    expect(JSON.stringify(origin.DomainName)).toContain('ApiEndpoint');
    expect(api.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS']));
    expect(api.FunctionAssociations).toHaveLength(1);
    // AWS's managed AllViewerExceptHostHeader policy.
    expect(api.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    const policyId = api.CachePolicyId.Ref as string;
    const cache = resources[policyId]!.Properties.CachePolicyConfig;
    expect(cache.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['Authorization'] });
    expect(cache.DefaultTTL).toBe(0);
    expect(cache.MaxTTL).toBeGreaterThan(0);
  });

  it('is the public URL of the Lambdas (links in emails, checkout returns) and a stack output', () => {
    const [distributionId] = only('AWS::CloudFront::Distribution');
    const url = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] };
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'Leedz-login',
      Environment: { Variables: Match.objectLike({ [AWS_ENV.publicUrl]: url }) },
    });
    template.hasOutput('WebUrl', { Value: url });
  });

  it("names the URL to register as Square's webhook: the one the payment webhook's function checks signatures against, not the API's own", () => {
    const [distributionId] = only('AWS::CloudFront::Distribution');
    const domain = { 'Fn::GetAtt': [distributionId, 'DomainName'] };
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'Leedz-paymentWebhook',
      Environment: { Variables: Match.objectLike({ [AWS_ENV.publicUrl]: { 'Fn::Join': ['', ['https://', domain]] } }) },
    });
    // What the function signs with: squareNotificationUrl(LEEDZ_PUBLIC_URL), the route's path under it.
    const route = ROUTES.find((r) => r.function === 'paymentWebhook')!;
    template.hasOutput('SquareWebhookUrl', { Value: { 'Fn::Join': ['', ['https://', domain, route.path]] } });
  });

  it('vouches for the viewer address with a generated secret that only the API behaviour and the API functions are given, and the template does not hold', () => {
    const [secretId, secret] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::SecretsManager::Secret' && id.startsWith('WebOriginVerify'))!;
    expect(secret.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 32, ExcludePunctuation: true });
    const reference = { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] };
    const [, distribution] = only('AWS::CloudFront::Distribution');
    const origins = distribution.Properties.DistributionConfig.Origins as { Id: string; CustomOriginConfig?: object; OriginCustomHeaders?: unknown }[];
    const api = origins.filter((origin) => origin.CustomOriginConfig !== undefined);
    expect(api).toHaveLength(1);
    expect(api[0]!.OriginCustomHeaders).toEqual([{ HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: reference }]);
    // The bucket's origin is not told it (nor could S3 use it).
    for (const origin of origins.filter((o) => o.CustomOriginConfig === undefined)) expect(origin.OriginCustomHeaders, origin.Id).toBeUndefined();
    const lambdas = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName !== undefined);
    const given = lambdas.filter((r) => r.Properties.Environment.Variables[AWS_ENV.originVerify] !== undefined);
    expect(given.map((r) => r.Properties.FunctionName).sort()).toEqual([...new Set(ROUTES.map((route) => `Leedz-${route.function}`))].sort());
    for (const lambda of given) expect(lambda.Properties.Environment.Variables[AWS_ENV.originVerify]).toEqual(reference);
  });

  it('gets the assets (kept across deploys, cached for a year) before the page that names them (never cached stale)', () => {
    const deployments = Object.entries(resources).filter(([, r]) => r.Type === 'Custom::CDKBucketDeployment');
    expect(deployments).toHaveLength(2);
    const [assetsId, assets] = deployments.find(([, r]) => r.Properties.DestinationBucketKeyPrefix === 'assets/')!;
    const [, page] = deployments.find(([id]) => id !== assetsId)!;
    expect(assets.Properties.Prune).toBe(false);
    expect(assets.Properties.SystemMetadata['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(page.Properties.SystemMetadata['cache-control']).toBe('no-cache');
    expect(page.Properties.DistributionPaths).toEqual(['/index.html']);
    expect(page.DependsOn).toEqual(expect.arrayContaining([expect.stringContaining(assetsId.replace(/CustomResource.*$/, ''))]));
  });
});

describe('the CloudFront Functions', () => {
  it('answer any app path with index.html', () => {
    const handler = cloudFrontFunction(APP_PAGE_FUNCTION);
    for (const uri of ['/', '/leedz/dj/l_123', '/profile']) {
      expect(handler({ request: { uri, headers: {}, cookies: {} } }).uri).toBe('/index.html');
    }
  });

  it('answer a path that is not one of the app\'s under a 404 without a validator; leave the app\'s paths and a 304 alone', () => {
    const handler = cloudFrontFunction(APP_STATUS_FUNCTION);
    const respond = (uri: string, statusCode = 200) =>
      handler({ request: { uri, headers: {}, cookies: {} }, response: { statusCode, statusDescription: 'OK', headers: { etag: { value: '"abc"' }, 'last-modified': { value: 'Sun, 06 Dec 2026 10:00:00 GMT' } } } });
    for (const uri of ['/', '/leedz/dj/l_123', '/leedz/dj/l_123/edit', '/users/ann', '/signin/confirm']) {
      const response = respond(uri);
      expect(response.statusCode, uri).toBe(200);
      expect(response.headers.etag, uri).toBeDefined();
    }
    const missing = respond('/leedz/dj');
    expect(missing.statusCode).toBe(404);
    expect(missing.statusDescription).toBe('Not Found');
    expect(missing.headers).toEqual({});
    expect(respond('/no-such-page', 304).statusCode).toBe(304);
  });

  it('give every path the status the local server gives a browser, but /index.html itself', async () => {
    const local = new Hono();
    mountWebApp(local, buildWebAssets());
    const handler = cloudFrontFunction(APP_STATUS_FUNCTION);
    const paths = ['/', '/post', '/post/', '/signin', '/signin/confirm', '/profile', '/my-leedz', '/stats', '/unsubscribe', '/trades/dj', '/trades/dj/more', '/leedz/dj/l_1', '/leedz/dj/l_1/edit', '/leedz/dj', '/leedz/dj/l_1/sell', '/receipts/dj/l_1', '/users/ann', '/users/', '/nonexistent-page', '/favicon.ico', '/robots.txt', '/leedz/d%20j/l_1'];
    for (const path of paths) {
      const here = await local.request(path, { headers: { accept: 'text/html' } });
      const there = handler({ request: { uri: path, headers: {}, cookies: {} }, response: { statusCode: 200, statusDescription: 'OK', headers: {} } });
      expect(there.statusCode, path).toBe(here.status);
    }
    // The one difference: S3's object for the app page. Counted as an app path on AWS (see the function's comment).
    expect((await local.request('/index.html', { headers: { accept: 'text/html' } })).status).toBe(404);
  }, 60_000);

  it('turn the session cookie into a bearer token for the JWT authorizer, never over a header that came', () => {
    const handler = cloudFrontFunction(SESSION_HEADER_FUNCTION);
    const viewer = { ip: '203.0.113.7' };
    const fromCookie = handler({ viewer, request: { uri: '/api/me', headers: {}, cookies: { [SESSION_COOKIE]: { value: 'jwt.abc' } } } });
    expect(fromCookie.headers.authorization).toEqual({ value: 'Bearer jwt.abc' });
    const withHeader = handler({ viewer, request: { uri: '/api/me', headers: { authorization: { value: 'Bearer other' } }, cookies: { [SESSION_COOKIE]: { value: 'jwt.abc' } } } });
    expect(withHeader.headers.authorization).toEqual({ value: 'Bearer other' });
    const signedOut = handler({ viewer, request: { uri: '/api/trades', headers: {}, cookies: {} } });
    expect(signedOut.headers.authorization).toBeUndefined();
  });

  it("write the viewer's address for the API, over whatever address the viewer's request names", () => {
    const handler = cloudFrontFunction(SESSION_HEADER_FUNCTION);
    const forged = { [VIEWER_IP_HEADER]: { value: '198.51.100.1', multiValue: [{ value: '198.51.100.1' }, { value: '198.51.100.2' }] } };
    for (const [ip, headers] of [['203.0.113.7', {}], ['2001:db8::7', forged]] as const) {
      const request = handler({ viewer: { ip }, request: { uri: '/api/auth/login', headers: { ...headers }, cookies: {} } });
      // Exactly this: no multiValue left of the viewer's own.
      expect(request.headers[VIEWER_IP_HEADER], ip).toStrictEqual({ value: ip });
    }
  });
});

it('the stack without a site dir deploys the API alone', () => {
  expect(existsSync(join(site.path, 'index.html'))).toBe(true);
  const app = testApp();
  const stack = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000 });
  expect(stack.webSite).toBeUndefined();
  Template.fromStack(stack).resourceCountIs('AWS::CloudFront::Distribution', 0);
}, 60_000);

describe('a custom domain', () => {
  const domainName = 'leedz.your-domain.org';
  const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/0b6c5d2e-8f1a-4c3b-9d7e-2a1f0e9c8b7a';
  let custom: Template;

  beforeAll(() => {
    const stack = new LeedzStack(testApp(), 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000, webSiteDir: site.path, customDomain: { domainName, certificateArn } });
    custom = Template.fromStack(stack);
  }, 60_000);

  it('is the distribution’s alternate domain name, with its ACM certificate (SNI) and TLS 1.2 at least', () => {
    custom.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: [domainName],
        ViewerCertificate: { AcmCertificateArn: certificateArn, SslSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' },
      }),
    });
  });

  it('is the public URL: links in emails, the origin the API lets write, Square’s webhook and the WebUrl output', () => {
    const route = ROUTES.find((r) => r.function === 'paymentWebhook')!;
    for (const name of ['Leedz-login', 'Leedz-paymentWebhook']) {
      custom.hasResourceProperties('AWS::Lambda::Function', { FunctionName: name, Environment: { Variables: Match.objectLike({ [AWS_ENV.publicUrl]: `https://${domainName}` }) } });
    }
    custom.hasOutput('WebUrl', { Value: `https://${domainName}` });
    custom.hasOutput('SquareWebhookUrl', { Value: `https://${domainName}${route.path}` });
  });

  it('names the distribution’s own domain name as an output, for the DNS record that points the domain at it', () => {
    const distributionId = Object.keys(custom.findResources('AWS::CloudFront::Distribution'))[0]!;
    custom.hasOutput('DistributionDomainName', { Value: { 'Fn::GetAtt': [distributionId, 'DomainName'] }, Description: Match.stringLikeRegexp(`^point ${domainName.replaceAll('.', '\\.')} here: a CNAME record`) });
    template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    expect(template.findOutputs('DistributionDomainName')).toEqual({});
  });

  it('is refused without the web app, which it would serve', () => {
    expect(() => new LeedzStack(testApp(), 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000, customDomain: { domainName, certificateArn } })).toThrow(
      `customDomain ${domainName} is the web app's: give webSiteDir too`,
    );
  });
});
