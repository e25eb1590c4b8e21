/**
 * The marketplace's shell: loads the session (who is signed in, the trades), routes the path to a
 * page, and draws the header. Pages: the marketplace (calendar, trade list, leed detail), the post
 * and edit form, the receipt, profiles, stats and sign-in.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Trade } from '../../src/leedz/domain/trade.js';
import type { SessionState, User } from '../../src/leedz/domain/user.js';
import { api, messageOf, prefetch, SESSION_ENDED_EVENT } from '../shared/api.js';
import { config } from '../shared/config.js';
import { match, navigate, useLocation } from '../shared/router.js';
import { filtersFor } from './calendar.js';
import { searchPath } from './calendar-query.js';
import { dropDrafts, LeedForm } from './leed-form.js';
import { MarketplacePage } from './marketplace.js';
import { MyLeedzPage } from './my-leedz.js';
import { ProfilePage, PublicProfilePage } from './profile.js';
import { ReceiptPage } from './receipt.js';
import { SessionContext, type Flash, type Session } from './session.js';
import { SignInConfirmPage, SignInPage, signInHref } from './sign-in.js';
import { StatsPage } from './stats.js';
import { UnsubscribePage } from './unsubscribe.js';

/** Paths this page routes in the browser (everything else — /api, /pay, /console — loads normally). */
export function handlesPath(path: string): boolean {
  return path === '/' || /^\/(post|signin|profile|my-leedz|stats|trades|leedz|receipts|users|unsubscribe)(\/|$)/.test(path);
}

/** The signed-in user, or null (no session cookie, or an expired one): an answer, never a failed request. */
async function fetchMe(): Promise<User | null> {
  const state = await api.get<SessionState>('/api/session');
  return state.signedIn ? state.user : null;
}

async function fetchTrades(): Promise<Trade[]> {
  return (await api.get<{ trades: Trade[] }>('/api/trades')).trades;
}

/** The channel on which a tab tells the others of the same browser that who is signed in changed. */
const SESSION_CHANNEL = 'leedz-session';

// Asked for as soon as the script runs (the page preloads both), not after the first paint.
const startup = Promise.all([fetchMe(), fetchTrades()]);
startup.catch(() => undefined);

