/**
 * Payments on Lambda: Square, with its keys kept in Secrets Manager and read on the first payment
 * call, once per container (only the payment functions may read the secret).
 *
 * @example
 * export const handler = httpEntry((deps) => createBuyLeed(deps, controllersOf(deps)), { store: dynamoDbStore, payments: squarePayments });
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { createSquarePayments } from '../../adapters/payments/square/square-payments.js';
import { ROUTES } from '../../leedz/functions/routes.js';
import type { Payments } from '../../leedz/ports.js';
import type { AwsConfig } from '../aws-config.js';

/** Square, with its keys read from Secrets Manager on the first payment call. */
export function squarePayments(config: AwsConfig): Payments {
  return lazyPayments(async () => {
    const keys = await readSquareKeys(new SecretsManagerClient({ region: config.region }), config.squareSecretArn);
    return createSquarePayments({ ...keys, notificationUrl: squareNotificationUrl(config.publicUrl), environment: config.squareEnvironment });
  });
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

