/**
 * Parity 7, end to end — the marketplace with at-least-once delivery turned up: half of all events
 * (magic links, fan-outs, receipts, counters, reports) are delivered twice and out of order, as
 * Lambda may deliver them (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html:
 * "it's possible for it to receive the same event from Lambda multiple times").
 *
 * What must hold anyway: nobody gets an email twice — counted where duplicates would show, at a real
 * SMTP server (the outbox keeps one row per email key by itself) — every counter is exact, and a
 * leed is sold once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopbackSmtpServer, type LoopbackSmtpServer } from '../helpers/loopback-smtp-server.js';
import { newLeedBody, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

let smtp: LoopbackSmtpServer;
let t: TestServer;

beforeAll(async () => {
  smtp = await startLoopbackSmtpServer();
  t = await startTestServer({ env: { LEEDZ_DUPLICATE_DELIVERY: '0.5', SMTP_URL: smtp.url, ADMIN_EMAIL: 'admin@example.com' } });
  await t.server.marketplace!.store.addTrades([{ name: 'dj' }, { name: 'caricatures' }]);
});

afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

/** A header of a raw message (unfolded). */
function header(raw: Buffer, name: string): string | undefined {
  const head = raw.toString('utf8').split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  return new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
}

/** How many times each key occurs, for the keys that occur more than once. */
function repeated(keys: string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, n]) => n > 1));
}

describe('the marketplace with LEEDZ_DUPLICATE_DELIVERY=0.5', () => {
  it('sign-ins, a post to several subscribers, a paid purchase, a free claim and a report: no email twice, exact counters, one sale', async () => {
    const api = t.api;

    // ── sign-ins and subscriptions ──
    const seller = await t.signIn('seller@example.com');
    const buyer = await t.signIn('buyer@example.com');
    const claimer = await t.signIn('claimer@example.com');
    const subscribers = [];
    for (const name of ['ann', 'bob', 'cat', 'dan']) {
      const subscriber = await t.signIn(`${name}@example.com`);
      const patched = await api('PATCH', '/api/me', { token: subscriber.token, body: { subscriptions: ['dj', 'caricatures'], zip: '62702', radius: 50 } });
      expect(patched.status).toBe(200);
      subscribers.push(subscriber);
    }

    // ── three posts, each notifying the four subscribers ──
    const paid = await api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Wedding needs a DJ', location: '9 Elm Avenue, Springfield, IL 62704', price: 2500 }) });
    const free = await api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'caricatures', title: 'Birthday needs a caricaturist', location: '400 Oak Street, Springfield, IL 62703', price: 0 }) });
    const kept = await api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Gala needs a DJ', location: '77 Pine Road, Springfield, IL 62702', price: 4000 }) });
    expect([paid.status, free.status, kept.status]).toEqual([201, 201, 201]);
    await t.settle();

    // ── a paid purchase through the local checkout page; the provider then sends its webhook again ──
    const checkout = await api('POST', `/api/leedz/dj/${paid.body.id}/checkout`, { token: buyer.token });
    expect(checkout.status).toBe(200);
    const checkoutId = new URL(checkout.body.checkoutUrl).pathname.split('/').pop()!;
    const pay = await fetch(`${t.url}/pay/checkout/${checkoutId}/complete`, { method: 'POST', redirect: 'manual' });
    expect(pay.status).toBe(303);
    const webhook = t.server.marketplace!.payments.completeCheckout(checkoutId);
    const again = await api('POST', '/api/payments/webhook', { raw: webhook.body, headers: { 'content-type': 'application/json', ...webhook.headers } });
    expect(again.status).toBe(200);

    // ── a free claim, and a report (sent twice by an impatient reporter) ──
    const claimed = await api('POST', `/api/leedz/caricatures/${free.body.id}/checkout`, { token: claimer.token });
    expect(claimed.body).toMatchObject({ sold: true });
    for (let i = 0; i < 2; i++) {
      const reported = await api('POST', `/api/leedz/dj/${kept.body.id}/report`, { token: subscribers[0]!.token, body: { reason: 'Looks like a duplicate of another post.' } });
      expect(reported.status).toBe(202);
    }
    await t.settle();

    // ── duplicates really happened ──
    const log = t.server.runtime.listInvocations({ limit: 10_000 });
    const copies = log.filter((row) => row.duplicateOf !== null);
    const events = log.filter((row) => row.type === 'Event' && row.duplicateOf === null);
    console.log(`duplicate delivery: ${copies.length} copies of ${events.length} events (${[...new Set(copies.map((c) => c.function))].join(', ')})`);
    expect(copies.length).toBeGreaterThan(0);
    expect(log.filter((row) => row.state === 'queued' || row.state === 'running')).toEqual([]);

    // ── no email twice: in the outbox, per recipient, kind and leed (each post has its own title), and at the SMTP server ──
    const outbox = t.server.marketplace!.outbox.listEmails({ limit: 10_000 });
    expect(repeated(outbox.map((e) => `${e.to.toLowerCase()} ${e.kind} ${e.subject}`))).toEqual({});
    expect(repeated(outbox.filter((e) => e.kind === 'magic-link').map((e) => e.to.toLowerCase()))).toEqual({});
    const received = smtp.messages.map((m) => `${m.envelope.to.join(',').toLowerCase()} ${header(m.raw, 'Subject')}`);
    expect(repeated(received)).toEqual({});
    expect(smtp.messages).toHaveLength(outbox.length);

    const kinds = (to: string) => outbox.filter((e) => e.to === to).map((e) => e.kind).sort();
    for (const name of ['ann', 'bob', 'cat', 'dan']) expect(kinds(`${name}@example.com`)).toEqual(['magic-link', 'new-leed', 'new-leed', 'new-leed']);
    expect(kinds('buyer@example.com')).toEqual(['magic-link', 'receipt']);
    expect(kinds('claimer@example.com')).toEqual(['magic-link', 'receipt']);
    expect(kinds('seller@example.com')).toEqual(['magic-link', 'sold', 'sold']);
    expect(kinds('admin@example.com')).toEqual(['report']);

    // ── exact counters ──
    const trades = (await api('GET', '/api/trades')).body.trades as { name: string; leedCount: number }[];
    expect(Object.fromEntries(trades.map((trade) => [trade.name, trade.leedCount]))).toEqual({ dj: 1, caricatures: 0 });
    expect((await api('GET', '/api/me', { token: seller.token })).body).toMatchObject({ posted: 3, sold: 2, bought: 0 });
    expect((await api('GET', '/api/me', { token: buyer.token })).body).toMatchObject({ posted: 0, sold: 0, bought: 1 });
    expect((await api('GET', '/api/me', { token: claimer.token })).body).toMatchObject({ posted: 0, sold: 0, bought: 1 });
    expect((await api('GET', '/api/stats')).body).toMatchObject({ posted: 3, sold: 2, users: 7 });

    // ── one sale, to the buyer who paid ──
    expect((await api('GET', `/api/leedz/dj/${paid.body.id}`, { token: seller.token })).body).toMatchObject({ status: 'sold', buyer: buyer.username });
    expect((await api('GET', `/api/leedz/caricatures/${free.body.id}`, { token: seller.token })).body).toMatchObject({ status: 'sold', buyer: claimer.username });
    expect((await api('GET', `/api/leedz/dj/${kept.body.id}`, { token: seller.token })).body).toMatchObject({ status: 'active' });
  });
});
