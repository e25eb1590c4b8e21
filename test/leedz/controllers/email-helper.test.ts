import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidPayloadError, RetryAfterError } from '../../../src/framework/errors.js';
import { createEmailHelper, SEND_CONCURRENCY } from '../../../src/leedz/controllers/email-helper.js';
import type { MarketplaceSettings } from '../../../src/leedz/deps.js';
import { readUnsubscribeToken } from '../../../src/leedz/emails/unsubscribe.js';
import {
  buildDeps,
  buildLeed,
  buildSubscriber,
  buildUser,
  CHATHAM,
  CHICAGO,
  controllerContext,
  FakeStore,
  recordingTransport,
  RecordingMailer,
  SPRINGFIELD,
} from './fakes.js';

const open: Database.Database[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

/** The controller over a fake store and a recording mailer. */
function setup(store = new FakeStore(), settings: Partial<MarketplaceSettings> = {}) {
  const mailer = new RecordingMailer();
  const { deps, db } = buildDeps(store, mailer, settings);
  open.push(db);
  return { store, mailer, deps, emailHelper: createEmailHelper(deps) };
}

/** `count` subscribers with no home (they get every alert), named sub-000, sub-001, … */
function manySubscribers(count: number) {
  return Array.from({ length: count }, (_, i) => buildSubscriber(`sub-${String(i).padStart(3, '0')}`, null));
}

describe('emailHelper.notifyUsers (the fan-out planner)', () => {
  it('plans 450 subscribers in batches of 200 as 3 notifyBatch events at the next hop, with the right cursors', async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(450));
    const { emailHelper, mailer } = setup(store);
    const transport = recordingTransport();
    const ctx = controllerContext('emailHelper', { hop: 1, transport });

    const result = await emailHelper.dispatch({ function: 'notifyUsers', leedId: 'l_1', trade: 'dj' }, ctx);

    expect(result).toEqual({ batches: 3 });
    expect(transport.invocations.map((call) => [call.functionName, call.type])).toEqual([
      ['emailHelper', 'Event'],
      ['emailHelper', 'Event'],
      ['emailHelper', 'Event'],
    ]);
    expect(transport.invocations.map(({ payload }) => ({ ...payload, _meta: undefined }))).toEqual([
      { function: 'notifyBatch', leedId: 'l_1', trade: 'dj', after: null, limit: 200, _meta: undefined },
      { function: 'notifyBatch', leedId: 'l_1', trade: 'dj', after: 'sub-199', limit: 200, _meta: undefined },
      { function: 'notifyBatch', leedId: 'l_1', trade: 'dj', after: 'sub-399', limit: 200, _meta: undefined },
    ]);
    // Every batch is one hop below the planner (a flat tree), keyed by its cursor, in the planner's trace.
    expect(transport.invocations.map(({ payload }) => payload._meta)).toEqual([
      expect.objectContaining({ hop: 2, idempotencyKey: 'notify:l_1:', parentId: ctx.meta.requestId, traceId: 'trace-1' }),
      expect.objectContaining({ hop: 2, idempotencyKey: 'notify:l_1:sub-199' }),
      expect.objectContaining({ hop: 2, idempotencyKey: 'notify:l_1:sub-399' }),
    ]);
    expect(mailer.sent).toEqual([]);
  });

  it('plans an exact multiple of the batch size without an empty last batch', async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(400));
    const { emailHelper } = setup(store);
    const transport = recordingTransport();

    await emailHelper.dispatch({ function: 'notifyUsers', leedId: 'l_1', trade: 'dj' }, controllerContext('emailHelper', { transport }));

    expect(transport.invocations.map(({ payload }) => payload.after)).toEqual([null, 'sub-199']);
  });

  it('covers every subscriber with exactly one email when each planned batch runs', async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(450));
    const { emailHelper, mailer } = setup(store);
    const transport = recordingTransport();
    await emailHelper.dispatch({ function: 'notifyUsers', leedId: 'l_1', trade: 'dj' }, controllerContext('emailHelper', { transport }));

    for (const { payload } of transport.invocations) await emailHelper.dispatch(payload, controllerContext('emailHelper', { hop: 1 }));

    expect(mailer.sent).toHaveLength(450);
    expect(new Set(mailer.sent.map((email) => email.to)).size).toBe(450);
  });

  it('plans nothing for a leed that is missing or no longer active', async () => {
    const store = new FakeStore()
      .addLeed(buildLeed({ id: 'l_sold', status: 'sold', buyer: 'pat' }))
      .subscribe('dj', manySubscribers(5));
    const { emailHelper } = setup(store);
    const transport = recordingTransport();
    const ctx = controllerContext('emailHelper', { transport });

    expect(await emailHelper.dispatch({ function: 'notifyUsers', leedId: 'l_sold', trade: 'dj' }, ctx)).toEqual({ batches: 0 });
    expect(await emailHelper.dispatch({ function: 'notifyUsers', leedId: 'l_missing', trade: 'dj' }, ctx)).toEqual({ batches: 0 });
    expect(transport.invocations).toEqual([]);
  });

  it('plans nothing for a trade without subscribers', async () => {
    const { emailHelper } = setup(new FakeStore().addLeed(buildLeed()));
    const transport = recordingTransport();

    await emailHelper.dispatch({ function: 'notifyUsers', leedId: 'l_1', trade: 'dj' }, controllerContext('emailHelper', { transport }));

    expect(transport.invocations).toEqual([]);
  });

  it('refuses at startup a batch size that notifyBatch would not accept', () => {
    expect(() => setup(new FakeStore(), { fanOutBatchSize: 1001 })).toThrow(/fanOutBatchSize/);
    expect(() => setup(new FakeStore(), { fanOutBatchSize: 0 })).toThrow(/fanOutBatchSize/);
  });
});

