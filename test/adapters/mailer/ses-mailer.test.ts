import { SESv2Client, SendEmailCommand, TooManyRequestsException, MessageRejected } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSesMailer, SesSendError } from '../../../src/adapters/mailer/ses/ses-mailer.js';
import { NonRetriableError, RetryAfterError } from '../../../src/framework/errors.js';
import { anEmail, describeMailerContract } from '../../contracts/mailer.js';
import { startSesLocal, type SesLocal, type SesLocalEmail } from '../../helpers/ses-local.js';

const FROM = 'The Leedz <noreply@leedz.test>';

let ses: SesLocal;
let client: SESv2Client;

beforeAll(async () => {
  ses = await startSesLocal();
  client = new SESv2Client(ses.clientConfig);
});

afterAll(async () => {
  client?.destroy();
  await ses?.stop();
});

describeMailerContract('SES (aws-ses-v2-local)', async () => {
  await ses.clear();
  return {
    mailer: createSesMailer({ client, from: FROM, maxSendRate: 100 }),
    delivered: async (to) =>
      (await ses.emails())
        .filter((e) => e.destination.to.includes(to))
        .map((e) => ({ to, subject: e.subject, text: e.body.text ?? '', html: e.body.html ?? '' })),
    teardown: async () => {},
  };
});

