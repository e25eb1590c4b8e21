/**
 * The bundle CDK deploys, built as `npm run synth` builds it (NodejsFunction, local esbuild, the
 * stack's bundling options) and loaded as Lambda loads it: an ES module whose handlers are named
 * exports. This catches what only bundling shows — a CommonJS package that needs `require` inside
 * ESM, a dependency esbuild cannot resolve, I/O or a missing variable at module load.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterAll, expect, it } from 'vitest';
import { LAMBDA_BUNDLING, LAMBDA_ENTRY } from '../../infra/leedz-stack.js';
import { AWS_ENV } from '../../src/lambda/aws-config.js';
import { tempDir } from '../helpers/temp-dir.js';
import { apiEvent, lambdaContext } from './fakes.js';

const out = tempDir('leedz-bundle-');
const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
  out.cleanup();
});

it('bundles every handler into one ES module that loads with no I/O and names a misconfigured Lambda', async () => {
  const app = new App({ outdir: out.path, builtinCloudFormationValidation: false });
  new NodejsFunction(new Stack(app, 'Bundle'), 'Any', { entry: LAMBDA_ENTRY, handler: 'http', runtime: Runtime.NODEJS_22_X, architecture: Architecture.ARM_64, bundling: LAMBDA_BUNDLING });
  app.synth();
  const asset = readdirSync(out.path).find((name) => name.startsWith('asset.'));
  expect(asset).toBeDefined();
  expect(readdirSync(join(out.path, asset!)).sort()).toEqual(['index.mjs', 'index.mjs.map']);

  // The variables the stack sets; none of these names a reachable service, and none is contacted.
  Object.assign(process.env, {
    [AWS_ENV.function]: 'emailHelper',
    [AWS_ENV.functionPrefix]: 'Leedz-',
    [AWS_ENV.region]: 'us-east-1',
    [AWS_ENV.tableName]: 'Leedz-Table',
    [AWS_ENV.idempotencyTableName]: 'Leedz-Idempotency',
    [AWS_ENV.mailFrom]: 'no-reply@example.com',
    [AWS_ENV.userPoolId]: 'us-east-1_Ab12Cd34E',
    [AWS_ENV.userPoolClientId]: '1example23456789',
    [AWS_ENV.placeIndexName]: 'Leedz-places',
    [AWS_ENV.squareSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:SquareKeys-AbCdEf',
    [AWS_ENV.publicUrl]: 'https://r4nd0m1d.execute-api.us-east-1.amazonaws.com',
    [AWS_ENV.adminEmail]: 'admin@example.com',
  });
  const bundle = (await import(pathToFileURL(join(out.path, asset!, 'index.mjs')).href)) as Record<string, unknown>;
  expect(Object.keys(bundle).sort()).toEqual(['controller', 'http', 'outboxStream', 'outboxSweep']);
  // LEEDZ_FUNCTION names a controller, but this Lambda was given the http handler.
  const http = bundle.http as (event: unknown, context: unknown) => Promise<unknown>;
  await expect(http(apiEvent('get-trades.json'), lambdaContext('getTrades'))).rejects.toThrow(
    /LEEDZ_FUNCTION "emailHelper" is none of getTrades, .*; this Lambda's handler and LEEDZ_FUNCTION disagree/,
  );
}, 120_000);