describe('emailHelper.notifyBatch', () => {
  /** sam posts a Springfield leed; the dj subscribers live near, far, nowhere, or are sam. */
  function neighbourhood() {
    return new FakeStore()
      .addLeed(buildLeed())
      .subscribe('dj', [
        buildSubscriber('near', CHATHAM, 20), // ~8 miles, within 20
        buildSubscriber('far', CHICAGO, 50), // ~180 miles, beyond 50
        buildSubscriber('near-small-radius', CHATHAM, 5), // ~8 miles, beyond their own 5
        buildSubscriber('sam', SPRINGFIELD, 100), // the creator
        buildSubscriber('nowhere', null, 5), // no zip: gets everything
      ]);
  }
  const batch = { function: 'notifyBatch', leedId: 'l_1', trade: 'dj', after: null, limit: 200 };

  it('emails once each subscriber within their own radius and each subscriber with no zip, never the creator or those out of range', async () => {
    const { emailHelper, mailer } = setup(neighbourhood());

    const result = await emailHelper.dispatch(batch, controllerContext('emailHelper', { hop: 1 }));

    expect(result).toEqual({ recipients: 2, sent: 2, refused: 0 });
    expect(mailer.sent.map((email) => email.to).sort()).toEqual(['near@example.com', 'nowhere@example.com']);
    expect(mailer.to('near@example.com')[0]).toMatchObject({ kind: 'new-leed', key: 'l_1:near:new-leed', subject: 'New Leed: Wedding reception' });
  });

  it('sends nothing, and plans nothing, once the gig has ended (a backlog delivered late advertises nothing that cannot be bought)', async () => {
    const store = new FakeStore()
      .addLeed(buildLeed({ start: '2026-11-30T18:00:00.000Z', end: '2026-11-30T23:00:00.000Z' }))
      .subscribe('dj', [buildSubscriber('nowhere', null, 5)]);
    const { emailHelper, mailer } = setup(store);
    const transport = recordingTransport();

    expect(await emailHelper.dispatch(batch, controllerContext('emailHelper', { hop: 1 }))).toEqual({ recipients: 0, sent: 0, refused: 0 });
    expect(await emailHelper.dispatch({ function: 'notifyUsers', leedId: 'l_1', trade: 'dj' }, controllerContext('emailHelper', { transport }))).toEqual({ batches: 0 });
    expect(mailer.sent).toEqual([]);
    expect(transport.invocations).toEqual([]);
  });

  it('sends nothing new when the same batch is delivered a second time', async () => {
    const { emailHelper, mailer } = setup(neighbourhood());

    await emailHelper.dispatch(batch, controllerContext('emailHelper', { hop: 1 }));
    await emailHelper.dispatch(batch, controllerContext('emailHelper', { hop: 1 }));

    expect(mailer.sent).toHaveLength(2);
  });

  it('takes only its own page of subscribers', async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(10));
    const { emailHelper, mailer } = setup(store);

    await emailHelper.dispatch({ ...batch, after: 'sub-003', limit: 4 }, controllerContext('emailHelper'));

    expect(mailer.sent.map((email) => email.to).sort()).toEqual(['sub-004', 'sub-005', 'sub-006', 'sub-007'].map((u) => `${u}@example.com`));
  });

  it('after a failed send, the batch fails and its retry sends only what did not go out', async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(20));
    const { emailHelper, mailer } = setup(store);
    mailer.failFor.add('sub-007@example.com');

    await expect(emailHelper.dispatch(batch, controllerContext('emailHelper'))).rejects.toThrow(/refused sub-007/);
    const first = mailer.sent.map((email) => email.to);
    expect(first).not.toContain('sub-007@example.com');
    expect(first.length).toBeLessThan(20);

    mailer.failFor.clear();
    await emailHelper.dispatch(batch, controllerContext('emailHelper'));
    expect(mailer.sent).toHaveLength(20);
    expect(new Set(mailer.sent.map((email) => email.to)).size).toBe(20);
    expect(mailer.sent.slice(first.length).map((email) => email.to)).toContain('sub-007@example.com');
  });

  it(`sends at most ${SEND_CONCURRENCY} emails at a time`, async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(40));
    const { emailHelper, mailer } = setup(store);

    await emailHelper.dispatch(batch, controllerContext('emailHelper'));

    expect(mailer.sent).toHaveLength(40);
    expect(mailer.maxInFlight).toBeGreaterThan(1);
    expect(mailer.maxInFlight).toBeLessThanOrEqual(SEND_CONCURRENCY);
  });

  it('sends nothing for a leed sold or deleted since it was posted', async () => {
    const store = neighbourhood().addLeed(buildLeed({ status: 'deleted' }));
    const { emailHelper, mailer } = setup(store);

    expect(await emailHelper.dispatch(batch, controllerContext('emailHelper'))).toEqual({ recipients: 0, sent: 0, refused: 0 });
    expect(mailer.sent).toEqual([]);
  });

  it("never puts a hidden field's value in the alert, but does show the fields the creator chose to show", async () => {
    const leed = buildLeed({
      visibility: { location: 'hidden', clientEmail: 'shown', clientPhone: 'hidden', details: 'shown', requirements: 'hidden' },
    });
    const store = new FakeStore().addLeed(leed).subscribe('dj', [buildSubscriber('pat', null)]);
    const { emailHelper, mailer } = setup(store);

    await emailHelper.dispatch(batch, controllerContext('emailHelper'));

    const [email] = mailer.sent;
    expect(email).toBeDefined();
    for (const part of [email!.html, email!.text]) {
      expect(part).not.toContain('123 Main St');
      expect(part).not.toContain('5551234567');
      expect(part).not.toContain('123-4567');
      expect(part).not.toContain('Own speakers');
      expect(part).toContain('bride@example.com');
      expect(part).toContain('Two sets, first dance at 7');
      expect(part).toContain('dj');
      expect(part).toContain('62701');
      expect(part).toContain('$25.00');
      // When the gig is where it happens: Springfield, IL (Central).
      expect(part).toContain('Thu, Dec 24, 2026, 6:00 PM – 10:00 PM CST');
      expect(part).toContain('https://leedz.test/leedz/dj/l_1');
    }
  });

  it('refuses a limit above 1000 as an invalid payload', async () => {
    const { emailHelper } = setup(neighbourhood());

    await expect(emailHelper.dispatch({ ...batch, limit: 1001 }, controllerContext('emailHelper'))).rejects.toBeInstanceOf(InvalidPayloadError);
  });
});

