/**
 * A vendor's calendar feed: the gigs they bought, as an iCalendar file at a private URL that Google
 * Calendar and Apple Calendar subscribe to (they fetch it without a session, so the URL itself is
 * the secret).
 *
 * - `GET /api/me/calendar`: whether the vendor has a feed, and since when (the URL is shown once).
 * - `POST /api/me/calendar`: a new feed URL (a random token); the previous one stops working.
 * - `DELETE /api/me/calendar`: no feed any more; its URL stops working.
 * - `GET /api/calendar/{token}.ics`: the feed (`text/calendar`), or 404 for an unknown token.
 *
 * Only the SHA-256 of a token is stored, and the token is kept out of the invocation log: a copy of
 * the database or the log gives no feed away.
 */
import { createHash, randomBytes } from 'node:crypto';
import { formatPhone } from '../domain/phone.js';
import { icsCalendar, type IcsEvent } from '../domain/ics.js';
import type { Leed } from '../domain/leed.js';
import { formatGigTime } from '../domain/time-zone.js';
import type { MarketplaceDeps } from '../deps.js';
import { leedUrl } from '../emails/templates.js';
import { authenticate, defineHttpFunction } from './define-http-function.js';
import { noContent, ok, PRIVATE, problem, unauthenticated } from './http.js';

/** The most gigs a feed holds (the latest ones). */
export const FEED_LIMIT = 500;

/** The hex SHA-256 of a feed token: what the store keeps and looks up. */
export function feedTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The feed's URL for a token. */
export function feedUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/api/calendar/${token}.ics`;
}

export function createGetCalendarFeed(deps: MarketplaceDeps) {
  return defineHttpFunction('getCalendarFeed', {
    table: ['get'],
    handler: async (request) => {
      const caller = authenticate(request);
      if (caller === undefined) return unauthenticated();
      const feed = await deps.store.getCalendarFeed(caller.username);
      return ok({ feed: feed === undefined ? null : { createdAt: feed.createdAt } }, PRIVATE);
    },
  });
}

export function createNewCalendarFeed(deps: MarketplaceDeps) {
  return defineHttpFunction('newCalendarFeed', {
    // Replacing a feed deletes the old token's marker.
    table: ['get', 'put', 'delete', 'condition-check'],
    handler: async (request) => {
      const caller = authenticate(request);
      if (caller === undefined) return unauthenticated();
      const token = randomBytes(32).toString('base64url');
      const createdAt = deps.now().toISOString();
      await deps.store.setCalendarFeed(caller.username, { tokenHash: feedTokenHash(token), createdAt });
      // The only time the URL exists outside the vendor's calendar app: it is not stored.
      return { status: 201, body: { url: feedUrl(deps.settings.publicUrl, token), createdAt }, headers: { 'cache-control': 'no-store' } };
    },
  });
}

export function createRevokeCalendarFeed(deps: MarketplaceDeps) {
  return defineHttpFunction('revokeCalendarFeed', {
    table: ['get', 'delete'],
    handler: async (request) => {
      const caller = authenticate(request);
      if (caller === undefined) return unauthenticated();
      await deps.store.setCalendarFeed(caller.username, null);
      return noContent();
    },
  });
}

export function createCalendarFeed(deps: MarketplaceDeps) {
  return defineHttpFunction('calendarFeed', {
    table: ['get', 'query'],
    // The path holds the feed's secret token; the feed, the bought gigs' clients' contact.
    sensitive: ['params.file', 'url', 'response.body'],
    handler: async (request) => {
      const token = /^([A-Za-z0-9_-]{43})\.ics$/.exec(request.params.file ?? '')?.[1];
      const owner = token === undefined ? undefined : await deps.store.findCalendarFeedOwner(feedTokenHash(token));
      if (owner === undefined) return problem('NOT_FOUND', 'no such calendar feed: it may have been replaced by a new link or turned off');
      const now = deps.now();
      const bought = await deps.store.listBoughtLeedz(owner, FEED_LIMIT);
      const host = new URL(deps.settings.publicUrl).host;
      const text = icsCalendar({
        name: `The Leedz: ${owner}'s gigs`,
        now,
        events: bought.map((leed) => gigEvent(leed, host, deps.settings.publicUrl)),
      });
      return {
        status: 200,
        body: text,
        headers: {
          'content-type': 'text/calendar; charset=utf-8',
          'content-disposition': 'inline; filename="leedz.ics"',
          'cache-control': 'private, max-age=300',
        },
      };
    },
  });
}

/** A bought gig as an event: everything the buyer needs to work it, in its description. */
function gigEvent(leed: Leed, host: string, publicUrl: string): IcsEvent {
  const url = leedUrl(publicUrl, leed);
  const lines = [
    `When: ${formatGigTime(leed.start, leed.end, leed.timeZone)}`,
    ...(leed.clientEmail === null ? [] : [`Client email: ${leed.clientEmail}`]),
    ...(leed.clientPhone === null ? [] : [`Client phone: ${formatPhone(leed.clientPhone)}`]),
    ...(leed.details === null ? [] : [`Details: ${leed.details}`]),
    ...(leed.requirements === null ? [] : [`Requirements: ${leed.requirements}`]),
    `Bought from ${leed.creator} on the Leedz: ${url}`,
  ];
  return {
    uid: `${leed.id}@${host}`,
    start: leed.start,
    end: leed.end,
    summary: `${leed.trade}: ${leed.title}`,
    location: leed.location,
    description: lines.join('\n'),
    url,
    ...(leed.soldAt === null ? {} : { updatedAt: leed.soldAt }),
  };
}
