/**
 * Checkout, its hold and the payment webhook, driven in-process over the local adapters (SQLite, the
 * local payment provider) with a clock the test moves: a leed sells only for its price, a payment on
 * a cancelled checkout never takes the leed from the vendor who holds it now, a hold is never
 * extended by checking out again, and a payment provider that fails frees the hold.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalPayments, type LocalPayments } from '../../../src/adapters/payments/local/local-payments.js';
import { SquareApiError } from '../../../src/adapters/payments/square/square-payments.js';
import { createSqliteStore, type SqliteStore } from '../../../src/adapters/store/sqlite/sqlite-store.js';
import type { MarketplaceDeps } from '../../../src/leedz/deps.js';
import type { HttpRequest, HttpResult } from '../../../src/leedz/functions/http.js';
import { createMarketplace, type Marketplace } from '../../../src/leedz/marketplace.js';
import type { Leed } from '../../../src/leedz/domain/leed.js';
import { aLeed, at, aUser } from '../../helpers/builders.js';
import { callFunction, type DirectInvocation } from '../../helpers/call-function.js';
import { localDeps } from '../../helpers/local-deps.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PUBLIC_URL = 'https://leedz.test';

let dir: ReturnType<typeof tempDir>;
let store: SqliteStore;
let payments: LocalPayments;
let marketplace: Marketplace;
/** The marketplace's clock; tests move it. */
let clock: Date;
/** When set, the payment provider refuses to create checkouts with this error. */
let providerDown: Error | undefined;
/** What the marketplace asked the payment provider for, each checkout. */
let checkoutRequests: Parameters<MarketplaceDeps['payments']['createCheckout']>[0][];
/** What the functions wrote to their invocation log. */
let logged: string[];
/** What the functions invoked directly (not through the outbox). */
let invoked: DirectInvocation[];
let leed: Leed;

beforeEach(async () => {
  dir = tempDir('leedz-checkout-');
  store = createSqliteStore({ path: join(dir.path, 'leedz.db') });
  payments = createLocalPayments({ db: store.db, baseUrl: PUBLIC_URL, webhookSecret: 'test-webhook-secret' });
  clock = new Date(at('2030-05-10T09:00'));
  providerDown = undefined;
  checkoutRequests = [];
  logged = [];
  invoked = [];
  const failing: MarketplaceDeps['payments'] = {
    ...payments,
    async createCheckout(request) {
      checkoutRequests.push(request);
      if (providerDown !== undefined) throw providerDown;
      return payments.createCheckout(request);
    },
  };
  marketplace = createMarketplace(localDeps(store, dir.path, { payments: failing, now: () => clock }));
  await store.addTrades([{ name: 'dj' }]);
  for (const username of ['pat', 'sam', 'lee']) await store.createUser(aUser({ username }), []);
  leed = aLeed({ creator: 'pat', price: 2_500 });
  await store.insertLeed(leed, []);
});

afterEach(() => {
  store.close();
  dir.cleanup();
});

/** Call the function `name` as the HTTP edge would, as `username` (or no one). */
function call(name: string, request: Partial<HttpRequest> & { as?: string }): Promise<HttpResult & { body: any }> {
  const { as, ...rest } = request;
  return callFunction(marketplace, name, { ...rest, ...(as === undefined ? {} : { caller: { email: `${as}@example.com`, username: as } }) }, logged, invoked);
}

const params = () => ({ trade: leed.trade, id: leed.id });
const checkout = (as: string) => call('buyLeed', { as, params: params() });
const edit = (as: string, body: Record<string, unknown>) => call('editLeed', { as, params: params(), body });

/** Pay the local checkout behind `checkoutUrl` and deliver its signed webhook. */
async function pay(checkoutUrl: string) {
  const webhook = payments.completeCheckout(checkoutIdOf(checkoutUrl));
  return call('paymentWebhook', { headers: webhook.headers, rawBody: webhook.body, url: `${PUBLIC_URL}/api/payments/webhook` });
}

function checkoutIdOf(checkoutUrl: string): string {
  return new URL(checkoutUrl).pathname.split('/').pop()!;
}

const minutesLater = (minutes: number) => new Date(clock.getTime() + minutes * 60_000);

