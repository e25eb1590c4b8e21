/**
 * The local test-mode payment provider: a checkout page served by the local server, whose Pay
 * button "takes" the payment and delivers a signed webhook to `/api/payments/webhook`, exactly as a
 * real provider would. No money moves, but the webhook path is the real one: the signature is
 * checked, a stale or forged call is refused, and a second payment for a sold leed is refunded.
 *
 * Signature (the scheme Stripe uses): header `x-leedz-signature: t=<unix seconds>,v1=<hex>`, where
 * the hex is HMAC-SHA256 of `${t}.${rawBody}` keyed with the webhook secret. Signing the timestamp
 * with the body lets the receiver refuse a captured webhook replayed later.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { formatCents } from '../../../leedz/domain/money.js';
import { type CheckoutRequest, IGNORED_WEBHOOK, type PaymentEvent, type Payments } from '../../../leedz/ports.js';

/** The header that carries the webhook's signature (`t=<unix seconds>,v1=<hex>`). */
export const SIGNATURE_HEADER = 'x-leedz-signature';

/** How far a webhook's timestamp may be from now, either way, before it is refused as a replay. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** A checkout is open until paid; a paid one may be refunded (a second payment for a sold leed). */
export type LocalCheckoutStatus = 'open' | 'paid' | 'refunded';

/** A checkout session of the local provider, as its page shows it. */
export interface LocalCheckout extends CheckoutRequest {
  id: string;
  status: LocalCheckoutStatus;
  /** Set once paid. */
  paymentId: string | null;
  createdAt: string;
}

/** A webhook to POST to `/api/payments/webhook`: the raw body and the headers that sign it. */
export interface SignedWebhook {
  body: string;
  headers: { 'x-leedz-signature': string };
}

/**
 * The Payments port plus what the local checkout page needs. These two are synchronous, like
 * `better-sqlite3` underneath; the port's methods return promises.
 */
export interface LocalPayments extends Payments {
  /**
   * Pay a checkout (its page's Pay button) and return the signed webhook to deliver. Paying again
   * takes no second payment: it returns the same payment's webhook, freshly signed, so a webhook
   * that failed to arrive can be delivered again. Unknown id → throws.
   */
  completeCheckout(id: string): SignedWebhook;
  /** A checkout by id, for its page, or undefined. */
  getCheckout(id: string): LocalCheckout | undefined;
}

/** What the local provider is built with; the composition root keeps the secret in the data folder. */
export interface LocalPaymentsOptions {
  /** An open database (usually the data folder's file); the `local_checkouts` table is created if missing. */
  db: Database.Database;
  /** The local server's public URL; checkout pages are at `${baseUrl}/pay/checkout/<id>`. */
  baseUrl: string;
  /** The HMAC key of webhook signatures (kept in the data folder by the composition root). */
  webhookSecret: string;
  /** The clock in epoch milliseconds, injectable for tests. */
  now?: () => number;
}

/** What the local provider's webhook carries (and all that `verifyWebhook` accepts). */
const webhookBodySchema = z.object({
  type: z.literal('checkout.paid'),
  checkoutId: z.string().min(1),
  paymentId: z.string().min(1),
  leedId: z.string().min(1),
  trade: z.string().min(1),
  buyer: z.string().min(1),
  amount: z.number().int().min(0),
});

const SCHEMA = `
CREATE TABLE IF NOT EXISTS local_checkouts (
  id         TEXT PRIMARY KEY,
  leed_id    TEXT NOT NULL,
  trade      TEXT NOT NULL,
  title      TEXT NOT NULL,
  buyer      TEXT NOT NULL,
  seller     TEXT NOT NULL,
  amount     INTEGER NOT NULL,
  fee        INTEGER NOT NULL,
  return_url TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('open', 'paid', 'refunded')),
  payment_id TEXT UNIQUE,
  created_at TEXT NOT NULL
);
`;

interface CheckoutRow {
  id: string;
  leed_id: string;
  trade: string;
  title: string;
  buyer: string;
  seller: string;
  amount: number;
  fee: number;
  return_url: string;
  status: LocalCheckoutStatus;
  payment_id: string | null;
  created_at: string;
}

