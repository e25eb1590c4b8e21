/**
 * Sign in by magic link: `POST /api/auth/login {email}` emails a link to `/signin/confirm#token=…`.
 * That page spends the token only when its button is pressed (`POST /api/auth/callback {token}`),
 * because mail scanners open every link of an email: a plain visit must not sign anyone in or use
 * the link up. A link that was used or has expired says so, and offers a new one. Signing in comes
 * back to the page the browser was on (`/signin?next=…`, kept in this browser for half an hour).
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { User } from '../../src/leedz/domain/user.js';
import { api, ApiError, messageOf } from '../shared/api.js';
import { config } from '../shared/config.js';
import { sentence } from '../shared/format.js';
import { navigate } from '../shared/router.js';
import { useSession } from './session.js';

/** Where this browser was when it went to sign in: kept across the email's tab, for half an hour. */
const RETURN_KEY = 'leedz.signin.return';
const RETURN_FOR_MS = 30 * 60_000;

/**
 * `/signin?next=/leedz/dj/l_1`: the page to come back to once the link is used. Only a path of this
 * site (one slash, not two), so no link can send anyone elsewhere; kept in this browser only.
 */
export function signInHref(next: string): string {
  return `/signin?next=${encodeURIComponent(next)}`;
}

function isOwnPath(path: string | null): path is string {
  return path !== null && /^\/(?![/\\])/.test(path) && !path.startsWith('/signin');
}

function rememberReturn(next: string | null): void {
  try {
    if (isOwnPath(next)) localStorage.setItem(RETURN_KEY, JSON.stringify({ path: next, at: Date.now() }));
  } catch {
    // Storage off (a private window): the confirm page goes home, as before.
  }
}

function takeReturn(): string | undefined {
  try {
    const kept = JSON.parse(localStorage.getItem(RETURN_KEY) ?? 'null') as { path?: unknown; at?: unknown } | null;
    localStorage.removeItem(RETURN_KEY);
    if (kept === null || typeof kept.path !== 'string' || typeof kept.at !== 'number' || Date.now() - kept.at > RETURN_FOR_MS) return undefined;
    return isOwnPath(kept.path) ? kept.path : undefined;
  } catch {
    return undefined;
  }
}

export function SignInPage() {
  const { me } = useSession();
  useEffect(() => rememberReturn(new URLSearchParams(location.search).get('next')), []);
  if (me !== null) {
    return (
      <section class="card narrow">
        <h1>Signed in</h1>
        <p>
          You are signed in as <strong>{me.username}</strong>. <a href="/">Go to the marketplace</a>
        </p>
      </section>
    );
  }
  return (
    <section class="card narrow" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      <SignInForm intro="No password: we email you a link that signs you in. A new address gets a new account." />
    </section>
  );
}

/** The email field and its button: asks for a sign-in link. */
function SignInForm({ intro, button = 'Email me a sign-in link' }: { intro: string; button?: string }) {
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <>
      {sentTo !== undefined ? (
        <div class="notice ok" role="status">
          <p>
            A sign-in link is on its way to <strong>{sentTo}</strong>. It works once, for 15 minutes.
          </p>
          {config().operationsConsole && (
            <p class="small">
              Running the Leedz on your own machine? The email is in the <a href="/console#outbox">operations console’s outbox</a>.
            </p>
          )}
        </div>
      ) : (
        <p class="muted">{intro}</p>
      )}
      <form
        noValidate
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          setError(undefined);
          try {
            await api.post('/api/auth/login', { email });
            setSentTo(email.trim());
          } catch (e) {
            // No link went this time: the notice of the last one would read as if one had.
            setSentTo(undefined);
            const field = e instanceof ApiError ? e.fieldMessage('email') : undefined;
            setError(field === undefined ? messageOf(e) : `Email ${field}`);
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="field">
          <label for="signin-email">Email</label>
          <input
            id="signin-email"
            type="email"
            autoComplete="email"
            value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
            aria-invalid={error !== undefined ? 'true' : undefined}
            aria-describedby={error !== undefined ? 'signin-email-error' : undefined}
          />
          {error !== undefined && (
            <p class="field-error" id="signin-email-error" role="alert">
              {sentence(error)}
            </p>
          )}
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {sentTo === undefined ? button : 'Send another link'}
        </button>
      </form>
    </>
  );
}