describe('where a checkout returns the buyer', () => {
  it("is the leed's receipt page, its trade's name escaped (a space is no part of a URL), for a paid leed and a free one", async () => {
    await store.addTrades([{ name: 'face painting' }]);
    const paid = aLeed({ trade: 'face painting', creator: 'pat', price: 2_500 });
    const free = aLeed({ trade: 'face painting', creator: 'pat', price: 0, title: 'Free face painting gig', start: at('2030-06-02T18:00'), end: at('2030-06-02T20:00') });
    await store.insertLeed(paid, []);
    await store.insertLeed(free, []);
    expect((await call('buyLeed', { as: 'sam', params: { trade: paid.trade, id: paid.id } })).status).toBe(200);
    expect(checkoutRequests.map((r) => r.returnUrl)).toEqual([`${PUBLIC_URL}/receipts/face%20painting/${paid.id}`]);
    const claimed = await call('buyLeed', { as: 'sam', params: { trade: free.trade, id: free.id } });
    expect(claimed.body).toMatchObject({ sold: true, receiptUrl: `${PUBLIC_URL}/receipts/face%20painting/${free.id}` });
  });
});

describe('the price of a leed on hold', () => {
  it('a seller cannot change the price while a buyer checks out (409 naming price); other fields, and the same price, still change', async () => {
    const started = await checkout('sam');
    expect(started.status).toBe(200);

    const refused = await edit('pat', { price: 5_000 });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CONFLICT');
    expect(refused.body.error.message).toMatch(/\bprice\b/);
    expect(refused.body.error.fields).toEqual([{ path: 'price', message: expect.stringContaining('cannot change while a buyer is checking out this leed') }]);
    expect((await store.getLeed('dj', leed.id))?.price).toBe(2_500);

    const retitled = await edit('pat', { title: 'Wedding reception needs a DJ, 4 hours', price: 2_500 });
    expect(retitled.status).toBe(200);
    expect(retitled.body).toMatchObject({ title: 'Wedding reception needs a DJ, 4 hours', price: 2_500 });

    clock = new Date(started.body.reservedUntil);
    expect((await edit('pat', { price: 5_000 })).status).toBe(200);
  });

  it('the webhook sells only for the price: a payment of another amount is not a sale, is refunded, answered 200 and logged', async () => {
    const started = await checkout('sam');
    // The hold runs out, and the seller raises the price; the buyer then pays the old checkout.
    clock = new Date(started.body.reservedUntil);
    expect((await edit('pat', { price: 5_000 })).status).toBe(200);

    const paid = await pay(started.body.checkoutUrl);

    expect(paid.status).toBe(200);
    expect(paid.body).toEqual({ received: true, sold: false, refunded: true, reason: 'wrong-amount' });
    expect(await store.getLeed('dj', leed.id)).toMatchObject({ status: 'active', price: 5_000, buyer: null });
    expect(payments.getCheckout(checkoutIdOf(started.body.checkoutUrl))?.status).toBe('refunded');
    expect(logged.join('\n')).toMatch(/paid 2500 cents.*price is 5000 cents/);
    expect(await store.pendingOutbox(10)).toEqual([]);
    // The payer is told why: one Event, keyed by the payment.
    const paymentId = payments.getCheckout(checkoutIdOf(started.body.checkoutUrl))?.paymentId;
    expect(invoked).toEqual([
      {
        functionName: 'emailHelper',
        type: 'Event',
        payload: expect.objectContaining({ function: 'paymentRefunded', leedId: leed.id, trade: 'dj', payer: 'sam', paymentId, amount: 2_500, reason: 'wrong-amount', _meta: expect.objectContaining({ idempotencyKey: `refund:${paymentId}` }) }),
      },
    ]);
  });

  it('the webhook sells for the price', async () => {
    const started = await checkout('sam');

    expect((await pay(started.body.checkoutUrl)).body).toEqual({ received: true, sold: true });
    expect(await store.getLeed('dj', leed.id)).toMatchObject({ status: 'sold', buyer: 'sam' });
  });
});

describe('a payment on a cancelled checkout', () => {
  it("is refunded as held-by-another while another vendor holds the leed, which stays theirs to buy", async () => {
    const bobs = await checkout('sam');
    expect((await call('cancelCheckout', { as: 'sam', params: params() })).status).toBe(204);
    clock = minutesLater(1);
    const carols = await checkout('lee');
    expect(carols.status).toBe(200);

    // Sam presses Pay on the checkout page he left open (Bob, in the review that found this).
    clock = minutesLater(1);
    const bobPaid = await pay(bobs.body.checkoutUrl);

    expect(bobPaid.status).toBe(200);
    expect(bobPaid.body).toEqual({ received: true, sold: false, refunded: true, reason: 'held-by-another' });
    expect(payments.getCheckout(checkoutIdOf(bobs.body.checkoutUrl))?.status).toBe('refunded');
    expect(await store.getLeed('dj', leed.id)).toMatchObject({ status: 'active', buyer: null });
    expect(await store.getCheckoutHold('dj', leed.id, clock.toISOString())).toEqual({ buyer: 'lee', until: carols.body.reservedUntil });
    expect(logged.join('\n')).toMatch(/by sam refunded, not a sale: held-by-another: lee holds the leed until/);
    expect(await store.pendingOutbox(10)).toEqual([]);
    expect(invoked.map(({ payload }) => [payload.function, payload.payer, payload.reason])).toEqual([['paymentRefunded', 'sam', 'held-by-another']]);

    const carolPaid = await pay(carols.body.checkoutUrl);

    expect(carolPaid.body).toEqual({ received: true, sold: true });
    expect(invoked).toHaveLength(1);
    expect(await store.getLeed('dj', leed.id)).toMatchObject({ status: 'sold', buyer: 'lee' });
    expect(payments.getCheckout(checkoutIdOf(carols.body.checkoutUrl))?.status).toBe('paid');
  });
});

