/**
 * One-click unsubscribe (RFC 8058, https://www.rfc-editor.org/rfc/rfc8058) for the marketplace's bulk
 * mail: every new-leed alert and every piece of leed news carries
 *
 * ```
 * List-Unsubscribe: <https://…/api/unsubscribe?token=…>
 * List-Unsubscribe-Post: List-Unsubscribe=One-Click
 * ```
 *
 * and a mail client's Unsubscribe button POSTs `List-Unsubscribe=One-Click` to that URL, with no
 * cookie and no session: the token alone says who and what. What it stops: the alerts of the trade
 * the email was about (and the news of that trade's leedz) — the recipient's subscription to that
 * trade ends, as if they had unticked it on their profile, where they can tick it again.
 *
 * A token is `<username>.<trade>.<mac>` (each base64url): the MAC is HMAC-SHA256 over both under the
 * store's unsubscribe secret, cut to 128 bits. Nothing is stored per email, and a token cannot be
 * made for someone else without the secret; it never expires, because a mail client may press the
 * button months later.
 *
 * @example
 * const token = unsubscribeToken(secret, { username: 'pat', trade: 'dj' });
 * readUnsubscribeToken(secret, token); // → { username: 'pat', trade: 'dj' }
 * oneClickHeaders('https://leedz.example', token)['List-Unsubscribe']; // → '<https://leedz.example/api/unsubscribe?token=…>'
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Who stops getting which trade's bulk mail. */
export interface UnsubscribeSubject {
  username: string;
  trade: string;
}

/** The API route a one-click POST goes to (and whose GET sends a person to the web app's page). */
export const UNSUBSCRIBE_PATH = '/api/unsubscribe';

/** The web app's page that asks before unsubscribing (a GET must never unsubscribe: mail scanners follow links). */
export const UNSUBSCRIBE_PAGE_PATH = '/unsubscribe';

const MAC_BYTES = 16;

/** The token of `subject`'s one-click unsubscribe link, signed with `secret`. */
export function unsubscribeToken(secret: string, subject: UnsubscribeSubject): string {
  const user = Buffer.from(subject.username).toString('base64url');
  const trade = Buffer.from(subject.trade).toString('base64url');
  return `${user}.${trade}.${mac(secret, subject).toString('base64url')}`;
}

/** Who and which trade a token is for, when `secret` signed it; undefined for anything else. */
export function readUnsubscribeToken(secret: string, token: string): UnsubscribeSubject | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))) return undefined;
  const [user, trade, signature] = parts as [string, string, string];
  const subject = { username: Buffer.from(user, 'base64url').toString('utf8'), trade: Buffer.from(trade, 'base64url').toString('utf8') };
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, subject);
  return given.length === expected.length && timingSafeEqual(given, expected) ? subject : undefined;
}

/**
 * The two header fields of RFC 8058 for a bulk email: where to POST, and that one POST is enough.
 * The URL is HTTPS on AWS; locally it is the server's own (http://127.0.0.1…), which mail clients
 * will not POST to, but the headers and the endpoint are the same.
 */
export function oneClickHeaders(publicUrl: string, token: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${unsubscribeUrl(publicUrl, token)}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

/** The one-click URL of a token (`List-Unsubscribe`). */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${UNSUBSCRIBE_PATH}?token=${token}`;
}

/** The web app's page for a token (the token in the fragment, which browsers never send to a server). */
export function unsubscribePageUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${UNSUBSCRIBE_PAGE_PATH}#token=${encodeURIComponent(token)}`;
}

function mac(secret: string, subject: UnsubscribeSubject): Buffer {
  return createHmac('sha256', secret).update(`unsubscribe\u0000${subject.username}\u0000${subject.trade}`).digest().subarray(0, MAC_BYTES);
}
