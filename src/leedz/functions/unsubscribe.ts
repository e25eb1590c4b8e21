/**
 * One-click unsubscribe (RFC 8058, https://www.rfc-editor.org/rfc/rfc8058) from the marketplace's bulk
 * mail, with no session: the signed token of the link says who and which trade
 * (`../emails/unsubscribe.ts`), never a parameter taken on trust.
 *
 * - `POST /api/unsubscribe?token=…` (`List-Unsubscribe=One-Click` in the body, as a mail client's
 *   Unsubscribe button sends it, or the web app's page): the recipient's subscription to that trade
 *   ends — no more alerts of it, nor news of its leedz. Answers 200 whether or not they still
 *   subscribed (a second click is no error), and 400 naming `token` for a token that is not ours.
 * - `GET /api/unsubscribe?token=…` (the same URL opened in a browser, or fetched by a mail scanner):
 *   never unsubscribes; it sends the browser to the web app's page (`/unsubscribe#token=…`), whose
 *   button POSTs — as a sign-in link does (`/signin/confirm`).
 *
 * The token is kept out of the invocation log (`sensitive`), wherever the request carries it, and no
 * answer is cached.
 */
import { z } from 'zod';
import type { MarketplaceDeps } from '../deps.js';
import { readUnsubscribeToken, unsubscribePageUrl } from '../emails/unsubscribe.js';
import { defineHttpFunction } from './define-http-function.js';
import { ok, parseWith, problem } from './http.js';

/** The link's query: the token our email carried. */
export const unsubscribeQuerySchema = z.object({
  token: z
    .string({ error: 'is required: the whole link from the email' })
    .min(1, 'is required: the whole link from the email')
    .max(400, 'is too long to be one of our links')
    .describe('The token of the link in the email.'),
});

const NO_STORE = { 'cache-control': 'no-store' } as const;

export function createUnsubscribe(deps: MarketplaceDeps) {
  return defineHttpFunction('unsubscribe', {
    // The link's secret is made on first use (put); updateUser writes the profile (update), deletes the
    // subscription, puts the others again, and checks a trade that a racing profile change dropped.
    table: ['get', 'put', 'update', 'delete', 'condition-check'],
    // A token sent in the form body instead of the query is refused, and kept out of the log too (the
    // body's fields, and the raw body the form arrives as).
    sensitive: ['query.token', 'body.*'],
    handler: async (request) => {
      const query = parseWith(unsubscribeQuerySchema, request.query, 'parameter');
      if (!query.ok) return query.result;
      const subject = readUnsubscribeToken(await deps.store.unsubscribeSecret(), query.value.token);
      if (subject === undefined) {
        return { ...problem('VALIDATION', 'this unsubscribe link is not one of ours, or not whole: open it from the email again', [{ path: 'token', message: 'is not a token this marketplace signed' }]), headers: NO_STORE };
      }
      const user = await deps.store.getUser(subject.username);
      // Already unsubscribed, or no account any more: nothing is sent to them about this trade either way.
      if (user !== undefined && user.subscriptions.includes(subject.trade)) {
        // Dropped from the list as it is when written: another unsubscribe, or a profile change, may commit first.
        await deps.store.updateUser(user.username, (current) => ({ subscriptions: current.subscriptions.filter((trade) => trade !== subject.trade) }));
      }
      return ok({ unsubscribed: true, trade: subject.trade }, NO_STORE);
    },
  });
}

export function createOpenUnsubscribeLink(deps: MarketplaceDeps) {
  return defineHttpFunction('openUnsubscribeLink', {
    sensitive: ['query.token'],
    handler: async (request) => {
      const query = parseWith(unsubscribeQuerySchema, request.query, 'parameter');
      if (!query.ok) return query.result;
      return { status: 303, headers: { location: unsubscribePageUrl(deps.settings.publicUrl, query.value.token), ...NO_STORE } };
    },
  });
}
