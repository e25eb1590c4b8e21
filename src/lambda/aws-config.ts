/**
 * Configuration of the Lambda functions on AWS, resolved once per container at the edge: every
 * environment variable they read is named in {@link AWS_ENV} — the CDK stack sets the same names
 * from this object, so the two cannot disagree — and validated into an {@link AwsConfig}.
 *
 * @example
 * const config = resolveAwsConfig(process.env); // throws AwsConfigError naming each bad variable
 */
import { z } from 'zod';

export const AWS_ENV = {
  /** Which deployable this Lambda runs (`addLeed`, `emailHelper`, `outboxRelay`). */
  function: 'LEEDZ_FUNCTION',
  /** Physical names are `<prefix><name>` (`Leedz-emailHelper`), so two stacks can share a region. */
  functionPrefix: 'LEEDZ_FUNCTION_PREFIX',
  /** Set by Lambda itself. */
  region: 'AWS_REGION',
  tableName: 'LEEDZ_TABLE_NAME',
  idempotencyTableName: 'LEEDZ_IDEMPOTENCY_TABLE_NAME',
  mailFrom: 'LEEDZ_MAIL_FROM',
  /** SES sends per second for this account (the sandbox allows 1; a new production account 14). */
  sesMaxSendRate: 'LEEDZ_SES_MAX_SEND_RATE',
  /** A mail Lambda's share of that rate, per container (`infra/mail-rate.ts`); the account's rate when unset. */
  sesSendRate: 'LEEDZ_SES_SEND_RATE',
  /** The SES configuration set every email is sent with (its events report bounces and complaints). */
  sesConfigurationSet: 'LEEDZ_SES_CONFIGURATION_SET',
  /** Recipients per batch of a fan-out, sized for the bulk Lambda's pace and timeout (`infra/mail-rate.ts`). */
  fanOutBatchSize: 'LEEDZ_FAN_OUT_BATCH_SIZE',
  userPoolId: 'LEEDZ_USER_POOL_ID',
  userPoolClientId: 'LEEDZ_USER_POOL_CLIENT_ID',
  placeIndexName: 'LEEDZ_PLACE_INDEX_NAME',
  /** A Secrets Manager secret holding Square's keys as JSON; read on first use, once per container. */
  squareSecretArn: 'LEEDZ_SQUARE_SECRET_ARN',
  squareEnvironment: 'LEEDZ_SQUARE_ENVIRONMENT',
  publicUrl: 'LEEDZ_PUBLIC_URL',
  adminEmail: 'LEEDZ_ADMIN_EMAIL',
  /** A controller's on-failure destination (an SQS queue or a function ARN), for the records of non-retriable errors. */
  onFailureDestination: 'LEEDZ_ON_FAILURE_DESTINATION',
  /**
   * Behind CloudFront: the secret CloudFront adds to every request it sends the API, which makes its
   * word on the viewer's address believable (src/lambda/viewer-address.ts). Unset without a web site.
   */
  originVerify: 'LEEDZ_ORIGIN_VERIFY',
} as const;

export interface AwsConfig {
  function: string;
  functionPrefix: string;
  region: string;
  tableName: string;
  idempotencyTableName: string;
  mailFrom: string;
  sesMaxSendRate: number;
  sesSendRate?: number;
  sesConfigurationSet?: string;
  fanOutBatchSize?: number;
  userPoolId: string;
  userPoolClientId: string;
  placeIndexName: string;
  squareSecretArn: string;
  squareEnvironment: 'sandbox' | 'production';
  publicUrl: string;
  adminEmail: string;
  onFailureDestination?: string;
  originVerify?: string;
}

export class AwsConfigError extends Error {
  override name = 'AwsConfigError';
}

const name = z.string().min(1);

const schema = z.object({
  [AWS_ENV.function]: name,
  [AWS_ENV.functionPrefix]: z.string().regex(/^[A-Za-z0-9_-]*$/, 'must be letters, digits, "-" or "_"').default(''),
  [AWS_ENV.region]: name,
  [AWS_ENV.tableName]: name,
  [AWS_ENV.idempotencyTableName]: name,
  [AWS_ENV.mailFrom]: z.string().min(3),
  [AWS_ENV.sesMaxSendRate]: z.coerce.number().positive().max(10_000).default(1),
  [AWS_ENV.sesSendRate]: z.coerce.number().positive().max(10_000).optional(),
  [AWS_ENV.sesConfigurationSet]: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an SES configuration set name (letters, digits, "-", "_")').optional(),
  [AWS_ENV.fanOutBatchSize]: z.coerce.number().int().min(1).max(1000).optional(),
  [AWS_ENV.userPoolId]: name,
  [AWS_ENV.userPoolClientId]: name,
  [AWS_ENV.placeIndexName]: name,
  [AWS_ENV.squareSecretArn]: name,
  [AWS_ENV.squareEnvironment]: z.enum(['sandbox', 'production']).default('sandbox'),
  [AWS_ENV.publicUrl]: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')),
  [AWS_ENV.adminEmail]: z.email(),
  [AWS_ENV.onFailureDestination]: z.string().regex(/^arn:aws[a-zA-Z-]*:(sqs|lambda):/, 'must be the ARN of an SQS queue or a Lambda function').optional(),
  // Long enough not to be guessed; Secrets Manager generates 32 characters.
  [AWS_ENV.originVerify]: z.string().min(16, 'must be at least 16 characters').optional(),
});

/** Validate the environment into an AwsConfig; every missing or malformed variable is named at once. */
export function resolveAwsConfig(env: Record<string, string | undefined>): AwsConfig {
  const present = Object.fromEntries(Object.values(AWS_ENV).flatMap((key) => (env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]])));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new AwsConfigError(`invalid Lambda configuration: ${problems}`);
  }
  const v = parsed.data;
  return {
    function: v[AWS_ENV.function],
    functionPrefix: v[AWS_ENV.functionPrefix],
    region: v[AWS_ENV.region],
    tableName: v[AWS_ENV.tableName],
    idempotencyTableName: v[AWS_ENV.idempotencyTableName],
    mailFrom: v[AWS_ENV.mailFrom],
    sesMaxSendRate: v[AWS_ENV.sesMaxSendRate],
    ...(v[AWS_ENV.sesSendRate] === undefined ? {} : { sesSendRate: v[AWS_ENV.sesSendRate] }),
    ...(v[AWS_ENV.sesConfigurationSet] === undefined ? {} : { sesConfigurationSet: v[AWS_ENV.sesConfigurationSet] }),
    ...(v[AWS_ENV.fanOutBatchSize] === undefined ? {} : { fanOutBatchSize: v[AWS_ENV.fanOutBatchSize] }),
    userPoolId: v[AWS_ENV.userPoolId],
    userPoolClientId: v[AWS_ENV.userPoolClientId],
    placeIndexName: v[AWS_ENV.placeIndexName],
    squareSecretArn: v[AWS_ENV.squareSecretArn],
    squareEnvironment: v[AWS_ENV.squareEnvironment],
    publicUrl: v[AWS_ENV.publicUrl],
    adminEmail: v[AWS_ENV.adminEmail],
    ...(v[AWS_ENV.onFailureDestination] === undefined ? {} : { onFailureDestination: v[AWS_ENV.onFailureDestination] }),
    ...(v[AWS_ENV.originVerify] === undefined ? {} : { originVerify: v[AWS_ENV.originVerify] }),
  };
}
