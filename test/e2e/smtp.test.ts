import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackSmtpServer, type LoopbackSmtpServer } from '../helpers/loopback-smtp-server.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

let smtp: LoopbackSmtpServer;
let t: TestServer;

beforeAll(async () => {
  smtp = await startLoopbackSmtpServer();
  t = await startTestServer({ env: { SMTP_URL: smtp.url, MAIL_FROM: 'The Leedz <no-reply@leedz.test>' } });
  await t.server.marketplace!.store.addTrades([{ name: 'dj' }]);
});

afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

describe('with SMTP_URL set', () => {
  it('the marketplace’s emails arrive at a real SMTP server as valid MIME with text and HTML parts', async () => {
    const subscriber = await t.signIn('listener@example.com');
    await t.api('PATCH', '/api/me', { token: subscriber.token, body: { subscriptions: ['dj'], zip: '62702' } });
    const poster = await t.signIn('spinner@example.com');
    expect((await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj' }) })).status).toBe(201);
    await t.settle();

    const parsed = await Promise.all(smtp.messages.map((m) => simpleParser(m.raw)));
    const magic = parsed.filter((m) => m.subject === 'Your sign-in link for the Leedz');
    expect(magic.map((m) => (Array.isArray(m.to) ? '' : m.to?.text)).sort()).toEqual(['listener@example.com', 'spinner@example.com']);
    const [newLeed] = parsed.filter((m) => m.subject?.startsWith('New Leed: '));
    expect(newLeed).toBeDefined();
    expect(newLeed!.from?.value[0]).toMatchObject({ name: 'The Leedz', address: 'no-reply@leedz.test' });
    expect(Array.isArray(newLeed!.to) ? undefined : newLeed!.to?.text).toBe('listener@example.com');
    expect(newLeed!.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(newLeed!.text).toContain('dj');
    expect(newLeed!.html).toContain('<');
    expect(newLeed!.messageId).toMatch(/^<.+@.+>$/);

    // Every email sent by SMTP is also kept in the outbox, once.
    expect(t.server.marketplace!.outbox.countEmails({ kind: 'new-leed' })).toBe(1);
    expect(parsed.filter((m) => m.subject?.startsWith('New Leed: '))).toHaveLength(1);
  });
});
