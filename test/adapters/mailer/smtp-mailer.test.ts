import type { AddressInfo, Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutboxMailer } from '../../../src/adapters/mailer/outbox/outbox-mailer.js';
import { SMTPServer } from 'smtp-server';
import { createSmtpMailer, createTeeMailer, SmtpRefusedError, SmtpSendError } from '../../../src/adapters/mailer/smtp/smtp-mailer.js';
import { NonRetriableError } from '../../../src/framework/errors.js';
import { RECIPIENT_REFUSED, type Mailer } from '../../../src/leedz/ports.js';
import { anEmail, describeMailerContract, type DeliveredEmail } from '../../contracts/mailer.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { freePort } from '../../../src/server/emulators.js';
import { startLoopbackSmtpServer, type LoopbackSmtpServer, type ReceivedMessage } from '../../helpers/loopback-smtp-server.js';

const FROM = 'The Leedz <noreply@leedz.test>';

async function deliveredTo(server: LoopbackSmtpServer, to: string): Promise<DeliveredEmail[]> {
  const parsed = await Promise.all(server.messages.filter((m) => m.envelope.to.includes(to)).map((m) => simpleParser(m.raw)));
  return parsed.map((mail) => ({ to: addresses(mail.to).join(', '), subject: mail.subject ?? '', text: mail.text ?? '', html: typeof mail.html === 'string' ? mail.html : '' }));
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((o) => o.value.map((a) => a.address ?? ''));
}

describeMailerContract('smtp', async () => {
  const server = await startLoopbackSmtpServer();
  const smtp = createSmtpMailer({ url: server.url, from: FROM });
  return {
    mailer: smtp,
    delivered: (to) => deliveredTo(server, to),
    teardown: async () => {
      smtp.close();
      await server.close();
    },
  };
});

describeMailerContract('outbox teed with smtp', async () => {
  const server = await startLoopbackSmtpServer();
  const dir = tempDir('leedz-tee-');
  const db = new Database(join(dir.path, 'leedz.db'));
  const outbox = createOutboxMailer({ db });
  const smtp = createSmtpMailer({ url: server.url, from: FROM });
  return {
    mailer: createTeeMailer(outbox, smtp),
    delivered: async (to) => {
      // Both must have it: the outbox row and the message on the wire.
      const sent = await deliveredTo(server, to);
      expect(outbox.listEmails({ to }).map((e) => e.subject).sort()).toEqual(sent.map((e) => e.subject).sort());
      return sent;
    },
    teardown: async () => {
      smtp.close();
      await server.close();
      db.close();
      dir.cleanup();
    },
  };
});