/** The token in the address's fragment (`#token=…`), which the browser never sends to a server. */
function tokenInFragment(): string | undefined {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  return token === null || token === '' ? undefined : token;
}

type DeadLink = 'incomplete' | 'used' | 'failed';

const DEAD_LINK: Record<DeadLink, { title: string; text: string }> = {
  incomplete: {
    title: 'This sign-in link is incomplete',
    text: 'The address has no sign-in token, or only part of one: open the link from the email again, whole, or ask for a new one.',
  },
  used: { title: 'This sign-in link no longer works', text: 'It was already used, or it is more than 15 minutes old: each link works once, for 15 minutes.' },
  failed: { title: 'Signing in failed', text: 'Something failed on our side just after the link was used, so it works no more: ask for a new one.' },
};

function initialState(token: string | undefined): { kind: 'ready' } | { kind: 'dead'; why: DeadLink } {
  return token === undefined ? { kind: 'dead', why: 'incomplete' } : { kind: 'ready' };
}

/** `/signin/confirm#token=…`: the page a sign-in link opens. */
export function SignInConfirmPage() {
  const { me, setMe, flash, changed } = useSession();
  const [token, setToken] = useState(tokenInFragment);
  // dead: the link cannot sign anyone in (cut short, used or too old, or spent when the server failed after it): ask for a new one.
  const [state, setState] = useState<{ kind: 'ready' | 'busy' } | { kind: 'dead'; why: DeadLink } | { kind: 'error'; text: string }>(() => initialState(token));
  const buttonRef = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => buttonRef.current?.focus(), [token]);
  // Another link opened in this tab changes only the fragment: the page is that link's from then on.
  useEffect(() => {
    const onHashChange = () => {
      const next = tokenInFragment();
      setToken(next);
      setState(initialState(next));
    };
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, []);

  const confirm = async () => {
    if (token === undefined) return;
    setState({ kind: 'busy' });
    try {
      const { user } = await api.post<{ user: User }>('/api/auth/callback', { token });
      setMe(user);
      changed();
      flash({ kind: 'ok', text: `Signed in as ${user.username}.` });
      // Back where the browser was when it went to sign in (or home). Replaces this page in the
      // history: Back does not come to a spent link.
      navigate(takeReturn() ?? '/', { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) setState({ kind: 'dead', why: 'used' });
      else if (e instanceof ApiError && e.status === 400) setState({ kind: 'dead', why: 'incomplete' });
      else if (e instanceof ApiError && e.status === 503) setState({ kind: 'dead', why: 'failed' });
      else setState({ kind: 'error', text: messageOf(e) });
    }
  };

  if (state.kind === 'dead') {
    return (
      <section class="card narrow" aria-labelledby="confirm-title">
        <h1 id="confirm-title">{DEAD_LINK[state.why].title}</h1>
        <p class="notice warn" role="alert">
          {DEAD_LINK[state.why].text}
        </p>
        {me !== null && (
          <p class="muted">
            You are still signed in as <strong>{me.username}</strong> in this browser. <a href="/">Go to the marketplace</a>
          </p>
        )}
        <SignInForm intro="Enter your email address and we send you a new link." button="Email me a new link" />
      </section>
    );
  }
  return (
    <section class="card narrow" aria-labelledby="confirm-title">
      <h1 id="confirm-title">Sign in to the Leedz</h1>
      {me !== null && (
        <p class="muted">
          You are signed in as <strong>{me.username}</strong> in this browser. The button signs you in with this link instead.
        </p>
      )}
      <p>Press the button to finish signing in on this device. The link then stops working.</p>
      {state.kind === 'error' && (
        <p class="notice error" role="alert">
          Not signed in: {state.text}
        </p>
      )}
      <button type="button" class="primary" ref={buttonRef} disabled={state.kind === 'busy'} onClick={() => void confirm()}>
        {state.kind === 'busy' ? 'Signing in…' : 'Sign in'}
      </button>
    </section>
  );
}