describe('emailHelper: the people told about a leed hear its news', () => {
  /** sam's Springfield leed was alerted to near and nowhere (notifyBatch keeps them as its recipients). */
  async function alerted(overrides: Parameters<typeof buildLeed>[0] = {}) {
    const store = new FakeStore()
      .addLeed(buildLeed(overrides))
      .addUser(buildUser('sam'))
      .subscribe('dj', [buildSubscriber('near', CHATHAM, 20), buildSubscriber('far', CHICAGO, 50), buildSubscriber('nowhere', null, 5)]);
    const env = setup(store);
    await env.emailHelper.dispatch({ function: 'notifyBatch', leedId: 'l_1', trade: 'dj', after: null, limit: 200 }, controllerContext('emailHelper'));
    env.mailer.sent.length = 0;
    return env;
  }

  it('keeps who was alerted: those emailed, not those out of range', async () => {
    const { store } = await alerted();
    expect(await store.listLeedRecipients('l_1', null, 10)).toEqual([
      { username: 'near', email: 'near@example.com' },
      { username: 'nowhere', email: 'nowhere@example.com' },
    ]);
  });

  it('plans the news in batches of the recipients, at the next hop', async () => {
    const { store, deps } = await alerted();
    const transport = recordingTransport();
    const emailHelper = createEmailHelper({ ...deps, settings: { ...deps.settings, fanOutBatchSize: 1 } });
    const news = { kind: 'withdrawn', by: 'creator' } as const;
    expect(await emailHelper.dispatch({ function: 'leedNews', leedId: 'l_1', trade: 'dj', news }, controllerContext('emailHelper', { transport }))).toEqual({ batches: 2 });
    expect(transport.invocations.map((i) => [i.payload.function, i.payload.after, (i.payload._meta as { hop: number }).hop])).toEqual([
      ['leedNewsBatch', null, 1],
      ['leedNewsBatch', 'near', 1],
    ]);
    expect(store.recipients.size).toBe(1);
  });

  it('tells each recipient once that the leed is withdrawn, however often the batch is delivered', async () => {
    const { store, emailHelper, mailer } = await alerted();
    store.addLeed(buildLeed({ status: 'deleted' }));
    const batch = { function: 'leedNewsBatch', leedId: 'l_1', trade: 'dj', news: { kind: 'withdrawn', by: 'creator' }, after: null, limit: 200 };
    await emailHelper.dispatch(batch, controllerContext('emailHelper'));
    await emailHelper.dispatch(batch, controllerContext('emailHelper'));

    expect(mailer.sent.map((e) => [e.to, e.kind, e.key]).sort()).toEqual([
      ['near@example.com', 'withdrawn', 'l_1:near:withdrawn'],
      ['nowhere@example.com', 'withdrawn', 'l_1:nowhere:withdrawn'],
    ]);
    expect(mailer.sent[0]!.subject).toBe('Leed withdrawn: Wedding reception');
    expect(mailer.sent[0]!.text).toContain('sam withdrew the dj leed "Wedding reception": it is no longer for sale.');
    expect(mailer.sent[0]!.text).toContain('Thu, Dec 24, 2026, 6:00 PM – 10:00 PM CST');
  });

  it('says nothing of a withdrawal while the leed is still active (an event written by hand)', async () => {
    const { emailHelper, mailer } = await alerted();
    const batch = { function: 'leedNewsBatch', leedId: 'l_1', trade: 'dj', news: { kind: 'withdrawn', by: 'creator' }, after: null, limit: 200 };
    expect(await emailHelper.dispatch(batch, controllerContext('emailHelper'))).toEqual({ recipients: 0, sent: 0, refused: 0 });
    expect(mailer.sent).toEqual([]);
  });

  it('tells each recipient the new time, the old one beside it, once per change; the hidden location stays hidden', async () => {
    const { store, emailHelper, mailer } = await alerted();
    // Moved two hours later, an hour longer.
    store.addLeed(buildLeed({ start: '2026-12-25T02:00:00.000Z', end: '2026-12-25T07:00:00.000Z' }));
    const news = { kind: 'changed', change: 'edit-1', previous: { start: '2026-12-25T00:00:00.000Z', end: '2026-12-25T04:00:00.000Z', zip: '62701' } };
    const batch = { function: 'leedNewsBatch', leedId: 'l_1', trade: 'dj', news, after: null, limit: 200 };
    await emailHelper.dispatch(batch, controllerContext('emailHelper'));
    await emailHelper.dispatch(batch, controllerContext('emailHelper'));
    await emailHelper.dispatch({ ...batch, news: { ...news, change: 'edit-2' } }, controllerContext('emailHelper'));

    expect(mailer.to('near@example.com').map((e) => e.key)).toEqual(['l_1:near:changed:edit-1', 'l_1:near:changed:edit-2']);
    const [email] = mailer.to('near@example.com');
    expect(email!.subject).toBe('Leed changed: Wedding reception');
    expect(email!.text).toMatch(/When, now: +Thu, Dec 24, 2026, 8:00 PM – Fri, Dec 25, 2026, 1:00 AM CST/);
    expect(email!.text).toMatch(/When, before: +Thu, Dec 24, 2026, 6:00 PM – 10:00 PM CST/);
    expect(email!.text).not.toContain('123 Main St');
    expect(email!.text).toContain('https://leedz.test/profile#subscriptions');
  });

  it('tells the old time in the zone the recipients were told it in, when the leed moved to another zone', async () => {
    const { store, emailHelper, mailer } = await alerted();
    // Moved from Chicago to Los Angeles, same instant: it was 6:00 PM CST, it is 4:00 PM PST.
    store.addLeed(buildLeed({ start: '2026-12-25T02:00:00.000Z', end: '2026-12-25T04:00:00.000Z', timeZone: 'America/Los_Angeles', zip: '90012' }));
    const news = { kind: 'changed', change: 'move-1', previous: { start: '2026-12-25T00:00:00.000Z', end: '2026-12-25T02:00:00.000Z', zip: '62701', timeZone: 'America/Chicago' } };
    await emailHelper.dispatch({ function: 'leedNewsBatch', leedId: 'l_1', trade: 'dj', news, after: null, limit: 200 }, controllerContext('emailHelper'));

    const [email] = mailer.to('near@example.com');
    expect(email!.text).toMatch(/When, now: +Thu, Dec 24, 2026, 6:00 PM – 8:00 PM PST/);
    expect(email!.text).toMatch(/When, before: +Thu, Dec 24, 2026, 6:00 PM – 8:00 PM CST/);
  });

  it('emails the poster of a leed taken down, once', async () => {
    const store = new FakeStore().addLeed(buildLeed({ status: 'deleted' })).addUser(buildUser('sam'));
    const { emailHelper, mailer } = setup(store);
    await emailHelper.dispatch({ function: 'leedTakenDown', leedId: 'l_1', trade: 'dj' }, controllerContext('emailHelper'));
    await emailHelper.dispatch({ function: 'leedTakenDown', leedId: 'l_1', trade: 'dj' }, controllerContext('emailHelper'));

    expect(mailer.sent.map((e) => [e.to, e.kind, e.key])).toEqual([['sam@example.com', 'taken-down', 'l_1:sam:taken-down']]);
    expect(mailer.sent[0]!.text).toContain('After a report by another vendor, the Leedz took down your dj leed "Wedding reception"');
    expect(mailer.sent[0]!.text).toContain('write to admin@leedz.test');
  });
});

