/**
 * The Content-Security-Policy of every HTML page the system serves, locally (`src/server/browser-guards.ts`)
 * and on AWS (the API reference, `src/edge/api-reference.ts`, adds its own stylesheet's hash to it).
 *
 * @example
 * c.res.headers.set('content-security-policy', CONTENT_SECURITY_POLICY);
 */

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
