import type { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import type { Payments } from '../../src/leedz/ports.js';
import { AWS_ENV, AwsConfigError, resolveAwsConfig } from '../../src/lambda/aws-config.js';
import { createAwsTransport } from '../../src/lambda/aws-deps.js';
import { lambdaDeps } from '../../src/lambda/lambda-deps.js';
import { dynamoDbLoginTokens, dynamoDbStore } from '../../src/lambda/ports/dynamodb.js';
import { cognitoSessions } from '../../src/lambda/ports/sessions.js';
import { lazyPayments, readSquareKeys, SquareNotConfiguredError, squareNotificationUrl, squarePayments } from '../../src/lambda/ports/square.js';

const env = {
  [AWS_ENV.function]: 'addLeed',
  [AWS_ENV.functionPrefix]: 'Leedz-',
  [AWS_ENV.region]: 'us-east-1',
  [AWS_ENV.tableName]: 'Leedz-Table',
  [AWS_ENV.idempotencyTableName]: 'Leedz-Idempotency',
  [AWS_ENV.mailFrom]: 'no-reply@example.com',
  [AWS_ENV.sesMaxSendRate]: '14',
  [AWS_ENV.userPoolId]: 'us-east-1_Ab12Cd34E',
  [AWS_ENV.userPoolClientId]: '1example23456789',
  [AWS_ENV.placeIndexName]: 'Leedz-places',
  [AWS_ENV.squareSecretArn]: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:SquareKeys-AbCdEf',
  [AWS_ENV.squareEnvironment]: 'production',
  [AWS_ENV.publicUrl]: 'https://leedz.example.com/',
  [AWS_ENV.adminEmail]: 'admin@example.com',
};

/** A Secrets Manager client that answers GetSecretValue with `secret` and counts the calls. */
function secretsClient(secret: string | (() => Promise<never>)) {
  const client = {
    calls: 0,
    async send() {
      client.calls += 1;
      return typeof secret === 'string' ? { SecretString: secret } : secret();
    },
  };
  return client;
}

describe('the Lambda configuration', () => {
  it('resolves every variable once into typed settings', () => {
    expect(resolveAwsConfig(env)).toEqual({
      function: 'addLeed',
      functionPrefix: 'Leedz-',
      region: 'us-east-1',
      tableName: 'Leedz-Table',
      idempotencyTableName: 'Leedz-Idempotency',
      mailFrom: 'no-reply@example.com',
      sesMaxSendRate: 14,
      userPoolId: 'us-east-1_Ab12Cd34E',
      userPoolClientId: '1example23456789',
      placeIndexName: 'Leedz-places',
      squareSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:SquareKeys-AbCdEf',
      squareEnvironment: 'production',
      publicUrl: 'https://leedz.example.com',
      adminEmail: 'admin@example.com',
    });
  });

  it('names every missing or malformed variable at once', () => {
    const { [AWS_ENV.tableName]: _table, [AWS_ENV.userPoolId]: _pool, ...rest } = env;
    const resolve = () => resolveAwsConfig({ ...rest, [AWS_ENV.sesMaxSendRate]: 'fast', [AWS_ENV.squareEnvironment]: '' });
    expect(resolve).toThrow(AwsConfigError);
    expect(resolve).toThrow(/LEEDZ_TABLE_NAME: .*LEEDZ_SES_MAX_SEND_RATE: .*LEEDZ_USER_POOL_ID: /);
  });

  it('builds the ports a Lambda names without any I/O (no secret is read until a payment needs it); the others are absent and say so', async () => {
    const config = resolveAwsConfig(env);
    const deps = lambdaDeps(config, { store: dynamoDbStore, payments: squarePayments, identity: [cognitoSessions, dynamoDbLoginTokens] });
    expect(Object.keys(deps).sort()).toEqual(['geocoder', 'idempotency', 'identity', 'mailer', 'now', 'payments', 'settings', 'store']);
    expect(deps.settings).toMatchObject({ publicUrl: 'https://leedz.example.com', adminEmail: 'admin@example.com' });
    expect(typeof deps.store.getTrade).toBe('function');
    // The identity is built in halves: session checks and the magic link's tokens are here, Cognito's admin API is not.
    expect(typeof deps.identity.verifySession).toBe('function');
    expect(typeof deps.identity.issueLoginToken).toBe('function');
    expect(() => deps.identity.issueSession({ email: 'pat@example.com' })).toThrow(/^addLeed has no identity\.issueSession on AWS: its Lambda is built without it\. Add the port to its entry \(src\/lambda\/entries\/\)/);
    expect(() => deps.mailer.send({} as never)).toThrow(/^addLeed has no mailer on AWS/);
    expect(() => deps.geocoder.geocode('1 Main St')).toThrow(/^addLeed has no geocoder on AWS/);
    // Absent ports are not thenables (an `await` of one does not call anything).
    expect(await Promise.resolve(deps.mailer)).toBe(deps.mailer);
  });

  it('invokes a controller by its physical name through Lambda’s Invoke API', async () => {
    const sent: InvokeCommand['input'][] = [];
    const client = {
      async send(command: InvokeCommand) {
        sent.push(command.input);
        return { StatusCode: 202, $metadata: { requestId: 'aws-req-1' } };
      },
    };
    const transport = createAwsTransport(resolveAwsConfig(env), client as unknown as LambdaClient);
    const result = await transport.invoke('emailHelper', { function: 'magicLink', email: 'pat@example.com' }, 'Event');
    expect(result).toEqual({ statusCode: 202, requestId: 'aws-req-1' });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ FunctionName: 'Leedz-emailHelper', InvocationType: 'Event' });
    expect(JSON.parse(new TextDecoder().decode(sent[0]!.Payload as Uint8Array))).toEqual({ function: 'magicLink', email: 'pat@example.com' });
  });

  it("sends emailHelper's bulk routes to the Lambda of their lane, and everything else to the controller's own", async () => {
    const sent: string[] = [];
    const client = {
      async send(command: InvokeCommand) {
        sent.push(`${command.input.FunctionName} ${JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array)).function}`);
        return { StatusCode: 202, $metadata: { requestId: 'aws-req-1' } };
      },
    };
    const transport = createAwsTransport(resolveAwsConfig(env), client as unknown as LambdaClient);
    for (const route of ['notifyUsers', 'notifyBatch', 'leedNews', 'leedNewsBatch', 'magicLink', 'mailFeedback']) await transport.invoke('emailHelper', { function: route }, 'Event');
    await transport.invoke('bookkeeping', { function: 'notifyBatch' }, 'Event');
    expect(sent).toEqual([
      'Leedz-emailHelper notifyUsers',
      'Leedz-emailHelperBulk notifyBatch',
      'Leedz-emailHelper leedNews',
      'Leedz-emailHelperBulk leedNewsBatch',
      'Leedz-emailHelper magicLink',
      'Leedz-emailHelper mailFeedback',
      'Leedz-bookkeeping notifyBatch',
    ]);
  });

  it("reads a mail Lambda's share of SES's rate, its configuration set and the fan-out's batch size, and builds the mailer and the settings with them", () => {
    const mail = { ...env, [AWS_ENV.function]: 'emailHelper', [AWS_ENV.sesSendRate]: '1.75', [AWS_ENV.sesConfigurationSet]: 'Leedz-mail', [AWS_ENV.fanOutBatchSize]: '1000' };
    const config = resolveAwsConfig(mail);
    expect(config).toMatchObject({ sesMaxSendRate: 14, sesSendRate: 1.75, sesConfigurationSet: 'Leedz-mail', fanOutBatchSize: 1000 });
    expect(lambdaDeps(config, {}).settings.fanOutBatchSize).toBe(1000);
    expect(lambdaDeps(resolveAwsConfig(env), {}).settings.fanOutBatchSize).toBe(100);
    expect(() => resolveAwsConfig({ ...mail, [AWS_ENV.fanOutBatchSize]: '5000', [AWS_ENV.sesConfigurationSet]: 'no spaces allowed' })).toThrow(/LEEDZ_SES_CONFIGURATION_SET: .*LEEDZ_FAN_OUT_BATCH_SIZE: /);
  });

  it('tells Square the webhook route under the public URL', () => {
    expect(squareNotificationUrl('https://leedz.example.com')).toBe('https://leedz.example.com/api/payments/webhook');
  });
});

