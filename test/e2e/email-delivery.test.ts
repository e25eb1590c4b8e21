/**
 * Bulk mail on the real local server: one-click unsubscribe (RFC 8058) from an alert, the link opened
 * in a browser, forged and malformed tokens, the token kept out of the invocation log, and addresses
 * that bounce (an SMTP server's 550, an SES bounce event) getting no more alerts.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readUnsubscribeToken, unsubscribeToken } from '../../src/leedz/emails/unsubscribe.js';
import type { OutboxEmail } from '../../src/adapters/mailer/outbox/outbox-mailer.js';
import { tablesContaining } from '../helpers/data-folder.js';
import { startLoopbackSmtpServer, type LoopbackSmtpServer } from '../helpers/loopback-smtp-server.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

let t: TestServer | undefined;
let smtp: LoopbackSmtpServer | undefined;

afterEach(async () => {
  await t?.close();
  await smtp?.close();
  t = undefined;
  smtp = undefined;
});

/** A server with the dj trade, a poster and subscribers of dj (each signed in once, so each exists). */
async function marketplace(subscribers: string[], env: Record<string, string> = {}) {
  t = await startTestServer({ env });
  await t.server.marketplace!.store.addTrades([{ name: 'dj' }, { name: 'magic' }]);
  const poster = await t.signIn('poster@example.com');
  const sessions = new Map<string, { token: string; username: string }>();
  for (const email of subscribers) {
    const session = await t.signIn(email);
    const updated = await t.api('PATCH', '/api/me', { token: session.token, body: { subscriptions: ['dj', 'magic'] } });
    expect(updated.status).toBe(200);
    sessions.set(email, session);
  }
  let street = 100;
  const post = async () => {
    const posted = await t!.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj', location: `${street++} Main Street, Springfield, IL 62701` }) });
    expect(posted.status).toBe(201);
    await t!.settle();
    return posted.body.id as string;
  };
  const alertsTo = (email: string): OutboxEmail[] => t!.server.marketplace!.outbox.listEmails({ to: email, kind: 'new-leed' });
  return { t, poster, sessions, post, alertsTo };
}

/** The URL of an email's List-Unsubscribe header. */
function oneClickUrl(email: OutboxEmail): string {
  const url = /^<(.+)>$/.exec(email.headers?.['List-Unsubscribe'] ?? '')?.[1];
  if (url === undefined) throw new Error(`no List-Unsubscribe on ${email.key}`);
  return url;
}

