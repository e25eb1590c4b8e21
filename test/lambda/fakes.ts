/**
 * What the Lambda entry tests run against: the context object Lambda passes a handler, a transport
 * that records invocations instead of making them, the API Gateway v2 fixtures, and the marketplace
 * over the local adapters (SQLite, outbox mailer, ZIP geocoder, local identity and payments) in a
 * temporary folder.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createZipGeocoder } from '../../src/adapters/geocoder/zip/zip-geocoder.js';
import { createLocalIdentity } from '../../src/adapters/identity/local/local-identity.js';
import { createOutboxMailer, type OutboxMailer } from '../../src/adapters/mailer/outbox/outbox-mailer.js';
import { createLocalPayments } from '../../src/adapters/payments/local/local-payments.js';
import { createSqliteStore, type SqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { createIdempotency } from '../../src/framework/idempotency.js';
import type { InvocationType, InvokeResult, Transport } from '../../src/framework/transport.js';
import { DEFAULT_SETTINGS, type MarketplaceDeps } from '../../src/leedz/deps.js';
import { createMarketplace, type Marketplace } from '../../src/leedz/marketplace.js';
import { createSqliteIdempotencyStore } from '../../src/adapters/idempotency/sqlite-idempotency-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** A fixture as parsed JSON (a fresh copy each time, so a test may change it). */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** An API Gateway v2 fixture with its placeholders (`SESSION`, `TOKEN`, `LEED_ID`) replaced. */
export function apiEvent(name: string, replacements: Record<string, string> = {}): APIGatewayProxyEventV2 {
  let text = readFileSync(join(FIXTURES, name), 'utf8');
  for (const [placeholder, value] of Object.entries(replacements)) text = text.replaceAll(placeholder, value);
  return JSON.parse(text) as APIGatewayProxyEventV2;
}

/** What API Gateway's catch-all route (`ANY /api/{proxy+}`) hands a function for `method path`. */
export function catchAllEvent(method: string, path: string): APIGatewayProxyEventV2 {
  return apiEvent('api-fallback.json', { __METHOD__: method, __PATH__: path, __PROXY__: path.slice('/api/'.length) });
}

/** Lambda's context object for one invocation of `Leedz-<name>` with `timeoutMs` left. */
export function lambdaContext(name: string, options: { requestId?: string; timeoutMs?: number } = {}): Context {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  const requestId = options.requestId ?? 'c6af9ac6-7b61-11e6-9a41-93e812345678';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: `Leedz-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:Leedz-${name}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/Leedz-${name}`,
    logStreamName: `2026/11/26/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

export interface RecordedInvocation {
  functionName: string;
  payload: Record<string, unknown>;
  type: InvocationType;
}

/** A transport that records every invocation; `fail(name)` makes invocations of `name` reject. */
export function recordingTransport(): Transport & { calls: RecordedInvocation[]; fail(functionName: string, error?: Error): void } {
  const calls: RecordedInvocation[] = [];
  const failing = new Map<string, Error>();
  return {
    calls,
    fail(functionName, error = Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' })) {
      failing.set(functionName, error);
    },
    async invoke(functionName, payload, type): Promise<InvokeResult> {
      const error = failing.get(functionName);
      if (error !== undefined) throw error;
      calls.push({ functionName, payload: payload as Record<string, unknown>, type });
      return { statusCode: type === 'Event' ? 202 : type === 'DryRun' ? 204 : 200, requestId: `req-${calls.length}` };
    },
  };
}

export interface LocalMarketplace {
  marketplace: Marketplace;
  deps: MarketplaceDeps;
  store: SqliteStore;
  outbox: OutboxMailer;
  /** The deployable named `name`. */
  deployable(name: string): Marketplace['deployables'][number];
  close(): void;
}

/** The marketplace over the local adapters in a temporary folder, its clock at `now`, with the trades `dj` and `caricatures`. */
export async function localMarketplace(now = new Date('2030-05-01T12:00:00Z')): Promise<LocalMarketplace> {
  const dir = tempDir('leedz-lambda-');
  const store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
  const outbox = createOutboxMailer({ db: store.db });
  const deps: MarketplaceDeps = {
    store,
    mailer: outbox,
    geocoder: createZipGeocoder(),
    identity: createLocalIdentity({ db: store.db, keyDir: join(dir.path, 'keys') }),
    payments: createLocalPayments({ db: store.db, baseUrl: 'https://r4nd0m1d.execute-api.us-east-1.amazonaws.com', webhookSecret: 'test-webhook-secret' }),
    idempotency: createIdempotency({ store: createSqliteIdempotencyStore(store.db), scope: 'leedz' }),
    now: () => now,
    settings: { ...DEFAULT_SETTINGS, publicUrl: 'https://r4nd0m1d.execute-api.us-east-1.amazonaws.com', adminEmail: 'admin@example.com' },
  };
  await store.addTrades([{ name: 'dj' }, { name: 'caricatures' }]);
  const marketplace = createMarketplace(deps);
  return {
    marketplace,
    deps,
    store,
    outbox,
    deployable(name) {
      const found = marketplace.deployables.find((d) => d.name === name);
      if (found === undefined) throw new Error(`no deployable ${name}`);
      return found;
    },
    close() {
      store.close();
      dir.cleanup();
    },
  };
}
