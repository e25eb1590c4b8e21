/**
 * `emailHelper`: the controller that sends every email of the marketplace, invoked with `Event`.
 *
 * Delivery is at-least-once (Lambda's asynchronous queue, the local runtime's, the outbox relay), so
 * every email goes through `idempotency.once` under its key — `(leed, recipient, kind)` — and a
 * redelivered event, or a retry after a crash halfway through a batch, sends nothing twice.
 *
 * The fan-out after a post is two routes: `notifyUsers` plans the batches and invokes `notifyBatch`
 * once per page of subscribers, all at the next hop — a flat tree, so any number of subscribers stays
 * far within Lambda's recursion limit of 16 hops
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html).
 *
 * @example
 * const emailHelper = createEmailHelper(deps);
 * await invoke(ctx, emailHelper).notifyUsers.event({ leedId, trade }, { idempotencyKey: `notify:${leedId}` });
 */
import { z } from 'zod';
import type { InvocationContext } from '../../framework/context.js';
import { defineController } from '../../framework/define.js';
import { invoke } from '../../framework/invoker.js';
import { withinRadius, type GeoPoint } from '../domain/geo.js';
import { tradeNameSchema } from '../domain/trade.js';
import type { MarketplaceDeps } from '../deps.js';
import type { Email, Subscriber } from '../ports.js';
import { leedChangedEmail, leedTakenDownEmail, leedWithdrawnEmail, magicLinkEmail, newLeedEmail, receiptEmail, reportEmail, soldEmail } from '../emails/templates.js';
import { forEachConcurrently } from './concurrency.js';

/** The most subscribers one `notifyBatch` takes (and the most `fanOutBatchSize` may be). */
export const MAX_BATCH_SIZE = 1000;

/** Emails in flight at once within a batch. */
export const SEND_CONCURRENCY = 8;

const leedIdSchema = z.string().min(1);

/** `notifyUsers`: plan the fan-out of a new leed to its trade's subscribers. */
export const notifyUsersPayload = z.object({ leedId: leedIdSchema, trade: tradeNameSchema });

/** `notifyBatch`: one page of subscribers — those after the `after` username, at most `limit`. */
export const notifyBatchPayload = z.object({
  leedId: leedIdSchema,
  trade: tradeNameSchema,
  after: z.string().nullable(),
  limit: z.int().min(1).max(MAX_BATCH_SIZE),
});

/** `sendReceipts`: the buyer's receipt and the seller's "Leed Sold!" for a sold leed. */
export const sendReceiptsPayload = z.object({ leedId: leedIdSchema, trade: tradeNameSchema });

/** `reportLeed`: tell the admin that `reporter` reported a leed, and why. */
export const reportLeedPayload = z.object({
  leedId: leedIdSchema,
  trade: tradeNameSchema,
  reporter: z.string().min(1),
  reason: z.string().min(1).max(1000),
});

/**
 * What the people told about a leed hear next: it was withdrawn (by its poster, or taken down by the
 * operator), or its time or place changed (`change` names the edit: one email per recipient and edit;
 * `previous` is what they were told before).
 */
export const leedNewsSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('withdrawn'), by: z.enum(['creator', 'operator']) }),
  z.object({
    kind: z.literal('changed'),
    change: z.string().min(1).max(100),
    previous: z.object({ start: z.string().min(1), end: z.string().min(1), zip: z.string().min(1) }),
  }),
]);

/** `leedNews`: plan telling a leed's recipients (those emailed about it) the news. */
export const leedNewsPayload = z.object({ leedId: leedIdSchema, trade: tradeNameSchema, news: leedNewsSchema });

/** `leedNewsBatch`: one page of those recipients — after the `after` username, at most `limit`. */
export const leedNewsBatchPayload = leedNewsPayload.extend({ after: z.string().nullable(), limit: z.int().min(1).max(MAX_BATCH_SIZE) });

/** `leedTakenDown`: tell the poster that the operator took their leed down. */
export const leedTakenDownPayload = z.object({ leedId: leedIdSchema, trade: tradeNameSchema });

/**
 * `magicLink`: the sign-in email for the login request `request` (its id keys the email, so a
 * redelivered event sends nothing twice). The route makes the sign-in token itself, so no token is
 * ever in an event, a queue or an invocation log.
 */
export const magicLinkPayload = z.object({
  email: z.email(),
  request: z.string().min(1).max(100),
});

/**
 * The link a sign-in email carries for `token`: the web app's confirm page, whose button spends the
 * token with a POST (mail scanners fetch links with GET, and must not sign anyone in). The token is
 * in the fragment, which browsers never send: it stays out of server and CDN logs.
 *
 * @example
 * signInLink('https://leedz.example.com', 'abc…'); // → 'https://leedz.example.com/signin/confirm#token=abc…'
 */
export function signInLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/signin/confirm#token=${encodeURIComponent(token)}`;
}

