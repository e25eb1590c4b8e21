/**
 * A real SMTP server (`smtp-server`) on 127.0.0.1 and a free port, for the SMTP mailer's tests:
 * it keeps every message it accepts, raw, with its envelope.
 *
 * @example
 * const smtp = await startLoopbackSmtpServer();
 * const mailer = createSmtpMailer({ url: smtp.url, from: 'noreply@leedz.test' });
 * await mailer.send(email);
 * const [message] = smtp.messages; // { envelope: { from, to }, raw }
 * await smtp.close();
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerAuthentication } from 'smtp-server';

export interface ReceivedMessage {
  envelope: { from: string | undefined; to: string[] };
  /** The message as it came over the wire (headers and MIME body). */
  raw: Buffer;
  /** The user that signed in, when the client authenticated. */
  user: string | undefined;
}

export interface LoopbackSmtpServer {
  /** `smtp://127.0.0.1:<port>`, with `user:pass@` when credentials were required. */
  url: string;
  port: number;
  messages: ReceivedMessage[];
  close(): Promise<void>;
}

export interface LoopbackSmtpOptions {
  /** Refuse RCPT TO for this address with the given reply (e.g. 550 no such user). */
  rejectRecipient?: { address: string; responseCode: number; message: string };
  /** Require AUTH PLAIN/LOGIN with these credentials. */
  credentials?: { user: string; pass: string };
}

export async function startLoopbackSmtpServer(options: LoopbackSmtpOptions = {}): Promise<LoopbackSmtpServer> {
  const messages: ReceivedMessage[] = [];
  const { credentials, rejectRecipient } = options;
  const server = new SMTPServer({
    authOptional: credentials === undefined,
    // No certificate on loopback: without STARTTLS offered, nodemailer stays in plain text.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    logger: false,
    // A reverse DNS lookup of 127.0.0.1 can take a while in a sandbox and adds nothing here.
    disableReverseLookup: true,
    onAuth(auth: SMTPServerAuthentication, _session, callback) {
      if (credentials !== undefined && auth.username === credentials.user && auth.password === credentials.pass) {
        callback(null, { user: auth.username });
      } else {
        callback(Object.assign(new Error('invalid username or password'), { responseCode: 535 }));
      }
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      if (rejectRecipient !== undefined && address.address === rejectRecipient.address) {
        callback(Object.assign(new Error(rejectRecipient.message), { responseCode: rejectRecipient.responseCode }));
      } else {
        callback();
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        messages.push({
          envelope: { from: from === false ? undefined : from.address, to: session.envelope.rcptTo.map((r) => r.address) },
          raw: Buffer.concat(chunks),
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A client that vanishes mid-message (a killed server process) is an error of that session, not of the test.
  server.on('error', () => {});
  const { port } = server.server.address() as AddressInfo;
  const auth = credentials === undefined ? '' : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@`;
  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    port,
    messages,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
