/**
 * The paths the marketplace's page answers (the app routes them in the browser), in hono's pattern
 * syntax: the local server mounts the page on each (src/server/web-assets.ts), and CloudFront answers
 * any other path with a 404 through a regular expression made from the same list (infra/web-site.ts),
 * so that an unknown page is a 404 on both sides.
 *
 * @example
 * new RegExp(appPathsPattern()).test('/leedz/dj/l_1'); // → true
 * new RegExp(appPathsPattern()).test('/leedz/dj');     // → false
 */
export const APP_PATHS = ['/', '/post', '/signin', '/signin/confirm', '/unsubscribe', '/profile', '/my-leedz', '/stats', '/trades/:trade', '/leedz/:trade/:id', '/leedz/:trade/:id/edit', '/receipts/:trade/:id', '/users/:username'] as const;

/**
 * One anchored regular expression (its source) that matches exactly the paths hono matches with
 * {@link APP_PATHS}: a `:name` is one non-empty segment, everything else is literal, and a trailing
 * slash is a different path (hono's strict routing).
 */
export function appPathsPattern(): string {
  const one = (path: string) =>
    path
      .split('/')
      // Outside a character class `-` means itself: only the other special characters are escaped.
      .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/');
  return `^(?:${APP_PATHS.map(one).join('|')})$`;
}
