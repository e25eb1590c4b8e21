/**
 * Payments through Square: a checkout is a Square-hosted payment link, a payment is reported by
 * Square's signed webhook, and a second payment for a sold leed is refunded through the Refunds API.
 * Plain `fetch` against Square's REST API (no SDK): three calls do not need one.
 *
 * **Checkout** (`POST /v2/online-checkout/payment-links`): an order with one line item (the leed's
 * title, its price in cents), a random idempotency key, and `checkout_options.redirect_url` (the
 * receipt page). The order's `reference_id` is the leed id and its `metadata` the leed, trade, buyer
 * and seller, for people reconciling in the Square Dashboard.
 *
 * **Mapping the payment back, statelessly.** A payment webhook carries the Payment, not its order's
 * `reference_id` or `metadata`; reading those would cost a `RetrieveOrder` call per webhook. But
 * Square copies the link's `payment_note` to the resulting Payment's `note`
 * (https://developer.squareup.com/reference/square/objects/PaymentLink#definition__property-payment_note),
 * so the note carries the reference: `leedz:<trade>/<leed id>/<buyer>`, each part URI-encoded.
 * Nothing is stored on our side, and the webhook alone says which leed was paid for and by whom.
 * The note is trusted only in a webhook whose signature verifies and whose payment was taken at our
 * `locationId`: a payment made elsewhere cannot claim a leed by copying the note.
 *
 * **Which webhook.** Square sends `payment.created` when a payment is created and `payment.updated`
 * on each later change; a card payment may be created `APPROVED` and completed later
 * (https://developer.squareup.com/docs/payments-api/webhooks). The money is taken at `COMPLETED`,
 * so either event counts when its payment's status is `COMPLETED`; the same payment reported twice
 * (created completed, then updated) is one sale, since the store records a payment id once.
 *
 * **The platform fee.** This adapter sells on one Square account (`accessToken`, `locationId`),
 * the platform's: the buyer pays the whole price to it, and the 9% fee is the platform's share by
 * bookkeeping. Payment links can take the fee at source (`checkout_options.app_fee_money`), but only
 * when the link is created with a *seller's* OAuth token (with `PAYMENTS_WRITE_ADDITIONAL_RECIPIENTS`):
 * the price then goes to the seller and the fee to the developer account behind the app
 * (https://developer.squareup.com/docs/payments-api/take-payments-and-collect-fees). That is the
 * next step once sellers connect their own Square accounts (badge 5, "Payments Connected"); with the
 * platform's own token Square refuses the field, so it is not sent.
 *
 * **Webhook signature**: base64(HMAC-SHA256(signature key, notification URL + raw body)) in
 * `x-square-hmacsha256-signature` (https://developer.squareup.com/docs/webhooks/step3validate).
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { type CheckoutRequest, IGNORED_WEBHOOK, type PaymentEvent, type Payments } from '../../../leedz/ports.js';

/** What the Square adapter is built with, resolved by the composition root. */
export interface SquarePaymentsOptions {
  /** An access token of the account that sells (the platform's). Never logged or put in an error. */
  accessToken: string;
  /** The location that takes the payments; a webhook for a payment at another location is refused. */
  locationId: string;
  /** The webhook subscription's signature key (Developer Console → Webhooks → the subscription). */
  webhookSignatureKey: string;
  /** The subscription's notification URL, exactly as registered: Square signs it with the body. */
  notificationUrl: string;
  environment: 'sandbox' | 'production';
  /** Injectable for tests; the global `fetch` otherwise. */
  fetch?: typeof fetch;
}

/** The header Square signs webhooks in. */
export const SQUARE_SIGNATURE_HEADER = 'x-square-hmacsha256-signature';

/**
 * The API version this adapter is written against: Square pins each request to the version it
 * names, so a change of the app's default version in the Developer Console changes nothing here.
 */
export const SQUARE_VERSION = '2025-10-16';

const BASE_URLS = {
  sandbox: 'https://connect.squareupsandbox.com',
  production: 'https://connect.squareup.com',
} as const;

const NOTE_PREFIX = 'leedz:';
/** `reference_id` of an order: at most 40 characters. */
const MAX_REFERENCE_ID = 40;

/**
 * A call to Square's API that did not succeed: the HTTP status and Square's error codes
 * (`INVALID_REQUEST_ERROR/INVALID_VALUE`, `RATE_LIMITED`, …), never the access token.
 *
 * @example
 * try { await square.refund(paymentId, amount); } catch (e) { if (e instanceof SquareApiError && e.status === 429) retryLater(); else throw e; }
 */
export class SquareApiError extends Error {
  readonly status: number;
  readonly codes: string[];