describe('the Square keys from Secrets Manager', () => {
  it('reads the JSON secret', async () => {
    const client = secretsClient(JSON.stringify({ accessToken: 'EAAA-token', locationId: 'L1', webhookSignatureKey: 'sig-key' }));
    expect(await readSquareKeys(client as unknown as SecretsManagerClient, 'SquareKeys')).toEqual({ accessToken: 'EAAA-token', locationId: 'L1', webhookSignatureKey: 'sig-key' });
  });

  it('names the missing keys, never the secret’s value', async () => {
    const client = secretsClient(JSON.stringify({ accessToken: 'EAAA-very-secret' }));
    const read = readSquareKeys(client as unknown as SecretsManagerClient, 'SquareKeys');
    await expect(read).rejects.toThrow('secret SquareKeys has missing or empty locationId, webhookSignatureKey');
    await expect(read).rejects.not.toThrow(/very-secret/);
    await expect(readSquareKeys(secretsClient('not json') as unknown as SecretsManagerClient, 'SquareKeys')).rejects.toThrow(/is not JSON/);
  });

  it('says "Square is not configured", naming the secret and what to put in it, while the secret is as the stack created it', async () => {
    const noVersion = secretsClient(() => Promise.reject(Object.assign(new Error("Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"), { name: 'ResourceNotFoundException' })));
    for (const client of [secretsClient('{}'), secretsClient(''), secretsClient('{ }'), noVersion]) {
      const read = readSquareKeys(client as unknown as SecretsManagerClient, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:SquareKeys-AbCdEf');
      await expect(read).rejects.toBeInstanceOf(SquareNotConfiguredError);
      await expect(read).rejects.toThrow(
        /^Square is not configured: secret arn:aws:secretsmanager:us-east-1:123456789012:secret:SquareKeys-AbCdEf (holds no keys yet|has no value)\. Put \{"accessToken": …, "locationId": …, "webhookSignatureKey": …\} in it/,
      );
    }
    // Any other failure is the SDK's own (a missing grant, an outage): not a configuration problem.
    const denied = secretsClient(() => Promise.reject(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' })));
    await expect(readSquareKeys(denied as unknown as SecretsManagerClient, 'SquareKeys')).rejects.toThrow(/^not authorized$/);
  });
});

describe('payments built on first use', () => {
  const fakePayments = (): Payments => ({
    createCheckout: async (request) => ({ checkoutUrl: `https://square.example/pay/${request.leedId}` }),
    verifyWebhook: async () => undefined,
    refund: async () => {},
  });

  it('builds once per container, on the first call', async () => {
    let builds = 0;
    const payments = lazyPayments(async () => {
      builds += 1;
      return fakePayments();
    });
    expect(builds).toBe(0);
    const request = { leedId: 'l_1', trade: 'dj', title: 't', buyer: 'b', seller: 's', amount: 100, fee: 9, returnUrl: 'https://x' };
    await Promise.all([payments.createCheckout(request), payments.createCheckout(request), payments.refund('p', 1)]);
    expect(builds).toBe(1);
  });

  it('tries again after a failed build (the secret was not readable yet)', async () => {
    let builds = 0;
    const payments = lazyPayments(async () => {
      builds += 1;
      if (builds === 1) throw Object.assign(new Error('User is not authorized to perform: secretsmanager:GetSecretValue'), { name: 'AccessDeniedException' });
      return fakePayments();
    });
    await expect(payments.verifyWebhook({}, '', '')).rejects.toThrow(/not authorized/);
    expect(await payments.verifyWebhook({}, '', '')).toBeUndefined();
    expect(builds).toBe(2);
  });
});
