/**
 * The Mailer over SMTP (`nodemailer`), used on one machine when `SMTP_URL` is set: any mail
 * provider's SMTP relay, or a local catcher such as Mailpit. Each email goes out as
 * multipart/alternative (text and HTML), so every mail client shows one of them.
 */
import { createHash } from 'node:crypto';
import nodemailer, { type NodemailerError } from 'nodemailer';
import type { Email, Mailer } from '../../../leedz/ports.js';

/** Where and as whom to send: resolved by the composition root from `SMTP_URL` and the sender setting. */
export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:port` (STARTTLS when the server offers it) or `smtps://…` (TLS from the start). */
  url: string;
  /** The sender, `noreply@example.com` or `The Leedz <noreply@example.com>`. */
  from: string;
}

/**
 * A failed SMTP delivery. Thrown for every failure, so the controller's invocation fails and is
 * retried by the runtime (these are ordinary, retriable errors); `permanent` records whether the
 * server rejected the email for good (a 5xx reply), for whoever reads the dead letter.
 *
 * @example
 * try { await smtp.send(email); } catch (e) { if (e instanceof SmtpSendError && e.permanent) log(`bounced: ${e.message}`); throw e; }
 */
export class SmtpSendError extends Error {
  /** Nodemailer's code: `ECONNECTION`, `ESOCKET`, `ETIMEDOUT`, `EDNS`, `EAUTH`, `EENVELOPE`, `EMESSAGE`, … */
  readonly code: string | undefined;
  readonly responseCode: number | undefined;
  readonly permanent: boolean;

  constructor(message: string, details: { code?: string | undefined; responseCode?: number | undefined; permanent?: boolean | undefined; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.name = 'SmtpSendError';
    this.code = details.code;
    this.responseCode = details.responseCode;
    this.permanent = details.permanent ?? false;
  }

  /** Errors cross the asynchronous boundary (invocation log, dead letters) as JSON. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, responseCode: this.responseCode, permanent: this.permanent, message: this.message };
  }
}

/** The Mailer port, plus `close` because the connections are pooled. */
export interface SmtpMailer extends Mailer {
  /** Close the pooled connections (at shutdown; idle ones close by themselves after 5 seconds). */
  close(): void;
}

const TRANSPORT_OPTIONS = {
  // A pool of up to 5 connections, reused across emails: a fan-out to hundreds of subscribers pays
  // the connection and TLS handshake once per connection, not once per email (10× faster on
  // loopback). Idle connections close soon, so a quiet server holds none open.
  pool: true,
  maxConnections: 5,
  idleTimeout: 5_000,
  // Nodemailer waits up to 2 minutes to connect and 10 minutes on a silent socket; a controller's
  // invocation has a timeout of its own, and a failure it sees early is one it can retry in time.
  connectionTimeout: 10_000,
  greetingTimeout: 10_000,
  socketTimeout: 30_000,
} as const;

/**
 * A Mailer that sends each email through the SMTP server of `url`, from `from`. Throws at creation
 * when `url` is not an smtp(s) URL or `from` has no address; `send` rejects with an
 * {@link SmtpSendError} whose message names the server (never its password) and what went wrong.
 *
 * The Message-ID is derived from the email's `key`, so a retried send after an ambiguous failure
 * carries the same Message-ID and mail systems that deduplicate on it show the email once.
 *
 * @example
 * const smtp = createSmtpMailer({ url: 'smtp://user:secret@smtp.example.com:587', from: 'The Leedz <noreply@example.com>' });
 * await smtp.send({ to: 'ada@example.com', subject: 'Sign in', html, text, kind: 'magic-link', key: 'login:abc' });
 * smtp.close(); // at shutdown
 */
export function createSmtpMailer({ url, from }: SmtpMailerOptions): SmtpMailer {
  const server = describeServer(url);
  const domain = /@([^@\s>]+)>?\s*$/.exec(from)?.[1];
  if (domain === undefined) throw new Error(`SMTP mailer: from "${from}" must be an email address, like "The Leedz <noreply@example.com>"`);
  const transport = nodemailer.createTransport({ url, ...TRANSPORT_OPTIONS });

  return {
    async send(email: Email) {
      try {
        const info = await transport.sendMail({
          from,
          to: email.to,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: `<${createHash('sha256').update(email.key).digest('hex').slice(0, 32)}@${domain}>`,
        });
        return { messageId: info.messageId };
      } catch (error) {
        throw toSmtpSendError(error, server, email.to);
      }
    },

    close() {
      transport.close();
    },
  };
}

/** `smtp://host:port` for messages: the URL without its credentials. */
function describeServer(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not echoed: a URL that does not parse may still hold a password.
    throw new Error('SMTP mailer: the url is not a URL (expected smtp://user:pass@host:port or smtps://…)');
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`SMTP mailer: the url must start with smtp:// or smtps://, not ${parsed.protocol}//`);
  }
  const port = parsed.port || (parsed.protocol === 'smtps:' ? '465' : '587');
  return `${parsed.protocol}//${parsed.hostname}:${port}`;
}

function toSmtpSendError(error: unknown, server: string, to: string): SmtpSendError {
  const e = (error ?? {}) as NodemailerError;
  const code = e.code;
  const reply = e.response ?? e.message ?? String(error);
  const details = { code, responseCode: e.responseCode, permanent: e.permanent, cause: error };
  switch (code) {
    case 'ECONNECTION':
    case 'ESOCKET':
      return new SmtpSendError(`could not reach the SMTP server at ${server} (${e.originalCode ?? code}); is it running?`, details);
    case 'EDNS':
      return new SmtpSendError(`could not resolve the host of the SMTP server at ${server} (${e.originalCode ?? code})`, details);
    case 'ETIMEDOUT':
      return new SmtpSendError(`the SMTP server at ${server} did not answer in time (${e.timeoutType ?? code})`, details);
    case 'EAUTH':
    case 'ENOAUTH':
      return new SmtpSendError(`the SMTP server at ${server} refused the credentials of its URL: ${reply}`, details);
    case 'EENVELOPE':
      return new SmtpSendError(`the SMTP server at ${server} refused the email to ${to}: ${reply}`, details);
    case 'EMESSAGE':
      return new SmtpSendError(`the SMTP server at ${server} refused the message to ${to}: ${reply}`, details);
    default:
      return new SmtpSendError(`sending the email to ${to} through the SMTP server at ${server} failed: ${reply}`, details);
  }
}

/**
 * One Mailer made of several, for the composition root: on one machine every email is stored in the
 * outbox (the dev endpoints show it) and, when `SMTP_URL` is set, also sent by SMTP.
 *
 * Sends each email with `primary`, then with each of `others` in order, and resolves with
 * `primary`'s message id. Sequential on purpose: with the outbox as `primary`, an email is recorded
 * before SMTP is tried, so a failed SMTP send can still be read in the outbox. Any failure rejects
 * the whole send; the controller's retry sends again, and the outbox (idempotent by `key`) keeps one
 * row.
 *
 * @example
 * const outbox = createOutboxMailer({ db });
 * const smtp = smtpUrl === undefined ? undefined : createSmtpMailer({ url: smtpUrl, from });
 * const mailer = smtp === undefined ? outbox : createTeeMailer(outbox, smtp); // and smtp?.close() at shutdown
 */
export function createTeeMailer(primary: Mailer, ...others: Mailer[]): Mailer {
  return {
    async send(email) {
      const result = await primary.send(email);
      for (const other of others) await other.send(email);
      return result;
    },
  };
}
