import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/leedz/functions/routes.js';
import { readRuntimeCredentials } from '../../src/runtime/credentials.js';
import { signedFetch } from '../../src/server/signed-fetch.js';
import { newLeedBody, signInTokenOf, startTestServer, type TestServer } from '../helpers/marketplace-server.js';

let t: TestServer;

/**
 * The fraction of events delivered twice, out of order (LEEDZ_DUPLICATE_DELIVERY): 0 here; 0.5 when
 * test/e2e/marketplace-duplicates.test.ts runs this same suite, where every assertion must still
 * hold — at-least-once delivery as Lambda gives it must not show (no email twice, no double count).
 */
const DUPLICATES = process.env.LEEDZ_E2E_DUPLICATES ?? '0';

beforeAll(async () => {
  t = await startTestServer({ env: { LEEDZ_DUPLICATE_DELIVERY: DUPLICATES } });
  await t.server.marketplace!.store.addTrades([{ name: 'caricatures' }, { name: 'dj' }, { name: 'face painting' }]);
});

afterAll(async () => {
  await t?.close();
});

/** Subscribers written straight to the store: what 250 magic-link sign-ins would leave behind. */
async function addSubscribers(prefix: string, count: number, zip: string | null, trade: string): Promise<string[]> {
  const { store, geocoder } = t.server.marketplace!.deps;
  const emails: string[] = [];
  for (let i = 0; i < count; i++) {
    const username = `${prefix}${i}`;
    const email = `${username}@example.com`;
    await store.createUser({ username, email, createdAt: new Date().toISOString() }, []);
    await store.updateUser(username, { zip, point: zip === null ? null : ((await geocoder.zipPoint(zip)) ?? null), radius: 20, subscriptions: [trade] });
    emails.push(email);
  }
  return emails;
}

function newLeedEmailsTo(email: string): number {
  return t.server.marketplace!.outbox.countEmails({ to: email, kind: 'new-leed' });
}

describe('posting a leed', () => {
  it('answers 201 before any email exists, then emails each subscriber in range exactly once', async () => {
    const near = await addSubscribers('near', 200, '62702', 'face painting');
    const far = await addSubscribers('far', 50, '90210', 'face painting');
    const creator = await t.signIn('poster@example.com');
    await t.api('PATCH', '/api/me', { token: creator.token, body: { subscriptions: ['face painting'], zip: '62701' } });

    const posted = await t.api('POST', '/api/leedz', { token: creator.token, body: newLeedBody({ trade: 'face painting' }) });
    const emailsAtResponse = t.server.marketplace!.outbox.countEmails({ kind: 'new-leed' });
    expect(posted.status).toBe(201);
    expect(posted.body).toEqual({ id: expect.stringMatching(/^l_/), trade: 'face painting', title: expect.any(String), price: 2500, timeZone: 'America/Chicago', when: expect.stringMatching(/ C[SD]T$/) });
    expect(emailsAtResponse).toBe(0);

    await t.settle();
    for (const email of near) expect(newLeedEmailsTo(email)).toBe(1);
    for (const email of far) expect(newLeedEmailsTo(email)).toBe(0);
    expect(newLeedEmailsTo('poster@example.com')).toBe(0);

    // The fan-out ran in the controller, handed off by the post: the log links them.
    const runtime = t.server.runtime;
    const [addLeed] = runtime.listInvocations({ function: 'addLeed', limit: 1 });
    // (With duplicate delivery on, each may also have run as a copy: the copies name their original.)
    const handedOff = runtime.listInvocations({ parentId: addLeed!.id, limit: 10 });
    expect(handedOff.filter((i) => i.duplicateOf === null).map((i) => i.function).sort()).toEqual(['bookkeeping', 'emailHelper']);
    expect(handedOff.every((i) => i.type === 'Event' && i.outcome === 'Success')).toBe(true);

    const [email] = t.server.marketplace!.outbox.listEmails({ to: near[0]!, kind: 'new-leed', limit: 1 });
    expect(email!.subject).toBe('New Leed: Birthday party needs a caricature artist');
    expect(email!.html).toContain(posted.body.id);
    expect(email!.text).not.toContain('123 Main Street');

    const trades = await t.api('GET', '/api/trades');
    expect(trades.body.trades.find((tr: { name: string }) => tr.name === 'face painting').leedCount).toBe(1);
    expect((await t.api('GET', '/api/me', { token: creator.token })).body.posted).toBe(1);
  });
});