describe('SMTP mailer', () => {
  const cleanups: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function server(options?: Parameters<typeof startLoopbackSmtpServer>[0]): Promise<LoopbackSmtpServer> {
    const started = await startLoopbackSmtpServer(options);
    cleanups.push(() => started.close());
    return started;
  }

  /** A server of the test's own making on a free loopback port, closed after the test; its port. */
  async function listenOnLoopback(smtp: SMTPServer): Promise<number> {
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
    return (smtp.server.address() as AddressInfo).port;
  }

  function mailer(url: string) {
    const smtp = createSmtpMailer({ url, from: FROM });
    cleanups.push(() => smtp.close());
    return smtp;
  }

  async function only(received: ReceivedMessage[]): Promise<ParsedMail> {
    expect(received).toHaveLength(1);
    return simpleParser(received[0]?.raw ?? Buffer.alloc(0));
  }

  async function rejection(promise: Promise<unknown>): Promise<SmtpSendError> {
    const error = await promise.then(
      () => expect.unreachable('the send should have failed'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmtpSendError);
    return error as SmtpSendError;
  }

  it('sends valid MIME: multipart/alternative with a text and an HTML part, subject, to and from', async () => {
    const smtp = await server();
    const email = anEmail();
    const { messageId } = await mailer(smtp.url).send(email);

    expect(smtp.messages[0]?.envelope).toEqual({ from: 'noreply@leedz.test', to: ['ada@example.com'] });
    const mail = await only(smtp.messages);
    expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(mail.subject).toBe(email.subject);
    expect(addresses(mail.to)).toEqual(['ada@example.com']);
    expect(addresses(mail.from)).toEqual(['noreply@leedz.test']);
    expect(mail.from?.value[0]?.name).toBe('The Leedz');
    expect(mail.text?.trim()).toBe(email.text);
    expect(mail.html).toBe(email.html);
    expect(mail.messageId).toBe(messageId);
  });

  it('derives the Message-ID from the key, so a resent email carries the same one', async () => {
    const smtp = await server();
    const smtpMailer = mailer(smtp.url);
    const first = await smtpMailer.send(anEmail({ key: 'leed-1:ada:receipt' }));
    const again = await smtpMailer.send(anEmail({ key: 'leed-1:ada:receipt' }));
    const other = await smtpMailer.send(anEmail({ key: 'leed-2:ada:receipt' }));
    expect(again.messageId).toBe(first.messageId);
    expect(other.messageId).not.toBe(first.messageId);
    expect(first.messageId).toMatch(/^<[0-9a-f]{32}@leedz\.test>$/);
  });

  it('fifty emails sent at once all arrive, over the pooled connections', async () => {
    const smtp = await server();
    const smtpMailer = mailer(smtp.url);
    const recipients = Array.from({ length: 50 }, (_, i) => `vendor${i}@example.com`);
    await Promise.all(recipients.map((to) => smtpMailer.send(anEmail({ to, key: `leed-1:${to}:new-leed` }))));
    expect(smtp.messages.flatMap((m) => m.envelope.to).sort()).toEqual([...recipients].sort());
  });

  it('signs in with the credentials of the URL', async () => {
    const smtp = await server({ credentials: { user: 'leedz', pass: 'p@ss:word' } });
    await mailer(smtp.url).send(anEmail());
    expect(smtp.messages[0]?.user).toBe('leedz');
  });

  it('a recipient refused for good (5xx, 5.1.1: no such mailbox) rejects with a non-retriable error naming the server, the recipient and the reply; the next email still goes', async () => {
    const smtp = await server({ rejectRecipient: { address: 'gone@example.com', responseCode: 550, message: '5.1.1 no such user here' } });
    const smtpMailer = mailer(smtp.url);
    const error = await smtpMailer.send(anEmail({ to: 'gone@example.com' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmtpRefusedError);
    expect(error).toBeInstanceOf(NonRetriableError);
    expect((error as Error).message).toContain(`the SMTP server at smtp://127.0.0.1:${smtp.port} refused the email to gone@example.com`);
    expect((error as Error).message).toContain('no such user here');
    expect(error).toMatchObject({ code: RECIPIENT_REFUSED, responseCode: 550, permanent: true });
    expect(smtp.messages).toEqual([]);
    // The transaction was reset on the same connection: the next email is not affected.
    await smtpMailer.send(anEmail({ to: 'ada@example.com' }));
    expect(smtp.messages.map((m) => m.envelope.to)).toEqual([['ada@example.com']]);
  });

  it('a 5xx to RCPT TO that is not the address’s (5.7.1 relaying denied, or no enhanced code) is the server’s settings: retried, never a bounce', async () => {
    for (const message of ['5.7.1 Relaying denied', 'Relaying denied', '5.2.2 mailbox full']) {
      const smtp = await server({ rejectRecipient: { address: 'kim@example.com', responseCode: 550, message } });
      const error = await rejection(mailer(smtp.url).send(anEmail({ to: 'kim@example.com' })));
      expect(error).not.toBeInstanceOf(NonRetriableError);
      expect(error).toMatchObject({ code: 'EREFUSED', responseCode: 550, permanent: false });
      expect(error.message).toContain(`the SMTP server at smtp://127.0.0.1:${smtp.port} refused the email to kim@example.com (550 ${message})`);
      expect(error.message).toContain('check the server');
    }
  });

  it('a recipient refused for now (4xx) is an ordinary error: the event is retried', async () => {
    const smtp = await server({ rejectRecipient: { address: 'busy@example.com', responseCode: 450, message: 'mailbox busy, try later' } });
    const error = await rejection(mailer(smtp.url).send(anEmail({ to: 'busy@example.com' })));
    expect(error).toMatchObject({ code: 'EENVELOPE', responseCode: 450, permanent: false });
    expect(error.message).toContain('mailbox busy, try later');
  });

  it("sends an email's own header fields (one-click unsubscribe), a long one folded and read back whole", async () => {
    const smtp = await server();
    const unsubscribe = `<https://leedz.example.org/api/unsubscribe?token=${'a'.repeat(40)}.${'b'.repeat(20)}.${'c'.repeat(22)}>`;
    await mailer(smtp.url).send(anEmail({ headers: { 'List-Unsubscribe': unsubscribe, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }));
    const mail = await only(smtp.messages);
    expect(mail.headers.get('list')).toMatchObject({ 'unsubscribe-post': { name: 'List-Unsubscribe=One-Click' } });
    // mailparser reads List-Unsubscribe as a list header; the raw line, unfolded, is the value as given.
    const raw = smtp.messages[0]!.raw.toString('utf8').split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
    expect(raw).toMatch(new RegExp(`^List-Unsubscribe: ${unsubscribe.replace(/[.?]/g, '\\$&')}$`, 'm'));
    expect(raw.split('\r\n').every((line) => line.length <= 998)).toBe(true);
  });

  it('refuses a header that could break the message, naming it, and sends nothing', async () => {
    const smtp = await server();
    await expect(mailer(smtp.url).send(anEmail({ headers: { 'List-Unsubscribe': '<x>\r\nBcc: victim@example.com' } }))).rejects.toThrow(/header List-Unsubscribe must be printable ASCII on one line/);
    expect(smtp.messages).toEqual([]);
  });

  it('encodes a content once for every email that shares it: one MIME boundary, each email its own To, Message-ID and headers', async () => {
    const smtp = await server();
    const smtpMailer = mailer(smtp.url);
    const shared = anEmail();
    const recipients = Array.from({ length: 20 }, (_, i) => `vendor${i}@example.com`);
    await Promise.all(recipients.map((to) => smtpMailer.send({ ...shared, to, key: `l_1:${to}:new-leed`, headers: { 'List-Unsubscribe': `<https://leedz.test/u?token=${to.split('@')[0]}>` } })));
    await smtpMailer.send(anEmail({ to: 'other@example.com', key: 'other', html: '<p>another content</p>' }));

    const parsed = await Promise.all(smtp.messages.map(async (m) => ({ envelope: m.envelope, mail: await simpleParser(m.raw), raw: m.raw.toString('utf8') })));
    const boundary = (raw: string) => /boundary="?([^";\r\n]+)/.exec(raw)?.[1];
    const alerts = parsed.filter((p) => p.envelope.to[0] !== 'other@example.com');
    expect(new Set(alerts.map((p) => boundary(p.raw))).size).toBe(1);
    expect(boundary(parsed.find((p) => p.envelope.to[0] === 'other@example.com')!.raw)).not.toBe(boundary(alerts[0]!.raw));
    for (const { envelope, mail } of alerts) {
      expect(addresses(mail.to)).toEqual(envelope.to);
      expect(mail.html).toBe(shared.html);
      expect(mail.headers.get('list')).toMatchObject({ unsubscribe: { url: `https://leedz.test/u?token=${envelope.to[0]!.split('@')[0]}` } });
    }
    expect(new Set(alerts.map((p) => p.mail.messageId)).size).toBe(20);
  });

  it('a line of the body that starts with a dot arrives whole (dot-stuffing)', async () => {
    const smtp = await server();
    const text = '.a line that starts with a dot\n..and two\n.';
    await mailer(smtp.url).send(anEmail({ text, html: '<p>x</p>\n.<p>y</p>' }));
    const mail = await only(smtp.messages);
    expect(mail.text?.trim()).toBe(text);
    expect(mail.html).toBe('<p>x</p>\n.<p>y</p>');
  });

  it('sends to a server that does not offer PIPELINING, one command at a time', async () => {
    const received: string[] = [];
    const plain = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      hidePIPELINING: true,
      logger: false,
      disableReverseLookup: true,
      onData(stream, session, callback) {
        stream.on('data', () => {});
        stream.on('end', () => {
          received.push(session.envelope.rcptTo[0]?.address ?? '');
          callback();
        });
      },
    });
    const port = await listenOnLoopback(plain);
    const smtpMailer = mailer(`smtp://127.0.0.1:${port}`);
    await Promise.all(['a', 'b', 'c'].map((name) => smtpMailer.send(anEmail({ to: `${name}@example.com`, key: name }))));
    expect(received.sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
  });

  it('upgrades to TLS when the server offers STARTTLS, checking its certificate (a self-signed one only with tls.rejectUnauthorized=false)', async () => {
    const secured: boolean[] = [];
    // smtp-server offers STARTTLS with a self-signed certificate of its own.
    const tls = new SMTPServer({
      authOptional: true,
      logger: false,
      disableReverseLookup: true,
      onData(stream, session, callback) {
        stream.on('data', () => {});
        stream.on('end', () => {
          secured.push(session.secure);
          callback();
        });
      },
    });
    tls.on('error', () => {});
    const port = await listenOnLoopback(tls);

    const refused = await rejection(mailer(`smtp://127.0.0.1:${port}`).send(anEmail()));
    expect(refused).toMatchObject({ code: 'ECONNECTION' });
    expect(refused.message).toMatch(/STARTTLS with 127\.0\.0\.1 failed: .*certificate/i);
    expect(secured).toEqual([]);

    await mailer(`smtp://127.0.0.1:${port}?tls.rejectUnauthorized=false`).send(anEmail());
    expect(secured).toEqual([true]);
  });

  it('a connection the server drops is an ordinary error, and the next email opens a new one', async () => {
    const sockets = new Set<Socket>();
    let drop = true;
    const flaky = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      disableReverseLookup: true,
      onMailFrom(_address, _session, callback) {
        // The first time, the server goes away in the middle of a transaction.
        if (drop) {
          drop = false;
          for (const socket of sockets) socket.destroy();
          return;
        }
        callback();
      },
    });
    flaky.server.on('connection', (socket: Socket) => sockets.add(socket));
    flaky.on('error', () => {});
    const smtpMailer = mailer(`smtp://127.0.0.1:${await listenOnLoopback(flaky)}`);

    const error = await rejection(smtpMailer.send(anEmail({ key: 'first' })));

    expect(error).toMatchObject({ code: 'ECONNECTION', permanent: false });
    await smtpMailer.send(anEmail({ key: 'second' }));
  });

  describe('sends the password only over TLS', () => {
    /** A server that offers no STARTTLS and asks for a password, listening on `host`: the passwords it was sent. */
    async function plainServerWithAuth(host: string): Promise<{ port: number; passwordsSeen: string[] }> {
      const passwordsSeen: string[] = [];
      const plain = new SMTPServer({
        disabledCommands: ['STARTTLS'],
        allowInsecureAuth: true,
        logger: false,
        disableReverseLookup: true,
        onAuth(auth, _session, callback) {
          passwordsSeen.push(auth.password ?? '');
          callback(null, { user: auth.username });
        },
        onData(stream, _session, callback) {
          stream.on('data', () => {});
          stream.on('end', () => callback());
        },
      });
      plain.on('error', () => {});
      await new Promise<void>((resolve) => plain.listen(0, host, resolve));
      cleanups.push(() => new Promise<void>((resolve) => plain.close(() => resolve())));
      return { port: (plain.server.address() as AddressInfo).port, passwordsSeen };
    }

    it('to a server on this machine that offers no STARTTLS only when the URL does not ask for TLS (?requireTLS=true)', async () => {
      const { port, passwordsSeen } = await plainServerWithAuth('127.0.0.1');
      const refused = await rejection(mailer(`smtp://leedz:s3cret-pass@127.0.0.1:${port}?requireTLS=true`).send(anEmail()));
      expect(refused.message).toMatch(/offered no STARTTLS, so its password is not sent/);
      expect(refused.message).not.toContain('s3cret-pass');
      expect(passwordsSeen).toEqual([]);
      await mailer(`smtp://leedz:s3cret-pass@127.0.0.1:${port}`).send(anEmail());
      expect(passwordsSeen).toEqual(['s3cret-pass']);
    });

    // A server across a network: this machine's own address that is not loopback (the test needs one).
    const external = Object.values(networkInterfaces())
      .flat()
      .find((nic) => nic !== undefined && !nic.internal && nic.family === 'IPv4')?.address;
    it.skipIf(external === undefined)(`to a server elsewhere (${external ?? 'none here'}) that offers no STARTTLS, never, unless the URL says ?requireTLS=false`, async () => {
      const { port, passwordsSeen } = await plainServerWithAuth(external!);
      const refused = await rejection(mailer(`smtp://leedz:s3cret-pass@${external!}:${port}`).send(anEmail()));
      expect(refused.message).toMatch(/offered no STARTTLS/);
      expect(passwordsSeen).toEqual([]);
      await mailer(`smtp://leedz:s3cret-pass@${external!}:${port}?requireTLS=false`).send(anEmail());
      expect(passwordsSeen).toEqual(['s3cret-pass']);
    });
  });

  it('wrong credentials reject with an error that does not show the password', async () => {
    const smtp = await server({ credentials: { user: 'leedz', pass: 'right' } });
    const url = `smtp://leedz:wrong-secret@127.0.0.1:${smtp.port}`;
    const error = await rejection(mailer(url).send(anEmail()));
    expect(error.message).toContain(`the SMTP server at smtp://127.0.0.1:${smtp.port} refused the credentials`);
    expect(error.message).not.toContain('wrong-secret');
    expect(error.code).toBe('EAUTH');
  });

  it('an unreachable server rejects with an error naming it (and not its password)', async () => {
    const port = await freePort();
    const error = await rejection(mailer(`smtp://leedz:hunter2@127.0.0.1:${port}`).send(anEmail()));
    expect(error.message).toBe(`could not reach the SMTP server at smtp://127.0.0.1:${port} (ECONNREFUSED); is it running?`);
    expect(error.message).not.toContain('hunter2');
    expect(error.permanent).toBe(false);
  });

  it('refuses a configuration that cannot work, at creation', () => {
    expect(() => createSmtpMailer({ url: 'not a url', from: FROM })).toThrow(/not a URL/);
    expect(() => createSmtpMailer({ url: 'http://mail.example.com', from: FROM })).toThrow(/must start with smtp:\/\/ or smtps:\/\//);
    expect(() => createSmtpMailer({ url: 'smtp://127.0.0.1:25', from: 'The Leedz' })).toThrow(/must be an email address/);
  });
});

