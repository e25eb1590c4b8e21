/**
 * `/unsubscribe#token=…`: where an unsubscribe link of a bulk email lands when it is opened in a
 * browser (the email's body links here; `GET /api/unsubscribe?token=…`, the List-Unsubscribe URL,
 * redirects here). A visit changes nothing — mail scanners open every link — and the button sends
 * exactly what a mail app's one-click Unsubscribe sends (RFC 8058): `POST /api/unsubscribe?token=…`
 * with `List-Unsubscribe=One-Click`, without cookies. The token is in the fragment, which the browser
 * never sends to a server; what it names (the trade) is read here only to say what the button does:
 * the server checks its signature.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { sentence } from '../shared/format.js';

/** The trade a token is about (its second part), or undefined when the token is not well formed. */
function tradeOf(token: string): string | undefined {
  const part = token.split('.')[1];
  if (part === undefined || !/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  try {
    const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}

type State = { kind: 'ready' | 'busy' } | { kind: 'done'; trade: string } | { kind: 'dead' | 'error'; text: string };

export function UnsubscribePage() {
  const [token] = useState(() => new URLSearchParams(location.hash.slice(1)).get('token') ?? '');
  const trade = token === '' ? undefined : tradeOf(token);
  const [state, setState] = useState<State>({ kind: 'ready' });
  const buttonRef = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => buttonRef.current?.focus(), []);

  const unsubscribe = async () => {
    setState({ kind: 'busy' });
    try {
      const response = await fetch(`/api/unsubscribe?token=${encodeURIComponent(token)}`, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: 'List-Unsubscribe=One-Click',
      });
      const answer = (await response.json().catch(() => ({}))) as { trade?: string; error?: { message?: string } };
      if (response.ok) setState({ kind: 'done', trade: answer.trade ?? trade ?? '' });
      else if (response.status === 400) setState({ kind: 'dead', text: answer.error?.message ?? 'this unsubscribe link does not work' });
      else setState({ kind: 'error', text: answer.error?.message ?? `the server answered ${response.status}` });
    } catch {
      setState({ kind: 'error', text: 'the server cannot be reached; try again in a moment' });
    }
  };

  if (state.kind === 'done') {
    return (
      <section class="card narrow" aria-labelledby="unsubscribe-title">
        <h1 id="unsubscribe-title">Unsubscribed</h1>
        <p class="notice ok" role="status">
          You will get no more emails about <strong>{state.trade}</strong> leedz, and they no longer fill your calendar.
        </p>
        <p class="muted">
          Changed your mind? Subscribe again in the trades column of the <a href="/">marketplace</a>.
        </p>
      </section>
    );
  }
  if (trade === undefined || state.kind === 'dead') {
    return (
      <section class="card narrow" aria-labelledby="unsubscribe-title">
        <h1 id="unsubscribe-title">This unsubscribe link does not work</h1>
        <p class="notice warn" role="alert">
          {state.kind === 'dead'
            ? sentence(state.text)
            : token === ''
              ? 'The address has no unsubscribe token: open the link from the email again, whole.'
              : 'The address’s unsubscribe token is not one of ours, or not whole: open the link from the email again, whole.'}
        </p>
        <p class="muted">
          You can also change what you are emailed about in the subscriptions of <a href="/profile#subscriptions">your profile</a>.
        </p>
      </section>
    );
  }
  return (
    <section class="card narrow" aria-labelledby="unsubscribe-title">
      <h1 id="unsubscribe-title">Unsubscribe</h1>
      <p>
        Stop the emails about new <strong>{trade}</strong> leedz, and about changes to the {trade} leedz you were told of?
      </p>
      <p class="muted">
        Your subscriptions are also the trades your calendar shows: {trade} leaves it too.
      </p>
      {state.kind === 'error' && (
        <p class="notice error" role="alert">
          Not unsubscribed: {state.text}
        </p>
      )}
      <button type="button" class="primary" ref={buttonRef} disabled={state.kind === 'busy'} onClick={() => void unsubscribe()}>
        {state.kind === 'busy' ? 'Unsubscribing…' : `Unsubscribe from ${trade} leedz`}
      </button>
    </section>
  );
}
