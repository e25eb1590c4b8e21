/**
 * The mailer on Lambda: SES v2, paced to this container's share of the account's rate (`sesSendRate`,
 * which the stack derives from `sesMaxSendRate` and the Lambda's reserved concurrency:
 * `infra/mail-rate.ts`), every email sent with the configuration set that reports bounces and
 * complaints.
 */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { createSesMailer } from '../../adapters/mailer/ses/ses-mailer.js';
import type { Mailer } from '../../leedz/ports.js';
import type { AwsConfig } from '../aws-config.js';

export function sesMailer(config: AwsConfig): Mailer {
  return createSesMailer({
    client: new SESv2Client({ region: config.region }),
    from: config.mailFrom,
    maxSendRate: config.sesSendRate ?? config.sesMaxSendRate,
    ...(config.sesConfigurationSet === undefined ? {} : { configurationSetName: config.sesConfigurationSet }),
  });
}