/**
 * Build the `emailHelper` controller over the marketplace's ports.
 *
 * Routes and payloads (the flat envelope: `{ function: <route>, ...payload }`):
 * - `notifyUsers { leedId, trade }`
 * - `notifyBatch { leedId, trade, after: string | null, limit: 1..1000 }`
 * - `sendReceipts { leedId, trade }`
 * - `reportLeed { leedId, trade, reporter, reason: 1..1000 chars }`
 * - `magicLink { email, request: the login request's id }`
 * - `leedNews { leedId, trade, news: {kind: 'withdrawn', by} | {kind: 'changed', change, previous} }`
 * - `leedNewsBatch { leedId, trade, news, after: string | null, limit: 1..1000 }`
 * - `leedTakenDown { leedId, trade }`
 *
 * @example
 * const emailHelper = createEmailHelper(deps);
 * await emailHelper.dispatch({ function: 'magicLink', email: 'pat@example.com', request: 'r-1' }, ctx);
 */
export function createEmailHelper(deps: MarketplaceDeps) {
  const { store, mailer, idempotency, settings } = deps;
  const batchSize = settings.fanOutBatchSize;
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= MAX_BATCH_SIZE)) {
    // Fail at startup rather than on the first post, when notifyBatch would refuse the limit.
    throw new RangeError(`fanOutBatchSize must be an integer from 1 to ${MAX_BATCH_SIZE}, got ${batchSize}`);
  }

  /** Send `email` at most once per its key, however often this is called. */
  const sendOnce = (ctx: InvocationContext, email: Email) => idempotency.once(ctx, email.key, () => mailer.send(email));

  const emailHelper = defineController(
    'emailHelper',
    {
      notifyUsers: {
        payload: notifyUsersPayload,
        // The return type is written out: the handler invokes `emailHelper`, whose type depends on it.
        handler: async ({ leedId, trade }, ctx): Promise<{ batches: number }> => {
          const leed = await store.getLeed(trade, leedId);
          if (leed?.status !== 'active') return { batches: 0 };
          const self = invoke(ctx, emailHelper);
          // Pages are read only to find the boundaries; each batch reads its own page again.
          // A user who subscribes during the fan-out may shift a boundary: one who unsubscribes is
          // harmless (an overlap, absorbed by the per-recipient keys), one who subscribes may push
          // the last subscriber of a page past it and miss this alert.
          let after: string | null = null;
          let batches = 0;
          for (;;) {
            const page: Subscriber[] = await store.listSubscribers(trade, after, batchSize);
            if (page.length === 0) break;
            await self.notifyBatch.event({ leedId, trade, after, limit: batchSize }, { idempotencyKey: `notify:${leedId}:${after ?? ''}` });
            batches += 1;
            const last = page.at(-1);
            if (page.length < batchSize || last === undefined) break;
            after = last.username;
          }
          return { batches };
        },
      },

      notifyBatch: {
        payload: notifyBatchPayload,
        handler: async ({ leedId, trade, after, limit }, ctx): Promise<{ recipients: number }> => {
          const leed = await store.getLeed(trade, leedId);
          // Sold, deleted or expired since the post: an alert would advertise what cannot be bought.
          if (leed?.status !== 'active') return { recipients: 0 };
          const page = await store.listSubscribers(trade, after, limit);
          const recipients = page.filter((subscriber) => subscriber.username !== leed.creator && wantsLeedAt(subscriber, leed.point));
          // Kept before they are emailed: whoever may have heard of the leed hears of its changes too.
          await store.addLeedRecipients(leedId, recipients.map(({ username, email }) => ({ username, email })));
          await forEachConcurrently(
            recipients,
            SEND_CONCURRENCY,
            (recipient) => sendOnce(ctx, newLeedEmail({ leed, recipient, publicUrl: settings.publicUrl })),
            ctx.signal,
          );
          return { recipients: recipients.length };
        },
      },

      sendReceipts: {
        payload: sendReceiptsPayload,
        handler: async ({ leedId, trade }, ctx): Promise<{ sent: boolean }> => {
          const leed = await store.getLeed(trade, leedId);
          if (leed?.status !== 'sold' || leed.buyer === null) {
            ctx.log(`sendReceipts: ${trade}/${leedId} is ${leed === undefined ? 'not found' : `${leed.status}, not sold`}; no receipts`);
            return { sent: false };
          }
          const [buyer, seller] = await Promise.all([store.getUser(leed.buyer), store.getUser(leed.creator)]);
          if (buyer === undefined || seller === undefined) {
            ctx.log(`sendReceipts: ${trade}/${leedId}: buyer "${leed.buyer}" or seller "${leed.creator}" does not exist; no receipts`);
            return { sent: false };
          }
          const { publicUrl } = settings;
          await sendOnce(ctx, receiptEmail({ leed, buyer, seller, publicUrl }));
          await sendOnce(ctx, soldEmail({ leed, seller, buyer, publicUrl }));
          return { sent: true };
        },
      },

      reportLeed: {
        payload: reportLeedPayload,
        // One email per (leed, reporter) while the idempotency record lives: a user who reports the
        // same leed again (a double click, an impatient second try) does not flood the admin; the
        // admin already has the leed in front of them. Reports by different users all arrive.
        handler: async ({ leedId, trade, reporter, reason }, ctx): Promise<{ sent: boolean }> => {
          const leed = await store.getLeed(trade, leedId);
          if (leed === undefined) {
            ctx.log(`reportLeed: ${trade}/${leedId} not found; nothing to report`);
            return { sent: false };
          }
          const reporterUser = await store.getUser(reporter);
          const reporterContact = reporterUser === undefined ? { username: reporter } : { username: reporter, email: reporterUser.email };
          await sendOnce(
            ctx,
            reportEmail({ leed, adminEmail: settings.adminEmail, reporter: reporterContact, reason, publicUrl: settings.publicUrl }),
          );
          return { sent: true };
        },
      },

      leedNews: {
        payload: leedNewsPayload,
        handler: async ({ leedId, trade, news }, ctx): Promise<{ batches: number }> => {
          const self = invoke(ctx, emailHelper);
          const topic = news.kind === 'withdrawn' ? 'withdrawn' : `changed:${news.change}`;
          // The same flat tree as notifyUsers: a page of recipients per batch, all at the next hop.
          let after: string | null = null;
          let batches = 0;
          for (;;) {
            const page = await store.listLeedRecipients(leedId, after, batchSize);
            if (page.length === 0) break;
            await self.leedNewsBatch.event({ leedId, trade, news, after, limit: batchSize }, { idempotencyKey: `news:${leedId}:${topic}:${after ?? ''}` });
            batches += 1;
            const last = page.at(-1);
            if (page.length < batchSize || last === undefined) break;
            after = last.username;
          }
          return { batches };
        },
      },

      leedNewsBatch: {
        payload: leedNewsBatchPayload,
        handler: async ({ leedId, trade, news, after, limit }, ctx): Promise<{ recipients: number }> => {
          const leed = await store.getLeed(trade, leedId);
          // Withdrawn: only once it is (a redelivery after a restore would mislead). Changed: only while
          // it can still be bought — sold since, the news is moot.
          if (leed === undefined || (news.kind === 'withdrawn' ? leed.status !== 'deleted' : leed.status !== 'active')) {
            ctx.log(`leedNewsBatch: ${trade}/${leedId} is ${leed?.status ?? 'not found'}; no ${news.kind} emails`);
            return { recipients: 0 };
          }
          const recipients = (await store.listLeedRecipients(leedId, after, limit)).filter((r) => r.username !== leed.creator);
          const { publicUrl } = settings;
          await forEachConcurrently(
            recipients,
            SEND_CONCURRENCY,
            (recipient) =>
              sendOnce(
                ctx,
                news.kind === 'withdrawn'
                  ? leedWithdrawnEmail({ leed, recipient, by: news.by, publicUrl })
                  : leedChangedEmail({ leed, recipient, previous: news.previous, change: news.change, publicUrl }),
              ),
            ctx.signal,
          );
          return { recipients: recipients.length };
        },
      },

      leedTakenDown: {
        payload: leedTakenDownPayload,
        handler: async ({ leedId, trade }, ctx): Promise<{ sent: boolean }> => {
          const leed = await store.getLeed(trade, leedId);
          const poster = leed === undefined ? undefined : await store.getUser(leed.creator);
          if (leed?.status !== 'deleted' || poster === undefined) {
            ctx.log(`leedTakenDown: ${trade}/${leedId} is ${leed?.status ?? 'not found'}${poster === undefined ? ', its poster unknown' : ''}; no email`);
            return { sent: false };
          }
          await sendOnce(ctx, leedTakenDownEmail({ leed, poster, adminEmail: settings.adminEmail, publicUrl: settings.publicUrl }));
          return { sent: true };
        },
      },

      magicLink: {
        payload: magicLinkPayload,
        handler: async ({ email, request }, ctx): Promise<{ sent: boolean }> => {
          await idempotency.once(ctx, `magic-link:${request}`, async () => {
            const token = await deps.identity.issueLoginToken(email);
            return mailer.send(magicLinkEmail({ email, link: signInLink(settings.publicUrl, token), key: `magic-link:${request}` }));
          });
          return { sent: true };
        },
      },
    },
    // 30 s: a batch of 100 emails fits at SES's default 14/s; it is also how long a crashed attempt
    // holds its email keys before a redelivery may send them.
    // It invokes itself: notifyUsers hands each page of subscribers to notifyBatch.
    { timeoutSeconds: 30, maximumRetryAttempts: 2, invokes: ['emailHelper'], table: 'read-write' },
  );
  return emailHelper;
}

/**
 * Whether a subscriber wants an alert for a leed at `point`: within their own radius of their home,
 * or always when they have no home point (no zip, or a zip the geocoder did not know).
 */
function wantsLeedAt(subscriber: Subscriber, point: GeoPoint): boolean {
  return subscriber.point === null || withinRadius(subscriber.point, point, subscriber.radius);
}