describe('emailHelper.paymentRefunded', () => {
  const refunded = { function: 'paymentRefunded', leedId: 'l_1', trade: 'dj', payer: 'pat', paymentId: 'pay_9', amount: 2500, reason: 'already-sold' };

  it('tells the payer once per payment, however often the event comes', async () => {
    const store = new FakeStore().addLeed(buildLeed({ status: 'sold', buyer: 'kim' })).addUser(buildUser('pat', { email: 'pat@buyer.test' }));
    const { emailHelper, mailer } = setup(store);

    expect(await emailHelper.dispatch(refunded, controllerContext('emailHelper'))).toEqual({ sent: true });
    await emailHelper.dispatch(refunded, controllerContext('emailHelper'));

    expect(mailer.sent.map((e) => [e.to, e.kind, e.key])).toEqual([['pat@buyer.test', 'refund', 'pay_9:refund']]);
    expect(mailer.sent[0]!.text).toContain('Your payment of $25.00 for the dj leed "Wedding reception" was refunded in full');
  });

  it('sends nothing for a payer who does not exist, and says so in the log', async () => {
    const { emailHelper, mailer } = setup(new FakeStore().addLeed(buildLeed()));
    const logs: string[] = [];

    expect(await emailHelper.dispatch(refunded, controllerContext('emailHelper', { log: (line) => logs.push(line) }))).toEqual({ sent: false });

    expect(mailer.sent).toEqual([]);
    expect(logs.join('\n')).toContain('payer "pat" does not exist');
  });

  it('refuses a reason it does not know, naming the field', async () => {
    const { emailHelper } = setup(new FakeStore().addUser(buildUser('pat')));

    await expect(emailHelper.dispatch({ ...refunded, reason: 'because' }, controllerContext('emailHelper'))).rejects.toThrow(/reason/);
  });
});