export function App() {
  const location = useLocation();
  const [me, setMe] = useState<User | null | undefined>(undefined);
  const [trades, setTrades] = useState<Trade[]>([]);
  const [startupError, setStartupError] = useState<string | undefined>(undefined);
  const [flash, setFlash] = useState<{ message: Flash; shownAt: number } | undefined>(undefined);
  const [dataVersion, setDataVersion] = useState(0);
  /** The API said the session is gone while the page shows someone signed in. */
  const [sessionEnded, setSessionEnded] = useState(false);

  const reloadMe = useCallback(async () => setMe(await fetchMe()), []);
  const reloadTrades = useCallback(async () => setTrades(await fetchTrades()), []);

  // A layout effect: subscribed before the first paint, so a fast answer renders the page at once.
  useLayoutEffect(() => {
    startup.then(
      ([user, list]) => {
        // The calendar's leedz are asked for now, while the page renders its empty grid.
        if (window.location.pathname === '/' || window.location.pathname.startsWith('/leedz/')) {
          const path = searchPath(filtersFor(user, list, new URLSearchParams(window.location.search)));
          if (path !== undefined) prefetch(path);
        }
        setMe(user);
        setTrades(list);
        performance.mark('leedz:session');
      },
      (error: unknown) => setStartupError(messageOf(error)),
    );
  }, []);

  // Signed in or out in another tab (the sign-in link opens one): the tab that did it tells the others
  // (a BroadcastChannel), and a tab looked at again asks; it then shows who is signed in now, rather
  // than offering Sign in to someone signed in, or acting for someone signed out.
  const shownUser = useRef<string | null | undefined>(undefined);
  shownUser.current = me === undefined ? undefined : (me?.username ?? null);
  // The tab's one channel: it hears the others, and tells them (never itself).
  const sessionChannel = useRef<BroadcastChannel | undefined>(undefined);
  useEffect(() => {
    const recheck = () => {
      if (shownUser.current === undefined) return;
      fetchMe().then(
        (user) => {
          if (user !== null) setSessionEnded(false);
          if ((user?.username ?? null) === shownUser.current) return;
          // Signed out elsewhere, or in as someone else: this tab's drafts go too, as the tab that
          // signed out dropped its own (each tab keeps its own, and a client's contact is in them).
          dropDrafts();
          setMe(user);
        },
        () => undefined,
      );
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') recheck();
    };
    // A request refused for want of a session, while the page shows someone signed in: say how to
    // sign in again, without leaving this page (what was typed stays).
    const onSessionEnded = () => {
      if (typeof shownUser.current === 'string') setSessionEnded(true);
    };
    window.addEventListener(SESSION_ENDED_EVENT, onSessionEnded);
    document.addEventListener('visibilitychange', onVisible);
    window.addEventListener('focus', recheck);
    const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(SESSION_CHANNEL);
    channel?.addEventListener('message', recheck);
    sessionChannel.current = channel;
    return () => {
      window.removeEventListener(SESSION_ENDED_EVENT, onSessionEnded);
      document.removeEventListener('visibilitychange', onVisible);
      window.removeEventListener('focus', recheck);
      channel?.close();
      sessionChannel.current = undefined;
    };
  }, []);
  /** Show `user`, and tell the other tabs when that is someone else (a sign-in, a sign-out). */
  const showUser = useCallback((user: User | null) => {
    const changedUser = (user?.username ?? null) !== shownUser.current;
    setSessionEnded(false);
    setMe(user);
    if (changedUser) sessionChannel.current?.postMessage('changed');
  }, []);

  // A flash survives the navigation that follows it, and goes with the next one.
  useEffect(() => {
    if (flash !== undefined && location.version > flash.shownAt + 1) setFlash(undefined);
  }, [location.version, flash]);

  const session = useMemo<Session | undefined>(
    () =>
      me === undefined
        ? undefined
        : {
            me,
            trades,
            setMe: showUser,
            reloadMe,
            reloadTrades,
            flash: (message) => setFlash({ message, shownAt: location.version }),
            dataVersion,
            changed: () => {
              setDataVersion((v) => v + 1);
              void reloadTrades();
            },
          },
    [me, trades, showUser, reloadMe, reloadTrades, dataVersion, location.version],
  );

  // After a navigation, move focus to the new page's heading (what a page load would do for a screen reader).
  // Closing a leed returns the focus to the link that opened it, where the keyboard user was.
  const mainRef = useRef<HTMLElement>(null);
  const previousPath = useRef<string | undefined>(undefined);
  useEffect(() => {
    const previous = previousPath.current;
    previousPath.current = location.path;
    if (previous === undefined) return;
    const closed = /^\/leedz\/[^/]+\/[^/]+$/.test(previous) && !location.path.startsWith(previous) ? mainRef.current?.querySelector<HTMLElement>(`a[href^="${previous}?"], a[href="${previous}"]`) : null;
    if (closed !== null && closed !== undefined) {
      // Closed by what was done to it ("Deleted …"): the link may be going with the leed, and what
      // the page says of it is where the user reads on.
      const said = flash !== undefined && flash.shownAt === location.version - 1 ? mainRef.current?.querySelector<HTMLElement>('[data-flash]') : null;
      (said ?? closed).focus();
      return;
    }
    const heading = mainRef.current?.querySelector<HTMLElement>('[data-focus-on-navigate]') ?? mainRef.current?.querySelector<HTMLElement>('h1');
    if (heading !== null && heading !== undefined) {
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
  }, [location.path]);

  useEffect(() => {
    document.title = titleOf(location.path);
  }, [location.path]);

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <Header me={me} onSignOut={() => void signOut(showUser)} path={location.path} />
      <main id="main" ref={mainRef} tabIndex={-1}>
        {sessionEnded && me !== null && me !== undefined && (
          <div class="notice warn" role="alert">
            Your session has ended.{' '}
            <a href={signInHref(location.path + window.location.search)} target="_blank" rel="noopener">
              Sign in again in a new tab
            </a>
            , then try once more: what you typed stays on this page.
          </div>
        )}
        {flash !== undefined && (
          <div class={`notice ${flash.message.kind}`} role="status" tabIndex={-1} data-flash>
            {flash.message.text}
          </div>
        )}
        {startupError !== undefined ? (
          <div class="notice error" role="alert">
            The marketplace could not load: {startupError}
          </div>
        ) : session === undefined ? (
          <p class="muted" role="status">
            Loading…
          </p>
        ) : (
          <SessionContext.Provider value={session}>
            {/* Another vendor now (signed in elsewhere): every form starts again as theirs, none keeps the last one's values. */}
            <Page key={session.me?.username ?? ''} path={location.path} />
          </SessionContext.Provider>
        )}
      </main>
      <footer class="site-footer">
        <span>The Leedz — gigs you can’t take, for vendors who can.</span>
        <nav aria-label="More">
          <a href="/stats">Stats</a>
          <a href="/api/docs">API</a>
          {config().operationsConsole && <a href="/console">Operations console</a>}
        </nav>
      </footer>
    </>
  );
}