/**
 * The local provider. `verifyWebhook` answers undefined (never throws) for a missing, malformed or
 * wrong signature or a timestamp more than 5 minutes away, and `IGNORED_WEBHOOK` for a signed body
 * that is not a paid checkout;
 * `refund` of an already refunded payment changes nothing.
 *
 * @example
 * const payments = createLocalPayments({ db, baseUrl: 'http://127.0.0.1:3000', webhookSecret });
 * const { checkoutUrl } = await payments.createCheckout(request); // → 'http://127.0.0.1:3000/pay/checkout/chk_…'
 * const webhook = payments.completeCheckout(checkoutId);          // the page's Pay button
 * await payments.verifyWebhook(webhook.headers, webhook.body, url); // → { paymentId, leedId, trade, buyer, amount }
 */
export function createLocalPayments(options: LocalPaymentsOptions): LocalPayments {
  const { db, webhookSecret, now = Date.now } = options;
  if (webhookSecret === '') throw new Error('local payments: webhookSecret must not be empty');
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  db.exec(SCHEMA);
  const insert = db.prepare(`
    INSERT INTO local_checkouts (id, leed_id, trade, title, buyer, seller, amount, fee, return_url, status, created_at)
    VALUES (@id, @leedId, @trade, @title, @buyer, @seller, @amount, @fee, @returnUrl, 'open', @createdAt)`);
  const byId = db.prepare<[string], CheckoutRow>('SELECT * FROM local_checkouts WHERE id = ?');
  const byPaymentId = db.prepare<[string], CheckoutRow>('SELECT * FROM local_checkouts WHERE payment_id = ?');
  // Only an open checkout takes a payment: of two racing clicks on Pay, one sets the payment id.
  const pay = db.prepare<[string, string]>("UPDATE local_checkouts SET status = 'paid', payment_id = ? WHERE id = ? AND status = 'open'");
  const markRefunded = db.prepare<[string]>("UPDATE local_checkouts SET status = 'refunded' WHERE payment_id = ? AND status = 'paid'");

  function sign(body: string): SignedWebhook {
    const t = Math.floor(now() / 1000);
    return { body, headers: { [SIGNATURE_HEADER]: `t=${t},v1=${hmac(webhookSecret, t, body)}` } };
  }

  return {
    async createCheckout(request) {
      if (!Number.isSafeInteger(request.amount) || request.amount <= 0) throw new RangeError(`checkout amount must be a positive number of cents, got ${request.amount}`);
      if (!Number.isSafeInteger(request.fee) || request.fee < 0 || request.fee > request.amount) throw new RangeError(`checkout fee must be 0…amount cents, got ${request.fee}`);
      const id = `chk_${randomBytes(16).toString('base64url')}`;
      insert.run({ ...request, id, createdAt: new Date(now()).toISOString() });
      return { checkoutUrl: `${baseUrl}/pay/checkout/${id}` };
    },

    completeCheckout(id) {
      pay.run(`pay_${randomBytes(16).toString('base64url')}`, id);
      const row = byId.get(id);
      if (row === undefined) throw new Error(`local payments: no checkout ${id}`);
      // Paid by this call or an earlier one: either way the payment of record is the stored one.
      const body = { type: 'checkout.paid', checkoutId: row.id, paymentId: row.payment_id, leedId: row.leed_id, trade: row.trade, buyer: row.buyer, amount: row.amount };
      return sign(JSON.stringify(body));
    },

    getCheckout(id) {
      const row = byId.get(id);
      return row === undefined ? undefined : toCheckout(row);
    },

    async verifyWebhook(headers, rawBody) {
      const signature = parseSignatureHeader(headerValue(headers, SIGNATURE_HEADER));
      if (signature === undefined) return undefined;
      if (Math.abs(Math.floor(now() / 1000) - signature.t) > WEBHOOK_TOLERANCE_SECONDS) return undefined;
      const expected = Buffer.from(hmac(webhookSecret, signature.t, rawBody), 'hex');
      // Several v1 values are allowed (a provider rotating its secret signs with both).
      if (!signature.v1.some((candidate) => timingSafeEqual(Buffer.from(candidate, 'hex'), expected))) return undefined;
      // Signed by us from here on: anything but a paid checkout is acknowledged and ignored.
      let json: unknown;
      try {
        json = JSON.parse(rawBody);
      } catch {
        return IGNORED_WEBHOOK;
      }
      const parsed = webhookBodySchema.safeParse(json);
      if (!parsed.success) return IGNORED_WEBHOOK;
      const { paymentId, leedId, trade, buyer, amount }: PaymentEvent = parsed.data;
      return { paymentId, leedId, trade, buyer, amount };
    },

    async refund(paymentId, amount) {
      const row = byPaymentId.get(paymentId);
      if (row === undefined) throw new Error(`local payments: no payment ${paymentId} to refund`);
      if (!Number.isSafeInteger(amount) || amount <= 0 || amount > row.amount) {
        throw new RangeError(`local payments: refund of ${amount} cents for payment ${paymentId} of ${row.amount} cents`);
      }
      // Idempotent: a refunded payment is left as it is.
      markRefunded.run(paymentId);
    },
  };
}

