/**
 * The composition root on AWS: one adapter per port, chosen here and nowhere else — DynamoDB, SES,
 * Cognito, Amazon Location, Square (keys from Secrets Manager), Powertools' DynamoDB persistence for
 * idempotency — and the Lambda transport. Building them does no I/O (a client connects on its first
 * call), so every Lambda can build all of them and still touch only what its IAM role grants: the
 * Square secret, say, is read on the first payment call, once per container, and only the payment
 * functions may read it.
 *
 * @example
 * const config = resolveAwsConfig(process.env);
 * const marketplace = createMarketplace(createAwsDeps(config));
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LocationClient } from '@aws-sdk/client-location';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { z } from 'zod';
import { createDynamoDbIdempotencyStore } from '../adapters/idempotency/dynamodb-idempotency-store.js';
import { createAwsLocationGeocoder } from '../adapters/geocoder/aws-location/aws-location-geocoder.js';
import { createCognitoIdentity } from '../adapters/identity/cognito/cognito-identity.js';
import { createDynamoDbLoginTokens } from '../adapters/identity/cognito/dynamodb-login-tokens.js';
import { createSesMailer } from '../adapters/mailer/ses/ses-mailer.js';
import { createSquarePayments } from '../adapters/payments/square/square-payments.js';
import { createDynamoDbStore } from '../adapters/store/dynamodb/dynamodb-store.js';
import { createIdempotency } from '../framework/idempotency.js';
import type { Transport } from '../framework/transport.js';
import { DEFAULT_SETTINGS, type MarketplaceDeps } from '../leedz/deps.js';
import { ROUTES } from '../leedz/functions/routes.js';
import type { Payments } from '../leedz/ports.js';
import { createLambdaTransport } from '../transports/lambda-transport.js';
import type { AwsConfig } from './aws-config.js';
import type { FailureDestination } from './controller-handler.js';
import { withFunctionPrefix } from './prefixed-transport.js';

/** How long an email's idempotency record lives: longer than any redelivery (6 h maximum event age). */
const IDEMPOTENCY_EXPIRES_AFTER_SECONDS = 7 * 24 * 3600;

/** The marketplace's dependencies on AWS. */
export function createAwsDeps(config: AwsConfig): MarketplaceDeps {
  const region = config.region;
  const dynamoDb = new DynamoDBClient({ region });
  return {
    store: createDynamoDbStore({ client: dynamoDb, tableName: config.tableName }),
    mailer: createSesMailer({ client: new SESv2Client({ region }), from: config.mailFrom, maxSendRate: config.sesMaxSendRate }),
    geocoder: createAwsLocationGeocoder({ client: new LocationClient({ region }), placeIndexName: config.placeIndexName }),
    identity: createCognitoIdentity({
      client: new CognitoIdentityProviderClient({ region }),
      userPoolId: config.userPoolId,
      clientId: config.userPoolClientId,
      // The magic link's tokens live in the Leedz table (a conditional delete redeems each once).
      loginTokens: createDynamoDbLoginTokens({ client: dynamoDb, tableName: config.tableName }),
    }),
    payments: lazyPayments(async () => {
      const keys = await readSquareKeys(new SecretsManagerClient({ region }), config.squareSecretArn);
      return createSquarePayments({ ...keys, notificationUrl: squareNotificationUrl(config.publicUrl), environment: config.squareEnvironment });
    }),
    idempotency: createIdempotency({
      // Partition key `id`, TTL on `expiration` (the stack builds it so).
      store: createDynamoDbIdempotencyStore({ client: dynamoDb, tableName: config.idempotencyTableName }),
      scope: 'leedz',
      expiresAfterSeconds: IDEMPOTENCY_EXPIRES_AFTER_SECONDS,
    }),
    now: () => new Date(),
    settings: { ...DEFAULT_SETTINGS, publicUrl: config.publicUrl, adminEmail: config.adminEmail },
  };
}

/**
 * The Lambda transport, reaching a deployable by its physical name: the code says `emailHelper`,
 * the stack deploys `<prefix>emailHelper`.
 */
export function createAwsTransport(config: AwsConfig, client: LambdaClient = new LambdaClient({ region: config.region })): Transport {
  return withFunctionPrefix(createLambdaTransport({ client }), config.functionPrefix);
}