function Page({ path }: { path: string }) {
  let params: Record<string, string> | undefined;
  if (path === '/' || path === '') return <MarketplacePage />;
  if ((params = match('/leedz/:trade/:id', path))) return <MarketplacePage selected={{ trade: params.trade!, id: params.id! }} />;
  if ((params = match('/trades/:trade', path))) return <MarketplacePage listTrade={params.trade!} />;
  if ((params = match('/leedz/:trade/:id/edit', path))) return <LeedForm key={`edit:${params.id}`} edit={{ trade: params.trade!, id: params.id! }} />;
  if (path === '/post') return <LeedForm key="new" />;
  if ((params = match('/receipts/:trade/:id', path))) return <ReceiptPage trade={params.trade!} id={params.id!} />;
  if (path === '/profile') return <ProfilePage />;
  if (path === '/my-leedz') return <MyLeedzPage />;
  if ((params = match('/users/:username', path))) return <PublicProfilePage username={params.username!} />;
  if (path === '/stats') return <StatsPage />;
  if (path === '/signin') return <SignInPage />;
  if (path === '/signin/confirm') return <SignInConfirmPage />;
  if (path === '/unsubscribe') return <UnsubscribePage />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is nothing at <code>{path}</code>. <a href="/">Back to the marketplace</a>
      </p>
    </section>
  );
}

function titleOf(path: string): string {
  const names: [RegExp, string][] = [
    [/^\/post/, 'Post a leed'],
    [/^\/leedz\/.*\/edit$/, 'Edit leed'],
    [/^\/leedz\//, 'Leed'],
    [/^\/receipts\//, 'Receipt'],
    [/^\/profile/, 'Your profile'],
    [/^\/my-leedz/, 'My leedz'],
    [/^\/users\//, 'Vendor profile'],
    [/^\/stats/, 'Stats'],
    [/^\/signin/, 'Sign in'],
    [/^\/unsubscribe/, 'Unsubscribe'],
    [/^\/trades\//, 'Upcoming leedz'],
  ];
  const name = names.find(([pattern]) => pattern.test(path))?.[1];
  return name === undefined ? 'The Leedz' : `${name} · The Leedz`;
}

async function signOut(setMe: (user: User | null) => void): Promise<void> {
  dropDrafts();
  await api.post('/api/auth/logout').catch(() => undefined);
  setMe(null);
  navigate('/');
}

function Header({ me, onSignOut, path }: { me: User | null | undefined; onSignOut: () => void; path: string }) {
  const current = (href: string) => (href === '/' ? path === '/' || path.startsWith('/leedz/') || path.startsWith('/trades/') : path.startsWith(href)) ? 'page' : undefined;
  return (
    <header class="site-header">
      <a class="brand" href="/">
        <span class="brand-mark" aria-hidden="true">
          L
        </span>
        The Leedz
      </a>
      <nav aria-label="Main">
        <a href="/" aria-current={current('/')}>
          Marketplace
        </a>
        <a href="/post" aria-current={current('/post')}>
          Post a leed
        </a>
        <a href="/stats" aria-current={current('/stats')}>
          Stats
        </a>
        {me ? (
          <>
            <a href="/my-leedz" aria-current={current('/my-leedz')}>
              My leedz
            </a>
            <a href="/profile" aria-current={current('/profile')}>
              Profile
            </a>
          </>
        ) : null}
      </nav>
      <div class="account">
        {me === undefined ? null : me === null ? (
          <a class="button primary small" href={signInHref(location.pathname + location.search)}>
            Sign in
          </a>
        ) : (
          <>
            <span class="signed-in">
              <span class="visually-hidden">Signed in as </span>
              <a href={`/users/${encodeURIComponent(me.username)}`}>{me.username}</a>
            </span>
            <button type="button" class="small" onClick={onSignOut}>
              Sign out
            </button>
          </>
        )}
      </div>
    </header>
  );
}