describe('emailHelper.sendReceipts', () => {
  function soldLeedStore() {
    return new FakeStore()
      .addLeed(buildLeed({ status: 'sold', buyer: 'pat', soldAt: '2026-12-02T15:30:00.000Z' }))
      .addUser(buildUser('sam', { email: 'sam@seller.test' }))
      .addUser(buildUser('pat', { email: 'pat@buyer.test' }));
  }
  const receipts = { function: 'sendReceipts', leedId: 'l_1', trade: 'dj' };

  it("emails the buyer a receipt with every field of the leed and the seller's contact", async () => {
    const { emailHelper, mailer } = setup(soldLeedStore());

    await emailHelper.dispatch(receipts, controllerContext('emailHelper'));

    const [receipt] = mailer.to('pat@buyer.test');
    expect(receipt).toMatchObject({ kind: 'receipt', key: 'l_1:pat:receipt' });
    for (const part of [receipt!.html, receipt!.text]) {
      for (const expected of [
        'Wedding reception',
        '123 Main St, Springfield, IL 62701',
        'bride@example.com',
        '(555) 123-4567',
        'Two sets, first dance at 7',
        'Own speakers and lights',
        'Thu, Dec 24, 2026, 6:00 PM – 10:00 PM CST',
        '$25.00',
        '$2.25', // the 9% platform fee
        'sam',
        'sam@seller.test',
      ]) {
        expect(part).toContain(expected);
      }
    }
  });

  it("emails the seller \"Leed Sold!\" with the buyer's username and email", async () => {
    const { emailHelper, mailer } = setup(soldLeedStore());

    await emailHelper.dispatch(receipts, controllerContext('emailHelper'));

    const [sold] = mailer.to('sam@seller.test');
    expect(sold).toMatchObject({ kind: 'sold', key: 'l_1:sam:sold' });
    expect(sold!.subject).toContain('Leed Sold!');
    for (const part of [sold!.html, sold!.text]) {
      expect(part).toContain('pat');
      expect(part).toContain('pat@buyer.test');
    }
    expect(mailer.sent).toHaveLength(2);
  });

  it('sends each receipt once when the event is delivered twice', async () => {
    const { emailHelper, mailer } = setup(soldLeedStore());

    await emailHelper.dispatch(receipts, controllerContext('emailHelper'));
    await emailHelper.dispatch(receipts, controllerContext('emailHelper'));

    expect(mailer.sent.map((email) => email.key).sort()).toEqual(['l_1:pat:receipt', 'l_1:sam:sold']);
  });

  it('sends no receipt for a leed that is not sold', async () => {
    const store = soldLeedStore().addLeed(buildLeed());
    const { emailHelper, mailer } = setup(store);

    expect(await emailHelper.dispatch(receipts, controllerContext('emailHelper'))).toEqual({ sent: false });
    expect(mailer.sent).toEqual([]);
  });
});

