import { createHmac, randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { createSquarePayments, SQUARE_SIGNATURE_HEADER, SQUARE_VERSION, SquareApiError, type SquarePaymentsOptions } from '../../../src/adapters/payments/square/square-payments.js';
import { IGNORED_WEBHOOK, type Payments } from '../../../src/leedz/ports.js';
import { aCheckoutRequest, describePaymentsContract } from '../../contracts/payments.js';

const NOTIFICATION_URL = 'https://api.leedz.test/api/payments/webhook';
const SIGNATURE_KEY = 'sq-signature-key-0123456789';
const LOCATION_ID = 'L88917AVBK2S5';
const ACCESS_TOKEN = 'EAAAl-sandbox-token-do-not-log';

/**
 * Square's documented webhook signature, written here from the documentation and not from the
 * adapter: base64(HMAC-SHA256(signature key, notification URL + raw body)).
 * https://developer.squareup.com/docs/webhooks/step3validate
 */
function squareSignature(body: string, url = NOTIFICATION_URL, key = SIGNATURE_KEY): string {
  return createHmac('sha256', key).update(url + body).digest('base64');
}

interface Recorded {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

interface StoredLink {
  id: string;
  url: string;
  orderId: string;
  request: Record<string, any>;
}

/**
 * A fake Square behind `fetch`: `CreatePaymentLink` and `RefundPayment` as the API reference
 * describes them (a repeated idempotency key answers with the first response), and `pay`, which
 * plays the buyer on the checkout page and returns the `payment.updated` webhook Square would send,
 * signed as Square signs.
 */
function createFakeSquare() {
  const requests: Recorded[] = [];
  const links = new Map<string, StoredLink>();
  const refunds = new Map<string, Record<string, unknown>>();
  const responsesByKey = new Map<string, unknown>();
  let nextError: { status: number; body: unknown } | undefined;

  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  const fetchImpl: typeof fetch = async (input, init) => {
    const url = String(input);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => (headers[name] = value));
    const body = JSON.parse(String(init?.body ?? '{}')) as Record<string, any>;
    requests.push({ url, method: init?.method ?? 'GET', headers, body });
    if (nextError !== undefined) {
      const { status, body: errorBody } = nextError;
      nextError = undefined;
      return json(status, errorBody);
    }
    if (headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return json(401, { errors: [{ category: 'AUTHENTICATION_ERROR', code: 'UNAUTHORIZED', detail: 'This request could not be authorized.' }] });
    const key = `${new URL(url).pathname} ${String(body.idempotency_key)}`;
    if (responsesByKey.has(key)) return json(200, responsesByKey.get(key));
    const path = new URL(url).pathname;
    if (path === '/v2/online-checkout/payment-links' && init?.method === 'POST') {
      const id = randomBytes(8).toString('hex').toUpperCase();
      const orderId = randomBytes(14).toString('base64url');
      const link = { id, url: `https://sandbox.square.link/u/${id}`, orderId, request: body };
      links.set(link.url, link);
      const response = {
        payment_link: { id, version: 1, order_id: orderId, checkout_options: body.checkout_options, url: link.url, long_url: `https://sandbox.square.link/u/${id}?long=1`, created_at: new Date().toISOString(), payment_note: body.payment_note },
        related_resources: { orders: [{ id: orderId, location_id: body.order.location_id, state: 'DRAFT', reference_id: body.order.reference_id, metadata: body.order.metadata }] },
      };
      responsesByKey.set(key, response);
      return json(200, response);
    }
    if (path === '/v2/refunds' && init?.method === 'POST') {
      const refund = { id: `R${randomBytes(10).toString('hex')}`, status: 'PENDING', amount_money: body.amount_money, payment_id: body.payment_id, location_id: LOCATION_ID };
      refunds.set(refund.id, refund);
      responsesByKey.set(key, { refund });
      return json(200, { refund });
    }
    return json(404, { errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'NOT_FOUND', detail: `no route ${path}` }] });
  };

  /** The webhook of a completed payment at this link, as Square delivers it. */
  function webhookFor(linkUrl: string, overrides: { status?: string; type?: string; locationId?: string; note?: string | undefined; amount?: number; currency?: string } = {}) {
    const link = links.get(linkUrl);
    if (link === undefined) throw new Error(`no payment link ${linkUrl}`);
    const price = link.request.order.line_items[0].base_price_money as { amount: number; currency: string };
    const paymentId = randomBytes(18).toString('base64url');
    const amount = { amount: overrides.amount ?? price.amount, currency: overrides.currency ?? price.currency };
    const event = {
      merchant_id: 'ML82H4QPKMGXY',
      type: overrides.type ?? 'payment.updated',
      event_id: crypto.randomUUID(),
      created_at: new Date().toISOString(),
      data: {
        type: 'payment',
        id: paymentId,
        object: {
          payment: {
            id: paymentId,
            created_at: new Date().toISOString(),
            updated_at: new Date().toISOString(),
            amount_money: amount,
            total_money: amount,
            approved_money: amount,
            status: overrides.status ?? 'COMPLETED',
            source_type: 'CARD',
            card_details: { status: 'CAPTURED', card: { card_brand: 'VISA', last_4: '1111' } },
            location_id: overrides.locationId ?? link.request.order.location_id,
            order_id: link.orderId,
            // Square copies the link's payment_note to the payment's note.
            ...('note' in overrides ? (overrides.note === undefined ? {} : { note: overrides.note }) : { note: link.request.payment_note }),
            receipt_url: `https://squareupsandbox.com/receipt/preview/${paymentId}`,
            version_token: randomBytes(12).toString('base64url'),
          },
        },
      },
    };
    const body = JSON.stringify(event);
    return { body, headers: { [SQUARE_SIGNATURE_HEADER]: squareSignature(body), 'square-environment': 'Sandbox' }, url: NOTIFICATION_URL, paymentId };
  }

  return {
    fetch: fetchImpl,
    requests,
    refunds,
    webhookFor,
    failNext(status: number, body: unknown) {
      nextError = { status, body };
    },
  };
}

