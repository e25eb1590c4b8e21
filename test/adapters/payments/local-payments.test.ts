import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalPayments,
  renderCheckoutPage,
  SIGNATURE_HEADER,
  WEBHOOK_TOLERANCE_SECONDS,
  type LocalCheckout,
  type LocalPayments,
  type SignedWebhook,
} from '../../../src/adapters/payments/local/local-payments.js';
import { IGNORED_WEBHOOK } from '../../../src/leedz/ports.js';
import { aCheckoutRequest, describePaymentsContract } from '../../contracts/payments.js';
import { tempDir } from '../../helpers/temp-dir.js';

const BASE_URL = 'http://127.0.0.1:3000';
const WEBHOOK_URL = `${BASE_URL}/api/payments/webhook`;
const SECRET = 'whsec_test_0123456789';

function checkoutIdOf(checkoutUrl: string): string {
  const match = /\/pay\/checkout\/([^/]+)$/.exec(checkoutUrl);
  if (match?.[1] === undefined) throw new Error(`not a local checkout URL: ${checkoutUrl}`);
  return decodeURIComponent(match[1]);
}

describePaymentsContract('local', async () => {
  const dir = tempDir('leedz-payments-');
  const db = new Database(join(dir.path, 'leedz.db'));
  const payments = createLocalPayments({ db, baseUrl: BASE_URL, webhookSecret: SECRET });
  return {
    payments,
    pay: async (checkoutUrl) => ({ ...payments.completeCheckout(checkoutIdOf(checkoutUrl)), url: WEBHOOK_URL }),
    teardown: async () => {
      db.close();
      dir.cleanup();
    },
  };
});