describe('emailHelper.reportLeed', () => {
  const report = (reporter: string, reason: string) => ({ function: 'reportLeed', leedId: 'l_1', trade: 'dj', reporter, reason });

  it('emails the admin the whole leed, the reporter and the reason', async () => {
    const store = new FakeStore().addLeed(buildLeed()).addUser(buildUser('pat'));
    const { emailHelper, mailer } = setup(store);

    await emailHelper.dispatch(report('pat', 'The client says they never booked this'), controllerContext('emailHelper'));

    const [email] = mailer.sent;
    expect(email).toMatchObject({ to: 'admin@leedz.test', kind: 'report', key: 'l_1:pat:report' });
    for (const part of [email!.html, email!.text]) {
      expect(part).toContain('The client says they never booked this');
      expect(part).toContain('pat@example.com');
      expect(part).toContain('123 Main St, Springfield, IL 62701'); // hidden from strangers, not from the admin
      expect(part).toContain('(555) 123-4567');
    }
  });

  it('sends one email per leed and reporter: a second report by the same user does not reach the admin again', async () => {
    const { emailHelper, mailer } = setup(new FakeStore().addLeed(buildLeed()));

    await emailHelper.dispatch(report('pat', 'spam'), controllerContext('emailHelper'));
    await emailHelper.dispatch(report('pat', 'really, spam'), controllerContext('emailHelper'));
    await emailHelper.dispatch(report('kim', 'spam'), controllerContext('emailHelper'));

    expect(mailer.sent.map((email) => email.key)).toEqual(['l_1:pat:report', 'l_1:kim:report']);
  });
});

describe('emailHelper.magicLink', () => {
  it('makes the sign-in token itself and emails a link that redeems it, once however often the event is delivered', async () => {
    const { emailHelper, mailer, deps } = setup();

    await emailHelper.dispatch({ function: 'magicLink', email: 'pat@example.com', request: 'login-1' }, controllerContext('emailHelper'));
    await emailHelper.dispatch({ function: 'magicLink', email: 'pat@example.com', request: 'login-1' }, controllerContext('emailHelper'));

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({ to: 'pat@example.com', kind: 'magic-link', key: 'magic-link:login-1' });
    // The web app's confirm page, the token in the fragment (never sent to a server, never in a log).
    const link = /https?:\/\/\S+\/signin\/confirm#token=([A-Za-z0-9_-]{43})/.exec(mailer.sent[0]!.text);
    expect(link).not.toBeNull();
    expect(mailer.sent[0]!.html).toContain(`href="${link![0]}"`);
    expect(await deps.identity.redeemLoginToken(link![1]!)).toBe('pat@example.com');
  });

  it('sends another email for another login request of the same address', async () => {
    const { emailHelper, mailer } = setup();
    await emailHelper.dispatch({ function: 'magicLink', email: 'pat@example.com', request: 'login-1' }, controllerContext('emailHelper'));
    await emailHelper.dispatch({ function: 'magicLink', email: 'pat@example.com', request: 'login-2' }, controllerContext('emailHelper'));
    expect(mailer.sent).toHaveLength(2);
  });

  it('refuses an event without an address or a request id, naming the field', async () => {
    const { emailHelper, mailer } = setup();
    await expect(emailHelper.dispatch({ function: 'magicLink', email: 'not-an-address', request: 'r' }, controllerContext('emailHelper'))).rejects.toBeInstanceOf(InvalidPayloadError);
    await expect(emailHelper.dispatch({ function: 'magicLink', email: 'pat@example.com' }, controllerContext('emailHelper'))).rejects.toThrow(/request/);
    expect(mailer.sent).toEqual([]);
  });
});

