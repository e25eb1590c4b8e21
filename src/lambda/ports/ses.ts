/** The mailer on Lambda: SES v2, paced to the account's rate (`sesMaxSendRate`). */
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { createSesMailer } from '../../adapters/mailer/ses/ses-mailer.js';
import type { Mailer } from '../../leedz/ports.js';
import type { AwsConfig } from '../aws-config.js';

export function sesMailer(config: AwsConfig): Mailer {
  return createSesMailer({ client: new SESv2Client({ region: config.region }), from: config.mailFrom, maxSendRate: config.sesMaxSendRate });
}