describe('buying', () => {
  it('two buyers race for one paid leed: exactly one checkout; the signed webhook sells it once; receipts, counters and refunds follow', async () => {
    const seller = await t.signIn('seller@example.com');
    const alice = await t.signIn('alice@example.com');
    const bob = await t.signIn('bob@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', location: '9 Elm Avenue, Springfield, IL 62704' }) });
    expect(posted.status).toBe(201);
    const path = `/api/leedz/dj/${posted.body.id}`;
    await t.settle();

    const [first, second] = await Promise.all([
      t.api('POST', `${path}/checkout`, { token: alice.token }),
      t.api('POST', `${path}/checkout`, { token: bob.token }),
    ]);
    const statuses = [first.status, second.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = first.status === 200 ? first : second;
    const winnerName = first.status === 200 ? alice.username : bob.username;
    expect(winner.body.checkoutUrl).toMatch(/\/pay\/checkout\//);

    // The buyer sees hidden fields as hidden until the sale.
    const before = await t.api('GET', path, { token: alice.token });
    expect(before.body.location).toBeUndefined();
    expect(before.body.hidden).toContain('location');

    const checkoutId = new URL(winner.body.checkoutUrl).pathname.split('/').pop()!;
    const webhook = t.server.marketplace!.payments.completeCheckout(checkoutId);

    const unsigned = await t.api('POST', '/api/payments/webhook', { raw: webhook.body, headers: { 'content-type': 'application/json' } });
    expect(unsigned.status).toBe(401);
    const forged = await t.api('POST', '/api/payments/webhook', { raw: webhook.body, headers: { 'content-type': 'application/json', 'x-leedz-signature': 't=1,v1=00ff' } });
    expect(forged.status).toBe(401);
    // Genuinely signed, but not a paid checkout: acknowledged (a 401 would make the provider send it again), nothing changes.
    const secret = readFileSync(join(t.dataDir, 'keys', 'webhook-secret'), 'utf8').trim();
    const otherEvent = JSON.stringify({ ...JSON.parse(webhook.body), type: 'checkout.refunded' });
    const at = Math.floor(Date.now() / 1000);
    const signedOther = `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${otherEvent}`).digest('hex')}`;
    const ignored = await t.api('POST', '/api/payments/webhook', { raw: otherEvent, headers: { 'content-type': 'application/json', 'x-leedz-signature': signedOther } });
    expect(ignored.status).toBe(200);
    expect(ignored.body).toEqual({ received: true, ignored: true });
    expect((await t.api('GET', path, { token: seller.token })).body.status).toBe('active');

    const paid = await t.api('POST', '/api/payments/webhook', { raw: webhook.body, headers: { 'content-type': 'application/json', ...webhook.headers } });
    expect(paid.status).toBe(200);
    expect(paid.body.sold).toBe(true);
    await t.settle();

    const again = await t.api('POST', '/api/payments/webhook', { raw: webhook.body, headers: { 'content-type': 'application/json', ...webhook.headers } });
    expect(again.status).toBe(200);
    await t.settle();

    const sold = await t.api('GET', path, { token: seller.token });
    expect(sold.body).toMatchObject({ status: 'sold', buyer: winnerName });
    const asBuyer = await t.api('GET', path, { token: winner === first ? alice.token : bob.token });
    expect(asBuyer.body.location).toBe('9 Elm Avenue, Springfield, IL 62704');
    expect(asBuyer.body.hidden).toEqual([]);

    const outbox = t.server.marketplace!.outbox;
    const buyerEmail = `${winnerName}@example.com`;
    expect(outbox.countEmails({ to: buyerEmail, kind: 'receipt' })).toBe(1);
    expect(outbox.countEmails({ to: 'seller@example.com', kind: 'sold' })).toBe(1);
    const [receipt] = outbox.listEmails({ to: buyerEmail, kind: 'receipt', limit: 1 });
    for (const field of ['9 Elm Avenue', 'client@example.com', '(555) 123-4567', 'Two hours', 'Bring your own easel', 'seller@example.com']) {
      expect(receipt!.text).toContain(field);
    }

    const buyerProfile = await t.api('GET', '/api/me', { token: winner === first ? alice.token : bob.token });
    expect(buyerProfile.body.bought).toBe(1);
    const sellerProfile = await t.api('GET', '/api/me', { token: seller.token });
    expect(sellerProfile.body.sold).toBe(1);
    expect((await t.api('GET', '/api/stats')).body.sold).toBeGreaterThanOrEqual(1);

    // A second, different payment for the sold leed is refunded, and nothing changes.
    const loserCheckout = await t.server.marketplace!.payments.createCheckout({
      leedId: posted.body.id, trade: 'dj', title: 'x', buyer: winnerName === alice.username ? bob.username : alice.username, seller: seller.username, amount: 2500, fee: 225, returnUrl: t.url,
    });
    const second2 = t.server.marketplace!.payments.completeCheckout(new URL(loserCheckout.checkoutUrl).pathname.split('/').pop()!);
    const refunded = await t.api('POST', '/api/payments/webhook', { raw: second2.body, headers: { 'content-type': 'application/json', ...second2.headers } });
    expect(refunded.body).toMatchObject({ sold: false, refunded: true });
    // The provider delivers it again: refunded again (idempotent at the provider), and still one email.
    await t.api('POST', '/api/payments/webhook', { raw: second2.body, headers: { 'content-type': 'application/json', ...second2.headers } });
    await t.settle();
    expect((await t.api('GET', path, { token: seller.token })).body.buyer).toBe(winnerName);
    expect((await t.api('GET', '/api/me', { token: seller.token })).body.sold).toBe(1);
    // Its payer hears why, once; the winner gets no refund notice.
    const loserEmail = winnerName === alice.username ? 'bob@example.com' : 'alice@example.com';
    const notices = outbox.listEmails({ to: loserEmail, kind: 'refund', limit: 5 });
    expect(notices).toHaveLength(1);
    expect(notices[0]!.text).toContain('Your payment of $25.00 for the dj leed');
    expect(notices[0]!.text).toContain('another vendor bought this leed before your payment arrived');
    expect(notices[0]!.text).not.toContain('9 Elm Avenue');
    expect(outbox.countEmails({ to: buyerEmail, kind: 'refund' })).toBe(0);
  });

  it('a leed on hold says so to everyone; its buyer cancels and the next buyer checks out at once', async () => {
    const seller = await t.signIn('holder-seller@example.com');
    const first = await t.signIn('holder-a@example.com');
    const second = await t.signIn('holder-b@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', location: '12 Birch Lane, Springfield, IL 62704' }) });
    const path = `/api/leedz/dj/${posted.body.id}`;
    expect((await t.api('GET', path)).body.hold).toBeUndefined();

    const started = await t.api('POST', `${path}/checkout`, { token: first.token });
    expect(started.status).toBe(200);
    expect((await t.api('GET', path, { token: first.token })).body.hold).toEqual({ until: started.body.reservedUntil, yours: true });
    const seen = await t.api('GET', path, { token: second.token });
    expect(seen.body).toMatchObject({ status: 'active', hold: { until: started.body.reservedUntil, yours: false } });
    expect((await t.api('GET', path)).body.hold.yours).toBe(false);
    const refused = await t.api('POST', `${path}/checkout`, { token: second.token });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/^another vendor is checking out this leed until \d{1,2}:\d\d [AP]M C[SD]T; if they do not pay, you can buy it then$/);

    // Someone else cannot cancel it; the buyer can, and the next buyer is not kept waiting.
    expect((await t.api('DELETE', `${path}/checkout`, { token: second.token })).status).toBe(204);
    expect((await t.api('GET', path)).body.hold).toBeDefined();
    expect((await t.api('DELETE', `${path}/checkout`, { token: first.token })).status).toBe(204);
    expect((await t.api('GET', path)).body.hold).toBeUndefined();
    const next = await t.api('POST', `${path}/checkout`, { token: second.token });
    expect(next.status).toBe(200);
    expect((await t.api('DELETE', `${path}/checkout`)).status).toBe(401);
    expect((await t.api('DELETE', '/api/leedz/dj/l_nope/checkout', { token: first.token })).status).toBe(404);
  });

  it('a free leed is sold at once to the first buyer', async () => {
    const seller = await t.signIn('free-seller@example.com');
    const buyer = await t.signIn('free-buyer@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', price: 0, location: '400 Oak Street, Springfield, IL 62703' }) });
    const bought = await t.api('POST', `/api/leedz/dj/${posted.body.id}/checkout`, { token: buyer.token });
    expect(bought.status).toBe(200);
    expect(bought.body.sold).toBe(true);
    await t.settle();
    expect(t.server.marketplace!.outbox.countEmails({ to: 'free-buyer@example.com', kind: 'receipt' })).toBe(1);
  });
});

describe('signing in', () => {
  it('GET /api/session answers 200 signed out and signed in; /api/me stays 401 signed out', async () => {
    expect(await t.api('GET', '/api/session')).toMatchObject({ status: 200, body: { signedIn: false } });
    expect((await t.api('GET', '/api/me')).status).toBe(401);
    const vendor = await t.signIn('session@example.com');
    const session = await t.api('GET', '/api/session', { token: vendor.token });
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ signedIn: true, user: { username: 'session', email: 'session@example.com' } });
    expect(session.headers.get('cache-control')).toBe('private, no-store');
  });

  it('a sign-in token is spent only by POST /api/auth/callback, once; the link itself is a page of the web app', async () => {
    await t.api('POST', '/api/auth/login', { body: { email: 'once@example.com' } });
    await t.settle();
    const text = t.server.marketplace!.outbox.listEmails({ to: 'once@example.com', kind: 'magic-link', limit: 1 })[0]!.text;
    const link = /https?:\/\/\S+\/signin\/confirm#token=\S+/.exec(text)![0];
    const token = signInTokenOf(text)!;
    // Fetching the link (a mail scanner) serves the app's page and spends nothing; no GET redeems.
    expect((await fetch(link)).status).toBe(200);
    const asGet = await t.api('GET', `/api/auth/callback?token=${token}`);
    expect(asGet.status).toBe(405);
    expect(asGet.headers.get('allow')).toBe('POST');
    const first = await t.api('POST', '/api/auth/callback', { body: { token } });
    expect(first.status).toBe(200);
    expect(first.body.user.email).toBe('once@example.com');
    const again = await t.api('POST', '/api/auth/callback', { body: { token } });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('LINK_USED_OR_EXPIRED');
    expect((await t.api('POST', '/api/auth/callback', { body: {} })).body.error.fields).toEqual([{ path: 'token', message: 'is required' }]);
  });
});

describe('authorization', () => {
  it('every mutating route answers 401 without a token', async () => {
    for (const route of ROUTES.filter((r) => r.auth === 'session' && r.method !== 'GET')) {
      const path = route.path.replace(':trade', 'dj').replace(':id', 'l_nope').replace(':username', 'x');
      const response = await t.api(route.method, path, { body: {} });
      expect(response.status, `${route.method} ${route.path}`).toBe(401);
    }
  });

  it('a forged or expired-looking token is 401 too', async () => {
    const response = await t.api('POST', '/api/leedz', { token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', body: newLeedBody() });
    expect(response.status).toBe(401);
  });

  it('editing or deleting another user’s leed is 403; a stranger sees exactly the shown fields; the creator sees all', async () => {
    const owner = await t.signIn('owner@example.com');
    const other = await t.signIn('other@example.com');
    const posted = await t.api('POST', '/api/leedz', {
      token: owner.token,
      body: newLeedBody({ trade: 'caricatures', location: '77 Pine Road, Springfield, IL 62702', visibility: { details: 'shown', requirements: 'hidden' } }),
    });
    expect(posted.status).toBe(201);
    const path = `/api/leedz/caricatures/${posted.body.id}`;
    expect((await t.api('PATCH', path, { token: other.token, body: { title: 'mine now' } })).status).toBe(403);
    expect((await t.api('DELETE', path, { token: other.token })).status).toBe(403);

    const stranger = await t.api('GET', path);
    expect(Object.keys(stranger.body).sort()).toEqual(['creator', 'details', 'end', 'hidden', 'id', 'postedAt', 'price', 'start', 'status', 'timeZone', 'title', 'trade', 'when', 'zip'].sort());
    expect(stranger.body.hidden.sort()).toEqual(['clientEmail', 'clientPhone', 'location', 'requirements']);
    const creator = await t.api('GET', path, { token: owner.token });
    expect(creator.body).toMatchObject({ location: '77 Pine Road, Springfield, IL 62702', clientEmail: 'client@example.com', clientPhone: '5551234567', requirements: 'Bring your own easel.', hidden: [] });

    const edited = await t.api('PATCH', path, { token: owner.token, body: { title: 'Renamed party' } });
    expect(edited.status).toBe(200);
    expect(edited.body.title).toBe('Renamed party');
    expect((await t.api('DELETE', path, { token: owner.token })).status).toBe(204);
    expect((await t.api('GET', path)).status).toBe(404);
  });
});

describe('my leedz', () => {
  it('lists what a vendor posted and bought, with what they earned, paid in fees and spent; their own leedz are in every search of theirs', async () => {
    const seller = await t.signIn('mine-seller@example.com');
    const buyer = await t.signIn('mine-buyer@example.com');
    const sold = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', price: 2500, location: '31 Spruce Street, Springfield, IL 62704' }) });
    const unsold = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', price: 1000, location: '32 Spruce Street, Springfield, IL 62704' }) });
    const checkout = await t.api('POST', `/api/leedz/dj/${sold.body.id}/checkout`, { token: buyer.token });
    const webhook = t.server.marketplace!.payments.completeCheckout(new URL(checkout.body.checkoutUrl).pathname.split('/').pop()!);
    expect((await t.api('POST', '/api/payments/webhook', { raw: webhook.body, headers: { 'content-type': 'application/json', ...webhook.headers } })).status).toBe(200);

    const mine = await t.api('GET', '/api/me/leedz', { token: seller.token });
    expect(mine.status).toBe(200);
    expect(mine.body.totals).toEqual({ posted: 2, sold: 1, bought: 0, earned: 2500 - 225, fees: 225, spent: 0 });
    expect(mine.body.posted.map((l: { id: string; status: string }) => [l.id, l.status]).sort()).toEqual([[sold.body.id, 'sold'], [unsold.body.id, 'active']].sort());
    expect(mine.body.posted.find((l: { id: string }) => l.id === sold.body.id)).toMatchObject({ buyer: 'mine-buyer', fee: 225, location: '31 Spruce Street, Springfield, IL 62704', when: expect.stringMatching(/ C[SD]T$/) });
    const theirs = await t.api('GET', '/api/me/leedz', { token: buyer.token });
    expect(theirs.body.totals).toEqual({ posted: 0, sold: 0, bought: 1, earned: 0, fees: 0, spent: 2500 });
    expect(theirs.body.bought[0]).toMatchObject({ id: sold.body.id, clientPhone: '5551234567' });
    expect((await t.api('GET', '/api/me/leedz')).status).toBe(401);

    // Far from Beverly Hills, the seller's own active leed is still in their search; not in a stranger's.
    const start = new Date(Date.parse(newLeedBody().start as string) - 86_400_000).toISOString();
    const end = new Date(Date.parse(start) + 3 * 86_400_000).toISOString();
    const near90210 = `/api/leedz?trades=dj&from=${start}&to=${end}&zip=90210&radius=5`;
    expect((await t.api('GET', near90210, { token: seller.token })).body.leedz.map((l: { id: string }) => l.id)).toEqual([unsold.body.id]);
    expect((await t.api('GET', near90210, { token: buyer.token })).body.leedz).toEqual([]);
    expect((await t.api('GET', near90210)).body.leedz).toEqual([]);
  });
});

describe('keeping people informed', () => {
  it('those emailed about a leed hear when its time changes and when it is withdrawn, once each; others hear nothing', async () => {
    const poster = await t.signIn('news-poster@example.com');
    const heard = await t.signIn('news-heard@example.com');
    const far = await t.signIn('news-far@example.com');
    await t.api('PATCH', '/api/me', { token: heard.token, body: { subscriptions: ['caricatures'], zip: '62702', radius: 20 } });
    await t.api('PATCH', '/api/me', { token: far.token, body: { subscriptions: ['caricatures'], zip: '90210', radius: 5 } });
    const body = newLeedBody({ trade: 'caricatures', location: '15 Walnut Street, Springfield, IL 62704' });
    const posted = await t.api('POST', '/api/leedz', { token: poster.token, body });
    await t.settle();
    const outbox = t.server.marketplace!.outbox;
    expect(outbox.countEmails({ to: 'news-heard@example.com', kind: 'new-leed' })).toBe(1);
    expect(outbox.countEmails({ to: 'news-far@example.com', kind: 'new-leed' })).toBe(0);

    const path = `/api/leedz/caricatures/${posted.body.id}`;
    // A new title is no news; a new time is.
    await t.api('PATCH', path, { token: poster.token, body: { title: 'Renamed, same gig' } });
    await t.settle();
    expect(outbox.countEmails({ to: 'news-heard@example.com', kind: 'changed' })).toBe(0);
    const later = new Date(Date.parse(body.start as string) + 2 * 3_600_000).toISOString();
    expect((await t.api('PATCH', path, { token: poster.token, body: { start: later, end: new Date(Date.parse(later) + 3_600_000).toISOString() } })).status).toBe(200);
    await t.settle();
    const [changed] = outbox.listEmails({ to: 'news-heard@example.com', kind: 'changed', limit: 1 });
    expect(changed?.subject).toBe('Leed changed: Renamed, same gig');
    expect(changed?.text).toMatch(/When, before:/);

    expect((await t.api('DELETE', path, { token: poster.token })).status).toBe(204);
    await t.settle();
    expect(outbox.countEmails({ to: 'news-heard@example.com', kind: 'withdrawn' })).toBe(1);
    for (const kind of ['new-leed', 'changed', 'withdrawn']) expect(outbox.countEmails({ to: 'news-far@example.com', kind })).toBe(0);
    expect(outbox.countEmails({ to: 'news-poster@example.com', kind: 'withdrawn' })).toBe(0);
  });

  it('a private calendar feed of the gigs a vendor bought: valid iCalendar, a new link replaces the old, turned off it is gone', async () => {
    const seller = await t.signIn('feed-seller@example.com');
    const buyer = await t.signIn('feed-buyer@example.com');
    const posted = await t.api('POST', '/api/leedz', { token: seller.token, body: newLeedBody({ trade: 'dj', title: 'Anniversary, DJ; 3 hours', price: 0, location: '88 Cedar Street, Springfield, IL 62702' }) });
    await t.api('POST', `/api/leedz/dj/${posted.body.id}/checkout`, { token: buyer.token });
    expect((await t.api('GET', '/api/me/calendar', { token: buyer.token })).body).toEqual({ feed: null });
    const made = await t.api('POST', '/api/me/calendar', { token: buyer.token });
    expect(made.status).toBe(201);
    expect(made.body.url).toMatch(new RegExp(`^${t.url}/api/calendar/[A-Za-z0-9_-]{43}\\.ics$`));
    expect((await t.api('GET', '/api/me/calendar', { token: buyer.token })).body).toEqual({ feed: { createdAt: made.body.createdAt } });

    const feed = await fetch(made.body.url);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const text = await feed.text();
    expect(text.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    for (const line of text.split('\r\n')) expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    const unfolded = text.replace(/\r\n /g, '');
    expect(unfolded).toContain(`UID:${posted.body.id}@${new URL(t.url).host}`);
    expect(unfolded).toContain('SUMMARY:dj: Anniversary\\, DJ\\; 3 hours');
    expect(unfolded).toContain('LOCATION:88 Cedar Street\\, Springfield\\, IL 62702');
    expect(unfolded).toMatch(/DTSTAMP:\d{8}T\d{6}Z/);
    // The token is not in the database, nor in the invocation log.
    const token = new URL(made.body.url).pathname.split('/').pop()!.replace('.ics', '');
    const logged = t.server.runtime.listInvocations({ function: 'calendarFeed', limit: 5, withPayload: true });
    expect(JSON.stringify(logged)).not.toContain(token);

    const again = await t.api('POST', '/api/me/calendar', { token: buyer.token });
    const replaced = await fetch(made.body.url);
    expect(replaced.status).toBe(404);
    // A calendar app shows this when it refreshes the old link: it says why.
    expect(await replaced.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no such calendar feed: it may have been replaced by a new link or turned off' } });
    expect((await fetch(again.body.url)).status).toBe(200);
    expect((await t.api('DELETE', '/api/me/calendar', { token: buyer.token })).status).toBe(204);
    expect((await fetch(again.body.url)).status).toBe(404);
    expect((await t.api('GET', '/api/calendar/not-a-token.ics')).status).toBe(404);
    expect((await t.api('POST', '/api/me/calendar')).status).toBe(401);
  });
});

describe('moderation', () => {
  /** The operator's endpoints, signed with the runtime's credentials (what the CLI does; the console uses its session). */
  async function asOperator(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const credentials = readRuntimeCredentials(join(t.dataDir, 'keys'))!;
    const response = await signedFetch(`${t.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, credentials);
    return { status: response.status, body: await response.json() };
  }

  it("the operator's endpoints refuse a bad request as the API does: its status from the code, the field named, nothing changed", async () => {
    const credentials = readRuntimeCredentials(join(t.dataDir, 'keys'))!;
    const resolve = async (contentType: string, body: string) => {
      const response = await signedFetch(`${t.url}/api/ops/reports/l_x%3Asomeone/resolve`, { method: 'POST', headers: { 'content-type': contentType }, body }, credentials);
      return { status: response.status, body: await response.json() };
    };
    expect(await resolve('text/plain', '{"action":"dismiss"}')).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE' } } });
    expect(await resolve('application/json', '{"action":')).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION', fields: [{ path: '(body)', message: 'must be JSON' }] } } });
    expect(await resolve('application/json', '{"action":"nuke"}')).toEqual({
      status: 400,
      body: { error: { code: 'VALIDATION', message: 'invalid action', fields: [{ path: 'action', message: 'must be "dismiss" or "take-down"' }] } },
    });
    expect(await resolve('application/json', JSON.stringify({ action: 'dismiss', note: 'x'.repeat(70_000) }))).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    expect(await resolve('application/json', '{"action":"dismiss"}')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await asOperator('GET', '/api/dev/outbox/no-such-email')).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'email not found' } } });
  });

  it('reports reach the operator once per reporter; a take-down emails the poster and tells those who were emailed; a dismissal changes nothing else', async () => {
    const poster = await t.signIn('mod-poster@example.com');
    const reporter = await t.signIn('mod-reporter@example.com');
    const heard = await t.signIn('mod-heard@example.com');
    await t.api('PATCH', '/api/me', { token: heard.token, body: { subscriptions: ['face painting'] } });
    const bad = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'face painting', title: 'Spam spam spam', location: '1 Spam Street, Springfield, IL 62701' }) });
    const fine = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'face painting', title: 'A fine gig', location: '2 Fine Street, Springfield, IL 62701' }) });
    for (const reason of ['This is spam', 'Still spam']) expect((await t.api('POST', `/api/leedz/face painting/${bad.body.id}/report`, { token: reporter.token, body: { reason } })).status).toBe(202);
    await t.api('POST', `/api/leedz/face painting/${fine.body.id}/report`, { token: reporter.token, body: { reason: 'Not sure' } });
    await t.settle();
    expect(t.server.marketplace!.outbox.countEmails({ kind: 'report' })).toBe(2);

    // Only the operator reads them: not a stranger, not a signed-in vendor.
    expect((await t.api('GET', '/api/ops/reports')).status).toBe(401);
    // A vendor's session token is not the operator's: refused as /api/dev/* refuses it.
    const asVendor = await t.api('GET', '/api/ops/reports', { token: reporter.token });
    expect(asVendor.status).toBe((await t.api('GET', '/api/dev/outbox', { token: reporter.token })).status);
    expect([401, 403]).toContain(asVendor.status);
    const open = await asOperator('GET', '/api/ops/reports');
    expect(open.status).toBe(200);
    expect(open.body.reports.map((r: { leedId: string; reason: string }) => [r.leedId, r.reason]).sort()).toEqual([[bad.body.id, 'This is spam'], [fine.body.id, 'Not sure']].sort());
    expect(open.body.reports.find((r: { leedId: string }) => r.leedId === bad.body.id).leed).toMatchObject({ title: 'Spam spam spam', creator: 'mod-poster', status: 'active', location: '1 Spam Street, Springfield, IL 62701' });

    const takeDown = await asOperator('POST', `/api/ops/reports/${encodeURIComponent(`${bad.body.id}:mod-reporter`)}/resolve`, { action: 'take-down' });
    expect(takeDown).toMatchObject({ status: 200, body: { report: { status: 'taken-down' } } });
    expect((await asOperator('POST', `/api/ops/reports/${encodeURIComponent(`${bad.body.id}:mod-reporter`)}/resolve`, { action: 'dismiss' })).status).toBe(409);
    expect((await asOperator('POST', `/api/ops/reports/${encodeURIComponent(`${fine.body.id}:mod-reporter`)}/resolve`, { action: 'nuke' })).status).toBe(400);
    expect((await asOperator('POST', '/api/ops/reports/nope/resolve', { action: 'dismiss' })).status).toBe(404);
    expect((await asOperator('POST', `/api/ops/reports/${encodeURIComponent(`${fine.body.id}:mod-reporter`)}/resolve`, { action: 'dismiss' })).body.report.status).toBe('dismissed');
    await t.settle();

    expect((await t.api('GET', `/api/leedz/face painting/${bad.body.id}`)).status).toBe(404);
    expect((await t.api('GET', `/api/leedz/face painting/${fine.body.id}`)).body.status).toBe('active');
    const outbox = t.server.marketplace!.outbox;
    const [notice] = outbox.listEmails({ to: 'mod-poster@example.com', kind: 'taken-down', limit: 5 });
    expect(notice?.subject).toBe('Your leed was taken down: Spam spam spam');
    expect(outbox.countEmails({ to: 'mod-heard@example.com', kind: 'withdrawn' })).toBe(1);
    expect((await asOperator('GET', '/api/ops/reports')).body.reports).toEqual([]);
    expect((await asOperator('GET', '/api/ops/reports?which=closed')).body.reports.map((r: { status: string }) => r.status).sort()).toEqual(['dismissed', 'taken-down']);
    // The decision is in the invocation log, as every function's.
    expect(t.server.runtime.listInvocations({ function: 'resolveReport', limit: 10 }).length).toBeGreaterThanOrEqual(2);
  });
});

