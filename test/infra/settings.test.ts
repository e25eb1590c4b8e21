/**
 * The CDK app's settings: synth refuses a deploy that cannot work, with a message that says what to
 * give, and `cdk.json` ships no address of its own.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStackSettings, StackSettingsError } from '../../infra/settings.js';

const ROOT = join(import.meta.dirname, '..', '..');
const context = (values: Record<string, unknown>) => (key: string) => values[key];
/** An ACM certificate where CloudFront takes them: us-east-1. */
const CERTIFICATE = 'arn:aws:acm:us-east-1:123456789012:certificate/0b6c5d2e-8f1a-4c3b-9d7e-2a1f0e9c8b7a';
/** What every stack needs, for the tests of another setting. */
const REQUIRED = { mailFrom: 'no-reply@leedz.io', adminEmail: 'ops@leedz.io', lambdaConcurrency: '1000' };

describe('the stack settings', () => {
  it('cdk.json ships no mailFrom, adminEmail or lambdaConcurrency: each deployment names its own', () => {
    const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
    expect(cdkJson.context.mailFrom).toBeUndefined();
    expect(cdkJson.context.adminEmail).toBeUndefined();
    expect(cdkJson.context.lambdaConcurrency).toBeUndefined();
  });

  it('without lambdaConcurrency, stops and says where to read it: a guessed quota fails the first deploy on a new account', () => {
    const read = () => readStackSettings(context({ mailFrom: 'no-reply@leedz.io', adminEmail: 'ops@leedz.io' }));
    expect(read).toThrow(StackSettingsError);
    expect(read).toThrow(
      /^cannot synthesise the Leedz stack:\n- lambdaConcurrency is not set: it is the account's Lambda concurrency in the region \(aws lambda get-account-settings --query AccountLimit\.ConcurrentExecutions; a new account may have 10\).*-c lambdaConcurrency=<quota>/,
    );
  });

  it('without mailFrom and adminEmail, names both, says why each matters and how to give it', () => {
    const read = () => readStackSettings(context({ sesMaxSendRate: '1' }));
    expect(read).toThrow(StackSettingsError);
    expect(read).toThrow(/mailFrom is not set: it is the sender of every email, and SES sends nothing until the verification link it emails there is clicked; give it .*-c mailFrom=/);
    expect(read).toThrow(/adminEmail is not set: it is who receives the alarms and the reports of leedz/);
  });

  it('refuses addresses at domains that never receive mail, and display names', () => {
    for (const domain of ['example.com', 'example.org', 'mail.example.net', 'shop.test', 'x.invalid', 'leedz.local']) {
      expect(() => readStackSettings(context({ mailFrom: `no-reply@${domain}`, adminEmail: 'ops@leedz.io' }))).toThrow(
        new RegExp(`mailFrom "no-reply@${domain.replaceAll('.', '\\.')}" is at a reserved domain that never receives mail`),
      );
    }
    expect(() => readStackSettings(context({ mailFrom: 'The Leedz <no-reply@leedz.io>', adminEmail: 'ops@leedz.io' }))).toThrow(/is not a plain email address/);
  });

  it('reads every setting, with the defaults the stack documents', () => {
    expect(readStackSettings(context({ mailFrom: 'no-reply@leedz.io', adminEmail: 'ops@leedz.io', lambdaConcurrency: '10' }))).toEqual({
      stackName: 'Leedz',
      props: { mailFrom: 'no-reply@leedz.io', adminEmail: 'ops@leedz.io', lambdaConcurrency: 10 },
    });
    expect(
      readStackSettings(
        context({
          mailFrom: 'no-reply@leedz.io',
          mailIdentity: 'existing',
          adminEmail: 'ops@leedz.io',
          sesMaxSendRate: '14',
          squareEnvironment: 'production',
          publicUrl: 'https://leedz.io',
          domainName: 'leedz.io',
          certificateArn: CERTIFICATE,
          stackName: 'LeedzStaging',
          lambdaConcurrency: '1000',
        }),
      ),
    ).toEqual({
      stackName: 'LeedzStaging',
      props: {
        mailFrom: 'no-reply@leedz.io',
        mailIdentity: 'existing',
        adminEmail: 'ops@leedz.io',
        sesMaxSendRate: 14,
        squareEnvironment: 'production',
        publicUrl: 'https://leedz.io',
        customDomain: { domainName: 'leedz.io', certificateArn: CERTIFICATE },
        lambdaConcurrency: 1000,
      },
    });
  });

  it('takes cdk.json’s numbers as the numbers they are, and names a setting of another JSON type', () => {
    expect(readStackSettings(context({ mailFrom: 'no-reply@leedz.io', adminEmail: 'ops@leedz.io', sesMaxSendRate: 14, lambdaConcurrency: 10 })).props).toEqual({
      mailFrom: 'no-reply@leedz.io',
      adminEmail: 'ops@leedz.io',
      sesMaxSendRate: 14,
      lambdaConcurrency: 10,
    });
    const read = () => readStackSettings(context({ mailFrom: 'no-reply@leedz.io', adminEmail: ['ops@leedz.io'], sesMaxSendRate: true, stackName: { name: 'Leedz' }, lambdaConcurrency: 10 }));
    expect(read).toThrow(/- adminEmail must be a string or a number, got \["ops@leedz\.io"\]\n- sesMaxSendRate must be a string or a number, got true\n- stackName must be a string or a number, got \{"name":"Leedz"\}$/);
  });

  it('names every malformed setting at once', () => {
    const read = () =>
      readStackSettings(
        context({ mailFrom: 'no-reply@leedz.io', mailIdentity: 'mine', adminEmail: 'ops@leedz.io', sesMaxSendRate: 'fast', squareEnvironment: 'live', publicUrl: 'http://x', stackName: '9lives', lambdaConcurrency: '1e3.5' }),
      );
    expect(read).toThrow(/mailIdentity must be "create" .* or "existing" .*got "mine"\n- squareEnvironment must be .*\n- sesMaxSendRate must be .*\n- lambdaConcurrency must be the account's Lambda concurrency, a whole number .*got "1e3\.5"\n- publicUrl must be an https:\/\/ URL.*\n- stackName "9lives"/s);
  });

  it('serves the app at a custom domain with its certificate: the host is lower-cased, and publicUrl is left to follow it', () => {
    expect(readStackSettings(context({ ...REQUIRED, domainName: 'Leedz.Your-Domain.org', certificateArn: CERTIFICATE })).props).toEqual({
      mailFrom: 'no-reply@leedz.io',
      adminEmail: 'ops@leedz.io',
      customDomain: { domainName: 'leedz.your-domain.org', certificateArn: CERTIFICATE },
      lambdaConcurrency: 1000,
    });
  });

  it('refuses a certificate outside us-east-1, naming the rule: CloudFront takes ACM certificates from there only', () => {
    const inIreland = CERTIFICATE.replace('us-east-1', 'eu-west-1');
    const read = () => readStackSettings(context({ ...REQUIRED, domainName: 'leedz.io', certificateArn: inIreland }));
    expect(read).toThrow(StackSettingsError);
    expect(read).toThrow(
      `certificateArn "${inIreland}" is an ACM certificate in eu-west-1: CloudFront takes only ACM certificates in us-east-1 (US East, N. Virginia), whatever the stack's region; ` +
        'request or import one for leedz.io there (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html)',
    );
    expect(() => readStackSettings(context({ ...REQUIRED, domainName: 'leedz.io', certificateArn: 'arn:aws:iam::123456789012:server-certificate/leedz' }))).toThrow(
      /certificateArn must be the ARN of an ACM certificate in us-east-1 \(arn:aws:acm:us-east-1:<account>:certificate\/<id>\)/,
    );
  });

  it('takes domainName and certificateArn together or not at all, and a host name only', () => {
    expect(() => readStackSettings(context({ ...REQUIRED, domainName: 'leedz.io' }))).toThrow(/domainName is set but certificateArn is not: CloudFront serves leedz\.io only with an ACM certificate in us-east-1 that covers it/);
    expect(() => readStackSettings(context({ ...REQUIRED, certificateArn: CERTIFICATE }))).toThrow(/certificateArn is set but domainName is not/);
    for (const domainName of ['https://leedz.io', 'leedz.io/app', '*.leedz.io', 'leedz', 'leedz.io:8443']) {
      expect(() => readStackSettings(context({ ...REQUIRED, domainName, certificateArn: CERTIFICATE })), domainName).toThrow(/must be a host name such as leedz\.your-domain\.org/);
    }
  });

  it('refuses a publicUrl whose host is not where the web app is served: the API would refuse every write from the app', () => {
    expect(() => readStackSettings(context({ ...REQUIRED, publicUrl: 'https://leedz.io' }))).toThrow(
      /publicUrl "https:\/\/leedz\.io" must be where the web app is served, and without domainName that is the distribution's own \*\.cloudfront\.net URL, the default: .*give domainName=leedz\.io and certificateArn/,
    );
    expect(() => readStackSettings(context({ ...REQUIRED, publicUrl: 'https://www.leedz.io', domainName: 'leedz.io', certificateArn: CERTIFICATE }))).toThrow(
      /publicUrl's host "www\.leedz\.io" must be domainName "leedz\.io", where the web app is served/,
    );
    expect(readStackSettings(context({ ...REQUIRED, publicUrl: 'https://LEEDZ.io/', domainName: 'leedz.io', certificateArn: CERTIFICATE })).props.publicUrl).toBe('https://LEEDZ.io/');
  });

  it('`npm run synth` with cdk.json as shipped stops with the message, not a stack trace', () => {
    // The app itself, as `cdk synth` runs it (cdk.json's "app"), without the CLI's context flags.
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'infra', 'app.ts')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ sesMaxSendRate: '1' }), CDK_OUTDIR: join(ROOT, '.tmp', 'settings-test-cdk.out') },
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('cannot synthesise the Leedz stack:\n- mailFrom is not set');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
