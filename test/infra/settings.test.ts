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
          stackName: 'LeedzStaging',
          lambdaConcurrency: '1000',
        }),
      ),
    ).toEqual({
      stackName: 'LeedzStaging',
      props: { mailFrom: 'no-reply@leedz.io', mailIdentity: 'existing', adminEmail: 'ops@leedz.io', sesMaxSendRate: 14, squareEnvironment: 'production', publicUrl: 'https://leedz.io', lambdaConcurrency: 1000 },
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
