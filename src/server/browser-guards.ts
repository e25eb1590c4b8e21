/**
 * What a server on the developer's machine owes the browser next to it: any page the developer has
 * open can send requests to `127.0.0.1`, so the server refuses what a page of another site could use.
 *
 * - **Host**: a request whose `Host` names neither an IP address, `localhost`, nor the public URL's
 *   host is refused (a DNS-rebinding page reaches 127.0.0.1 under its own domain name, and would
 *   otherwise read the answers as same-origin).
 * - **Page headers**: every HTML page gets a Content-Security-Policy (scripts and styles from this
 *   server only; no framing by other sites), and every response `X-Content-Type-Options: nosniff`.
 *
 * The API's own checks (Origin, Content-Type, body size) are the HTTP edge's: `src/edge/api-app.ts`.
 *
 * @example
 * app.use('*', guardBrowserRequests({ publicUrl: 'https://leedz.example.com' }));
 */
import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { respond } from '../edge/api-app.js';
import { PAGE_HEADERS } from '../edge/content-security-policy.js';
import { problem } from '../leedz/functions/http.js';

/** Lambda's API: every operation's path starts with its API version, a date. */
export const LAMBDA_API_PATH = /^\/20\d\d-\d\d-\d\d\//;

export function guardBrowserRequests(options: { publicUrl?: string }): MiddlewareHandler {
  const allowed = hostAllowed(options);
  return async (c, next) => {
    if (!allowed(c.req.header('host'))) {
      const message = `This server answers to localhost, its IP addresses${options.publicUrl === undefined ? '' : ` and ${new URL(options.publicUrl).hostname}`}, not to "${c.req.header('host') ?? ''}".`;
      // The refusal quotes the Host it was sent: never sniffed into a page.
      c.header('x-content-type-options', 'nosniff');
      // Each surface refuses in its own shape, so that its clients read the refusal: the AWS SDKs
      // parse Lambda's error shape (a text body is a SyntaxError to them; AWS has no such refusal,
      // so the name is this server's, for HTTP 421), the console and the web app read JSON.
      const path = c.req.path;
      if (LAMBDA_API_PATH.test(path)) return c.json({ Type: 'User', message }, 421, { 'x-amzn-ErrorType': 'MisdirectedRequestException' });
      if (path.startsWith('/local/')) return c.json({ message }, 421);
      if (path.startsWith('/api/')) return respond({ ...problem('MISDIRECTED', message), headers: { 'x-content-type-options': 'nosniff' } });
      return c.text(message, 421);
    }
    await next();
    try {
      c.res.headers.set('x-content-type-options', 'nosniff');
    } catch {
      // A response built from another one (a redirect, a fetched page) may have immutable headers.
      // Copying it turns its body into a stream, so it is done only then: a response the server made
      // keeps its body as bytes, written to the socket in one go.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set('x-content-type-options', 'nosniff');
    }
    if (/^text\/html/i.test(c.res.headers.get('content-type') ?? '') && !c.res.headers.has('content-security-policy')) {
      for (const [name, value] of Object.entries(PAGE_HEADERS)) c.res.headers.set(name, value);
    }
  };
}

/** Whether a `Host` header names this server: an IP address, `localhost`, or the public URL's host. */
export function hostAllowed(options: { publicUrl?: string }): (header: string | undefined) => boolean {
  const named = new Set(['localhost']);
  if (options.publicUrl !== undefined) named.add(new URL(options.publicUrl).hostname.toLowerCase());
  return (header) => {
    const host = hostnameOf(header);
    return host !== undefined && (named.has(host) || isIP(host) !== 0);
  };
}

/** `127.0.0.1:3000` → `127.0.0.1`, `[::1]:3000` → `::1`, `Example.COM` → `example.com`. */
function hostnameOf(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end < 0 ? undefined : value.slice(1, end);
  }
  const colon = value.lastIndexOf(':');
  return colon < 0 ? value : value.slice(0, colon);
}