/**
 * The local checkout page: the leed's title, the amount and the platform fee, a Pay button that
 * POSTs to `/pay/checkout/<id>/complete`, and a Cancel link back to the leed's page, which releases
 * the buyer's hold (`?checkout=cancelled`). Self-contained (inline style, no
 * scripts or external assets); every value from the checkout is HTML-escaped, since the title is
 * whatever the seller typed.
 *
 * @example
 * app.get('/pay/checkout/:id', (c) => c.html(renderCheckoutPage(payments.getCheckout(c.req.param('id'))!)));
 */
export function renderCheckoutPage(checkout: LocalCheckout): string {
  const action = `/pay/checkout/${encodeURIComponent(checkout.id)}/complete`;
  const footer =
    checkout.status === 'open'
      ? `<form method="post" action="${escapeHtml(action)}"><button type="submit">Pay ${escapeHtml(formatCents(checkout.amount))}</button></form>
    <p><a href="/leedz/${escapeHtml(encodeURIComponent(checkout.trade))}/${escapeHtml(encodeURIComponent(checkout.leedId))}?checkout=cancelled">Cancel</a></p>`
      : `<p class="done">This checkout is ${escapeHtml(checkout.status)}.</p>
    <p><a href="${escapeHtml(safeLink(checkout.returnUrl))}">Continue</a></p>`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Checkout · ${escapeHtml(checkout.title)}</title>
  <style>
    body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
    .test { background: #fff3cd; border: 1px solid #e0c36b; padding: .5rem .75rem; border-radius: .25rem; font-size: .9rem; }
    dl { display: grid; grid-template-columns: auto 1fr; gap: .4rem 1rem; }
    dt { color: #666; }
    button { font-size: 1.1rem; padding: .6rem 1.4rem; background: #1a7f37; color: #fff; border: 0; border-radius: .3rem; cursor: pointer; }
  </style>
</head>
<body>
  <p class="test">Test mode: the local payment provider. No money moves.</p>
  <h1>${escapeHtml(checkout.title)}</h1>
  <dl>
    <dt>Trade</dt><dd>${escapeHtml(checkout.trade)}</dd>
    <dt>Seller</dt><dd>${escapeHtml(checkout.seller)}</dd>
    <dt>Buyer</dt><dd>${escapeHtml(checkout.buyer)}</dd>
    <dt>Amount</dt><dd>${escapeHtml(formatCents(checkout.amount))}</dd>
    <dt>Platform fee</dt><dd>${escapeHtml(formatCents(checkout.fee))} (included)</dd>
  </dl>
  ${footer}
</body>
</html>
`;
}

function hmac(secret: string, t: number, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

/** A header by name in any case (Node lowercases, other callers may not). */
function headerValue(headers: Record<string, string | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** `t=<digits>,v1=<64 hex>[,v1=…]` → its parts, or undefined for anything else. */
function parseSignatureHeader(header: string | undefined): { t: number; v1: string[] } | undefined {
  if (header === undefined || header.length > 1_000) return undefined;
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [key, value, extra] = part.trim().split('=');
    if (value === undefined || extra !== undefined) return undefined;
    if (key === 't') {
      if (t !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      t = Number(value);
    } else if (key === 'v1') {
      // 64 hex digits: timingSafeEqual needs two buffers of the same length.
      if (!/^[0-9a-f]{64}$/.test(value)) return undefined;
      v1.push(value);
    }
    // Other schemes (a future v2) are ignored, as Stripe's receivers do.
  }
  return t === undefined || v1.length === 0 ? undefined : { t, v1 };
}

function toCheckout(row: CheckoutRow): LocalCheckout {
  return {
    id: row.id,
    leedId: row.leed_id,
    trade: row.trade,
    title: row.title,
    buyer: row.buyer,
    seller: row.seller,
    amount: row.amount,
    fee: row.fee,
    returnUrl: row.return_url,
    status: row.status,
    paymentId: row.payment_id,
    createdAt: row.created_at,
  };
}

/** Only http(s) URLs become links: a `javascript:` return URL must not be clickable. */
function safeLink(url: string): string {
  return /^https?:\/\//i.test(url) ? url : '/';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}
