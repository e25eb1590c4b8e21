/**
 * A CDK app for a test of the stack. A bare `new App()` synthesises into a new `cdk.out*` folder of
 * the system's temp folder and never removes it (about 0.8 MB a synth, a few dozen a run of the
 * suite); this one synthesises into a folder removed after the test file, and leaves bundling and
 * CloudFormation validation off (test/infra/cloudformation-validation.test.ts runs that).
 *
 * @example
 * const stack = new LeedzStack(testApp(), 'Leedz', { mailFrom, adminEmail, lambdaConcurrency: 1000 });
 */
import { App, type AppProps } from 'aws-cdk-lib';
import { afterAll } from 'vitest';
import { tempDir } from './temp-dir.js';

const outDirs: { cleanup(): void }[] = [];
// Registered as the test file imports this module: one cleanup for every app the file makes.
afterAll(() => {
  for (const dir of outDirs.splice(0)) dir.cleanup();
});

export function testApp(props: AppProps = {}): App {
  const out = tempDir('leedz-cdk-');
  outDirs.push(out);
  return new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false, ...props, outdir: out.path });
}
