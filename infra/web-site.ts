/**
 * The marketplace's web app on AWS: its static files (`writeWebSite`) in a private S3 bucket, read
 * by CloudFront through origin access control, and the HTTP API behind the same distribution at
 * `/api/*`, so the app, its session cookie and the API share one origin as they do locally.
 *
 * Three CloudFront Functions make the static site and the API behave as the local server does:
 * - every path outside `/assets/` and `/api/` answers with `index.html`; the browser routes it;
 * - a path that is not one of the app's (`src/server/app-paths.ts`) answers it under a 404, so that
 *   an unknown page is a 404 on AWS as it is locally (the app shows its "Page not found");
 * - on `/api/*`, the `leedz_session` cookie becomes `Authorization: Bearer …` when no such header
 *   came, because API Gateway's JWT authorizer reads a header, never a cookie. The header is part of
 *   the API behaviour's cache key (CloudFront forwards `Authorization` only then) and nothing there
 *   is cached unless the API says so. The same function writes the viewer's address into
 *   `x-leedz-viewer-ip` (over any value the viewer sent), and the distribution adds a secret of its
 *   own to every request it sends the API ({@link WebSite.originVerify}): API Gateway sees only
 *   CloudFront's address, and the API counts sign-ins per client by this one when the secret
 *   vouches for it (src/lambda/viewer-address.ts).
 *
 * With a custom domain, the distribution answers to it with the given ACM certificate, and `url` is
 * its URL; the distribution's own `*.cloudfront.net` name still serves the same app, but the API
 * refuses writes from a page there (only the public URL's origin may write).
 *
 * @example
 * const site = new WebSite(stack, 'Web', { api, siteDir: '.tmp/web-site' });
 * site.url; // https://d111111abcdef8.cloudfront.net
 */
import { join } from 'node:path';
import { Aws, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CacheCookieBehavior,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  ResponseHeadersPolicy,
  S3OriginAccessControl,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER, VIEWER_IP_HEADER } from '../src/lambda/viewer-address.js';
import { SESSION_COOKIE } from '../src/leedz/functions/login.js';
import { appPathsPattern } from '../src/server/app-paths.js';

export interface WebSiteProps {
  api: HttpApi;
  /** A folder written by `writeWebSite`: `index.html` and `assets/`. */
  siteDir: string;
  /** The app's own domain and the ACM certificate (in us-east-1) that covers it. */
  domain?: { domainName: string; certificateArn: string };
}

/** CloudFront Functions (JavaScript runtime 2.0) run this on every request for an app path. */
export const APP_PAGE_FUNCTION = `function handler(event) {
  var request = event.request;
  request.uri = '/index.html';
  return request;
}`;

/**
 * …this on every response to those paths: 404 when the path the viewer asked for is not one of the
 * app's. In a viewer-response event, `request` is the request CloudFront received from the viewer
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html),
 * before the function above rewrote its URI. `/index.html` counts as known: were the URI the
 * rewritten one, every page would still answer 200 rather than 404. A 304 stays a 304 (the browser
 * keeps the page it has), and a 404 carries no validator, as locally, so nobody revalidates it.
 */
export const APP_STATUS_FUNCTION = `var KNOWN = new RegExp(${JSON.stringify(appPathsPattern())});
function handler(event) {
  var response = event.response;
  var uri = event.request.uri;
  if (response.statusCode === 200 && uri !== '/index.html' && !KNOWN.test(uri)) {
    response.statusCode = 404;
    response.statusDescription = 'Not Found';
    delete response.headers['etag'];
    delete response.headers['last-modified'];
  }
  return response;
}`;

/** …and this on every request for `/api/*`. */
export const SESSION_HEADER_FUNCTION = `function handler(event) {
  var request = event.request;
  var session = request.cookies[${JSON.stringify(SESSION_COOKIE)}];
  if (session && session.value && !request.headers.authorization) {
    request.headers.authorization = { value: 'Bearer ' + session.value };
  }
  // Deleted first: a header the viewer sent twice comes with a multiValue list, which setting value alone would keep.
  delete request.headers[${JSON.stringify(VIEWER_IP_HEADER)}];
  request.headers[${JSON.stringify(VIEWER_IP_HEADER)}] = { value: event.viewer.ip };
  return request;
}`;

export class WebSite extends Construct {
  readonly distribution: Distribution;
  /** `https://<custom domain>`, else `https://<distribution domain>`: the app, and the API under `/api`. */
  readonly url: string;
  /** The custom domain, when the distribution has one. */
  readonly domainName: string | undefined;
  /**
   * A generated secret the distribution sends the API with every request (`x-leedz-origin-verify`):
   * the API Lambdas that are given it believe what the request says of its viewer. It guards no data;
   * anyone who may read the distribution's settings may read it.
   */
  readonly originVerify: Secret;