describe('times where the gig happens', () => {
  it('a post with wall times is read in the zone of its place; every view and email says the same local time with its zone', async () => {
    const poster = await t.signIn('tz-poster@example.com');
    const viewer = await t.signIn('tz-viewer@example.com');
    await t.api('PATCH', '/api/me', { token: viewer.token, body: { subscriptions: ['dj'] } });
    const date = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    // Springfield, IL is on Central time; Los Angeles on Pacific.
    const posted = await t.api('POST', '/api/leedz', {
      token: poster.token,
      body: newLeedBody({ trade: 'dj', location: '9 Lake Drive, Springfield, IL 62704', start: `${date}T18:00`, end: `${date}T23:00` }),
    });
    expect(posted.status).toBe(201);
    expect(posted.body.timeZone).toBe('America/Chicago');
    expect(posted.body.when).toMatch(/, 6:00 PM – 11:00 PM C[SD]T$/);
    const path = `/api/leedz/dj/${posted.body.id}`;
    const stranger = await t.api('GET', path);
    const owner = await t.api('GET', path, { token: poster.token });
    for (const view of [stranger.body, owner.body]) {
      expect(view.timeZone).toBe('America/Chicago');
      expect(view.when).toBe(posted.body.when);
      expect(new Date(view.start).toLocaleString('en-US', { timeZone: 'America/Chicago', hour: 'numeric', minute: '2-digit' })).toBe('6:00 PM');
    }
    const listed = (await t.api('GET', `/api/leedz?trades=dj&from=${date}T00:00:00Z&to=${date}T23:59:59-12:00`)).body.leedz.find((l: { id: string }) => l.id === posted.body.id);
    expect(listed.timeZone).toBe('America/Chicago');
    await t.settle();
    const alert = t.server.marketplace!.outbox.listEmails({ to: 'tz-viewer@example.com', kind: 'new-leed', limit: 1 })[0]!;
    expect(alert.text).toContain(posted.body.when);

    // Moved to Los Angeles with the same wall times: the times are read there.
    const moved = await t.api('PATCH', path, { token: poster.token, body: { location: '1 Main Street, Los Angeles, CA 90012', start: `${date}T18:00`, end: `${date}T23:00` } });
    expect(moved.status).toBe(200);
    expect(moved.body.timeZone).toBe('America/Los_Angeles');
    expect(moved.body.when).toMatch(/, 6:00 PM – 11:00 PM P[SD]T$/);
    // A place that cannot be found is refused for its location; the other rules still speak about the times.
    const lost = await t.api('POST', '/api/leedz', { token: poster.token, body: newLeedBody({ trade: 'dj', location: '9 Nowhere Road, Nowhere, ZZ 00000', start: `${date}T18:00`, end: `${date}T18:30` }) });
    expect(lost.status).toBe(400);
    expect(lost.body.error.fields).toEqual([
      { path: 'location', message: 'could not be found: check the street address and the zip' },
      { path: 'end', message: 'must be 1 to 12 hours after start' },
    ]);
  });
});

