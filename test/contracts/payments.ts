/**
 * The Payments contract (`Payments` in `src/leedz/ports.ts`), run on every adapter: the local
 * test-mode provider (and Square when it exists, with its signature test vectors). The fixture's
 * `pay` plays the buyer and the provider: it pays a checkout and returns the webhook the provider
 * would deliver.
 *
 * @example
 * describePaymentsContract('local', async () => {
 *   const payments = createLocalPayments({ db, baseUrl, webhookSecret });
 *   return { payments, pay: async (url) => ({ ...payments.completeCheckout(idOf(url)), url: webhookUrl }), teardown };
 * });
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CheckoutRequest, IGNORED_WEBHOOK, type Payments } from '../../src/leedz/ports.js';

export interface DeliveredWebhook {
  headers: Record<string, string | undefined>;
  body: string;
  /** The URL the webhook was posted to (some providers sign it). */
  url: string;
}

export interface PaymentsFixture {
  payments: Payments;
  /** Pay at `checkoutUrl` as the buyer; the provider's webhook for that payment. */
  pay(checkoutUrl: string): Promise<DeliveredWebhook>;
  teardown(): Promise<void>;
}

/** A small builder: a checkout for a $40 leed. */
export function aCheckoutRequest(overrides: Partial<CheckoutRequest> = {}): CheckoutRequest {
  return {
    leedId: 'leed-1',
    trade: 'caricatures',
    title: 'Caricatures at a wedding',
    buyer: 'bob',
    seller: 'ada',
    amount: 4_000,
    fee: 360,
    returnUrl: 'http://127.0.0.1:3000/receipts/caricatures/leed-1',
    ...overrides,
  };
}

export function describePaymentsContract(name: string, setup: () => Promise<PaymentsFixture>): void {
  describe(`Payments contract: ${name}`, () => {
    let fixture: PaymentsFixture;

    beforeEach(async () => {
      fixture = await setup();
    });

    afterEach(async () => {
      await fixture.teardown();
    });

    it('a checkout has a URL where the buyer pays', async () => {
      const { checkoutUrl } = await fixture.payments.createCheckout(aCheckoutRequest());
      expect(new URL(checkoutUrl).protocol).toMatch(/^https?:$/);
    });

    it('the webhook of a payment verifies to the payment: id, leed, trade, buyer and amount', async () => {
      const request = aCheckoutRequest();
      const { checkoutUrl } = await fixture.payments.createCheckout(request);
      const webhook = await fixture.pay(checkoutUrl);
      expect(await fixture.payments.verifyWebhook(webhook.headers, webhook.body, webhook.url)).toEqual({
        paymentId: expect.any(String),
        leedId: request.leedId,
        trade: request.trade,
        buyer: request.buyer,
        amount: request.amount,
      });
    });

    it('an unsigned webhook, or one whose body was changed, verifies to nothing', async () => {
      const webhook = await fixture.pay((await fixture.payments.createCheckout(aCheckoutRequest())).checkoutUrl);
      // The buyer's name without quotes: a provider may carry it inside another string (Square's payment note).
      const changed = webhook.body.replace('bob', 'mallory');
      expect(changed).not.toBe(webhook.body);
      expect(await fixture.payments.verifyWebhook({}, webhook.body, webhook.url)).toBeUndefined();
      expect(await fixture.payments.verifyWebhook(webhook.headers, changed, webhook.url)).toBeUndefined();
      expect(await fixture.payments.verifyWebhook(webhook.headers, '', webhook.url)).toBeUndefined();
    });

    it('the signature of one webhook does not verify another', async () => {
      const first = await fixture.pay((await fixture.payments.createCheckout(aCheckoutRequest({ leedId: 'leed-1' }))).checkoutUrl);
      const second = await fixture.pay((await fixture.payments.createCheckout(aCheckoutRequest({ leedId: 'leed-2' }))).checkoutUrl);
      expect(await fixture.payments.verifyWebhook(first.headers, second.body, second.url)).toBeUndefined();
    });

    it('a payment can be refunded, and refunding it again changes nothing', async () => {
      const webhook = await fixture.pay((await fixture.payments.createCheckout(aCheckoutRequest())).checkoutUrl);
      const payment = await fixture.payments.verifyWebhook(webhook.headers, webhook.body, webhook.url);
      if (payment === undefined || payment === IGNORED_WEBHOOK) throw new Error(`the paid checkout's webhook verified to ${String(payment)}`);
      await fixture.payments.refund(payment.paymentId, payment.amount);
      await fixture.payments.refund(payment.paymentId, payment.amount);
    });
  });
}