  constructor(scope: Construct, id: string, props: WebSiteProps) {
    super(scope, id);
    const bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Only build output lives here: the next deploy writes it again.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    // CloudFront's names are the account's, across regions: the CDK's default name for an origin access
    // control has no region in it, so the same stack in a second region would fail with
    // OriginAccessControlAlreadyExists (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateOriginAccessControl.html).
    const access = new S3OriginAccessControl(this, 'FilesAccess', { originAccessControlName: `${Stack.of(this).stackName}-${Aws.REGION}-web-files` });
    const files = S3BucketOrigin.withOriginAccessControl(bucket, { originAccessControl: access });
    // `https://abc.execute-api.region.amazonaws.com` → its host name.
    const apiDomain = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    this.originVerify = new Secret(this, 'OriginVerify', {
      description: 'CloudFront adds this to every request it sends the API, which then believes its word on the viewer’s address',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
    });

    const apiCachePolicy = new CachePolicy(this, 'ApiCache', {
      comment: 'The Leedz API: the session header in the key (so that CloudFront forwards it); cached only when the API says so',
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      // Above zero: with a maximum of 0, CloudFront ignores the key's headers and does not forward them.
      maxTtl: Duration.seconds(1),
      headerBehavior: CacheHeaderBehavior.allowList('Authorization'),
      cookieBehavior: CacheCookieBehavior.none(),
      queryStringBehavior: CacheQueryStringBehavior.all(),
    });

    // An alternate domain name needs a certificate that covers it, and CloudFront takes an ACM
    // certificate only from us-east-1 (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html);
    // with it, the viewer TLS policy is ours to set: on the default certificate CloudFront sets TLSv1,
    // whatever is asked (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ViewerCertificate.html).
    const domain =
      props.domain === undefined
        ? {}
        : {
            domainNames: [props.domain.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          };
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'The Leedz: web app and API',
      defaultRootObject: 'index.html',
      ...domain,
      defaultBehavior: {
        origin: files,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
        functionAssociations: [
          {
            eventType: FunctionEventType.VIEWER_REQUEST,
            function: new CloudFrontFunction(this, 'AppPage', { code: FunctionCode.fromInline(APP_PAGE_FUNCTION), runtime: FunctionRuntime.JS_2_0 }),
          },
          {
            eventType: FunctionEventType.VIEWER_RESPONSE,
            function: new CloudFrontFunction(this, 'AppStatus', { code: FunctionCode.fromInline(APP_STATUS_FUNCTION), runtime: FunctionRuntime.JS_2_0 }),
          },
        ],
      },
      additionalBehaviors: {
        '/assets/*': {
          origin: files,
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          cachePolicy: CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
        },
        '/api/*': {
          // A secretsmanager dynamic reference, resolved by CloudFormation at deploy: the template holds no value.
          origin: new HttpOrigin(apiDomain, { protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY, customHeaders: { [ORIGIN_VERIFY_HEADER]: this.originVerify.secretValue.unsafeUnwrap() } }),
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: apiCachePolicy,
          // API Gateway answers 403 to a Host header that is not its own.
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          functionAssociations: [
            {
              eventType: FunctionEventType.VIEWER_REQUEST,
              function: new CloudFrontFunction(this, 'SessionHeader', { code: FunctionCode.fromInline(SESSION_HEADER_FUNCTION), runtime: FunctionRuntime.JS_2_0 }),
            },
          ],
        },
      },
    });
    this.domainName = props.domain?.domainName;
    this.url = `https://${this.domainName ?? this.distribution.distributionDomainName}`;

    // Content-hashed assets first, kept across deploys (a page loaded before a deploy still finds
    // its scripts); then the page that names them, revalidated on every load.
    const assets = new BucketDeployment(this, 'Assets', {
      sources: [Source.asset(join(props.siteDir, 'assets'))],
      destinationBucket: bucket,
      destinationKeyPrefix: 'assets/',
      prune: false,
      cacheControl: [CacheControl.fromString('public, max-age=31536000, immutable')],
    });
    const page = new BucketDeployment(this, 'Page', {
      sources: [Source.asset(props.siteDir, { exclude: ['assets', 'assets/**'] })],
      destinationBucket: bucket,
      prune: false,
      cacheControl: [CacheControl.noCache()],
      distribution: this.distribution,
      distributionPaths: ['/index.html'],
    });
    page.node.addDependency(assets);
  }
}