describe('emailHelper: bulk mail carries one-click unsubscribe and skips suppressed addresses', () => {
  const batch = { function: 'notifyBatch', leedId: 'l_1', trade: 'dj', after: null, limit: 200 };

  it('renders the alert once: every email of a batch shares one subject, html and text, with its own key and unsubscribe token', async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(3));
    const { emailHelper, mailer } = setup(store);

    await emailHelper.dispatch(batch, controllerContext('emailHelper'));

    const [a, b, c] = mailer.sent;
    expect(a!.html).toBe(b!.html);
    expect(b!.text).toBe(c!.text);
    expect(new Set(mailer.sent.map((email) => email.key)).size).toBe(3);
    for (const email of mailer.sent) {
      expect(email.headers?.['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
      const url = /^<(https:\/\/leedz\.test\/api\/unsubscribe\?token=([A-Za-z0-9_.-]+))>$/.exec(email.headers?.['List-Unsubscribe'] ?? '');
      expect(url).not.toBeNull();
      // The token names the recipient and the trade, signed with the store's secret: nobody else's.
      const username = email.to.split('@')[0]!;
      expect(readUnsubscribeToken(store.secret, url![2]!)).toEqual({ username, trade: 'dj' });
      expect(readUnsubscribeToken('another secret', url![2]!)).toBeUndefined();
      // And the visible way out, in the body.
      expect(email.text).toContain("use your mail app's Unsubscribe button, or manage your subscriptions");
      expect(email.text).toContain('https://leedz.test/profile#subscriptions');
      expect(email.html).toContain('href="https://leedz.test/profile#subscriptions"');
    }
  });

  it('never alerts an address on the suppression list (whatever its case), nor keeps it as a recipient', async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(4));
    await store.suppressEmails([{ email: 'SUB-001@example.com', reason: 'bounce', at: '2026-12-01T00:00:00.000Z' }]);
    const { emailHelper, mailer } = setup(store);

    expect(await emailHelper.dispatch(batch, controllerContext('emailHelper'))).toEqual({ recipients: 3, sent: 3, refused: 0 });

    expect(mailer.sent.map((email) => email.to).sort()).toEqual(['sub-000@example.com', 'sub-002@example.com', 'sub-003@example.com']);
    expect(await store.listLeedRecipients('l_1', null, 10)).not.toContainEqual(expect.objectContaining({ username: 'sub-001' }));
  });

  it('a recipient refused for good does not hold up the others: the batch succeeds, the address is suppressed, and a redelivery does not try it again', async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(10));
    const { emailHelper, mailer } = setup(store);
    mailer.refuse.add('sub-004@example.com');
    const ctx = controllerContext('emailHelper');

    expect(await emailHelper.dispatch(batch, ctx)).toEqual({ recipients: 10, sent: 9, refused: 1 });
    expect(mailer.sent).toHaveLength(9);
    expect(await store.suppressedAmong(['sub-004@example.com'])).toEqual(new Set(['sub-004@example.com']));
    expect(store.suppressed.get('sub-004@example.com')).toMatchObject({ reason: 'bounce', detail: expect.stringContaining('550 no such user') });

    mailer.refuse.clear();
    await emailHelper.dispatch(batch, controllerContext('emailHelper'));
    expect(mailer.sent).toHaveLength(9);
  });

  it('throttled and refused recipients in one batch: the throttle wins, so the batch is retried for the throttled ones, never for the refused one', async () => {
    const store = new FakeStore().addLeed(buildLeed()).subscribe('dj', manySubscribers(10));
    const { deps, mailer } = setup(store);
    // The refused one comes first: its error must not be the one that decides the batch.
    mailer.refuse.add('sub-000@example.com');
    mailer.throttle.set('sub-005@example.com', 1_000);
    mailer.throttle.set('sub-006@example.com', 60_000);
    const emailHelper = createEmailHelper(deps);
    // A context whose remaining time is short: a RetryAfterError is not waited for inside it.
    const ctx = controllerContext('emailHelper');
    ctx.getRemainingTimeInMillis = () => 1_000;

    const error = await emailHelper.dispatch(batch, ctx).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetryAfterError);
    expect((error as RetryAfterError).retryAfterMs).toBe(60_000);
    mailer.throttle.clear();
    await emailHelper.dispatch(batch, controllerContext('emailHelper'));
    expect(mailer.sent.map((email) => email.to).sort()).toEqual(manySubscribers(10).slice(1).map((s) => s.email));
    expect(mailer.to('sub-000@example.com')).toEqual([]);
  });

  it('leed news: not to those who unsubscribed from the trade since, nor to suppressed addresses; with one-click unsubscribe', async () => {
    const store = new FakeStore()
      .addLeed(buildLeed())
      .subscribe('dj', [buildSubscriber('ann', null), buildSubscriber('bob', null), buildSubscriber('cy', null)]);
    const { emailHelper, mailer } = setup(store);
    await emailHelper.dispatch(batch, controllerContext('emailHelper'));
    mailer.sent.length = 0;
    store.unsubscribe('dj', 'bob');
    await store.suppressEmails([{ email: 'cy@example.com', reason: 'complaint', at: '2026-12-01T00:00:00.000Z' }]);
    store.addLeed(buildLeed({ status: 'deleted' }));

    const result = await emailHelper.dispatch(
      { function: 'leedNewsBatch', leedId: 'l_1', trade: 'dj', news: { kind: 'withdrawn', by: 'creator' }, after: null, limit: 200 },
      controllerContext('emailHelper'),
    );

    expect(result).toEqual({ recipients: 1, sent: 1, refused: 0 });
    expect(mailer.sent.map((email) => [email.to, email.kind])).toEqual([['ann@example.com', 'withdrawn']]);
    expect(mailer.sent[0]!.headers?.['List-Unsubscribe']).toMatch(/^<https:\/\/leedz\.test\/api\/unsubscribe\?token=/);
  });

  it('sign-in links and receipts carry no unsubscribe and go to a suppressed address too: the person asked for them', async () => {
    const store = new FakeStore()
      .addLeed(buildLeed({ status: 'sold', buyer: 'pat', soldAt: '2026-12-02T15:30:00.000Z' }))
      .addUser(buildUser('sam'))
      .addUser(buildUser('pat'));
    await store.suppressEmails([{ email: 'pat@example.com', reason: 'bounce', at: '2026-12-01T00:00:00.000Z' }]);
    const { emailHelper, mailer } = setup(store);

    await emailHelper.dispatch({ function: 'sendReceipts', leedId: 'l_1', trade: 'dj' }, controllerContext('emailHelper'));
    await emailHelper.dispatch({ function: 'magicLink', email: 'pat@example.com', request: 'r-1' }, controllerContext('emailHelper'));

    expect(mailer.to('pat@example.com').map((email) => email.kind).sort()).toEqual(['magic-link', 'receipt']);
    expect(mailer.sent.every((email) => email.headers === undefined)).toBe(true);
  });
});