/** The Square keys kept in Secrets Manager, as a JSON object. */
export const squareSecretSchema = z.object({
  accessToken: z.string().min(1),
  locationId: z.string().min(1),
  webhookSignatureKey: z.string().min(1),
});

/** The URL Square posts the webhook to (and signs): the payment webhook's route under the public URL. */
export function squareNotificationUrl(publicUrl: string): string {
  const route = ROUTES.find((r) => r.function === 'paymentWebhook');
  if (route === undefined) throw new Error('ROUTES has no paymentWebhook route');
  return `${publicUrl}${route.path}`;
}

export type SquareKeys = z.output<typeof squareSecretSchema>;

/**
 * The Square secret holds no usable keys: the stack creates it holding `{}`, and payments cannot
 * work until the operator puts the keys in. The message names the secret and what to put there.
 */
export class SquareNotConfiguredError extends Error {
  override name = 'SquareNotConfiguredError';
}

/**
 * Read and validate the Square secret (a JSON string). Rejects with {@link SquareNotConfiguredError}
 * while the secret is empty, `{}` or missing keys. The message names the secret, never its value.
 */
export async function readSquareKeys(client: SecretsManagerClient, secretId: string): Promise<SquareKeys> {
  const notConfigured = (what: string) =>
    new SquareNotConfiguredError(
      `Square is not configured: secret ${secretId} ${what}. Put {"accessToken": …, "locationId": …, "webhookSignatureKey": …} in it ` +
        `(the stack's SquareKeysSecret output): aws secretsmanager put-secret-value --secret-id ${secretId} --secret-string file://square-keys.json`,
    );
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId })));
  } catch (error) {
    // A secret created without a value has no AWSCURRENT version to read.
    if ((error as Error).name === 'ResourceNotFoundException') throw notConfigured('has no value');
    throw error;
  }
  if (secretString === undefined || secretString.trim() === '') throw notConfigured('holds no keys yet');
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    throw notConfigured('is not JSON');
  }
  if (typeof json === 'object' && json !== null && Object.keys(json).length === 0) throw notConfigured('holds no keys yet');
  const parsed = squareSecretSchema.safeParse(json);
  if (!parsed.success) throw notConfigured(`has missing or empty ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  return parsed.data;
}

/**
 * Payments built on first use and kept for the container's life. A failed build (the secret not
 * readable yet) is not kept, so the next call tries again.
 */
export function lazyPayments(build: () => Promise<Payments>): Payments {
  let payments: Promise<Payments> | undefined;
  const get = () => {
    payments ??= build().catch((error: unknown) => {
      payments = undefined;
      throw error;
    });
    return payments;
  };
  return {
    createCheckout: async (request) => (await get()).createCheckout(request),
    verifyWebhook: async (headers, rawBody, url) => (await get()).verifyWebhook(headers, rawBody, url),
    refund: async (paymentId, amount) => (await get()).refund(paymentId, amount),
  };
}

/**
 * The on-failure destination a controller's entry delivers records to itself (non-retriable errors:
 * `src/lambda/controller-handler.ts`), as Lambda would: an SQS queue gets the record as the message
 * body, a function gets it as an Event.
 */
export function createFailureDestination(arn: string, clients: { sqs?: SQSClient; lambda?: LambdaClient } = {}): FailureDestination {
  // arn:<partition>:<service>:<region>:<account>:<resource>
  const [, partition, service, region, account, ...resource] = arn.split(':');
  if (service === 'sqs') {
    const sqs = clients.sqs ?? new SQSClient({ region });
    const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
    const queueUrl = `https://sqs.${region}.${domain}/${account}/${resource.join(':')}`;
    return {
      arn,
      async deliver(record) {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
      },
    };
  }
  if (service === 'lambda') {
    const lambda = clients.lambda ?? new LambdaClient({ region });
    return {
      arn,
      async deliver(record) {
        await lambda.send(new InvokeCommand({ FunctionName: arn, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(record)) }));
      },
    };
  }
  throw new Error(`on-failure destination ${arn}: only SQS queues and Lambda functions are supported`);
}