describe('local payments', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Database.Database;
  let clock: number;
  let payments: LocalPayments;

  /** A header as a sender with `secret` would sign `body` at unix time `t`. */
  function signature(body: string, t = Math.floor(clock / 1000), secret = SECRET): string {
    return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
  }

  function verify(header: string | undefined, body: string) {
    return payments.verifyWebhook({ [SIGNATURE_HEADER]: header }, body, WEBHOOK_URL);
  }

  async function paidCheckout(overrides: Parameters<typeof aCheckoutRequest>[0] = {}): Promise<{ id: string; webhook: SignedWebhook }> {
    const { checkoutUrl } = await payments.createCheckout(aCheckoutRequest(overrides));
    const id = checkoutIdOf(checkoutUrl);
    return { id, webhook: payments.completeCheckout(id) };
  }

  beforeEach(() => {
    dir = tempDir('leedz-payments-');
    db = new Database(join(dir.path, 'leedz.db'));
    clock = Date.parse('2026-12-01T12:00:00Z');
    payments = createLocalPayments({ db, baseUrl: `${BASE_URL}/`, webhookSecret: SECRET, now: () => clock });
  });

  afterEach(() => {
    db.close();
    dir.cleanup();
  });

  describe('checkout', () => {
    it('stores an open checkout and answers its page’s URL on the local server', async () => {
      const request = aCheckoutRequest();
      const { checkoutUrl } = await payments.createCheckout(request);
      expect(checkoutUrl).toMatch(/^http:\/\/127\.0\.0\.1:3000\/pay\/checkout\/chk_[A-Za-z0-9_-]+$/);
      expect(payments.getCheckout(checkoutIdOf(checkoutUrl))).toEqual({
        ...request,
        id: checkoutIdOf(checkoutUrl),
        status: 'open',
        paymentId: null,
        createdAt: '2026-12-01T12:00:00.000Z',
      });
      expect(payments.getCheckout('chk_unknown')).toBeUndefined();
    });

    it('refuses an amount or fee that is not whole cents in range', async () => {
      await expect(payments.createCheckout(aCheckoutRequest({ amount: 0 }))).rejects.toThrow(RangeError);
      await expect(payments.createCheckout(aCheckoutRequest({ amount: 12.5 }))).rejects.toThrow(RangeError);
      await expect(payments.createCheckout(aCheckoutRequest({ fee: -1 }))).rejects.toThrow(RangeError);
      await expect(payments.createCheckout(aCheckoutRequest({ amount: 100, fee: 101 }))).rejects.toThrow(RangeError);
    });

    it('paying marks the checkout paid and returns a webhook signed t=<unix>,v1=<HMAC-SHA256 of "t.body">', async () => {
      const { id, webhook } = await paidCheckout();
      const checkout = payments.getCheckout(id);
      expect(checkout).toMatchObject({ status: 'paid', paymentId: expect.stringMatching(/^pay_/) });
      expect(JSON.parse(webhook.body)).toEqual({
        type: 'checkout.paid',
        checkoutId: id,
        paymentId: checkout?.paymentId,
        leedId: 'leed-1',
        trade: 'caricatures',
        buyer: 'bob',
        amount: 4_000,
      });
      expect(webhook.headers[SIGNATURE_HEADER]).toBe(signature(webhook.body));
    });

    it('paying twice takes one payment: the same payment’s webhook, freshly signed', async () => {
      const { id, webhook } = await paidCheckout();
      clock += 60_000;
      const again = payments.completeCheckout(id);
      expect(JSON.parse(again.body)).toEqual(JSON.parse(webhook.body));
      expect(again.headers[SIGNATURE_HEADER]).toBe(signature(again.body));
      expect(await verify(again.headers[SIGNATURE_HEADER], again.body)).toBeDefined();
    });

    it('paying an unknown checkout throws', () => {
      expect(() => payments.completeCheckout('chk_unknown')).toThrow(/no checkout chk_unknown/);
    });
  });

  describe('webhook verification', () => {
    it('a correctly signed webhook verifies to the payment event', async () => {
      const { id, webhook } = await paidCheckout();
      expect(await verify(webhook.headers[SIGNATURE_HEADER], webhook.body)).toEqual({
        paymentId: payments.getCheckout(id)?.paymentId,
        leedId: 'leed-1',
        trade: 'caricatures',
        buyer: 'bob',
        amount: 4_000,
      });
    });

    it('the header name is matched in any case', async () => {
      const { webhook } = await paidCheckout();
      expect(await payments.verifyWebhook({ 'X-Leedz-Signature': webhook.headers[SIGNATURE_HEADER] }, webhook.body, WEBHOOK_URL)).toBeDefined();
    });

    it('unsigned → undefined', async () => {
      const { webhook } = await paidCheckout();
      expect(await payments.verifyWebhook({}, webhook.body, WEBHOOK_URL)).toBeUndefined();
      expect(await verify(undefined, webhook.body)).toBeUndefined();
    });

    it('signed with another secret → undefined', async () => {
      const { webhook } = await paidCheckout();
      expect(await verify(signature(webhook.body, undefined, 'whsec_someone_else'), webhook.body)).toBeUndefined();
    });

    it('a tampered body (a higher amount, another buyer, one byte of whitespace) → undefined', async () => {
      const { webhook } = await paidCheckout();
      const header = webhook.headers[SIGNATURE_HEADER];
      expect(await verify(header, webhook.body.replace('4000', '1'))).toBeUndefined();
      expect(await verify(header, webhook.body.replace('"bob"', '"mallory"'))).toBeUndefined();
      expect(await verify(header, `${webhook.body} `)).toBeUndefined();
    });

    it('a malformed signature header → undefined, never an exception', async () => {
      const { webhook } = await paidCheckout();
      const t = Math.floor(clock / 1000);
      const good = signature(webhook.body);
      const hex = good.split('v1=')[1] ?? '';
      const malformed = [
        '',
        'garbage',
        `v1=${hex}`, // no timestamp
        `t=${t}`, // no signature
        `t=${t},v1=${hex.slice(0, 63)}`, // too short for timingSafeEqual
        `t=${t},v1=${hex}00`, // too long
        `t=${t},v1=${hex.toUpperCase()}`,
        `t=${t},v1=${'z'.repeat(64)}`,
        `t=${t},t=${t},v1=${hex}`,
        `t=-${t},v1=${hex}`,
        `t=${t}.5,v1=${hex}`,
        `t=${t},v1=${hex}=`,
        `t=${t};v1=${hex}`,
        `${good},`.repeat(100),
      ];
      for (const header of malformed) expect(await verify(header, webhook.body), header).toBeUndefined();
    });

    it('a signature among several v1 values verifies (as when a secret is rotated)', async () => {
      const { webhook } = await paidCheckout();
      const header = `${signature(webhook.body, undefined, 'old-secret')},v1=${signature(webhook.body).split('v1=')[1]}`;
      expect(await verify(header, webhook.body)).toBeDefined();
    });

    it('a webhook older than 5 minutes is refused as a replay; one just inside the window verifies', async () => {
      const { webhook } = await paidCheckout();
      const header = webhook.headers[SIGNATURE_HEADER];
      clock += WEBHOOK_TOLERANCE_SECONDS * 1000;
      expect(await verify(header, webhook.body)).toBeDefined();
      clock += 1000;
      expect(await verify(header, webhook.body)).toBeUndefined();
      expect(WEBHOOK_TOLERANCE_SECONDS).toBe(300);
    });

    it('a timestamp far in the future is refused too (it would stretch the replay window)', async () => {
      const body = (await paidCheckout()).webhook.body;
      expect(await verify(signature(body, Math.floor(clock / 1000) + WEBHOOK_TOLERANCE_SECONDS + 1), body)).toBeUndefined();
    });

    it('a correctly signed body that is not a paid checkout is ignored', async () => {
      const event = { type: 'checkout.paid', checkoutId: 'chk_1', paymentId: 'pay_1', leedId: 'leed-1', trade: 'dj', buyer: 'bob', amount: 4_000 };
      const bodies = [
        'not json',
        'null',
        '[]',
        JSON.stringify({ ...event, type: 'checkout.refunded' }),
        JSON.stringify({ ...event, amount: '4000' }),
        JSON.stringify({ ...event, amount: -1 }),
        JSON.stringify({ ...event, amount: 40.5 }),
        JSON.stringify({ ...event, paymentId: '' }),
        JSON.stringify({ ...event, buyer: undefined }),
      ];
      for (const body of bodies) expect(await verify(signature(body), body), body).toBe(IGNORED_WEBHOOK);
      const signedEvent = JSON.stringify(event);
      expect(await verify(signature(signedEvent), signedEvent)).toEqual({ paymentId: 'pay_1', leedId: 'leed-1', trade: 'dj', buyer: 'bob', amount: 4_000 });
    });

    it('a webhook secret must not be empty (an empty HMAC key would let anyone sign)', () => {
      expect(() => createLocalPayments({ db, baseUrl: BASE_URL, webhookSecret: '' })).toThrow(/webhookSecret/);
    });
  });

  describe('refund', () => {
    it('marks the checkout refunded; refunding again changes nothing', async () => {
      const { id } = await paidCheckout();
      const paymentId = payments.getCheckout(id)?.paymentId ?? '';
      await payments.refund(paymentId, 4_000);
      expect(payments.getCheckout(id)?.status).toBe('refunded');
      await payments.refund(paymentId, 4_000);
      expect(payments.getCheckout(id)).toMatchObject({ status: 'refunded', paymentId });
    });

    it('refunds only the payment it names', async () => {
      const first = await paidCheckout({ leedId: 'leed-1' });
      const second = await paidCheckout({ leedId: 'leed-1' });
      await payments.refund(payments.getCheckout(second.id)?.paymentId ?? '', 4_000);
      expect(payments.getCheckout(first.id)?.status).toBe('paid');
      expect(payments.getCheckout(second.id)?.status).toBe('refunded');
    });

    it('an unknown payment, or more than was paid, is refused', async () => {
      const { id } = await paidCheckout();
      await expect(payments.refund('pay_unknown', 100)).rejects.toThrow(/no payment pay_unknown/);
      await expect(payments.refund(payments.getCheckout(id)?.paymentId ?? '', 4_001)).rejects.toThrow(RangeError);
    });

    it('paying a refunded checkout again takes no new payment', async () => {
      const { id, webhook } = await paidCheckout();
      await payments.refund(payments.getCheckout(id)?.paymentId ?? '', 4_000);
      expect(JSON.parse(payments.completeCheckout(id).body)).toEqual(JSON.parse(webhook.body));
      expect(payments.getCheckout(id)?.status).toBe('refunded');
    });
  });

  describe('checkout page', () => {
    const checkout: LocalCheckout = {
      ...aCheckoutRequest({ title: 'DJ <script>alert("x")</script> & "friends" \'n\' more' }),
      id: 'chk_abc',
      status: 'open',
      paymentId: null,
      createdAt: '2026-12-01T12:00:00.000Z',
    };

    it('shows the title, amount and fee, a Pay button posting to the complete route, and a Cancel link', () => {
      const html = renderCheckoutPage(checkout);
      expect(html).toMatch(/^<!doctype html>/);
      expect(html).toContain('<form method="post" action="/pay/checkout/chk_abc/complete">');
      expect(html).toContain('Pay $40.00</button>');
      expect(html).toContain('$3.60');
      expect(html).toContain('>Cancel</a>');
    });

    it('escapes the title and every other value (no XSS from what a seller typed)', () => {
      const html = renderCheckoutPage({ ...checkout, seller: '<img src=x onerror=alert(1)>' });
      expect(html).not.toContain('<script>');
      expect(html).not.toContain('<img');
      expect(html).toContain('DJ &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;friends&quot; &#39;n&#39; more');
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    });

    it('is self-contained: no scripts and no external assets', () => {
      const html = renderCheckoutPage(checkout);
      expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i);
      expect(html).not.toMatch(/https?:\/\//);
    });

    it('a paid checkout shows no Pay button, only the way back; a javascript: return URL is not a link', () => {
      const paid = renderCheckoutPage({ ...checkout, status: 'paid', paymentId: 'pay_1' });
      expect(paid).not.toContain('<form');
      expect(paid).toContain('This checkout is paid.');
      expect(paid).toContain(`href="${checkout.returnUrl}"`);
      const sneaky = renderCheckoutPage({ ...checkout, status: 'paid', returnUrl: 'javascript:alert(1)' });
      expect(sneaky).not.toContain('javascript:');
    });

    it('escapes an id that would break out of the form action', () => {
      const html = renderCheckoutPage({ ...checkout, id: '"><script>x</script>' });
      expect(html).not.toContain('<script>');
      expect(html).toContain('action="/pay/checkout/%22%3E%3Cscript%3Ex%3C%2Fscript%3E/complete"');
    });
  });
});
