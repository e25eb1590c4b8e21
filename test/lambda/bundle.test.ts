/**
 * The bundles the stack deploys, built as `npm run synth` builds them (`bundleLambdas`, local
 * esbuild) and loaded as Lambda loads them: one ES module per Lambda whose `handler` is a named
 * export. This catches what only bundling shows — a CommonJS package that needs `require` inside
 * ESM, a dependency esbuild cannot resolve, I/O or a missing variable at module load — and holds
 * what each bundle may contain: only the SDK clients its Lambda is granted, no source map, no
 * foreign zod locale, class names kept.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_RELAY, OUTBOX_SWEEP_NAME, readDeployables } from '../../infra/deployables.js';
import { bundleLambdas, type LambdaBundle } from '../../infra/lambda-bundles.js';
import { lambdaNames, lambdaSpecs, SERVICE_USERS } from '../../infra/lambda-specs.js';
import { sampleLambdaEnvironment } from '../../infra/sample-environment.js';
import { AWS_ENV } from '../../src/lambda/aws-config.js';
import { API_FRONT_FUNCTION } from '../../src/leedz/functions/routes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { apiEvent, catchAllEvent, lambdaContext } from './fakes.js';

const out = tempDir('leedz-bundles-');
const saved = { ...process.env };
const { functions, controllers } = readDeployables();
const deployables = [...functions, ...controllers];
/** A controller's lane (emailHelperBulk) is bundled as a Lambda of its own, from the controller's entry. */
const { lanes } = lambdaSpecs();
const runs = (name: string) => lanes.find((lane) => lane.name === name)?.runs ?? name;
let bundles: Map<string, LambdaBundle>;

beforeAll(async () => {
  bundles = await bundleLambdas(lambdaNames(), { outDir: join(out.path, 'code'), sourceMapDir: join(out.path, 'source-maps') });
}, 300_000);
afterAll(() => {
  process.env = saved;
  out.cleanup();
});

/** The npm packages a bundle holds code of (bytes in the output), by name. */
function packagesIn(bundle: LambdaBundle): Map<string, number> {
  const output = Object.values(bundle.metafile.outputs).find((o) => o.entryPoint !== undefined)!;
  const packages = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    if (name !== undefined && input.bytesInOutput > 0) packages.set(name, (packages.get(name) ?? 0) + input.bytesInOutput);
  }
  return packages;
}

async function load(name: string, env: Record<string, string> = sampleLambdaEnvironment(name)): Promise<Record<string, unknown>> {
  process.env = { ...saved, ...env };
  // A query string makes each import a fresh module instance, as a fresh container would load it.
  return (await import(`${pathToFileURL(join(bundles.get(name)!.dir, 'index.mjs')).href}?${Math.random()}`)) as Record<string, unknown>;
}

