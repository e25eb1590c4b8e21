/**
 * The Content-Security-Policy of every HTML page the system serves, locally (`src/server/browser-guards.ts`)
 * and on AWS (a page with a stylesheet of its own, as the API reference, adds its hash to it).
 *
 * @example
 * c.res.headers.set('content-security-policy', CONTENT_SECURITY_POLICY);
 * c.html(page, 200, { 'content-security-policy': policyAllowingStyle(STYLE) });
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

/** {@link CONTENT_SECURITY_POLICY} with one inline stylesheet, `style` (the text of its `<style>` element), allowed by its hash. */
export function policyAllowingStyle(style: string): string {
  return CONTENT_SECURITY_POLICY.replace("style-src 'self'", `style-src 'self' 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
}
