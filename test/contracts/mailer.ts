/**
 * The Mailer contract (`Mailer` in `src/leedz/ports.ts`), run on every adapter: the outbox, SMTP,
 * the outbox teed with SMTP (and SES when it exists). An adapter passes when what it sends arrives
 * as sent: recipient, subject, text and HTML intact, non-ASCII included.
 *
 * @example
 * describeMailerContract('outbox', async () => {
 *   const outbox = createOutboxMailer({ db });
 *   return { mailer: outbox, delivered: async (to) => outbox.listEmails({ to }), teardown: async () => db.close() };
 * });
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Email, Mailer } from '../../src/leedz/ports.js';

export interface DeliveredEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailerFixture {
  mailer: Mailer;
  /** What arrived for `to` (in any order). */
  delivered(to: string): Promise<DeliveredEmail[]>;
  teardown(): Promise<void>;
}

/** A small builder: an email with sensible defaults. */
export function anEmail(overrides: Partial<Email> = {}): Email {
  return {
    to: 'ada@example.com',
    subject: 'New Leed: Face painting at the fair',
    text: 'A new face painting leed was posted.\nhttp://127.0.0.1:3000/leedz/face%20painting/abc',
    html: '<p>A new <b>face painting</b> leed was posted.</p><p><a href="http://127.0.0.1:3000/leedz/face%20painting/abc">See it</a></p>',
    kind: 'new-leed',
    key: 'abc:ada:new-leed',
    ...overrides,
  };
}

export function describeMailerContract(name: string, setup: () => Promise<MailerFixture>): void {
  describe(`Mailer contract: ${name}`, () => {
    let fixture: MailerFixture;

    beforeEach(async () => {
      fixture = await setup();
    });

    afterEach(async () => {
      await fixture.teardown();
    });

    it('send resolves with a message id, and the email arrives with its subject, text and HTML', async () => {
      const email = anEmail();
      const { messageId } = await fixture.mailer.send(email);
      expect(messageId).toEqual(expect.any(String));
      expect(messageId).not.toBe('');
      const [arrived, ...more] = await fixture.delivered(email.to);
      expect(more).toEqual([]);
      expect(arrived?.to).toBe(email.to);
      expect(arrived?.subject).toBe(email.subject);
      expect(arrived?.text.trim()).toBe(email.text);
      expect(arrived?.html.trim()).toBe(email.html);
    });

    it('non-ASCII subjects and bodies arrive unchanged', async () => {
      const email = anEmail({ subject: 'Leed Sold! Café “Crêpes” — 🎉', text: 'Zoë’s party, 6 PM–9 PM, ¥ € ✓', html: '<p>Zoë’s party — 🎉</p>', key: 'unicode' });
      await fixture.mailer.send(email);
      const [arrived] = await fixture.delivered(email.to);
      expect(arrived?.subject).toBe(email.subject);
      expect(arrived?.text.trim()).toBe(email.text);
      expect(arrived?.html.trim()).toBe(email.html);
    });

    it('emails with different keys are each delivered, each to its own recipient', async () => {
      await fixture.mailer.send(anEmail({ to: 'ada@example.com', key: 'k1', subject: 'one' }));
      await fixture.mailer.send(anEmail({ to: 'bob@example.com', key: 'k2', subject: 'two' }));
      await fixture.mailer.send(anEmail({ to: 'ada@example.com', key: 'k3', subject: 'three' }));
      expect((await fixture.delivered('ada@example.com')).map((e) => e.subject).sort()).toEqual(['one', 'three']);
      expect((await fixture.delivered('bob@example.com')).map((e) => e.subject)).toEqual(['two']);
    });
  });
}
