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
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html). A batch renders its email
 * once and sends it to each recipient with their own header fields (`send-each.ts`).
 *
 * Bulk mail (new-leed alerts, leed news: {@link BULK_ROUTES}) skips addresses on the store's
 * suppression list and carries one-click unsubscribe (RFC 8058; `../emails/unsubscribe.ts`); its
 * recipients' refusals for good are one recipient's failure, not the batch's. `mailFeedback` puts
 * the addresses that bounce or complain on the suppression list (SES's events on AWS; on one machine
 * an SMTP server's refusal of a recipient does the same, at send time). Sign-in links, receipts and
 * the admin's reports always go: the person asked for them.
 *
 * Where the mail goes first: locally every route waits in its own lane of the runtime, so a sign-in
 * link is never behind a fan-out's batches; on AWS the bulk routes run in a Lambda of their own, with
 * its own share of SES's rate (`infra/mail-rate.ts`).
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
import { hasEnded } from '../domain/leed.js';
import { tradeNameSchema } from '../domain/trade.js';
import type { MarketplaceDeps } from '../deps.js';
import { RECIPIENT_REFUSED, type Email, type Recipient, type Subscriber } from '../ports.js';
import { bulkEmails, leedChangedContent, leedTakenDownEmail, leedWithdrawnContent, magicLinkEmail, newLeedContent, receiptEmail, REFUND_REASONS, refundEmail, reportEmail, soldEmail, type EmailKind } from '../emails/templates.js';
import { oneClickHeaders, unsubscribeToken } from '../emails/unsubscribe.js';
import { BULK_ROUTES } from './mail-lanes.js';
import { sendEach, SEND_CONCURRENCY, type BatchOutcome } from './send-each.js';

export { SEND_CONCURRENCY };

/** The most subscribers one `notifyBatch` takes (and the most `fanOutBatchSize` may be). */
export const MAX_BATCH_SIZE = 1000;

/**
 * The routes that send bulk mail, a page of recipients each. On AWS they run in a Lambda of their
 * own (`mail-lanes.ts`, `infra/mail-rate.ts`), so that sign-in links and receipts never wait behind them.
 */
export { BULK_ROUTES };

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

/**
 * `paymentRefunded`: tell `payer` (a username) that their payment `paymentId` of `amount` cents for a
 * leed was refunded, and why (the payment webhook's refusals: `../functions/payment-webhook.ts`).
 */
export const paymentRefundedPayload = z.object({
  leedId: leedIdSchema,
  trade: tradeNameSchema,
  payer: z.string().min(1).max(100),
  paymentId: z.string().min(1).max(200),
  amount: z.int().min(0),
  reason: z.enum(REFUND_REASONS),
});

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
    // timeZone: the zone the recipients were told the old time in (absent in news queued before it was sent).
    previous: z.object({ start: z.string().min(1), end: z.string().min(1), zip: z.string().min(1), timeZone: z.string().min(1).optional() }),
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

/** A recipient as SES reports it in a bounce or a complaint. */
const reportedRecipient = z.object({ emailAddress: z.string().min(3).max(320) });

/**
 * `mailFeedback`: an SES email event as SES publishes it (the `detail` of its EventBridge event,
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html). Only the
 * fields read here are checked; the rest is ignored.
 */
export const mailFeedbackPayload = z.object({
  event: z.object({
    eventType: z.string().min(1).max(40),
    bounce: z
      .object({
        bounceType: z.string().max(40),
        bounceSubType: z.string().max(80).optional(),
        bouncedRecipients: z.array(reportedRecipient.extend({ diagnosticCode: z.string().max(1000).optional() })).max(100),
        timestamp: z.string().max(40).optional(),
      })
      .optional(),
    complaint: z
      .object({
        complainedRecipients: z.array(reportedRecipient).max(100),
        complaintFeedbackType: z.string().max(80).optional(),
        timestamp: z.string().max(40).optional(),
      })
      .optional(),
  }),
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
 * - `paymentRefunded { leedId, trade, payer, paymentId, amount, reason }`
 * - `reportLeed { leedId, trade, reporter, reason: 1..1000 chars }`
 * - `magicLink { email, request: the login request's id }`
 * - `leedNews { leedId, trade, news: {kind: 'withdrawn', by} | {kind: 'changed', change, previous} }`
 * - `leedNewsBatch { leedId, trade, news, after: string | null, limit: 1..1000 }`
 * - `leedTakenDown { leedId, trade }`
 * - `mailFeedback { event: SES's email event (a bounce or a complaint) }`
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

  // The secret never changes once made: read it once per container.
  let secret: Promise<string> | undefined;
  const unsubscribeSecret = () => {
    secret ??= store.unsubscribeSecret().catch((error: unknown) => {
      secret = undefined;
      throw error;
    });
    return secret;
  };

  /**
   * A batch of bulk mail about `trade`: one rendered content, each recipient with their own key and
   * one-click unsubscribe from that trade; recipients refused for good go on the suppression list
   * (SMTP's 550: the address does not exist) and into the log, and the others are not held up.
   */
  async function sendBulk(ctx: InvocationContext, trade: string, kind: EmailKind, content: ReturnType<typeof newLeedContent>, recipients: readonly Recipient[], keyOf: (recipient: Recipient) => string): Promise<BatchOutcome> {
    const key = await unsubscribeSecret();
    const emails = bulkEmails(
      content,
      kind,
      recipients.map((recipient) => ({
        to: recipient.email,
        key: keyOf(recipient),
        headers: oneClickHeaders(settings.publicUrl, unsubscribeToken(key, { username: recipient.username, trade })),
      })),
    );
    const outcome = await sendEach(deps, ctx, emails);
    if (outcome.refused.length > 0) {
      for (const { email, code, message } of outcome.refused) ctx.log(`${kind}: not sent to ${email.to} (${code}): ${message}`);
      const at = deps.now().toISOString();
      const bounced = outcome.refused.filter((refusal) => refusal.code === RECIPIENT_REFUSED);
      await store.suppressEmails(bounced.map(({ email, message }) => ({ email: email.to, reason: 'bounce' as const, at, detail: message.slice(0, 500) })));
    }
    return outcome;
  }

  /** Those of `recipients` whose address is not on the suppression list. */
  async function mailable<R extends { email: string }>(recipients: readonly R[]): Promise<R[]> {
    const suppressed = await store.suppressedAmong(recipients.map((recipient) => recipient.email));
    return suppressed.size === 0 ? [...recipients] : recipients.filter((recipient) => !suppressed.has(recipient.email));
  }

  const emailHelper = defineController(
    'emailHelper',
    {
      notifyUsers: {
        payload: notifyUsersPayload,
        // The return type is written out: the handler invokes `emailHelper`, whose type depends on it.
        handler: async ({ leedId, trade }, ctx): Promise<{ batches: number }> => {
          const leed = await store.getLeed(trade, leedId);
          if (leed?.status !== 'active' || hasEnded(leed, deps.now())) return { batches: 0 };
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
        handler: async ({ leedId, trade, after, limit }, ctx): Promise<{ recipients: number; sent: number; refused: number }> => {
          const leed = await store.getLeed(trade, leedId);
          // Sold, deleted or over since the post: an alert would advertise what cannot be bought.
          if (leed?.status !== 'active' || hasEnded(leed, deps.now())) return { recipients: 0, sent: 0, refused: 0 };
          const page = await store.listSubscribers(trade, after, limit);
          const recipients = (await mailable(page.filter((subscriber) => subscriber.username !== leed.creator && wantsLeedAt(subscriber, leed.point)))).map(
            ({ username, email }) => ({ username, email }),
          );
          // Kept before they are emailed: whoever may have heard of the leed hears of its changes too.
          await store.addLeedRecipients(leedId, recipients);
          const content = newLeedContent({ leed, publicUrl: settings.publicUrl });
          const outcome = await sendBulk(ctx, trade, 'new-leed', content, recipients, (recipient) => `${leed.id}:${recipient.username}:new-leed`);
          return { recipients: recipients.length, sent: outcome.sent, refused: outcome.refused.length };
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

      paymentRefunded: {
        payload: paymentRefundedPayload,
        handler: async ({ leedId, trade, payer, paymentId, amount, reason }, ctx): Promise<{ sent: boolean }> => {
          const user = await store.getUser(payer);
          if (user === undefined) {
            ctx.log(`paymentRefunded: ${trade}/${leedId}: payer "${payer}" does not exist; no refund notice for payment ${paymentId}`);
            return { sent: false };
          }
          const leed = await store.getLeed(trade, leedId);
          await sendOnce(ctx, refundEmail({ leed, leedId, trade, payer: user, paymentId, amount, reason, publicUrl: settings.publicUrl }));
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
        handler: async ({ leedId, trade, news, after, limit }, ctx): Promise<{ recipients: number; sent: number; refused: number }> => {
          const leed = await store.getLeed(trade, leedId);
          // Withdrawn: only once it is (a redelivery after a restore would mislead). Changed: only while
          // it can still be bought — sold since, the news is moot.
          if (leed === undefined || (news.kind === 'withdrawn' ? leed.status !== 'deleted' : leed.status !== 'active')) {
            ctx.log(`leedNewsBatch: ${trade}/${leedId} is ${leed?.status ?? 'not found'}; no ${news.kind} emails`);
            return { recipients: 0, sent: 0, refused: 0 };
          }
          const told = (await store.listLeedRecipients(leedId, after, limit)).filter((r) => r.username !== leed.creator);
          // Those who unsubscribed from the trade since (one click on an alert) hear no more of its leedz.
          const subscribed = await store.subscribedAmong(trade, told.map((r) => r.username));
          const recipients = await mailable(told.filter((r) => subscribed.has(r.username)));
          const { publicUrl } = settings;
          const [content, kind, suffix] =
            news.kind === 'withdrawn'
              ? ([leedWithdrawnContent({ leed, by: news.by, publicUrl }), 'withdrawn', 'withdrawn'] as const)
              : ([leedChangedContent({ leed, previous: news.previous, publicUrl }), 'changed', `changed:${news.change}`] as const);
          const outcome = await sendBulk(ctx, trade, kind, content, recipients, (recipient) => `${leed.id}:${recipient.username}:${suffix}`);
          return { recipients: recipients.length, sent: outcome.sent, refused: outcome.refused.length };
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

      mailFeedback: {
        payload: mailFeedbackPayload,
        // SES reports a hard bounce (`Permanent`: the address does not exist, or its server refuses us
        // for good) or a complaint (the recipient marked our email as spam): either way, no more bulk
        // mail to that address. A transient bounce (mailbox full) is SES's to retry, not ours to act on.
        // Idempotent: a listed address keeps its first entry.
        handler: async ({ event }, ctx): Promise<{ suppressed: number }> => {
          const now = deps.now().toISOString();
          const at = (reported: string | undefined) => (reported !== undefined && !Number.isNaN(Date.parse(reported)) ? new Date(reported).toISOString() : now);
          const { bounce, complaint } = event;
          if (event.eventType === 'Bounce' && bounce !== undefined && bounce.bounceType === 'Permanent') {
            const reason = [bounce.bounceType, bounce.bounceSubType].filter(Boolean).join('/');
            await store.suppressEmails(
              bounce.bouncedRecipients.map((r) => ({ email: r.emailAddress, reason: 'bounce' as const, at: at(bounce.timestamp), detail: [reason, r.diagnosticCode].filter(Boolean).join(': ').slice(0, 500) })),
            );
            return { suppressed: bounce.bouncedRecipients.length };
          }
          if (event.eventType === 'Complaint' && complaint !== undefined) {
            await store.suppressEmails(
              complaint.complainedRecipients.map((r) => ({ email: r.emailAddress, reason: 'complaint' as const, at: at(complaint.timestamp), ...(complaint.complaintFeedbackType === undefined ? {} : { detail: complaint.complaintFeedbackType }) })),
            );
            return { suppressed: complaint.complainedRecipients.length };
          }
          ctx.log(`mailFeedback: ${event.eventType}${bounce === undefined ? '' : ` (${bounce.bounceType})`}: nothing to suppress`);
          return { suppressed: 0 };
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
    { timeoutSeconds: 30, maximumRetryAttempts: 2, invokes: ['emailHelper'], table: ['get', 'query', 'put'] },
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
