/**
 * The Mailer over SMTP, used on one machine when `SMTP_URL` is set: any mail provider's SMTP relay,
 * or a local catcher such as Mailpit. Each email goes out as multipart/alternative (text and HTML),
 * so every mail client shows one of them.
 *
 * Built for a fan-out: a message is encoded by nodemailer's MIME composer once per content (the
 * same subject, html and text — a batch of alerts rendered once) and kept for the next emails, which
 * change only the header fields of their own (`To`, `Message-ID`, `Date`, one-click unsubscribe);
 * the encoded messages go out through a pool of reused connections, pipelined (`smtp-client.ts`).
 */
import { createHash } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { NonRetriableError } from '../../../framework/errors.js';
import { RECIPIENT_REFUSED, type Email, type Mailer } from '../../../leedz/ports.js';
import { createSmtpClient, SmtpClientError } from './smtp-client.js';

/** Where and as whom to send: resolved by the composition root from `SMTP_URL` and the sender setting. */
export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:port` (STARTTLS when the server offers it) or `smtps://…` (TLS from the start). */
  url: string;
  /** The sender, `noreply@example.com` or `The Leedz <noreply@example.com>`. */
  from: string;
  /** Connections open at once (default 4). */
  maxConnections?: number;
}

/**
 * A failed SMTP delivery that a retry may fix: the server could not be reached, broke the connection,
 * answered 4xx (try later) or refused the credentials. An ordinary, retriable error, so the
 * controller's invocation is retried by the runtime. A refusal for good (5xx) is an
 * {@link SmtpRefusedError} instead.
 *
 * @example
 * try { await smtp.send(email); } catch (e) { if (e instanceof SmtpSendError) log(`will retry: ${e.message}`); throw e; }
 */
export class SmtpSendError extends Error {
  /** What failed: `ECONNECTION` (reach or keep the connection), `EAUTH` (credentials), `EENVELOPE` or `EMESSAGE` (a 4xx reply), `EREFUSED` (a 5xx that is not the address's). */
  readonly code: string | undefined;
  readonly responseCode: number | undefined;
  readonly permanent = false;

  constructor(message: string, details: { code?: string | undefined; responseCode?: number | undefined; cause?: unknown }) {
    super(message, { cause: details.cause });
    this.name = 'SmtpSendError';
    this.code = details.code;
    this.responseCode = details.responseCode;
  }

  /** Errors cross the asynchronous boundary (invocation log, dead letters) as JSON. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, responseCode: this.responseCode, permanent: this.permanent, message: this.message };
  }
}

/**
 * The server refused the recipient's address for good (a 5xx to `RCPT TO` whose enhanced code
 * blames the address: {@link addressRefused}): sending it again would fail the same way, so the event
 * is not retried, and the address is a hard bounce at send time ({@link RECIPIENT_REFUSED}).
 */
export class SmtpRefusedError extends NonRetriableError {
  readonly responseCode: number | undefined;
  readonly permanent = true;

  constructor(message: string, code: typeof RECIPIENT_REFUSED, responseCode: number | undefined, cause?: unknown) {
    super(message, { code, cause });
    this.responseCode = responseCode;
  }

