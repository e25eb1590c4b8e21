/**
 * The Mailer on AWS: Amazon SES v2 (`SendEmail` with Simple content, text and HTML). SES enforces a
 * maximum sending rate per account and region but sends no rate-limit headers to pace by, so the
 * mailer paces itself with a token bucket set to that rate; a send that SES throttles anyway (another
 * process shares the account, or the daily quota is spent) becomes the framework's
 * {@link RetryAfterError}, so the controller's invocation is retried after a delay that fits the cause.
 *
 * A send that SES refuses for good — the role may not send to this recipient (in the sandbox SES
 * authorises the recipient's identity too), an address that is not verified, a rejected message, a
 * paused or suspended account — becomes a {@link NonRetriableError} whose `code` is SES's error name:
 * retrying would fail the same way, so the event fails once, with a record at the controller's
 * on-failure destination, instead of three times over three minutes.
 *
 * Quotas and the throttling error: https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html
 * The sandbox (only verified recipients): https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html
 */
import { SendEmailCommand, type SESv2Client, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import { NonRetriableError, RetryAfterError } from '../../../framework/errors.js';
import type { Email, Mailer } from '../../../leedz/ports.js';

/** What the SES mailer is built with, resolved by the composition root. */
export interface SesMailerOptions {
  /** A client for the region where the sending identity is verified. */
  client: SESv2Client;
  /** The sender: a verified identity, `noreply@example.com` or `The Leedz <noreply@example.com>`. */
  from: string;
  /**
   * The emails per second this mailer may send: the account's maximum send rate (SES console, or
   * `GetAccount`'s `SendQuota.MaxSendRate`) when it is the only sender, or its share of it when
   * several containers send at once (on AWS, the stack gives each Lambda container its share:
   * `infra/mail-rate.ts`). All sends of this mailer share one bucket of this rate.
   */
  maxSendRate: number;
  /** The configuration set whose event destination reports bounces and complaints (sent with every email). */
  configurationSetName?: string;
}

/**
 * A send that did not go through but may on a retry: a network failure, an SES outage (the SDK's own
 * retries are spent), credentials that could not be loaded. An ordinary error: the platform retries
 * the event. What retrying cannot fix is a {@link NonRetriableError} instead (see the module comment).
 *
 * @example
 * try { await ses.send(email); } catch (e) { if (e instanceof NonRetriableError) log(`SES refused it for good: ${e.code}`); throw e; }
 */
export class SesSendError extends Error {
  /** The SES (or SDK) error name: `InternalFailure`, `TimeoutError`, `CredentialsProviderError`, … */
  readonly code: string;

  constructor(message: string, details: { code: string; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.name = 'SesSendError';
    this.code = details.code;
  }

  /** Errors cross the asynchronous boundary (invocation log, dead letters) as JSON. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** SES's throttling error names: the v2 API's own, and the sending-quota one it shares with v1. */
const THROTTLING = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException']);

/**
 * Errors that sending the same email again cannot fix until someone changes the account, the
 * role's policy, the recipient's verification or the email
 * (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html#API_SendEmail_Errors).
 */
const PERMANENT = new Set([
  // The role may not send from this identity, or (in the sandbox) to this recipient's identity.
  'AccessDeniedException',
  'AccessDenied',
  // "Email address is not verified" (sender, or a recipient while in the sandbox), and other rejections.
  'MessageRejected',
  'MailFromDomainNotVerifiedException',
  'AccountSuspendedException',
  'SendingPausedException',
  'BadRequestException',
  'NotFoundException',
  'ValidationException',
]);

/** Client faults that are not about this email: the SDK retries them, and a later attempt may succeed. */
const TRANSIENT_CLIENT_FAULTS = new Set(['ConcurrentModificationException', 'ExpiredTokenException', 'RequestTimeoutException', 'RequestExpired']);

/**
 * SES asks for "an interval of up to 10 minutes" after its daily quota is spent (the page above);
 * the quota is a rolling 24 hours, so a send later in that window may go through.
 */
const DAILY_QUOTA_RETRY_MS = 10 * 60_000;
/** After a rate throttle, a second lets the account's per-second rate recover, whatever its size. */
const RATE_RETRY_MS = 1_000;

/**
 * A Mailer that sends through SES v2. Throws at creation when `from` has no address or
 * `maxSendRate` is not a positive number. `send` resolves with SES's message id; rejects with a
 * {@link RetryAfterError} when SES throttles, a {@link NonRetriableError} (code: SES's error name)
 * when SES refuses the email for good, and an {@link SesSendError} otherwise, each naming the
 * recipient and SES's reason.
 *
 * Pacing: a token bucket of `maxSendRate` tokens a second that holds at most one second's worth
 * (`max(1, floor(maxSendRate))`), shared by concurrent sends: a quiet mailer sends a burst at once,
 * a busy one settles to the rate. Each send reserves its token before waiting, so concurrent sends
 * are spaced fairly without a queue.
 *
 * The client's own retries (the SDK's standard mode retries throttling errors a few times) happen
 * inside one `send`, before the error reaches this mailer.
 *
 * @example
 * const ses = createSesMailer({ client: new SESv2Client({ region: 'us-east-1' }), from: 'The Leedz <noreply@theleedz.com>', maxSendRate: 14 });
 * await ses.send({ to: 'ada@example.com', subject: 'Sign in', html, text, kind: 'magic-link', key: 'login:abc' });
 */
export function createSesMailer(options: SesMailerOptions): Mailer {
  const { client, from, maxSendRate, configurationSetName } = options;
  if (!/@[^@\s>]+>?\s*$/.test(from)) throw new Error(`SES mailer: from "${from}" must be an email address, like "The Leedz <noreply@example.com>"`);
  const pacer = createPacer(maxSendRate);

  return {
    async send(email: Email) {
      const input: SendEmailCommandInput = {
        FromEmailAddress: from,
        Destination: { ToAddresses: [email.to] },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
            // The email's own header fields (a bulk email's one-click unsubscribe, RFC 8058): SES v2
            // adds them to the message it builds (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_Message.html).
            ...(email.headers === undefined ? {} : { Headers: Object.entries(email.headers).map(([Name, Value]) => ({ Name, Value })) }),
          },
        },
        // A tag per kind, so a configuration set's CloudWatch metrics split by receipts, magic links, …
        EmailTags: [{ Name: 'kind', Value: tagValue(email.kind) }],
        ...(configurationSetName === undefined ? {} : { ConfigurationSetName: configurationSetName }),
      };
      await pacer.take();
      let messageId: string | undefined;
      try {
        ({ MessageId: messageId } = await client.send(new SendEmailCommand(input)));
      } catch (error) {
        throw toSendError(error, email.to);
      }
      if (messageId === undefined || messageId === '') throw new SesSendError(`SES accepted the email to ${email.to} but returned no message id`, { code: 'NoMessageId' });
      return { messageId };
    },
  };
}

/** A token bucket (see {@link createSesMailer}); `take` resolves when the caller may send. */
function createPacer(ratePerSecond: number): { take(): Promise<void> } {
  if (!Number.isFinite(ratePerSecond) || ratePerSecond <= 0) throw new RangeError(`SES mailer: maxSendRate must be a positive number of emails per second, got ${ratePerSecond}`);
  const capacity = Math.max(1, Math.floor(ratePerSecond));
  const perMs = ratePerSecond / 1000;
  let tokens = capacity;
  let last = performance.now();
  return {
    async take() {
      const now = performance.now();
      tokens = Math.min(capacity, tokens + (now - last) * perMs);
      last = now;
      // Reserve first: the balance may go negative, and each later caller waits for its own token.
      tokens -= 1;
      if (tokens >= 0) return;
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(-tokens / perMs)));
    },
  };
}