describe('emailHelper.mailFeedback (SES bounce and complaint events)', () => {
  /** An SES event as EventBridge's `detail` carries it (the shape SES documents for event publishing). */
  const bounce = (bounceType: string, emails: string[]) => ({
    function: 'mailFeedback',
    event: {
      eventType: 'Bounce',
      mail: { messageId: 'm-1', timestamp: '2026-12-02T10:00:00.000Z', tags: { 'ses:configuration-set': ['Leedz-mail'] } },
      bounce: {
        bounceType,
        bounceSubType: bounceType === 'Permanent' ? 'General' : 'MailboxFull',
        bouncedRecipients: emails.map((emailAddress) => ({ emailAddress, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' })),
        timestamp: '2026-12-02T10:00:05.000Z',
        feedbackId: 'f-1',
      },
    },
  });

  it('suppresses each address of a permanent bounce, once however often the event comes', async () => {
    const { emailHelper, store } = setup();

    expect(await emailHelper.dispatch(bounce('Permanent', ['gone@example.com', 'Also.Gone@example.com']), controllerContext('emailHelper'))).toEqual({ suppressed: 2 });
    await emailHelper.dispatch(bounce('Permanent', ['gone@example.com']), controllerContext('emailHelper'));

    expect([...store.suppressed.keys()].sort()).toEqual(['also.gone@example.com', 'gone@example.com']);
    expect(store.suppressed.get('gone@example.com')).toEqual({
      email: 'gone@example.com',
      reason: 'bounce',
      at: '2026-12-02T10:00:05.000Z',
      detail: 'Permanent/General: smtp; 550 5.1.1 user unknown',
    });
  });

  it('leaves a transient bounce alone (the mailbox is full today: SES retries it)', async () => {
    const { emailHelper, store } = setup();
    expect(await emailHelper.dispatch(bounce('Transient', ['full@example.com']), controllerContext('emailHelper'))).toEqual({ suppressed: 0 });
    expect(store.suppressed.size).toBe(0);
  });

  it('suppresses the address of a complaint', async () => {
    const { emailHelper, store } = setup();
    const complaint = {
      function: 'mailFeedback',
      event: { eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: 'angry@example.com' }], complaintFeedbackType: 'abuse', timestamp: 'not a time' } },
    };

    expect(await emailHelper.dispatch(complaint, controllerContext('emailHelper'))).toEqual({ suppressed: 1 });
    // A time SES did not give in ISO 8601 is replaced by the time the event was handled.
    expect(store.suppressed.get('angry@example.com')).toEqual({ email: 'angry@example.com', reason: 'complaint', at: '2026-12-02T00:00:00.000Z', detail: 'abuse' });
  });

  it('refuses an event that is not an SES event, naming the field', async () => {
    const { emailHelper } = setup();
    const error = await emailHelper.dispatch({ function: 'mailFeedback', event: { bounce: { bouncedRecipients: 'x' } } }, controllerContext('emailHelper')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPayloadError);
    expect((error as Error).message).toMatch(/event\.eventType/);
  });
});
