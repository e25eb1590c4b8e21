/**
 * The `aws-local` profile's composition root: the marketplace on the AWS adapters — the same ones
 * `src/lambda/aws-deps.ts` builds on AWS — against local emulators that it starts on free loopback
 * ports and stops on close: DynamoDB Local (the store, Powertools' idempotency table, the magic
 * link's login tokens), `aws-ses-v2-local` (the SES mailer) and `cognito-local` (identity; the user
 * pool and app client are created at startup). The geocoder stays the ZIP geocoder and payments stay
 * local (Amazon Location and Square have no local emulator); the local payments keep their
 * checkouts in `payments.db` in the data folder.
 *
 * Nothing is kept between runs: DynamoDB Local runs in memory and cognito-local in a temporary folder.
 *
 * @example
 * const wiring = await wireAwsLocalMarketplace({ …same options as wireMarketplace });
 * runtime.registerAll(wiring.marketplace.deployables);
 * wiring.mount(app, runtime, access.requireSignatureOrOperator());
 * wiring.start(transport);
 * await wiring.close();
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CognitoIdentityProviderClient, CreateUserPoolClientCommand, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { createDynamoDbIdempotencyStore } from '../adapters/idempotency/dynamodb-idempotency-store.js';
import Database from 'better-sqlite3';
import type { Hono, MiddlewareHandler } from 'hono';
import { createZipGeocoder } from '../adapters/geocoder/zip/zip-geocoder.js';
import { createCognitoIdentity } from '../adapters/identity/cognito/cognito-identity.js';
import { createDynamoDbLoginTokens } from '../adapters/identity/cognito/dynamodb-login-tokens.js';
import { createSesMailer } from '../adapters/mailer/ses/ses-mailer.js';
import { createLocalPayments } from '../adapters/payments/local/local-payments.js';
import { createDynamoDbStore } from '../adapters/store/dynamodb/dynamodb-store.js';
import { createIdempotency } from '../framework/idempotency.js';
import type { Transport } from '../framework/transport.js';
import { DEFAULT_SETTINGS, type MarketplaceDeps } from '../leedz/deps.js';
import { createMarketplace, type Marketplace } from '../leedz/marketplace.js';
import { createOutboxRelay, type OutboxRelay } from '../leedz/outbox-relay.js';
import type { Store } from '../leedz/ports.js';
import { mountApiRoutes } from './api-routes.js';
import { mountApiReference } from '../edge/api-reference.js';
import { startCognitoLocal, startDynamoDbLocal, startSesLocal, type CognitoLocal, type DynamoDbLocal, type SesLocal } from './emulators.js';
import { loadOrCreateSecret, type MarketplaceWiringOptions, mountLocalCheckout, mountModeration } from './marketplace-wiring.js';

export interface AwsLocalWiring {
  marketplace: Marketplace;
  deps: MarketplaceDeps;
  store: Store;
  payments: ReturnType<typeof createLocalPayments>;
  relay: OutboxRelay;
  emulators: { dynamoDb: DynamoDbLocal; ses: SesLocal; cognito: CognitoLocal };
  /** Names of what was created in the emulators. */
  resources: { tableName: string; idempotencyTableName: string; userPoolId: string; userPoolClientId: string };
  /** aws-ses-v2-local's web UI (every email sent through SES) and its JSON store (`/store`). */
  sesUrl: string;
  mount(app: Hono, transport: Transport, operatorOnly: MiddlewareHandler): void;
  start(transport: Transport): void;
  close(): Promise<void>;
}

/** SES's rate in the emulator (emails per second): no account quota to respect here. */
const LOCAL_SES_MAX_SEND_RATE = 200;

