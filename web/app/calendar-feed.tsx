/**
 * The profile's calendar feed: a private URL of the gigs the vendor bought, for Google Calendar or
 * Apple Calendar (`GET/POST/DELETE /api/me/calendar`). The URL is shown once, when it is made: only
 * its hash is kept, so a lost one is replaced, not recovered.
 */
import { useRef, useState } from 'preact/hooks';
import { api, messageOf } from '../shared/api.js';
import { formatDateTime } from '../shared/format.js';
import { useLoad } from '../shared/hooks.js';

export function CalendarFeed() {
  const [state, reload] = useLoad(() => api.get<{ feed: { createdAt: string } | null }>('/api/me/calendar'), []);
  const [url, setUrl] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const feed = state.value?.feed;

  const act = async (work: () => Promise<void>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      await work();
    } catch (e) {
      setMessage({ kind: 'error', text: messageOf(e) });
    } finally {
      setBusy(false);
      reload();
    }
  };
  const create = () =>
    act(async () => {
      const made = await api.post<{ url: string }>('/api/me/calendar');
      setUrl(made.url);
      setMessage({ kind: 'ok', text: feed ? 'A new link is made; the old one no longer works.' : 'Your calendar link is made.' });
      requestAnimationFrame(() => inputRef.current?.select());
    });
  const turnOff = () =>
    act(async () => {
      await api.delete('/api/me/calendar');
      setUrl(undefined);
      setMessage({ kind: 'ok', text: 'Your calendar link is turned off: calendars that use it get nothing more.' });
    });
  const copy = () => {
    if (url === undefined) return;
    void navigator.clipboard?.writeText(url).then(
      () => setMessage({ kind: 'ok', text: 'Copied.' }),
      () => inputRef.current?.select(),
    );
  };

  return (
    <section class="card" id="calendar" aria-labelledby="calendar-feed-title">
      <h2 id="calendar-feed-title">Calendar feed</h2>
      <p class="muted small">
        The gigs you buy, in Google Calendar or Apple Calendar: add the link as a calendar “from URL” (Google) or a “calendar subscription” (Apple). Keep it private — anyone with the link sees your
        gigs and their clients.
      </p>
      <p class={message === undefined ? 'visually-hidden' : `notice ${message.kind}`} role={message?.kind === 'error' ? 'alert' : 'status'}>
        {message?.text ?? ''}
      </p>
      {url !== undefined && (
        <div class="field">
          <label for="calendar-feed-url">Your calendar link (shown this once)</label>
          <div class="feed-url">
            <input id="calendar-feed-url" type="text" readOnly value={url} ref={inputRef} onFocus={(e) => (e.target as HTMLInputElement).select()} />
            <button type="button" onClick={copy}>
              Copy
            </button>
          </div>
        </div>
      )}
      {state.state === 'error' && (
        <p class="notice error" role="alert">
          {messageOf(state.error)}
        </p>
      )}
      {state.value !== undefined && (
        <>
          <p class="small" data-feed-state={feed ? 'on' : 'off'}>
            {feed ? `On since ${formatDateTime(feed.createdAt)}.` : 'Off: no link exists.'}
            {feed && url === undefined ? ' The link was shown when it was made; make a new one if you lost it.' : ''}
          </p>
          <div class="actions">
            <button type="button" class={feed ? undefined : 'primary'} disabled={busy} onClick={() => void create()}>
              {feed ? 'Make a new link' : 'Create a calendar link'}
            </button>
            {feed && (
              <button type="button" disabled={busy} onClick={() => void turnOff()}>
                Turn off
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}