describe('one-click unsubscribe from an alert', () => {
  it('the alert carries it; a GET only sends the browser to the page; the POST, without any cookie, ends the subscription to that trade alone', async () => {
    const { t, sessions, post, alertsTo } = await marketplace(['pat@example.com', 'kim@example.com']);
    await post();
    const [alert] = alertsTo('pat@example.com');
    expect(alert?.headers).toEqual({ 'List-Unsubscribe': expect.stringMatching(/^<http:\/\/127\.0\.0\.1:\d+\/api\/unsubscribe\?token=[\w.-]+>$/), 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    const url = new URL(oneClickUrl(alert!));
    const token = url.searchParams.get('token')!;

    // A mail scanner (or a person) opening the link: nothing changes, the page asks first.
    const opened = await t.api('GET', `${url.pathname}${url.search}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe(`${t.url}/unsubscribe#token=${token}`);
    expect(opened.headers.get('cache-control')).toBe('no-store');
    const page = await fetch(`${t.url}/unsubscribe`);
    expect(page.status).toBe(200);
    expect((await t.api('GET', '/api/me', { token: sessions.get('pat@example.com')!.token })).body.subscriptions).toEqual(['dj', 'magic']);

    // The mail app's Unsubscribe button: RFC 8058's POST, form-encoded, no cookie, no session.
    const clicked = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(clicked.status).toBe(200);
    expect(await clicked.json()).toEqual({ unsubscribed: true, trade: 'dj' });
    expect((await t.api('GET', '/api/me', { token: sessions.get('pat@example.com')!.token })).body.subscriptions).toEqual(['magic']);
    // Pressed again (or by a second mail app): the same answer, nothing else changes.
    const again = await fetch(url, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n' });
    expect(again.status).toBe(200);

    await post();
    expect(alertsTo('pat@example.com')).toHaveLength(1);
    expect(alertsTo('kim@example.com')).toHaveLength(2);
    // The token is kept out of the invocation log, as every secret is.
    expect(tablesContaining(join(t.dataDir, 'runtime.db'), token)).toEqual([]);
  });

  it('unsubscribed from a trade, one hears no news of its leedz either', async () => {
    const { t, poster, post, alertsTo } = await marketplace(['pat@example.com', 'kim@example.com']);
    const id = await post();
    const alert = alertsTo('pat@example.com')[0]!;
    expect((await fetch(oneClickUrl(alert), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })).status).toBe(200);

    expect((await t.api('DELETE', `/api/leedz/dj/${id}`, { token: poster.token })).status).toBe(204);
    await t.settle();

    const withdrawn = t.server.marketplace!.outbox.listEmails({ kind: 'withdrawn' });
    expect(withdrawn.map((email) => email.to)).toEqual(['kim@example.com']);
    expect(withdrawn[0]!.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  it('refuses a forged, a malformed or a missing token with a 400 naming `token`, and a body that is neither a form nor JSON with a 415', async () => {
    const { t, sessions } = await marketplace(['pat@example.com']);
    const form = (query: string, type = 'application/x-www-form-urlencoded') => t.api('POST', `/api/unsubscribe${query}`, { raw: 'List-Unsubscribe=One-Click', headers: { 'content-type': type } });
    const genuine = new URL(oneClickUrl((await (async () => {
      await t.api('POST', '/api/leedz', { token: (await t.signIn('poster@example.com')).token, body: newLeedBody({ trade: 'dj' }) });
      await t.settle();
      return t.server.marketplace!.outbox.listEmails({ to: 'pat@example.com', kind: 'new-leed' })[0]!;
    })()))).searchParams.get('token')!;
    const [, trade, mac] = genuine.split('.');
    // Someone else's name with pat's signature: the signature does not match.
    const forged = `${Buffer.from('poster').toString('base64url')}.${trade}.${mac}`;

    for (const query of [`?token=${forged}`, `?token=${genuine.slice(0, -2)}`]) {
      const refused = await form(query);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'VALIDATION', fields: [{ path: 'token', message: 'is not a token this marketplace signed' }] });
    }
    for (const query of ['', '?token=', '?token=%3Cscript%3E']) {
      const refused = await form(query);
      expect(refused.status).toBe(400);
      expect(refused.body.error.fields[0].path).toBe('token');
    }
    expect((await form(`?token=${genuine}`, 'text/plain')).status).toBe(415);
    expect((await t.api('GET', '/api/unsubscribe')).status).toBe(400);
    // Opened in a browser, whatever the token holds only ever lands, encoded, in the page's fragment.
    const odd = await t.api('GET', '/api/unsubscribe?token=%0D%0ASet-Cookie:%20x%3D1');
    expect(odd.status).toBe(303);
    expect(odd.headers.get('location')).toBe(`${t.url}/unsubscribe#token=%0D%0ASet-Cookie%3A%20x%3D1`);
    expect(odd.headers.get('set-cookie')).toBeNull();
    expect((await t.api('GET', '/api/me', { token: sessions.get('pat@example.com')!.token })).body.subscriptions).toEqual(['dj', 'magic']);
    // And a token signed with another secret names nobody here.
    expect(readUnsubscribeToken(await t.server.marketplace!.store.unsubscribeSecret(), unsubscribeToken('another secret', { username: 'pat', trade: 'dj' }))).toBeUndefined();
  });
});

describe('addresses that bounce or complain get no more bulk mail', () => {
  it('an address the SMTP server refuses for good (550) is put on the suppression list: the next alerts skip it, the others still go', async () => {
    smtp = await startLoopbackSmtpServer({ rejectRecipient: { address: 'gone@example.com', responseCode: 550, message: '5.1.1 no such user' } });
    const { t, post, alertsTo } = await marketplace(['gone@example.com', 'kim@example.com'], { SMTP_URL: smtp.url, MAIL_FROM: 'The Leedz <no-reply@leedz.test>' });
    const sentTo = () => smtp!.messages.filter((m) => m.raw.toString('utf8').includes('Subject: New Leed')).map((m) => m.envelope.to[0]);

    await post();
    expect(sentTo()).toEqual(['kim@example.com']);
    expect(await t.server.marketplace!.store.getSuppression('gone@example.com')).toMatchObject({ reason: 'bounce', detail: expect.stringContaining('5.1.1 no such user') });
    // The batch did not fail for it: every attempt of the fan-out succeeded, and nothing is dead-lettered.
    const batches = t.server.runtime.listInvocations({ function: 'emailHelper', limit: 100, withPayload: true }).filter((i) => (i.payload as { function?: string }).function === 'notifyBatch');
    expect(batches.map((i) => [i.outcome, i.attempts])).toEqual([['Success', 1]]);
    // (The sign-in link to that address was refused too: transactional mail fails once, with a record.)
    expect(t.server.runtime.listDeadLetters().map((d) => (d.record.requestPayload as { function?: string }).function)).toEqual(['magicLink']);

    await post();
    expect(alertsTo('gone@example.com')).toHaveLength(1);
    expect(sentTo()).toEqual(['kim@example.com', 'kim@example.com']);
  });

  it('a refusal that is not the address’s (550 5.7.1 relaying denied) suppresses nobody: the batch is retried and kept as a dead letter naming the server’s reply', async () => {
    smtp = await startLoopbackSmtpServer({ rejectRecipient: { address: 'kim@example.com', responseCode: 550, message: '5.7.1 Relaying denied' } });
    const { t, post } = await marketplace(['ann@example.com', 'kim@example.com'], { SMTP_URL: smtp.url, MAIL_FROM: 'The Leedz <no-reply@leedz.test>' });
    const sentTo = () => smtp!.messages.filter((m) => m.raw.toString('utf8').includes('Subject: New Leed')).map((m) => m.envelope.to[0]);

    await post();
    expect(sentTo()).toEqual(['ann@example.com']);
    expect(await t.server.marketplace!.store.getSuppression('kim@example.com')).toBeUndefined();
    const letters = t.server.runtime.listDeadLetters().filter((d) => (d.record.requestPayload as { function?: string }).function === 'notifyBatch');
    expect(letters).toHaveLength(1);
    expect(letters[0]!.condition).toBe('RetriesExhausted');
    expect(JSON.stringify(letters[0]!.record.responsePayload)).toContain('5.7.1 Relaying denied');
    // Ann's alert went once, though the batch ran three times.
    expect(sentTo()).toEqual(['ann@example.com']);
  });

  it("SES's bounce and complaint events (through the runtime, as EventBridge invokes emailHelper on AWS) stop alerts to those addresses", async () => {
    const { t, post, alertsTo } = await marketplace(['bounced@example.com', 'angry@example.com', 'kim@example.com']);
    const event = (detail: unknown) => t.server.runtime.invoke('emailHelper', { function: 'mailFeedback', event: detail }, 'RequestResponse');
    const bounced = await event({ eventType: 'Bounce', bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'bounced@example.com' }], timestamp: '2026-12-01T10:00:00.000Z' } });
    const complained = await event({ eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'ANGRY@example.com' }], complaintFeedbackType: 'abuse' } });
    expect([bounced.payload, complained.payload]).toEqual([{ suppressed: 1 }, { suppressed: 1 }]);

    await post();

    expect(alertsTo('bounced@example.com')).toEqual([]);
    expect(alertsTo('angry@example.com')).toEqual([]);
    expect(alertsTo('kim@example.com')).toHaveLength(1);
  });
});