function options(fake: ReturnType<typeof createFakeSquare>, overrides: Partial<SquarePaymentsOptions> = {}): SquarePaymentsOptions {
  return {
    accessToken: ACCESS_TOKEN,
    locationId: LOCATION_ID,
    webhookSignatureKey: SIGNATURE_KEY,
    notificationUrl: NOTIFICATION_URL,
    environment: 'sandbox',
    fetch: fake.fetch,
    ...overrides,
  };
}

describePaymentsContract('Square (fake Square behind fetch, Square’s signature)', async () => {
  const fake = createFakeSquare();
  return {
    payments: createSquarePayments(options(fake)),
    pay: async (checkoutUrl) => fake.webhookFor(checkoutUrl),
    teardown: async () => {},
  };
});

describe('Square payments', () => {
  let fake: ReturnType<typeof createFakeSquare>;
  let square: Payments;

  beforeEach(() => {
    fake = createFakeSquare();
    square = createSquarePayments(options(fake));
  });

  async function paidWebhook(overrides: Parameters<ReturnType<typeof createFakeSquare>['webhookFor']>[1] = {}, request = aCheckoutRequest()) {
    const { checkoutUrl } = await square.createCheckout(request);
    return fake.webhookFor(checkoutUrl, overrides);
  }

  describe('checkout', () => {
    it('creates a payment link: an order of the leed at our location, the return URL, and the reference in the payment note', async () => {
      const request = aCheckoutRequest({ trade: 'face painting', leedId: 'l_abc', buyer: 'bob', seller: 'ada', title: 'Face painting at the fair', amount: 4_000, fee: 360 });
      const { checkoutUrl } = await square.createCheckout(request);
      expect(checkoutUrl).toMatch(/^https:\/\/sandbox\.square\.link\/u\//);
      const [call, ...more] = fake.requests;
      expect(more).toEqual([]);
      expect(call?.url).toBe('https://connect.squareupsandbox.com/v2/online-checkout/payment-links');
      expect(call?.method).toBe('POST');
      expect(call?.headers).toMatchObject({ authorization: `Bearer ${ACCESS_TOKEN}`, 'content-type': 'application/json', 'square-version': SQUARE_VERSION });
      expect(call?.body).toEqual({
        idempotency_key: expect.stringMatching(/^[0-9a-f-]{36}$/),
        description: 'Leedz: face painting leed l_abc for bob',
        order: {
          location_id: LOCATION_ID,
          reference_id: 'l_abc',
          line_items: [{ name: 'Face painting at the fair', quantity: '1', base_price_money: { amount: 4_000, currency: 'USD' } }],
          metadata: { leedz_leed: 'l_abc', leedz_trade: 'face painting', leedz_buyer: 'bob', leedz_seller: 'ada' },
        },
        checkout_options: { redirect_url: request.returnUrl, allow_tipping: false, ask_for_shipping_address: false },
        payment_note: 'leedz:face%20painting/l_abc/bob',
      });
    });

    it('each checkout has its own idempotency key, and production uses Square’s production host', async () => {
      await square.createCheckout(aCheckoutRequest());
      await square.createCheckout(aCheckoutRequest());
      expect(fake.requests[0]?.body.idempotency_key).not.toBe(fake.requests[1]?.body.idempotency_key);
      const production = createSquarePayments(options(fake, { environment: 'production' }));
      await production.createCheckout(aCheckoutRequest());
      expect(fake.requests[2]?.url).toBe('https://connect.squareup.com/v2/online-checkout/payment-links');
    });

    it('a leed id too long for reference_id is left out of it (it is still in the note and the metadata)', async () => {
      const leedId = `l_${'x'.repeat(40)}`;
      await square.createCheckout(aCheckoutRequest({ leedId }));
      const body = fake.requests[0]?.body as { order: Record<string, unknown>; payment_note: string };
      expect(body.order.reference_id).toBeUndefined();
      expect(body.payment_note).toContain(leedId);
    });

    it('refuses amounts that are not positive cents and fees beyond the amount, before calling Square', async () => {
      for (const amount of [0, -100, 12.5, Number.NaN]) await expect(square.createCheckout(aCheckoutRequest({ amount }))).rejects.toThrow(RangeError);
      await expect(square.createCheckout(aCheckoutRequest({ amount: 100, fee: 101 }))).rejects.toThrow(RangeError);
      expect(fake.requests).toEqual([]);
    });

    it('a Square error names the operation, the status and Square’s codes, never the access token', async () => {
      fake.failNext(400, { errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'INVALID_VALUE', field: 'order.location_id', detail: 'Invalid location id.' }] });
      const error = await square.createCheckout(aCheckoutRequest()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SquareApiError);
      expect((error as SquareApiError).message).toBe('Square CreatePaymentLink failed with HTTP 400: INVALID_REQUEST_ERROR/INVALID_VALUE (order.location_id): Invalid location id.');
      expect((error as SquareApiError).status).toBe(400);
      expect(JSON.stringify(error)).not.toContain(ACCESS_TOKEN);
      expect(String((error as Error).stack)).not.toContain(ACCESS_TOKEN);

      const wrongToken = createSquarePayments(options(fake, { accessToken: 'revoked' }));
      await expect(wrongToken.createCheckout(aCheckoutRequest())).rejects.toThrow(/HTTP 401: AUTHENTICATION_ERROR\/UNAUTHORIZED/);
    });

    it('a network failure or a response that is not JSON is an error that says so', async () => {
      const down = createSquarePayments(options(fake, { fetch: async () => Promise.reject(new TypeError('fetch failed')) }));
      await expect(down.createCheckout(aCheckoutRequest())).rejects.toThrow('Square CreatePaymentLink: could not reach https://connect.squareupsandbox.com (fetch failed)');
      const html = createSquarePayments(options(fake, { fetch: async () => new Response('<html>502 Bad Gateway</html>', { status: 502 }) }));
      await expect(html.createCheckout(aCheckoutRequest())).rejects.toThrow(/HTTP 502: .*not JSON/);
    });

    it('refuses at creation: empty credentials, a notification URL that is not https, an unknown environment', () => {
      expect(() => createSquarePayments(options(fake, { accessToken: '' }))).toThrow('accessToken must not be empty');
      expect(() => createSquarePayments(options(fake, { webhookSignatureKey: ' ' }))).toThrow('webhookSignatureKey must not be empty');
      expect(() => createSquarePayments(options(fake, { locationId: '' }))).toThrow('locationId must not be empty');
      expect(() => createSquarePayments(options(fake, { notificationUrl: 'http://api.leedz.test/webhook' }))).toThrow(/must be the https URL/);
      expect(() => createSquarePayments(options(fake, { environment: 'staging' as 'sandbox' }))).toThrow(/"sandbox" or "production"/);
    });
  });

  describe('webhook signature (vectors computed from Square’s documented algorithm)', () => {
    it('a fixed vector: the key, URL and body below sign to this exact header value', async () => {
      // Pinned, computed outside this code base with the documented formula:
      //   printf '%s' "$URL$BODY" | openssl dgst -sha256 -hmac "$KEY" -binary | base64
      // so a change in how the adapter concatenates, encodes or hashes cannot pass by agreeing with itself.
      const body = '{"merchant_id":"ML82H4QPKMGXY","type":"payment.updated","event_id":"0","data":{"type":"payment","id":"P1","object":{"payment":{"id":"P1","status":"COMPLETED","location_id":"L88917AVBK2S5","amount_money":{"amount":4000,"currency":"USD"},"note":"leedz:caricatures/leed-1/bob"}}}}';
      const header = 'GJ9/8K6wj7YRllDvFUuvT2qHULoX7dvXzU0ViWuMvaA=';
      expect(squareSignature(body)).toBe(header);
      expect(await square.verifyWebhook({ [SQUARE_SIGNATURE_HEADER]: header }, body, NOTIFICATION_URL)).toEqual({ paymentId: 'P1', leedId: 'leed-1', trade: 'caricatures', buyer: 'bob', amount: 4_000 });
    });

    it('refused: a wrong key, a tampered body, another URL, a missing or malformed header', async () => {
      const webhook = await paidWebhook();
      const verify = (headers: Record<string, string | undefined>, body = webhook.body) => square.verifyWebhook(headers, body, NOTIFICATION_URL);
      expect(await verify(webhook.headers)).toBeDefined();
      expect(await verify({ [SQUARE_SIGNATURE_HEADER]: squareSignature(webhook.body, NOTIFICATION_URL, 'another-key') })).toBeUndefined();
      expect(await verify(webhook.headers, webhook.body.replace('"amount":4000', '"amount":1'))).toBeUndefined();
      expect(await verify(webhook.headers, `${webhook.body} `)).toBeUndefined();
      expect(await verify({ [SQUARE_SIGNATURE_HEADER]: squareSignature(webhook.body, 'https://api.leedz.test/api/payments/webhook/') })).toBeUndefined();
      expect(await verify({ [SQUARE_SIGNATURE_HEADER]: squareSignature(webhook.body, 'http://api.leedz.test/api/payments/webhook') })).toBeUndefined();
      expect(await verify({})).toBeUndefined();
      for (const bad of ['', 'x', 'A'.repeat(43), `${'A'.repeat(43)}=`, Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), 'sha256=abc', `${webhook.headers[SQUARE_SIGNATURE_HEADER]}x`]) {
        expect(await verify({ [SQUARE_SIGNATURE_HEADER]: bad })).toBeUndefined();
      }
      // The old SHA-1 header alone is not accepted.
      expect(await verify({ 'x-square-signature': createHmac('sha1', SIGNATURE_KEY).update(NOTIFICATION_URL + webhook.body).digest('base64') })).toBeUndefined();
    });

    it('the header is found in any case, and the signed URL is the configured one, whatever URL the request reached', async () => {
      const webhook = await paidWebhook();
      const signature = webhook.headers[SQUARE_SIGNATURE_HEADER];
      expect(await square.verifyWebhook({ 'X-Square-HmacSha256-Signature': signature }, webhook.body, NOTIFICATION_URL)).toBeDefined();
      // Behind API Gateway the request may arrive at another host; Square signed the registered URL.
      expect(await square.verifyWebhook(webhook.headers, webhook.body, 'https://abc123.execute-api.us-east-1.amazonaws.com/api/payments/webhook')).toBeDefined();
    });
  });

  describe('webhook parsing', () => {
    it('payment.created or payment.updated of a COMPLETED payment is the payment: id, leed, trade, buyer, amount', async () => {
      const request = aCheckoutRequest({ trade: 'face painting', leedId: 'l_xyz', buyer: 'bob-2' });
      for (const type of ['payment.created', 'payment.updated']) {
        const webhook = await paidWebhook({ type }, request);
        expect(await square.verifyWebhook(webhook.headers, webhook.body, webhook.url)).toEqual({ paymentId: webhook.paymentId, leedId: 'l_xyz', trade: 'face painting', buyer: 'bob-2', amount: request.amount });
      }
    });

    it('a payment not yet (or never) completed is nothing to act on', async () => {
      for (const status of ['APPROVED', 'PENDING', 'CANCELED', 'FAILED']) {
        const webhook = await paidWebhook({ status });
        expect(await square.verifyWebhook(webhook.headers, webhook.body, webhook.url)).toBe(IGNORED_WEBHOOK);
      }
    });

    it('signed but not ours: another event type, another location, another currency, no or a foreign note', async () => {
      const cases = [
        { type: 'refund.updated' },
        { type: 'order.updated' },
        { locationId: 'LOTHERSELLER' },
        { currency: 'CAD' },
        { amount: 0 },
        { note: undefined },
        { note: 'Thanks for the coffee!' },
        { note: 'leedz:caricatures/leed-1' },
        { note: 'leedz:caricatures/leed-1/bob/extra' },
        { note: 'leedz:caricatures//bob' },
        { note: 'leedz:caricatures/%E0%A4%A/bob' },
      ];
      for (const overrides of cases) {
        const webhook = await paidWebhook(overrides);
        expect(await square.verifyWebhook(webhook.headers, webhook.body, webhook.url), JSON.stringify(overrides)).toBe(IGNORED_WEBHOOK);
      }
    });

    it('a signed body that is not JSON, or not an event, is ignored and never throws', async () => {
      for (const body of ['', 'not json', 'null', '[]', '{"type":"payment.updated"}', '{"type":"payment.updated","data":{"object":{"payment":null}}}']) {
        expect(await square.verifyWebhook({ [SQUARE_SIGNATURE_HEADER]: squareSignature(body) }, body, NOTIFICATION_URL)).toBe(IGNORED_WEBHOOK);
      }
    });
  });

  describe('refund', () => {
    it('posts to /v2/refunds with the payment, the amount in USD and an idempotency key derived from the payment', async () => {
      await square.refund('KkAkhdMsgzn59SM8A89WgKwekxLZY', 4_000);
      const [call] = fake.requests;
      expect(call?.url).toBe('https://connect.squareupsandbox.com/v2/refunds');
      expect(call?.method).toBe('POST');
      expect(call?.headers).toMatchObject({ authorization: `Bearer ${ACCESS_TOKEN}`, 'square-version': SQUARE_VERSION });
      expect(call?.body).toEqual({
        idempotency_key: expect.stringMatching(/^leedz-refund-[A-Za-z0-9_-]{32}$/),
        payment_id: 'KkAkhdMsgzn59SM8A89WgKwekxLZY',
        amount_money: { amount: 4_000, currency: 'USD' },
        reason: expect.any(String),
      });
      expect(String(call?.body.idempotency_key).length).toBeLessThanOrEqual(45);
    });

    it('refunding one payment twice sends the same key, so Square refunds once; another payment gets another key', async () => {
      await square.refund('P-1', 4_000);
      await square.refund('P-1', 4_000);
      await square.refund('P-2', 4_000);
      const keys = fake.requests.map((r) => r.body.idempotency_key);
      expect(keys[0]).toBe(keys[1]);
      expect(keys[2]).not.toBe(keys[0]);
      expect(fake.refunds.size).toBe(2);
    });

    it('a refund already pending is done; other Square errors are thrown', async () => {
      fake.failNext(400, { errors: [{ category: 'INVALID_REQUEST_ERROR', code: 'REFUND_ALREADY_PENDING', detail: 'A refund is already pending for this payment.' }] });
      await square.refund('P-1', 4_000);
      fake.failNext(429, { errors: [{ category: 'RATE_LIMIT_ERROR', code: 'RATE_LIMITED', detail: 'Too many requests' }] });
      await expect(square.refund('P-1', 4_000)).rejects.toThrow('Square RefundPayment failed with HTTP 429: RATE_LIMIT_ERROR/RATE_LIMITED: Too many requests');
      await expect(square.refund('P-1', 0)).rejects.toThrow(RangeError);
      await expect(square.refund('', 100)).rejects.toThrow(/no payment id/);
    });
  });
});