describe('tee mailer', () => {
  it('sends with every mailer in order and resolves with the first one’s message id', async () => {
    const calls: string[] = [];
    const recording = (name: string): Mailer => ({
      send: async () => {
        calls.push(name);
        return { messageId: `<${name}>` };
      },
    });
    const result = await createTeeMailer(recording('outbox'), recording('smtp'), recording('archive')).send(anEmail());
    expect(result).toEqual({ messageId: '<outbox>' });
    expect(calls).toEqual(['outbox', 'smtp', 'archive']);
  });

  it('the outbox notes what the SMTP server made of each email it lists: accepted, refused for good, or not sent (and accepted once a retry goes through)', async () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    const dir = tempDir('leedz-tee-');
    const db = new Database(join(dir.path, 'leedz.db'));
    cleanups.push(() => {
      db.close();
      dir.cleanup();
    });
    try {
      const smtp = await startLoopbackSmtpServer({ rejectRecipient: { address: 'gone@example.com', responseCode: 550, message: '5.1.1 no such user here' } });
      const outbox = createOutboxMailer({ db });
      cleanups.push(() => smtp.close());
      const sender = createSmtpMailer({ url: smtp.url, from: FROM });
      cleanups.push(() => sender.close());
      const mailer = createTeeMailer(outbox, outbox.noting(sender));
      await mailer.send(anEmail({ to: 'ada@example.com', key: 'ok' }));
      await expect(mailer.send(anEmail({ to: 'gone@example.com', key: 'gone' }))).rejects.toBeInstanceOf(SmtpRefusedError);
      const outcomeOf = (to: string) => outbox.listEmails({ to })[0]?.smtp;
      expect(outcomeOf('ada@example.com')).toEqual({ outcome: 'accepted', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      expect(outcomeOf('gone@example.com')).toMatchObject({ outcome: 'refused', detail: expect.stringContaining('550 5.1.1 no such user here') });
      // A server that cannot be reached: not sent, and said so; the retry that goes through says accepted.
      const down = createSmtpMailer({ url: `smtp://127.0.0.1:${await freePort()}`, from: FROM });
      cleanups.push(() => down.close());
      await expect(createTeeMailer(outbox, outbox.noting(down)).send(anEmail({ to: 'bo@example.com', key: 'later' }))).rejects.toBeInstanceOf(SmtpSendError);
      expect(outcomeOf('bo@example.com')).toMatchObject({ outcome: 'failed', detail: expect.stringContaining('could not reach the SMTP server') });
      await mailer.send(anEmail({ to: 'bo@example.com', key: 'later' }));
      expect(outcomeOf('bo@example.com')).toEqual({ outcome: 'accepted', at: expect.any(String) });
      expect(outbox.countEmails()).toBe(3);
      // Without SMTP nothing is said: the email was only written.
      await outbox.send(anEmail({ to: 'cy@example.com', key: 'local' }));
      expect(outbox.listEmails({ to: 'cy@example.com' })[0]).not.toHaveProperty('smtp');
      // Notes are written once a turn: one still waiting when the database closes (a server
      // stopping) is dropped, without an error from the timer that would end the process.
      const other = new Database(join(dir.path, 'closing.db'));
      const closing = createOutboxMailer({ db: other });
      await createTeeMailer(closing, closing.noting(sender)).send(anEmail({ to: 'dee@example.com', key: 'closing' }));
      other.close();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup();
    }
  });

  it('the outbox keeps the email when SMTP is down, and the send fails so that it is retried', async () => {
    const dir = tempDir('leedz-tee-');
    const db = new Database(join(dir.path, 'leedz.db'));
    try {
      const outbox = createOutboxMailer({ db });
      const smtp = createSmtpMailer({ url: `smtp://127.0.0.1:${await freePort()}`, from: FROM });
      const mailer = createTeeMailer(outbox, smtp);
      await expect(mailer.send(anEmail({ key: 'k' }))).rejects.toBeInstanceOf(SmtpSendError);
      await expect(mailer.send(anEmail({ key: 'k' }))).rejects.toBeInstanceOf(SmtpSendError);
      expect(outbox.countEmails()).toBe(1);
      smtp.close();
    } finally {
      db.close();
      dir.cleanup();
    }
  });
});