  override details(): Record<string, unknown> {
    return { ...super.details(), responseCode: this.responseCode };
  }
}

/** The Mailer port, plus `close` because the connections are pooled. */
export interface SmtpMailer extends Mailer {
  /** Close the pooled connections (at shutdown; idle ones close by themselves after 5 seconds). */
  close(): void;
}

/** Encoded contents kept for the next emails: a fan-out's batches, several leedz at once. */
const TEMPLATES_KEPT = 32;

interface Template {
  subject: string;
  text: string;
  /** Every header field but the email's own, then the body: nodemailer's encoding. */
  rest: Promise<Buffer>;
}

/**
 * A Mailer that sends each email through the SMTP server of `url`, from `from`. Throws at creation
 * when `url` is not an smtp(s) URL or `from` has no address; `send` rejects with an
 * {@link SmtpSendError} (retriable) or an {@link SmtpRefusedError} (for good), whose message names the
 * server (never its password), the recipient and the server's reply.
 *
 * The Message-ID is derived from the email's `key`, so a retried send after an ambiguous failure
 * carries the same Message-ID and mail systems that deduplicate on it show the email once.
 *
 * @example
 * const smtp = createSmtpMailer({ url: 'smtp://user:secret@smtp.example.com:587', from: 'The Leedz <noreply@example.com>' });
 * await smtp.send({ to: 'ada@example.com', subject: 'Sign in', html, text, kind: 'magic-link', key: 'login:abc' });
 * smtp.close(); // at shutdown
 */
export function createSmtpMailer({ url, from, maxConnections = 8 }: SmtpMailerOptions): SmtpMailer {
  const server = describeServer(url);
  const sender = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(from)?.[1] ?? /^\s*([^<>\s]+@[^<>\s]+)\s*$/.exec(from)?.[1];
  const domain = sender?.split('@')[1];
  if (sender === undefined || domain === undefined) throw new Error(`SMTP mailer: from "${from}" must be an email address, like "The Leedz <noreply@example.com>"`);
  const client = createSmtpClient({ url, maxConnections, name: domain });
  const templates = new Map<string, Template>();

  /** The encoded content of `email`, made once and kept for the emails that share it. */
  function templateOf(email: Email): Promise<Buffer> {
    const kept = templates.get(email.html);
    if (kept !== undefined && kept.subject === email.subject && kept.text === email.text) return kept.rest;
    const rest = encodeContent(from, email);
    templates.delete(email.html);
    templates.set(email.html, { subject: email.subject, text: email.text, rest });
    if (templates.size > TEMPLATES_KEPT) templates.delete(templates.keys().next().value!);
    // A content that failed to encode is not kept.
    rest.catch(() => templates.delete(email.html));
    return rest;
  }

  return {
    async send(email: Email) {
      const messageId = `<${createHash('sha256').update(email.key).digest('hex').slice(0, 32)}@${domain}>`;
      const own = ownHeaders(email, messageId);
      const message = Buffer.concat([Buffer.from(own, 'utf8'), await templateOf(email)]);
      try {
        await client.send({ from: sender, to: email.to }, message);
      } catch (error) {
        throw toSendError(error, server, email.to);
      }
      return { messageId };
    },

    close() {
      client.close();
    },
  };
}

/** The header fields that are the email's own, each on its own line (a long one folded before its value). */
function ownHeaders(email: Email, messageId: string): string {
  if (!/^[^\s<>()",;:\\@]+@[^\s<>()",;:\\@]+$/.test(email.to)) throw new SmtpRefusedError(`the address "${email.to}" cannot be sent to`, RECIPIENT_REFUSED, undefined);
  const lines = [`Date: ${new Date().toUTCString().replace(/GMT/, '+0000')}`, `Message-ID: ${messageId}`, `To: ${email.to}`];
  for (const [name, value] of Object.entries(email.headers ?? {})) {
    if (!/^[!-9;-~]{1,126}$/.test(name)) throw new TypeError(`email header name "${name}" must be printable ASCII without a colon`);
    if (!/^[ -~]{0,995}$/.test(value)) throw new TypeError(`email header ${name} must be printable ASCII on one line`);
    lines.push(name.length + value.length + 2 > 78 ? `${name}:\r\n ${value}` : `${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The message nodemailer composes for this content, without the fields {@link ownHeaders} adds. */
async function encodeContent(from: string, email: Email): Promise<Buffer> {
  const raw = (await new MailComposer({ from, subject: email.subject, text: email.text, html: email.html }).compile().build()).toString('latin1');
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  // Header fields, each with its folded continuation lines.
  const fields = head.split(/\r\n(?![ \t])/);
  const kept = fields.filter((field) => !/^(message-id|date|to):/i.test(field));
  return Buffer.from(`${kept.join('\r\n')}${raw.slice(split)}`, 'latin1');
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

/**
 * Whether a permanent refusal at `RCPT TO` is the address's own fault, by its enhanced status code
 * (https://www.rfc-editor.org/rfc/rfc3463): X.1.x, the address (no such mailbox, no such domain, bad
 * syntax), or X.2.1, a mailbox disabled. Anything else — X.7.x (relaying denied, the sender not
 * allowed, authentication required), a full mailbox, a reply with no enhanced code — may be refused
 * to every recipient alike, and taking everyone off the mailing list for it would be wrong.
 */
function addressRefused(reply: string): boolean {
  const enhanced = /^(?:\d{3}[ -])?([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(reply.trim());
  if (enhanced === null) return false;
  const [, , subject, detail] = enhanced;
  return subject === '1' || (subject === '2' && detail === '1');
}

/**
 * A permanent refusal that is not the address's: of the sender, the relay, the message, or one the
 * server does not explain. An error of the server or its settings, retried as any failure to send, so
 * that it ends as a dead letter the operator sees and replays once the settings are right — nobody
 * is put on the suppression list for it, and no email is dropped.
 */
function refusedBySettings(server: string, what: string, reply: string, details: { responseCode: number | undefined; cause: unknown }): SmtpSendError {
  return new SmtpSendError(
    `the SMTP server at ${server} refused ${what} (${reply}), and not as an address that does not exist: check the server's settings (relaying, the sender, the credentials); the email is tried again`,
    { ...details, code: 'EREFUSED' },
  );
}

function toSendError(error: unknown, server: string, to: string): Error {
  if (error instanceof SmtpRefusedError) return error;
  if (!(error instanceof SmtpClientError)) return new SmtpSendError(`sending the email to ${to} through the SMTP server at ${server} failed: ${String(error)}`, { cause: error });
  const reply = error.message;
  const details = { responseCode: error.code, cause: error };
  switch (error.stage) {
    case 'connect':
    case 'greeting':
    case 'tls':
      // The client's own message names the host; the URL (with its port, never its password) is clearer.
      return new SmtpSendError(
        error.code === undefined && /could not reach/.test(reply) ? `could not reach the SMTP server at ${server} (${/\(([^)]+)\)/.exec(reply)?.[1] ?? 'no connection'}); is it running?` : `the SMTP server at ${server} failed: ${reply}`,
        { ...details, code: 'ECONNECTION' },
      );
    case 'auth':
      return new SmtpSendError(`the SMTP server at ${server} refused the credentials of its URL: ${reply}`, { ...details, code: 'EAUTH' });
    case 'rcpt':
      if (error.permanent && addressRefused(reply)) return new SmtpRefusedError(`the SMTP server at ${server} refused the email to ${to}: ${reply}`, RECIPIENT_REFUSED, error.code, error);
      if (error.permanent) return refusedBySettings(server, `the email to ${to}`, reply, details);
      return new SmtpSendError(`the SMTP server at ${server} refused the email to ${to} for now: ${reply}`, { ...details, code: 'EENVELOPE' });
    default:
      if (error.permanent) return refusedBySettings(server, `the message to ${to}`, reply, details);
      return new SmtpSendError(`the SMTP server at ${server} refused the message to ${to} for now: ${reply}`, { ...details, code: 'EMESSAGE' });
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
 * row. When `primary` records (the outbox), so does the tee — `record` is the primary's, and
 * `deliver` sends with the others — so a batch is recorded in one transaction and then sent.
 *
 * @example
 * const outbox = createOutboxMailer({ db });
 * const smtp = smtpUrl === undefined ? undefined : createSmtpMailer({ url: smtpUrl, from });
 * const mailer = smtp === undefined ? outbox : createTeeMailer(outbox, smtp); // and smtp?.close() at shutdown
 */
export function createTeeMailer(primary: Mailer, ...others: Mailer[]): Mailer {
  const tee: Mailer = {
    async send(email) {
      const result = await primary.send(email);
      for (const other of others) await other.send(email);
      return result;
    },
  };
  if (primary.record === undefined) return tee;
  const record = primary.record.bind(primary);
  const deliverPrimary = primary.deliver?.bind(primary);
  tee.record = (emails) => record(emails);
  if (deliverPrimary !== undefined || others.length > 0) {
    tee.deliver = async (email) => {
      let result = deliverPrimary === undefined ? undefined : await deliverPrimary(email);
      for (const other of others) result = await other.send(email);
      return result!;
    };
  }
  return tee;
}
