/**
 * The CDK app's settings, read from CDK context (`-c key=value`, or `cdk.json`) and checked before
 * anything is built: a deploy that cannot work fails at synth, with a message that says what to do.
 *
 * `mailFrom`, `adminEmail` and `lambdaConcurrency` have no default on purpose. SES emails a
 * verification link to `mailFrom` and sends nothing until it is clicked, and alarms go to
 * `adminEmail`: an address nobody reads (a placeholder, a reserved domain such as `example.com`)
 * would deploy a stack that can never send a sign-in link and whose alarms reach no one. The
 * controllers' reserved concurrency is planned from `lambdaConcurrency`: a guess larger than the
 * account's quota makes Lambda refuse the first reservation, and the first deploy rolls back.
 *
 * `publicUrl` is where the web app is served, because the API accepts a write only from a page of
 * its origin (`src/edge/api-app.ts`): the distribution's own `*.cloudfront.net` URL (the default), or
 * the custom domain of `domainName`, which CloudFront serves only with a certificate that covers it
 * (`certificateArn`). Any other host would deploy an app whose every write is refused with 403.
 *
 * @example
 * const settings = readStackSettings((key) => app.node.tryGetContext(key));
 * new LeedzStack(app, settings.stackName, { ...settings.props, webSiteDir });
 */
import type { LeedzStackProps } from './leedz-stack.js';

export class StackSettingsError extends Error {
  override name = 'StackSettingsError';
}

export interface StackSettings {
  stackName: string;
  props: Pick<LeedzStackProps, 'mailFrom' | 'mailIdentity' | 'adminEmail' | 'publicUrl' | 'customDomain' | 'sesMaxSendRate' | 'squareEnvironment' | 'lambdaConcurrency'>;
}

/** How to give the required values, in every message that asks for one. */
const HOW = 'give it to every cdk command, synth, bootstrap and deploy (npm run deploy -- -c mailFrom=no-reply@your-domain -c adminEmail=you@your-domain -c lambdaConcurrency=<quota>) or in the "context" of cdk.json';

/** Where the account's Lambda concurrency is read, in every message about it. */
const CONCURRENCY_SOURCE = 'aws lambda get-account-settings --query AccountLimit.ConcurrentExecutions';

/**
 * Domains that can never receive mail (RFC 2606 and RFC 6761): SES's verification email to such an
 * address is never read, so the identity never verifies.
 */
const RESERVED_DOMAIN = /(^|\.)(example\.(com|net|org)|example|invalid|test|localhost|local)$/i;

