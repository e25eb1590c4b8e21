/**
 * The CDK app: `npm run synth` (offline, no credentials: the stack is environment-agnostic) and
 * `npm run deploy` (after `npx cdk bootstrap`). Settings come from CDK context (`infra/settings.ts`);
 * `mailFrom`, `adminEmail` and `lambdaConcurrency` have no default, so synth fails with a message
 * until they are given. Every `cdk` command synthesises this app first, bootstrap too, so each
 * takes them (the README's "On AWS" steps keep them in one shell variable):
 *
 * @example
 * npm run synth -- -c mailFrom=no-reply@your-domain.org -c adminEmail=me@your-domain.org -c lambdaConcurrency=1000
 * npx cdk bootstrap -c mailFrom=no-reply@your-domain.org -c adminEmail=me@your-domain.org -c lambdaConcurrency=1000
 * npm run deploy -- -c mailFrom=no-reply@your-domain.org -c adminEmail=me@your-domain.org -c lambdaConcurrency=1000
 */
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { writeWebSite } from '../src/server/web-assets.js';
import { bundleLambdas } from './lambda-bundles.js';
import { lambdaNames } from './lambda-specs.js';
import { LeedzStack } from './leedz-stack.js';
import { readStackSettings, StackSettingsError } from './settings.js';

const app = new App();
let settings;
try {
  settings = readStackSettings((key) => app.node.tryGetContext(key));
} catch (error) {
  if (!(error instanceof StackSettingsError)) throw error;
  // The message is the whole story; a stack trace into this file would only hide it.
  process.stderr.write(`\n${error.message}\n\n`);
  process.exit(1);
}
// The web app, bundled as for the local server, for the stack to upload to S3.
const webSiteDir = join(import.meta.dirname, '..', '.tmp', 'web-site');
await writeWebSite(webSiteDir);
// One bundle per Lambda; their source maps stay in cdk.out/source-maps, beside the template, not in the code.
const lambdaBundles = await bundleLambdas(lambdaNames(), { outDir: join(import.meta.dirname, '..', '.tmp', 'lambda'), sourceMapDir: join(app.outdir, 'source-maps') });

new LeedzStack(app, settings.stackName, { ...settings.props, webSiteDir, lambdaBundles });
