import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutboxMailer } from '../../../src/adapters/mailer/outbox/outbox-mailer.js';
import { createSmtpMailer, createTeeMailer, SmtpSendError } from '../../../src/adapters/mailer/smtp/smtp-mailer.js';
import type { Mailer } from '../../../src/leedz/ports.js';
import { anEmail, describeMailerContract, type DeliveredEmail } from '../../contracts/mailer.js';
import { tempDir } from '../../helpers/temp-dir.js';
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

  it('a refused recipient rejects with an error naming the server, the recipient and the reply', async () => {
    const smtp = await server({ rejectRecipient: { address: 'gone@example.com', responseCode: 550, message: 'no such user here' } });
    const error = await rejection(mailer(smtp.url).send(anEmail({ to: 'gone@example.com' })));
    expect(error.message).toContain(`the SMTP server at smtp://127.0.0.1:${smtp.port} refused the email to gone@example.com`);
    expect(error.message).toContain('no such user here');
    expect(error).toMatchObject({ code: 'EENVELOPE', permanent: true });
    expect(error.toJSON()).toMatchObject({ name: 'SmtpSendError', code: 'EENVELOPE' });
    expect(smtp.messages).toEqual([]);
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
    const port = await closedPort();
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

  it('the outbox keeps the email when SMTP is down, and the send fails so that it is retried', async () => {
    const dir = tempDir('leedz-tee-');
    const db = new Database(join(dir.path, 'leedz.db'));
    try {
      const outbox = createOutboxMailer({ db });
      const smtp = createSmtpMailer({ url: `smtp://127.0.0.1:${await closedPort()}`, from: FROM });
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

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