export async function wireAwsLocalMarketplace(options: MarketplaceWiringOptions): Promise<AwsLocalWiring> {
  mkdirSync(options.dataDir, { recursive: true });
  const started = await Promise.allSettled([startDynamoDbLocal(), startSesLocal(), startCognitoLocal()]);
  const [dynamoResult, sesResult, cognitoResult] = started;
  if (dynamoResult.status === 'rejected' || sesResult.status === 'rejected' || cognitoResult.status === 'rejected') {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')!;
    throw new Error(`aws-local profile: an emulator did not start: ${(failure.reason as Error).message}`, { cause: failure.reason });
  }
  const dynamoDb = dynamoResult.value;
  const ses = sesResult.value;
  const cognito = cognitoResult.value;
  const stopEmulators = () => Promise.all([dynamoDb.stop(), ses.stop(), cognito.stop()]).then(() => {});

  const dynamoClient = dynamoDb.client();
  const sesClient = new SESv2Client(ses.clientConfig);
  const cognitoClient = new CognitoIdentityProviderClient(cognito.clientConfig);
  let payments: ReturnType<typeof createLocalPayments>;
  let paymentsDb: Database.Database;
  let resources: AwsLocalWiring['resources'];
  let deps: MarketplaceDeps;
  try {
    const [tableName, idempotencyTableName] = await Promise.all([dynamoDb.createTable('Leedz'), dynamoDb.createIdempotencyTable('Leedz-Idempotency')]);
    // The pool as the CDK stack builds it: email as the username, a custom `username` attribute.
    const { UserPool } = await cognitoClient.send(
      new CreateUserPoolCommand({ PoolName: 'leedz', UsernameAttributes: ['email'], Schema: [{ Name: 'username', AttributeDataType: 'String', Mutable: true }] }),
    );
    const userPoolId = UserPool?.Id ?? '';
    const { UserPoolClient } = await cognitoClient.send(
      new CreateUserPoolClientCommand({ UserPoolId: userPoolId, ClientName: 'web', ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH'] }),
    );
    const userPoolClientId = UserPoolClient?.ClientId ?? '';
    resources = { tableName, idempotencyTableName, userPoolId, userPoolClientId };
    paymentsDb = new Database(join(options.dataDir, 'payments.db'));
    paymentsDb.pragma('journal_mode = WAL');
    payments = createLocalPayments({ db: paymentsDb, baseUrl: options.publicUrl, webhookSecret: loadOrCreateSecret(join(options.dataDir, 'keys', 'webhook-secret')) });
    deps = {
      store: createDynamoDbStore({ client: dynamoClient, tableName }),
      mailer: createSesMailer({ client: sesClient, from: options.mailFrom, maxSendRate: LOCAL_SES_MAX_SEND_RATE }),
      geocoder: createZipGeocoder(),
      identity: createCognitoIdentity({
        client: cognitoClient,
        userPoolId,
        clientId: userPoolClientId,
        loginTokens: createDynamoDbLoginTokens({ client: dynamoClient, tableName }),
        issuer: cognito.issuer(userPoolId),
        jwksUrl: cognito.jwksUrl(userPoolId),
      }),
      payments,
      idempotency: createIdempotency({
        store: createDynamoDbIdempotencyStore({ client: dynamoClient, tableName: idempotencyTableName }),
        scope: 'leedz',
        expiresAfterSeconds: 7 * 24 * 3600,
      }),
      now: options.now ?? (() => new Date()),
      settings: { ...DEFAULT_SETTINGS, publicUrl: options.publicUrl, adminEmail: options.adminEmail },
    };
  } catch (error) {
    dynamoClient.destroy();
    sesClient.destroy();
    cognitoClient.destroy();
    await stopEmulators();
    throw error;
  }
  const marketplace = createMarketplace(deps);
  let relay: OutboxRelay | undefined;

  return {
    marketplace,
    deps,
    store: deps.store,
    payments,
    emulators: { dynamoDb, ses, cognito },
    resources,
    sesUrl: ses.endpoint,
    get relay() {
      if (relay === undefined) throw new Error('the relay starts with start()');
      return relay;
    },
    mount(app, transport, operatorOnly) {
      mountApiRoutes(app, { transport, identity: deps.identity, allowedOrigins: [new URL(options.publicUrl).origin], log: options.log });
      mountApiReference(app, options.publicUrl);
      // Emails go through SES: aws-ses-v2-local shows them.
      app.use('/api/dev/*', operatorOnly);
      app.get('/api/dev/outbox', (c) => c.redirect(ses.endpoint, 302));
      mountLocalCheckout(app, payments);
      mountModeration(app, transport, operatorOnly);
    },
    start(transport) {
      // No DynamoDB stream locally: the relay polls the table's pending-outbox index.
      relay = createOutboxRelay({ store: deps.store, transport, pollIntervalMs: 200, onError: (error) => options.log(`outbox relay: ${(error as Error).message}`) });
      relay.start();
    },
    async close() {
      await relay?.stop();
      dynamoClient.destroy();
      sesClient.destroy();
      cognitoClient.destroy();
      paymentsDb.close();
      await stopEmulators();
    },
  };
}