describe('a refunded payment delivered again', () => {
  // Providers deliver a webhook at least once, hours later too; the local checkout sends it again when Pay is pressed again.
  it('stays refused once the leed could be bought (the other hold gone): no sale on money returned', async () => {
    const sams = await checkout('sam');
    expect((await call('cancelCheckout', { as: 'sam', params: params() })).status).toBe(204);
    clock = minutesLater(1);
    expect((await checkout('lee')).status).toBe(200);
    clock = minutesLater(1);
    expect((await pay(sams.body.checkoutUrl)).body).toMatchObject({ sold: false, refunded: true, reason: 'held-by-another' });
    expect((await call('cancelCheckout', { as: 'lee', params: params() })).status).toBe(204);

    clock = minutesLater(1);
    const again = await pay(sams.body.checkoutUrl);

    expect(again.body).toEqual({ received: true, sold: false, refunded: true, reason: 'held-by-another' });
    expect(await store.getLeed('dj', leed.id)).toMatchObject({ status: 'active', buyer: null });
    expect(payments.getCheckout(checkoutIdOf(sams.body.checkoutUrl))?.status).toBe('refunded');
    expect(await store.pendingOutbox(10)).toEqual([]);
    // One email, whatever the deliveries: its key is the payment's.
    expect(new Set(invoked.map(({ payload }) => (payload._meta as { idempotencyKey: string }).idempotencyKey)).size).toBe(1);
    // Another vendor can still buy it.
    const lees = await checkout('lee');
    expect((await pay(lees.body.checkoutUrl)).body).toEqual({ received: true, sold: true });
  });

  it('stays refused once the price is back to what it paid', async () => {
    const sams = await checkout('sam');
    expect((await call('cancelCheckout', { as: 'sam', params: params() })).status).toBe(204);
    expect((await edit('pat', { price: 3_000 })).status).toBe(200);
    expect((await pay(sams.body.checkoutUrl)).body).toMatchObject({ sold: false, reason: 'wrong-amount' });
    expect((await edit('pat', { price: 2_500 })).status).toBe(200);

    expect((await pay(sams.body.checkoutUrl)).body).toMatchObject({ sold: false, refunded: true, reason: 'wrong-amount' });
    expect(await store.getLeed('dj', leed.id)).toMatchObject({ status: 'active', price: 2_500, buyer: null });
  });
});