function toSendError(error: unknown, to: string): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  if (THROTTLING.has(name) || status === 429) {
    const daily = /daily/i.test(message);
    return new RetryAfterError(
      `SES throttled the email to ${to} (${name}: ${message}); ${daily ? 'the daily sending quota is spent' : 'the sending rate was exceeded'}`,
      daily ? DAILY_QUOTA_RETRY_MS : RATE_RETRY_MS,
      error,
    );
  }
  if (isPermanent(error, name)) {
    return new NonRetriableError(`SES refused the email to ${to} for good: ${name}: ${message}${hintFor(name, message)}`, { code: name, cause: error });
  }
  return new SesSendError(`SES refused the email to ${to}: ${name}: ${message}${hintFor(name, message)}`, { code: name, cause: error });
}

/** Named as permanent, or any other client fault of the SES service (a 4xx that is not a throttle). */
function isPermanent(error: unknown, name: string): boolean {
  if (PERMANENT.has(name)) return true;
  const { $fault, $metadata } = (error ?? {}) as { $fault?: string; $metadata?: { httpStatusCode?: number } };
  const status = $metadata?.httpStatusCode;
  return $fault === 'client' && status !== undefined && status >= 400 && status < 500 && status !== 408 && !TRANSIENT_CLIENT_FAULTS.has(name);
}

/** What the operator can do about it, for the failure record and the log. */
function hintFor(name: string, message: string): string {
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return ' (while the account is in the SES sandbox, SES checks the sending role against the recipient\'s identity too: verify the recipient in SES, or request production access; otherwise the role needs ses:SendEmail on the sender\'s identity)';
  }
  if (name === 'MailFromDomainNotVerifiedException' || /not verified/i.test(message)) {
    return ' (verify the sender identity in SES, and the recipient too while the account is in the SES sandbox; request production access to send to anyone)';
  }
  if (name === 'CredentialsProviderError') return ' (no AWS credentials: set a role or AWS_PROFILE)';
  return '';
}

/** SES tag values allow ASCII letters, digits, `_` and `-` only (up to 256 characters). */
function tagValue(kind: string): string {
  const value = kind.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
  return value === '' ? 'email' : value;
}
