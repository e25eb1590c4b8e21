/**
 * A very small client-side router: the History API, a hook that re-renders on navigation, pattern
 * matching for `/leedz/:trade/:id`, and same-origin link clicks turned into navigations (so plain
 * `<a href>` works for keyboard, middle-click and "open in new tab" alike).
 *
 * @example
 * const { path } = useLocation();
 * const params = match('/leedz/:trade/:id', path); // → { trade: 'dj', id: 'l_1' } or undefined
 */
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();
let version = 0;

function notify(): void {
  version += 1;
  for (const listener of listeners) listener();
}

addEventListener('popstate', notify);

/** Go to `to` (a path with optional query) without reloading the page. */
export function navigate(to: string, options: { replace?: boolean; keepScroll?: boolean } = {}): void {
  const current = location.pathname + location.search + location.hash;
  if (to === current && !options.replace) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  if (!options.keepScroll && !to.includes('#')) scrollTo(0, 0);
  notify();
}

export interface Location {
  path: string;
  query: URLSearchParams;
  hash: string;
  /** Changes on every navigation (even to the same path). */
  version: number;
}

export function useLocation(): Location {
  const [, setVersion] = useState(version);
  useEffect(() => {
    const listener = () => setVersion(version);
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search), hash: location.hash.slice(1), version };
}

/** `pattern` like `/leedz/:trade/:id` against a path → the decoded parameters, or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const have = path.replace(/\/+$/, '').split('/');
  if (path === '/') have.splice(1, 1, '');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const h = have[i]!;
    if (w.startsWith(':')) {
      if (h === '') return undefined;
      try {
        params[w.slice(1)] = decodeURIComponent(h);
      } catch {
        return undefined;
      }
    } else if (w !== h) return undefined;
  }
  return params;
}

/**
 * Route clicks on same-origin links whose path `handles` accepts through {@link navigate}, and move
 * the focus to the target of a link within the page. Other links (the API, the checkout page,
 * another page of the site) load as usual.
 */
export function interceptLinks(handles: (path: string) => boolean): void {
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (anchor === null || anchor === undefined || anchor.target !== '' || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin) return;
    // A link within the page ("Skip to content"): focus its target, which the browser does not always do.
    if (url.hash !== '' && url.pathname === location.pathname && url.search === location.search) {
      const target = document.getElementById(decodeURIComponent(url.hash.slice(1)));
      if (target === null) return;
      event.preventDefault();
      if (target.tabIndex < 0 && !target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: 'start' });
      return;
    }
    if (!handles(url.pathname)) return;
    event.preventDefault();
    // `data-keep-scroll` holds a media query: where it matches, the page stays where it is (a leed's
    // panel that opens beside the calendar, rather than above it).
    const keepScroll = anchor.dataset.keepScroll !== undefined && matchMedia(anchor.dataset.keepScroll).matches;
    navigate(url.pathname + url.search + url.hash, { keepScroll });
  });
}

/** The current URL with some query parameters changed (`undefined` removes one). */
export function withQuery(changes: Record<string, string | undefined>, path = location.pathname): string {
  const query = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) query.delete(key);
    else query.set(key, value);
  }
  const text = query.toString();
  return `${path}${text === '' ? '' : `?${text}`}`;
}