  constructor(operation: string, status: number, errors: SquareError[], cause?: unknown) {
    const described = errors.map((e) => `${e.category ?? '?'}/${e.code ?? '?'}${e.field ? ` (${e.field})` : ''}${e.detail ? `: ${e.detail}` : ''}`).join('; ');
    super(`Square ${operation} failed with HTTP ${status}${described ? `: ${described}` : ''}`, cause === undefined ? undefined : { cause });
    this.name = 'SquareApiError';
    this.status = status;
    this.codes = errors.map((e) => e.code ?? '?');
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, status: this.status, codes: this.codes, message: this.message };
  }
}

interface SquareError {
  category?: string;
  code?: string;
  detail?: string;
  field?: string;
}

/** The parts of a payment webhook this adapter reads; Square's other fields are ignored. */
const paymentWebhookSchema = z.object({
  type: z.enum(['payment.created', 'payment.updated']),
  data: z.object({
    object: z.object({
      payment: z.object({
        id: z.string().min(1),
        status: z.string(),
        location_id: z.string(),
        amount_money: z.object({ amount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER), currency: z.string() }),
        note: z.string().max(500).optional(),
      }),
    }),
  }),
});

/**
 * The Square provider. Throws at creation when a credential is empty or the notification URL is
 * not https (Square delivers only to https). `verifyWebhook` never throws: a missing or wrong
 * signature → undefined; a signed event that is not a completed payment of a Leedz checkout at our
 * location → `IGNORED_WEBHOOK`. `refund` uses an idempotency
 * key derived from the payment id, so refunding one payment again returns Square's first refund.
 *
 * The `url` argument of `verifyWebhook` is not what is signed: Square signs the notification URL
 * registered in the subscription, and the URL a request arrives at can differ behind API Gateway,
 * a custom domain or a proxy. The configured `notificationUrl` is used instead.
 *
 * @example
 * const square = createSquarePayments({ accessToken, locationId, webhookSignatureKey, notificationUrl: 'https://api.theleedz.com/api/payments/webhook', environment: 'production' });
 * const { checkoutUrl } = await square.createCheckout(request);            // → 'https://square.link/u/…'
 * const payment = await square.verifyWebhook(headers, rawBody, requestUrl); // → { paymentId, leedId, trade, buyer, amount } | 'ignored' | undefined
 * await square.refund(payment.paymentId, payment.amount);
 */
