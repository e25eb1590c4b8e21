/**
 * The Content-Security-Policy of every HTML page the system serves, locally (`src/server/browser-guards.ts`)
 * and on AWS (a page with a stylesheet of its own, as the API reference, adds its hash to it).
 *
 * @example
 * for (const [name, value] of Object.entries(PAGE_HEADERS)) c.res.headers.set(name, value);
 * c.html(page, 200, styledPageHeaders(STYLE));
 */
import { createHash } from 'node:crypto';

/** The pages' policy: everything from this origin, nothing inline that runs, no framing by others. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers every page is sent with: the policy, no framing, no full referrer to other sites. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

/**
 * {@link PAGE_HEADERS} of a page with one inline stylesheet, `style` (the text of its `<style>`
 * element), which its policy allows by hash. A page sent with a policy of its own gets all of them
 * from here: guardBrowserRequests (src/server/browser-guards.ts) leaves such a page alone.
 */
export function styledPageHeaders(style: string): Record<string, string> {
  const policy = CONTENT_SECURITY_POLICY.replace("style-src 'self'", `style-src 'self' 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  return { ...PAGE_HEADERS, 'content-security-policy': policy };
}