describe('checking out again', () => {
  it('a second checkout by the holder gives back the same hold, never a longer one', async () => {
    const first = await checkout('sam');
    expect(first.status).toBe(200);

    clock = minutesLater(10);
    const again = await checkout('sam');
    expect(again.status).toBe(200);
    expect(again.body.reservedUntil).toBe(first.body.reservedUntil);
    expect(again.body.checkoutUrl).toMatch(/\/pay\/checkout\//);

    clock = new Date(first.body.reservedUntil);
    expect((await checkout('lee')).status).toBe(200);
  });

  it('cancelling and checking out again takes a second hold in an hour, not a third: the leed goes to the other vendors (429)', async () => {
    const cancel = (as: string) => call('cancelCheckout', { as, params: params() });
    expect((await checkout('sam')).status).toBe(200);
    // Checking out again during the hold takes no new one.
    expect((await checkout('sam')).status).toBe(200);
    expect((await cancel('sam')).status).toBe(204);
    clock = minutesLater(1);
    expect((await checkout('sam')).status).toBe(200);
    expect((await cancel('sam')).status).toBe(204);
    clock = minutesLater(1);
    const third = await checkout('sam');
    expect(third.status).toBe(429);
    expect(third.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/^you have started 2 checkouts of this leed in this hour, so other vendors get their turn; try again in \d+ minutes$/) });
    expect(Number(third.headers!['retry-after'])).toBeGreaterThan(0);
    // No hold was left behind: another vendor checks out at once.
    expect(await store.getCheckoutHold(leed.trade, leed.id, clock.toISOString())).toBeUndefined();
    expect((await checkout('lee')).status).toBe(200);
  });

  // A race probe on DynamoDB found the third hold made, counted, and released again for the limit,
  // while the same buyer's racing checkouts had found it and answered 200 with a checkout URL.
  it('at the limit, checkouts of one leed racing each other are all refused (429), none answered with a hold that is gone', async () => {
    const cancel = (as: string) => call('cancelCheckout', { as, params: params() });
    for (let hold = 0; hold < 2; hold++) {
      expect((await checkout('sam')).status).toBe(200);
      expect((await cancel('sam')).status).toBe(204);
      clock = minutesLater(1);
    }

    const racing = await Promise.all(Array.from({ length: 5 }, () => checkout('sam')));

    expect(racing.map((answer) => answer.status)).toEqual([429, 429, 429, 429, 429]);
    expect(await store.getCheckoutHold(leed.trade, leed.id, clock.toISOString())).toBeUndefined();
    expect((await checkout('lee')).status).toBe(200);
  });

  it('within the limit, checkouts racing each other (a double click) take one hold between them, and count one', async () => {
    const cancel = (as: string) => call('cancelCheckout', { as, params: params() });

    const [first, second] = await Promise.all([checkout('sam'), checkout('sam')]);

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body.reservedUntil).toBe(first.body.reservedUntil);
    // One hold counted: after a cancel, a second one is still within the hour's two.
    expect((await cancel('sam')).status).toBe(204);
    clock = minutesLater(1);
    expect((await checkout('sam')).status).toBe(200);
  });

  it('one vendor takes at most 10 holds in 15 minutes: the 11th leed is not held (429), and stays free to buy', async () => {
    const others: Leed[] = [];
    for (let i = 0; i < 11; i++) {
      const other = aLeed({ creator: 'pat', price: 1_000 + i * 100, title: `Gig ${i}`, location: `${10 + i} Elm Street, Springfield, IL 62704`, placeKey: `${10 + i} elm st 62704` });
      await store.insertLeed(other, []);
      others.push(other);
    }
    const hold = (of: Leed, as = 'sam') => call('buyLeed', { as, params: { trade: of.trade, id: of.id } });
    for (const other of others.slice(0, 10)) expect((await hold(other)).status).toBe(200);
    const eleventh = await hold(others[10]!);
    expect(eleventh.status).toBe(429);
    expect(eleventh.body.error.message).toMatch(/^you have started 10 checkouts in 15 minutes, each keeping a leed from other vendors; try again in \d+ minutes?$/);
    expect(await store.getCheckoutHold(others[10]!.trade, others[10]!.id, clock.toISOString())).toBeUndefined();
    expect((await hold(others[10]!, 'lee')).status).toBe(200);
  });
});

describe('a payment provider that cannot create the checkout', () => {
  it('answers 503 and frees the hold at once, so that another buyer can check out', async () => {
    providerDown = new SquareApiError('CreatePaymentLink', 429, [{ category: 'RATE_LIMIT_ERROR', code: 'RATE_LIMITED' }]);

    const failed = await checkout('sam');

    expect(failed.status).toBe(503);
    expect(failed.body.error).toEqual({ code: 'UNAVAILABLE', message: expect.stringMatching(/payment provider.*try again/) });
    expect(await store.getCheckoutHold('dj', leed.id, clock.toISOString())).toBeUndefined();
    expect(logged.join('\n')).toMatch(/RATE_LIMITED/);
    providerDown = undefined;
    expect((await checkout('lee')).status).toBe(200);
  });

  it("leaves the holder's existing hold as it was when a second checkout fails", async () => {
    const first = await checkout('sam');
    providerDown = new Error('socket hang up');

    const failed = await checkout('sam');

    expect(failed.status).toBe(503);
    expect(await store.getCheckoutHold('dj', leed.id, clock.toISOString())).toEqual({ buyer: 'sam', until: first.body.reservedUntil });
  });
});

describe('one’s own leed', () => {
  it('is refused to another account of the poster’s mailbox (pat+2@ signs in as a vendor of its own), before any hold; another vendor still buys', async () => {
    await store.createUser(aUser({ username: 'pattwo', email: 'Pat+2@Example.com' }), []);
    const asPlus = await callFunction(marketplace, 'buyLeed', { params: params(), caller: { email: 'Pat+2@Example.com', username: 'pattwo' } }, logged, invoked);
    expect(asPlus.status).toBe(403);
    expect((asPlus as { body: any }).body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/^you cannot buy your own leed/) });
    expect(await store.getCheckoutHold('dj', leed.id, clock.toISOString())).toBeUndefined();
    expect((await checkout('sam')).status).toBe(200);
  });
});