describe('one bundle per Lambda', () => {
  it('bundles every Lambda of the stack, each an asset folder holding index.mjs and nothing else (no source map in the code)', () => {
    expect([...bundles.keys()].sort()).toEqual([...deployables.map((d) => d.name), ...lanes.map((lane) => lane.name), OUTBOX_RELAY, OUTBOX_SWEEP_NAME].sort());
    for (const [name, bundle] of bundles) {
      expect(readdirSync(bundle.dir), name).toEqual(['index.mjs']);
      expect(readFileSync(join(bundle.dir, 'index.mjs'), 'utf8'), name).not.toContain('sourceMappingURL');
    }
  });

  it('keeps each source map as a separate artifact that maps back into src/', () => {
    for (const [name, bundle] of bundles) {
      expect(bundle.sourceMap, name).toBe(join(out.path, 'source-maps', name, 'index.mjs.map'));
      const map = JSON.parse(readFileSync(bundle.sourceMap, 'utf8')) as { sources: string[] };
      expect(map.sources.some((source) => /src\/lambda\/entries\/[a-z-]+\.ts$/.test(source)), name).toBe(true);
    }
  });

  it('holds English only of zod’s locales', () => {
    for (const [name, bundle] of bundles) {
      const locales = Object.keys(bundle.metafile.inputs).filter((path) => /zod\/v4\/locales\/(?!index)/.test(path));
      expect(locales.map((path) => path.replace(/.*locales\//, '')), name).toEqual(['en.js']);
    }
  });

  it('holds the SDK clients of the services its Lambda is granted, and no other', () => {
    const invokes = new Set([...deployables.filter((d) => d.invokes.length > 0).map((d) => d.name), OUTBOX_RELAY, OUTBOX_SWEEP_NAME]);
    const controllerNames = new Set(controllers.map((c) => c.name));
    const usesTable = new Set([...deployables.filter((d) => d.config.table !== undefined).map((d) => d.name), OUTBOX_RELAY, OUTBOX_SWEEP_NAME]);
    const expected = (name: string): string[] =>
      [
        usesTable.has(name) && '@aws-sdk/client-dynamodb',
        (SERVICE_USERS.mailer as readonly string[]).includes(name) && '@aws-sdk/client-sesv2',
        (SERVICE_USERS.geocoder as readonly string[]).includes(name) && '@aws-sdk/client-location',
        (SERVICE_USERS.payments as readonly string[]).includes(name) && '@aws-sdk/client-secrets-manager',
        (SERVICE_USERS.identity as readonly string[]).includes(name) && '@aws-sdk/client-cognito-identity-provider',
        // Controllers deliver their failure records themselves (to an SQS queue, or a function).
        (invokes.has(name) || controllerNames.has(name)) && '@aws-sdk/client-lambda',
        controllerNames.has(name) && '@aws-sdk/client-sqs',
      ].filter((client): client is string => client !== false);
    const mismatches = [...bundles].flatMap(([name, bundle]) => {
      const clients = [...packagesIn(bundle).keys()].filter((p) => p.startsWith('@aws-sdk/client-')).sort();
      return clients.join() === expected(runs(name)).sort().join() ? [] : [`${name}: bundles [${clients.join(', ')}], expected [${expected(runs(name)).sort().join(', ')}]`];
    });
    expect(mismatches).toEqual([]);
    // A Lambda that touches no AWS service loads no SDK at all.
    expect([...packagesIn(bundles.get('logout')!).keys()].filter((p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/'))).toEqual([]);
  });
});

describe('loaded as Lambda loads them', () => {
  it('every bundle loads with no I/O and exports its handler', async () => {
    for (const name of bundles.keys()) {
      const module = await load(name, sampleLambdaEnvironment(name, { failureDestination: true }));
      expect(Object.keys(module), name).toEqual(['handler']);
      expect(typeof module.handler, name).toBe('function');
    }
  }, 120_000);

  it('a Lambda given another function’s code fails at its first cold start, naming both', async () => {
    await expect(load('getTrades', { ...sampleLambdaEnvironment('getTrades'), [AWS_ENV.function]: 'emailHelper' })).rejects.toThrow(
      `this Lambda's entry builds getTrades, but LEEDZ_FUNCTION is "emailHelper": the stack gave it another function's code`,
    );
  });

  it('answers an API Gateway request (logout, which needs no AWS service)', async () => {
    const { handler } = (await load('logout')) as { handler: (event: APIGatewayProxyEventV2, context: unknown) => Promise<{ statusCode: number; cookies?: string[] }> };
    const event = apiEvent('get-trades.json');
    Object.assign(event, { routeKey: 'POST /api/auth/logout', rawPath: '/api/auth/logout', headers: { ...event.headers, 'content-type': 'application/json' } });
    Object.assign(event.requestContext.http, { method: 'POST', path: '/api/auth/logout' });
    const response = await handler(event, lambdaContext('logout'));
    expect(response.statusCode).toBe(204);
    expect(response.cookies).toEqual([expect.stringMatching(/^leedz_session=; .*Max-Age=0/)]);
  });

  it('the API’s front function answers what API Gateway’s catch-all route brings: the API reference, and the API’s own 404', async () => {
    const { handler } = (await load(API_FRONT_FUNCTION)) as { handler: (event: APIGatewayProxyEventV2, context: unknown) => Promise<{ statusCode: number; headers?: Record<string, string>; body?: string }> };
    const get = (path: string) => handler(catchAllEvent('GET', path), lambdaContext(API_FRONT_FUNCTION));
    const page = await get('/api/docs');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<section id="searchLeedz"');
    const missing = await get('/api/nope');
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body ?? '')).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('errors keep their class names through minification (Lambda reports errorType from them)', async () => {
    const { handler } = (await load('bookkeeping')) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
    const error = await handler({ function: 'noSuchRoute' }, lambdaContext('bookkeeping')).catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnknownFunctionError');
    expect((error as Error).constructor.name).toBe('UnknownFunctionError');
  });
});