describe('conflicts', () => {
  it('an overlapping post for the same trade and place is 409, also when two race; back-to-back and another trade are accepted', async () => {
    const vendor = await t.signIn('busy@example.com');
    const place = '500 Monroe Street, Springfield, IL 62701';
    const base = newLeedBody({ trade: 'caricatures', location: place });
    const start = Date.parse(base.start as string);
    const hours = (h: number) => new Date(start + h * 3_600_000).toISOString();

    const posted = await t.api('POST', '/api/leedz', { token: vendor.token, body: base });
    expect(posted.status).toBe(201);
    // Its own slot does not block the leed: the same house spelled another way is an edit, not a clash.
    const respelled = await t.api('PATCH', `/api/leedz/caricatures/${posted.body.id}`, { token: vendor.token, body: { location: '500 Monroe St, Springfield, Illinois 62701' } });
    expect(respelled.status).toBe(200);
    const overlap = await t.api('POST', '/api/leedz', { token: vendor.token, body: { ...base, location: '500 monroe st springfield il 62701', start: hours(1), end: hours(4) } });
    expect(overlap.status).toBe(409);
    expect(overlap.body.error.message).toBe(`caricatures leed already exists for 500 monroe st springfield il 62701 at this date and time`);
    // The town and state are the zip's: written out, or left out, it is the same house.
    for (const location of ['500 Monroe St 62701', '500 Monroe Street, Springfield, Illinois 62701', '500 Monroe St, Springfield, IL 62701-2117']) {
      const same = await t.api('POST', '/api/leedz', { token: vendor.token, body: { ...base, location, start: hours(2), end: hours(3) } });
      expect(same.status, location).toBe(409);
    }
    expect((await t.api('POST', '/api/leedz', { token: vendor.token, body: { ...base, location: '502 Monroe St 62701', start: hours(2), end: hours(3) } })).status).toBe(201);

    const backToBack = await t.api('POST', '/api/leedz', { token: vendor.token, body: { ...base, start: hours(3), end: hours(5) } });
    expect(backToBack.status).toBe(201);
    expect((await t.api('POST', '/api/leedz', { token: vendor.token, body: { ...base, trade: 'dj' } })).status).toBe(201);

    const racing = { ...base, location: '600 Monroe Street, Springfield, IL 62701' };
    const results = await Promise.all([1, 2, 3].map(() => t.api('POST', '/api/leedz', { token: vendor.token, body: racing })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });
});

describe('paths no operation serves', () => {
  it('answer in the API’s error shape: 404 for an unknown path, 405 with Allow for a known one asked with another method', async () => {
    const missing = await t.api('GET', '/api/leed');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'NOT_FOUND', message: "no operation GET /api/leed: the API's operations are listed at /api/docs" } });
    expect((await t.api('POST', '/api/trades/dj/leedz/extra', { body: {} })).body.error.code).toBe('NOT_FOUND');

    const wrongMethod = await t.api('DELETE', '/api/trades');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect(wrongMethod.body.error).toEqual({ code: 'METHOD_NOT_ALLOWED', message: '/api/trades takes GET, not DELETE' });
    const leed = await t.api('PUT', '/api/leedz/dj/l_anything');
    expect(leed.status).toBe(405);
    expect(leed.headers.get('allow')).toBe('GET, PATCH, DELETE');

    // The server's own pages under /api/ are still theirs: the reference, and the operator's outbox (401 without a session).
    expect((await t.api('GET', '/api/docs')).status).toBe(200);
    expect((await t.api('GET', '/api/dev/outbox')).status).toBe(401);
  });
});

