/**
 * cdk-nag's AwsSolutions pack on the whole stack (the web app included): no finding remains but the
 * ones `infra/nag-suppressions.ts` keeps on purpose, each with its reason in one line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeedzStack } from '../../infra/leedz-stack.js';
import { suppressNagFindings } from '../../infra/nag-suppressions.js';
import { testApp } from '../helpers/cdk-app.js';
import { tempDir } from '../helpers/temp-dir.js';

const site = tempDir('leedz-nag-site-');
let stack: LeedzStack;

beforeAll(() => {
  // The web app's files as the stack takes them (their content does not matter to the rules).
  mkdirSync(join(site.path, 'assets'));
  writeFileSync(join(site.path, 'index.html'), '<!doctype html><title>The Leedz</title>');
  writeFileSync(join(site.path, 'assets', 'app.js'), 'export {};');
  const app = testApp();
  stack = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@leedz.io', adminEmail: 'ops@leedz.io', lambdaConcurrency: 1000, webSiteDir: site.path });
  suppressNagFindings(stack);
  Aspects.of(app).add(new AwsSolutionsChecks());
}, 60_000);
afterAll(() => site.cleanup());

/** cdk-nag's findings on a stack, one line each. */
function findingsOf(checked: LeedzStack): string[] {
  const annotations = Annotations.fromStack(checked);
  return [...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')), ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))].map(
    (finding) => `${finding.id}: ${String(finding.entry.data).split('\n')[0]}`,
  );
}

describe('cdk-nag (AwsSolutions)', () => {
  it('finds nothing but what the stack keeps on purpose', () => {
    expect(findingsOf(stack)).toEqual([]);
  });

  it('with a custom domain, finds no old viewer TLS policy, and nothing is suppressed for it: the certificate lets the stack set TLS 1.2', () => {
    const app = testApp();
    const customDomain = { domainName: 'leedz.io', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0b6c5d2e-8f1a-4c3b-9d7e-2a1f0e9c8b7a' };
    const withDomain = new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@leedz.io', adminEmail: 'ops@leedz.io', lambdaConcurrency: 1000, webSiteDir: site.path, customDomain });
    suppressNagFindings(withDomain);
    Aspects.of(app).add(new AwsSolutionsChecks());
    expect(findingsOf(withDomain)).toEqual([]);
    expect(JSON.stringify(Template.fromStack(withDomain).toJSON())).not.toContain('AwsSolutions-CFR4');
  }, 60_000);

  it('states each suppression’s reason in one line', () => {
    const suppressions = Object.values(Template.fromStack(stack).toJSON().Resources as Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }>).flatMap(
      (resource) => resource.Metadata?.cdk_nag?.rules_to_suppress ?? [],
    );
    expect(suppressions.length).toBeGreaterThan(0);
    for (const { id, reason } of suppressions) {
      expect(reason, id).not.toContain('\n');
      expect(reason.length, `${id}: ${reason}`).toBeGreaterThan(40);
    }
    // Only these rules are ever suppressed; a new finding is fixed in the stack, or argued for here.
    expect([...new Set(suppressions.map((s) => s.id))].sort()).toEqual([
      'AwsSolutions-APIG4',
      'AwsSolutions-CFR1',
      'AwsSolutions-CFR2',
      'AwsSolutions-CFR3',
      'AwsSolutions-CFR4',
      'AwsSolutions-COG2',
      'AwsSolutions-COG8',
      'AwsSolutions-IAM4',
      'AwsSolutions-IAM5',
      'AwsSolutions-L1',
      'AwsSolutions-S1',
      'AwsSolutions-SMG4',
      'AwsSolutions-SQS3',
    ]);
  });
});
