/**
 * The template passes CDK's built-in CloudFormation validation (cfn-lint's schema rules, compiled to
 * WebAssembly): every property of every resource is one CloudFormation knows, of the right type.
 * CDK reports violations as warnings in `validation-report.json` rather than failing the synth, so
 * this test reads the report. It is the slow synth of the suite (the validator loads once per process).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, expect, it } from 'vitest';
import { LeedzStack } from '../../infra/leedz-stack.js';
import { writeWebSite } from '../../src/server/web-assets.js';
import { tempDir } from '../helpers/temp-dir.js';

const out = tempDir('leedz-cdk-');
const site = tempDir('leedz-web-site-');
afterAll(() => {
  out.cleanup();
  site.cleanup();
});

it('synthesises a template (with the web site) with no CloudFormation validation finding', async () => {
  await writeWebSite(site.path);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, outdir: out.path });
  new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@example.com', adminEmail: 'admin@example.com', lambdaConcurrency: 1000, webSiteDir: site.path });
  app.synth();
  const report = JSON.parse(readFileSync(join(out.path, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations: { ruleName: string; description: string }[] }[];
  };
  const findings = report.pluginReports.flatMap((plugin) => plugin.violations.map((v) => `${plugin.pluginName} ${v.ruleName}: ${v.description}`));
  expect(findings).toEqual([]);
}, 120_000);

// CloudFormation takes at most 500 resources a stack
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html), and a
// new HTTP function adds about nine (its Lambda, role, policy, log group, route, integration,
// permission, alarm, …): past 450, a few more functions would make the stack undeployable, and it is
// time to split it (nested stacks, or the web site in a stack of its own) before that happens.
it('stays well within CloudFormation’s 500 resources a stack (at most 450)', () => {
  const template = JSON.parse(readFileSync(join(out.path, 'Leedz.template.json'), 'utf8')) as { Resources: Record<string, unknown> };
  const count = Object.keys(template.Resources).length;
  expect(count).toBeGreaterThan(100);
  expect(count, `${count} resources: split the stack before it reaches 500`).toBeLessThanOrEqual(450);
});