describe('the API reference', () => {
  it('serves an OpenAPI document generated from the schemas and a readable page', async () => {
    const document = await t.api('GET', '/api/openapi.json');
    expect(document.body.openapi).toBe('3.1.0');
    expect(document.body.paths['/api/leedz'].post.requestBody.content['application/json'].schema.properties.title).toMatchObject({ type: 'string', maxLength: 120 });
    // Named types, referred to by name; every operation's errors, with the Error type.
    expect(Object.keys(document.body.components.schemas)).toEqual(expect.arrayContaining(['Trade', 'LeedPreview', 'LeedView', 'Leed', 'User', 'PublicProfile', 'Stats', 'Error']));
    expect(document.body.paths['/api/trades'].get.responses['200'].content['application/json'].schema.properties.trades.items).toEqual({ $ref: '#/components/schemas/Trade' });
    expect(document.body.paths['/api/leedz'].post.responses['409'].description).toMatch(/CONFLICT: a leed of the same trade is already booked/);
    expect(JSON.stringify(document.body)).not.toContain('#/$defs/');

    const page = await t.api('GET', '/api/docs');
    expect(page.status).toBe(200);
    const html = String(page.body);
    expect(html).toContain('/api/leedz/{trade}/{id}/checkout');
    for (const route of ROUTES) {
      const section = html.slice(html.indexOf(`<section id="${route.function}"`), html.indexOf('</section>', html.indexOf(`<section id="${route.function}"`)));
      expect(section, route.function).toContain('<h3>Errors</h3>');
      expect(section, route.function).toContain(`<h3>Response: ${route.success.status}</h3>`);
      if (route.body !== undefined) expect(section, route.function).toMatch(/<h3>Request body \(JSON\)<\/h3>\n<table>[\s\S]*<pre><code>\{/);
    }
    // People read it: no JSON Schema dumps, no long patterns.
    const codes = [...html.matchAll(/matches <code>([^<]*)<\/code>/g)].map((m) => m[1]!);
    expect(codes.every((code) => code.length <= 40)).toBe(true);
    expect(html).not.toContain('"$schema"');
    // Its stylesheet is allowed by hash, and nothing else is.
    expect(page.headers.get('content-security-policy')).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });
});

describe.runIf(DUPLICATES !== '0')('with duplicate delivery on', () => {
  it('delivered copies of the events above, so every assertion held with them', () => {
    const invocations = t.server.runtime.listInvocations({ limit: 10_000 });
    const copies = invocations.filter((i) => i.duplicateOf !== null);
    expect(copies.length).toBeGreaterThan(10);
    expect([...new Set(copies.map((i) => i.function))]).toEqual(expect.arrayContaining(['emailHelper', 'bookkeeping']));
  });
});
