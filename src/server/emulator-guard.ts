/**
 * The browser guard of the Node emulators (`aws-ses-v2-local`, `cognito-local`), loaded into their
 * processes before they start (`node --import bin/emulator-guard.js …`, see `src/server/emulators.ts`).
 * They answer on 127.0.0.1 without credentials, and any page open in the developer's browser can
 * send requests there: cognito-local even allows every origin (CORS `*`), so a page could list the
 * pool's users or sign in as any of them, and the SES store holds every sign-in link. Each request
 * passes through {@link refusal} before the emulator sees it:
 *
 * - a `Host` that is not an IP address or `localhost` is refused (DNS rebinding: a page of another
 *   site reaching 127.0.0.1 under its own name would read the answers as its own);
 * - a request that a page of another origin sent is refused: one with an `Origin` other than the
 *   emulator's own (every cross-origin fetch and CORS preflight has one), or that the browser marks
 *   `Sec-Fetch-Site: cross-site` or `same-site` (a page on another port of the same host), except a
 *   top-level GET navigation, whose answer the page that started it cannot read (the redirect from
 *   `/api/dev/outbox` to the SES web UI is one).
 *
 * The server's own SDK clients send neither header and pass; so does the SES web UI in a tab of its
 * own. What a browser guard cannot stop — another program or user of the same machine calling the
 * loopback port — is why the `aws-local` profile is for a developer's own machine (README).
 *
 * @example
 * http.createServer(guardRequests(app)); // what the preload does to every server the emulator makes
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { hostAllowed } from './browser-guards.js';

const allowedHost = hostAllowed({});

/** Why a request is refused (status and text), or undefined when the emulator may answer it. */
export function refusal(request: Pick<IncomingMessage, 'method' | 'headers'>): { status: number; text: string } | undefined {
  const { host, origin } = request.headers;
  if (!allowedHost(host)) return { status: 421, text: `This emulator answers to localhost and IP addresses, not to "${host ?? ''}".` };
  const site = header(request, 'sec-fetch-site');
  const topLevelRead = request.method === 'GET' && header(request, 'sec-fetch-mode') === 'navigate' && header(request, 'sec-fetch-dest') === 'document';
  if (origin !== undefined && origin !== `http://${host}` && !topLevelRead) return { status: 403, text: `This emulator refuses requests from web pages of other origins (${origin}).` };
  if ((site === 'cross-site' || site === 'same-site') && !topLevelRead) return { status: 403, text: 'This emulator refuses requests from web pages of other origins.' };
  return undefined;
}

/** `listener`, behind {@link refusal}. */
export function guardRequests(listener: RequestListener): RequestListener {
  return (request: IncomingMessage, response: ServerResponse) => {
    const refused = refusal(request);
    if (refused === undefined) return listener(request, response);
    // Nothing of the request is read: close the connection rather than drain a body no one wants.
    response.writeHead(refused.status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    response.end(refused.text);
  };
}

function header(request: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