/** An address SES can verify: one `@`, no display name (the identity is the bare address), no spaces. */
const ADDRESS = /^[^@\s<>"]+@([A-Za-z0-9-]+\.)+[A-Za-z0-9-]+$/;

/** A host name of two labels or more: no scheme, port, path or wildcard. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** An ACM certificate's ARN, its region captured. */
const ACM_ARN = /^arn:aws:acm:([a-z0-9-]+):\d{12}:certificate\/[A-Za-z0-9-]+$/;

/** Where CloudFront's rules for an alternate domain name are, in every message about one. */
const CNAMES = 'https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html';

/** Read and check the app's settings; throws {@link StackSettingsError} naming each problem at once. */
export function readStackSettings(context: (key: string) => unknown): StackSettings {
  const problems: string[] = [];
  const malformed = new Set<string>();
  const setting = (key: string): string | undefined => {
    const value = context(key);
    if (value === undefined) return undefined;
    // `-c key=14` gives a string, cdk.json's "key": 14 a number: the same setting either way.
    if (typeof value === 'number') return String(value);
    if (typeof value !== 'string') {
      malformed.add(key);
      problems.push(`${key} must be a string or a number, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return value.trim() !== '' ? value.trim() : undefined;
  };
  const address = (key: 'mailFrom' | 'adminEmail', purpose: string): string => {
    const value = setting(key);
    if (value === undefined) {
      if (malformed.has(key)) return '';
      problems.push(`${key} is not set: it is ${purpose}; ${HOW}`);
      return '';
    }
    if (!ADDRESS.test(value)) problems.push(`${key} "${value}" is not a plain email address (name@domain, no display name)`);
    else if (RESERVED_DOMAIN.test(value.split('@')[1]!)) problems.push(`${key} "${value}" is at a reserved domain that never receives mail: it is ${purpose}; ${HOW}`);
    return value;
  };

  const mailFrom = address('mailFrom', 'the sender of every email, and SES sends nothing until the verification link it emails there is clicked');
  const adminEmail = address('adminEmail', 'who receives the alarms and the reports of leedz');
  const mailIdentity = setting('mailIdentity');
  if (mailIdentity !== undefined && mailIdentity !== 'create' && mailIdentity !== 'existing') {
    problems.push(`mailIdentity must be "create" (the stack creates mailFrom's SES identity) or "existing" (SES has one verified already), got "${mailIdentity}"`);
  }
  const squareEnvironment = setting('squareEnvironment');
  if (squareEnvironment !== undefined && squareEnvironment !== 'sandbox' && squareEnvironment !== 'production') {
    problems.push(`squareEnvironment must be "sandbox" or "production", got "${squareEnvironment}"`);
  }
  const rate = setting('sesMaxSendRate');
  const sesMaxSendRate = rate === undefined ? undefined : Number(rate);
  if (sesMaxSendRate !== undefined && !(Number.isFinite(sesMaxSendRate) && sesMaxSendRate > 0)) {
    problems.push(`sesMaxSendRate must be a positive number of emails per second (1 in the SES sandbox), got "${rate}"`);
  }
  // No default: the caps reserve executions, and Lambda refuses a reservation that leaves fewer than
  // 100 unreserved, so a guess above a new account's quota (it may be 10) fails the first deploy.
  const concurrency = setting('lambdaConcurrency');
  const lambdaConcurrency = concurrency === undefined ? Number.NaN : Number(concurrency);
  if (concurrency === undefined) {
    if (!malformed.has('lambdaConcurrency')) {
      problems.push(
        `lambdaConcurrency is not set: it is the account's Lambda concurrency in the region (${CONCURRENCY_SOURCE}; a new account may have 10), ` +
          `which the controllers' reserved concurrency is planned from; ${HOW}`,
      );
    }
  } else if (!(Number.isInteger(lambdaConcurrency) && lambdaConcurrency >= 1)) {
    problems.push(`lambdaConcurrency must be the account's Lambda concurrency, a whole number (${CONCURRENCY_SOURCE}), got "${concurrency}"`);
  }
  const domainName = setting('domainName')?.toLowerCase();
  const certificateArn = setting('certificateArn');
  checkCustomDomain(domainName, certificateArn, malformed, problems);
  const publicUrl = setting('publicUrl');
  if (publicUrl !== undefined && !/^https:\/\/[^\s/]+/.test(publicUrl)) problems.push(`publicUrl must be an https:// URL, got "${publicUrl}"`);
  else if (publicUrl !== undefined) {
    const host = URL.canParse(publicUrl) ? new URL(publicUrl).host : publicUrl;
    if (domainName === undefined) {
      problems.push(
        `publicUrl "${publicUrl}" must be where the web app is served, and without domainName that is the distribution's own *.cloudfront.net URL, the default: ` +
          `the API refuses every write from a page of another origin. To serve the app at ${host}, give domainName=${host} and certificateArn (${CNAMES}) and leave publicUrl unset`,
      );
    } else if (host !== domainName) {
      problems.push(`publicUrl's host "${host}" must be domainName "${domainName}", where the web app is served (the API refuses every write from a page of another origin); leave publicUrl unset, it follows domainName`);
    }
  }
  const stackName = setting('stackName') ?? 'Leedz';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,30}$/.test(stackName)) problems.push(`stackName "${stackName}" must be a letter then up to 30 letters, digits or "-" (Lambdas are named <stackName>-<function>)`);

  if (problems.length > 0) throw new StackSettingsError(`cannot synthesise the Leedz stack:\n- ${problems.join('\n- ')}`);
  return {
    stackName,
    props: {
      mailFrom,
      ...(mailIdentity === undefined ? {} : { mailIdentity: mailIdentity as 'create' | 'existing' }),
      adminEmail,
      ...(publicUrl === undefined ? {} : { publicUrl }),
      ...(domainName === undefined || certificateArn === undefined ? {} : { customDomain: { domainName, certificateArn } }),
      ...(sesMaxSendRate === undefined ? {} : { sesMaxSendRate }),
      ...(squareEnvironment === undefined ? {} : { squareEnvironment: squareEnvironment as 'sandbox' | 'production' }),
      lambdaConcurrency,
    },
  };
}

/**
 * `domainName` and `certificateArn`, both or neither: CloudFront answers to an alternate domain name
 * only with a certificate that covers it, and takes an ACM certificate only from us-east-1, whatever
 * the stack's region (https://docs.aws.amazon.com/acm/latest/userguide/acm-regions.html).
 */
function checkCustomDomain(domainName: string | undefined, certificateArn: string | undefined, malformed: ReadonlySet<string>, problems: string[]): void {
  if (domainName !== undefined && !HOST_NAME.test(domainName)) {
    problems.push(`domainName "${domainName}" must be a host name such as leedz.your-domain.org (no scheme, port, path or wildcard)`);
  }
  if (certificateArn !== undefined) {
    const region = ACM_ARN.exec(certificateArn)?.[1];
    if (region === undefined) {
      problems.push(`certificateArn must be the ARN of an ACM certificate in us-east-1 (arn:aws:acm:us-east-1:<account>:certificate/<id>), got "${certificateArn}"`);
    } else if (region !== 'us-east-1') {
      problems.push(
        `certificateArn "${certificateArn}" is an ACM certificate in ${region}: CloudFront takes only ACM certificates in us-east-1 (US East, N. Virginia), whatever the stack's region; ` +
          `request or import one for ${domainName ?? 'domainName'} there (${CNAMES})`,
      );
    }
  }
  const given = [domainName, certificateArn].filter((value) => value !== undefined).length;
  if (given === 1 && !malformed.has('domainName') && !malformed.has('certificateArn')) {
    problems.push(
      domainName === undefined
        ? `certificateArn is set but domainName is not: the certificate is for the domain the web app is served at; give both, or neither (${CNAMES})`
        : `domainName is set but certificateArn is not: CloudFront serves ${domainName} only with an ACM certificate in us-east-1 that covers it; give both, or neither (${CNAMES})`,
    );
  }
}