export function createSquarePayments(options: SquarePaymentsOptions): Payments {
  const { accessToken, locationId, webhookSignatureKey, notificationUrl, environment } = options;
  for (const [name, value] of Object.entries({ accessToken, locationId, webhookSignatureKey })) {
    if (typeof value !== 'string' || value.trim() === '') throw new Error(`Square payments: ${name} must not be empty`);
  }
  if (!/^https:\/\//.test(notificationUrl)) throw new Error(`Square payments: notificationUrl must be the https URL registered for the webhook, got "${notificationUrl}"`);
  if (!Object.hasOwn(BASE_URLS, environment)) throw new Error(`Square payments: environment must be "sandbox" or "production", got "${String(environment)}"`);
  const baseUrl = BASE_URLS[environment];
  const fetchImpl = options.fetch ?? fetch;

  async function call<T>(operation: string, path: string, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetchImpl(`${baseUrl}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${accessToken}`,
          'content-type': 'application/json',
          accept: 'application/json',
          'square-version': SQUARE_VERSION,
        },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new Error(`Square ${operation}: could not reach ${baseUrl} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    const text = await response.text();
    let json: { errors?: SquareError[] } & Record<string, unknown>;
    try {
      json = text === '' ? {} : (JSON.parse(text) as typeof json);
    } catch (error) {
      throw new SquareApiError(operation, response.status, [{ detail: `the response is not JSON: ${text.slice(0, 200)}` }], error);
    }
    if (!response.ok || (json.errors?.length ?? 0) > 0) throw new SquareApiError(operation, response.status, json.errors ?? []);
    return json as T;
  }

  return {
    async createCheckout(request: CheckoutRequest) {
      if (!Number.isSafeInteger(request.amount) || request.amount <= 0) throw new RangeError(`checkout amount must be a positive number of cents, got ${request.amount}`);
      if (!Number.isSafeInteger(request.fee) || request.fee < 0 || request.fee > request.amount) throw new RangeError(`checkout fee must be 0…amount cents, got ${request.fee}`);
      const body = {
        idempotency_key: randomUUID(),
        description: `Leedz: ${request.trade} leed ${request.leedId} for ${request.buyer}`,
        order: {
          location_id: locationId,
          ...(request.leedId.length <= MAX_REFERENCE_ID ? { reference_id: request.leedId } : {}),
          line_items: [{ name: lineItemName(request.title), quantity: '1', base_price_money: { amount: request.amount, currency: 'USD' } }],
          metadata: { leedz_leed: request.leedId, leedz_trade: request.trade, leedz_buyer: request.buyer, leedz_seller: request.seller },
        },
        checkout_options: { redirect_url: request.returnUrl, allow_tipping: false, ask_for_shipping_address: false },
        payment_note: paymentNote(request),
      };
      const result = await call<{ payment_link?: { url?: string; long_url?: string } }>('CreatePaymentLink', '/v2/online-checkout/payment-links', body);
      const checkoutUrl = result.payment_link?.url ?? result.payment_link?.long_url;
      if (checkoutUrl === undefined || !/^https:\/\//.test(checkoutUrl)) throw new SquareApiError('CreatePaymentLink', 200, [{ detail: 'the response has no https payment_link.url' }]);
      return { checkoutUrl };
    },

    async verifyWebhook(headers, rawBody) {
      if (!signatureMatches(headerValue(headers, SQUARE_SIGNATURE_HEADER), webhookSignatureKey, notificationUrl, rawBody)) return undefined;
      // Signed by Square from here on: whatever it is, it is acknowledged (a 401 would be redelivered).
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        return IGNORED_WEBHOOK;
      }
      const parsed = paymentWebhookSchema.safeParse(json);
      if (!parsed.success) return IGNORED_WEBHOOK;
      const { id, status, location_id: paidAt, amount_money: money, note } = parsed.data.data.object.payment;
      if (status !== 'COMPLETED' || paidAt !== locationId || money.currency !== 'USD') return IGNORED_WEBHOOK;
      const reference = parsePaymentNote(note);
      if (reference === undefined) return IGNORED_WEBHOOK;
      const result: PaymentEvent = { paymentId: id, ...reference, amount: money.amount };
      return result;
    },

    async refund(paymentId, amount) {
      if (paymentId === '') throw new Error('Square refund: no payment id');
      if (!Number.isSafeInteger(amount) || amount <= 0) throw new RangeError(`Square refund: amount must be a positive number of cents, got ${amount}`);
      const body = {
        // One refund per payment, whoever asks and however often: at most 45 characters.
        idempotency_key: `leedz-refund-${createHash('sha256').update(paymentId).digest('base64url').slice(0, 32)}`,
        payment_id: paymentId,
        amount_money: { amount, currency: 'USD' },
        reason: 'The Leedz: this payment did not buy the leed (sold already, withdrawn, or not its price)',
      };
      try {
        await call('RefundPayment', '/v2/refunds', body);
      } catch (error) {
        // A refund of this payment is already on its way (a redelivered webhook after ours expired
        // from Square's idempotency memory): nothing more to do.
        if (error instanceof SquareApiError && error.codes.includes('REFUND_ALREADY_PENDING')) return;
        throw error;
      }
    },
  };
}

/** The reference the webhook is parsed from (see the top comment). */
function paymentNote(request: CheckoutRequest): string {
  return `${NOTE_PREFIX}${[request.trade, request.leedId, request.buyer].map(encodeURIComponent).join('/')}`;
}

function parsePaymentNote(note: string | undefined): Pick<PaymentEvent, 'trade' | 'leedId' | 'buyer'> | undefined {
  if (note === undefined || !note.startsWith(NOTE_PREFIX)) return undefined;
  const parts = note.slice(NOTE_PREFIX.length).split('/');
  if (parts.length !== 3) return undefined;
  try {
    const [trade, leedId, buyer] = parts.map((part) => decodeURIComponent(part));
    if (!trade || !leedId || !buyer) return undefined;
    return { trade, leedId, buyer };
  } catch {
    return undefined; // malformed %-escapes
  }
}

/** Square's line item names hold at most 512 characters; a leed title holds 120. */
function lineItemName(title: string): string {
  const name = title.trim().slice(0, 512);
  return name === '' ? 'Leed' : name;
}

/** Constant-time check of base64(HMAC-SHA256(key, url + body)) against the header. */
function signatureMatches(header: string | undefined, key: string, url: string, rawBody: string): boolean {
  // 32 bytes in base64: 43 characters and one "=". Anything else cannot match, and
  // timingSafeEqual needs two buffers of one length.
  if (header === undefined || !/^[A-Za-z0-9+/]{43}=$/.test(header.trim())) return false;
  const expected = createHmac('sha256', key).update(url + rawBody, 'utf8').digest();
  return timingSafeEqual(Buffer.from(header.trim(), 'base64'), expected);
}

/** A header by name in any case (Node lowercases, other callers may not). */
function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}