describe('SES mailer', () => {
  beforeEach(async () => {
    await ses.clear();
  });

  it('sends from the configured sender, as text and HTML, and resolves with the message id SES gave', async () => {
    const mailer = createSesMailer({ client, from: FROM, maxSendRate: 100 });
    const { messageId } = await mailer.send(anEmail({ to: 'bob@example.com', subject: 'Leed Sold!' }));
    const [stored, ...more] = await ses.emails();
    expect(more).toEqual([]);
    expect(stored).toMatchObject({ messageId, from: FROM, destination: { to: ['bob@example.com'], cc: [], bcc: [] }, subject: 'Leed Sold!' });
    expect(stored?.body.text).toBe(anEmail().text);
    expect(stored?.body.html).toBe(anEmail().html);
  });

  it("sends an email's own header fields (one-click unsubscribe) in SendEmail's Simple content, which SES puts in the message", async () => {
    const mailer = createSesMailer({ client, from: FROM, maxSendRate: 100, configurationSetName: 'Leedz-mail' });
    const headers = { 'List-Unsubscribe': '<https://leedz.test/api/unsubscribe?token=a.b.c>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
    await mailer.send(anEmail({ headers }));
    const [stored] = (await ses.emails()) as (SesLocalEmail & { headers?: { name: string; value: string }[] })[];
    expect(stored?.headers).toEqual([
      { name: 'List-Unsubscribe', value: headers['List-Unsubscribe'] },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ]);
  });

  it('paces itself: N concurrent sends take at least (N − burst) / rate seconds', async () => {
    const rate = 20;
    const burst = 20; // one second's worth
    const n = 40;
    const mailer = createSesMailer({ client, from: FROM, maxSendRate: rate });
    const started = performance.now();
    await Promise.all(Array.from({ length: n }, (_, i) => mailer.send(anEmail({ to: `v${i}@example.com`, key: `k${i}` }))));
    const seconds = (performance.now() - started) / 1000;
    expect(seconds).toBeGreaterThanOrEqual((n - burst) / rate - 0.02);
    expect(seconds).toBeLessThan(5);
    expect(await ses.emails()).toHaveLength(n);
  });

  it('a quiet mailer sends a burst at once, then settles to the rate', async () => {
    const mailer = createSesMailer({ client, from: FROM, maxSendRate: 10 });
    const times: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        await mailer.send(anEmail({ key: `k${i}` }));
        times.push(performance.now() - started);
      }),
    );
    times.sort((a, b) => a - b);
    // Ten go without waiting (paced from an empty bucket, the 10th would wait 900 ms); the 11th and
    // 12th wait about 100 and 200 ms.
    expect(times[9]).toBeLessThan(500);
    expect(times[11]).toBeGreaterThanOrEqual(190);
  });

  it('refuses a sender without an address and a rate that is not positive', () => {
    expect(() => createSesMailer({ client, from: 'The Leedz', maxSendRate: 1 })).toThrow(/must be an email address/);
    for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createSesMailer({ client, from: FROM, maxSendRate: rate })).toThrow(/maxSendRate must be a positive number/);
    }
  });

  describe('errors (SDK mocked)', () => {
    function mailerWith(error: Error) {
      const mocked = new SESv2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      mockClient(mocked).on(SendEmailCommand).rejects(error);
      return createSesMailer({ client: mocked, from: FROM, maxSendRate: 100 });
    }

    it('a rate throttle becomes a RetryAfterError with a short delay', async () => {
      const throttled = new TooManyRequestsException({ message: 'Too many requests', $metadata: { httpStatusCode: 429 } });
      const error = await mailerWith(throttled).send(anEmail()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryAfterError);
      expect((error as RetryAfterError).retryAfterMs).toBe(1_000);
      expect((error as RetryAfterError).message).toMatch(/SES throttled the email to ada@example.com .*sending rate/);
      expect((error as RetryAfterError).cause).toBe(throttled);
    });

    it('the daily quota, and the quota error names SES also uses, become a RetryAfterError of 10 minutes', async () => {
      const daily = Object.assign(new Error('Daily message quota exceeded.'), { name: 'ThrottlingException' });
      const error = await mailerWith(daily).send(anEmail()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RetryAfterError);
      expect((error as RetryAfterError).retryAfterMs).toBe(10 * 60_000);
      const limit = Object.assign(new Error('Maximum sending rate exceeded.'), { name: 'LimitExceededException' });
      expect(await mailerWith(limit).send(anEmail()).catch((e: unknown) => e)).toBeInstanceOf(RetryAfterError);
    });

    it('a refusal in the sandbox (the role checked against the recipient’s identity) is permanent: a NonRetriableError coded AccessDeniedException', async () => {
      const denied = Object.assign(
        new Error("User `arn:aws:sts::123456789012:assumed-role/Leedz-emailHelperRole/Leedz-emailHelper' is not authorized to perform `ses:SendEmail' on resource `arn:aws:ses:us-east-1:123456789012:identity/ada@example.com'"),
        { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 403 } },
      );
      const error = await mailerWith(denied).send(anEmail()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NonRetriableError);
      expect((error as NonRetriableError).code).toBe('AccessDeniedException');
      expect((error as NonRetriableError).retriable).toBe(false);
      expect((error as NonRetriableError).cause).toBe(denied);
      expect((error as NonRetriableError).message).toMatch(/^SES refused the email to ada@example.com for good: AccessDeniedException: .*identity\/ada@example.com.* \(while the account is in the SES sandbox, SES checks the sending role against the recipient's identity too: verify the recipient in SES, or request production access/);
    });

    it('an unverified address, a rejected message, a paused or suspended account and any other client fault are permanent too', async () => {
      const cases: [Error, RegExp][] = [
        [new MessageRejected({ message: 'Email address is not verified. The following identities failed the check in region US-EAST-1: ada@example.com', $metadata: { httpStatusCode: 400 } }), /verify the sender identity in SES, and the recipient too while the account is in the SES sandbox/],
        [Object.assign(new Error('Mail from domain not verified'), { name: 'MailFromDomainNotVerifiedException' }), /verify the sender identity/],
        [Object.assign(new Error('Account suspended'), { name: 'AccountSuspendedException' }), /AccountSuspendedException/],
        [Object.assign(new Error('Sending paused'), { name: 'SendingPausedException' }), /SendingPausedException/],
        [Object.assign(new Error('Invalid header'), { name: 'SomeFutureValidationError', $fault: 'client', $metadata: { httpStatusCode: 400 } }), /SomeFutureValidationError/],
      ];
      for (const [cause, message] of cases) {
        const error = await mailerWith(cause).send(anEmail()).catch((e: unknown) => e);
        expect(error, cause.name).toBeInstanceOf(NonRetriableError);
        expect((error as NonRetriableError).code).toBe(cause.name);
        expect((error as NonRetriableError).message).toMatch(message);
      }
    });

    it('what a retry may fix stays an ordinary error: a network failure, an outage, an expired token', async () => {
      const cases = [
        Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }),
        Object.assign(new Error('Internal failure'), { name: 'InternalServiceErrorException', $fault: 'server', $metadata: { httpStatusCode: 500 } }),
        Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
      ];
      for (const cause of cases) {
        const error = await mailerWith(cause).send(anEmail()).catch((e: unknown) => e);
        expect(error, cause.name).toBeInstanceOf(SesSendError);
        expect(error).not.toBeInstanceOf(NonRetriableError);
        expect((error as SesSendError).message).toMatch(new RegExp(`^SES refused the email to ada@example.com: ${cause.name}: `));
        expect((error as SesSendError).toJSON()).toMatchObject({ name: 'SesSendError', code: cause.name });
      }
    });

    it('sends the request SES expects: Simple content in UTF-8, the kind as a tag, the configuration set', async () => {
      const mocked = new SESv2Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      const mock = mockClient(mocked);
      mock.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
      const mailer = createSesMailer({ client: mocked, from: FROM, maxSendRate: 1, configurationSetName: 'leedz' });
      expect(await mailer.send(anEmail({ kind: 'magic link!' }))).toEqual({ messageId: 'm-1' });
      expect(mock.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
        FromEmailAddress: FROM,
        Destination: { ToAddresses: ['ada@example.com'] },
        Content: {
          Simple: {
            Subject: { Data: anEmail().subject, Charset: 'UTF-8' },
            Body: { Text: { Data: anEmail().text, Charset: 'UTF-8' }, Html: { Data: anEmail().html, Charset: 'UTF-8' } },
          },
        },
        EmailTags: [{ Name: 'kind', Value: 'magic_link_' }],
        ConfigurationSetName: 'leedz',
      });
    });
  });
});
