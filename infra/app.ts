/**
 * The CDK app: `npm run synth` (offline, no credentials: the stack is environment-agnostic) and
 * `npm run deploy` (after `npx cdk bootstrap`). Settings come from CDK context, with placeholders in
 * `cdk.json`; override them at deploy time:
 *
 * @example
 * npx cdk deploy -c mailFrom=no-reply@example.org -c adminEmail=me@example.org
 */
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { writeWebSite } from '../src/server/web-assets.js';
import { LeedzStack } from './leedz-stack.js';

const app = new App();
const setting = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const required = (key: string): string => {
  const value = setting(key);
  if (value === undefined) throw new Error(`set the CDK context value "${key}" (cdk.json, or -c ${key}=…)`);
  return value;
};
const squareEnvironment = setting('squareEnvironment');
if (squareEnvironment !== undefined && squareEnvironment !== 'sandbox' && squareEnvironment !== 'production') {
  throw new Error(`squareEnvironment must be "sandbox" or "production", got "${squareEnvironment}"`);
}
const sesMaxSendRate = setting('sesMaxSendRate');
const publicUrl = setting('publicUrl');
// The web app, bundled as for the local server, for the stack to upload to S3.
const webSiteDir = join(import.meta.dirname, '..', '.tmp', 'web-site');
await writeWebSite(webSiteDir);

new LeedzStack(app, setting('stackName') ?? 'Leedz', {
  mailFrom: required('mailFrom'),
  adminEmail: required('adminEmail'),
  webSiteDir,
  ...(publicUrl === undefined ? {} : { publicUrl }),
  ...(sesMaxSendRate === undefined ? {} : { sesMaxSendRate: Number(sesMaxSendRate) }),
  ...(squareEnvironment === undefined ? {} : { squareEnvironment }),
});
