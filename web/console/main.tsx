/**
 * The operations console (`/console`): what the local runtime is doing, from its `/local` JSON
 * endpoints, refreshed live — the invocation timeline with parent → child links, per-function
 * metrics (with Pause and Resume of a function's queue), queue depth and event age over time with the
 * databases' sizes, retries, dead letters (with Replay), destination records, the email outbox
 * rendered as recipients see it, reports, and a form to send any function an event or a request.
 *
 * Tabs are addressed by the URL's hash (`#dead-letters`, `#timeline/<invocation id>`), so each view
 * has a link and the browser's back button works.
 */
import { render } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { messageOf, request, type ApiError } from '../shared/api.js';
import { onPollStop } from '../shared/hooks.js';
import '../shared/base.css';
import './console.css';
import { DeadLetters, Destinations, Retries } from './failures.js';
import { FunctionsTable, QueueCharts } from './metrics.js';
import { Outbox } from './outbox.js';
import { Invoke } from './invoke.js';
import { Reports } from './reports.js';
import { Timeline } from './timeline.js';

const TABS = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'functions', label: 'Functions' },
  { id: 'queue', label: 'Queue' },
  { id: 'retries', label: 'Retries' },
  { id: 'dead-letters', label: 'Dead letters' },
  { id: 'destinations', label: 'Destinations' },
  { id: 'outbox', label: 'Outbox' },
  { id: 'reports', label: 'Reports' },
  { id: 'invoke', label: 'Send' },
] as const;

type TabId = (typeof TABS)[number]['id'];

function parseHash(): { tab: TabId; arg: string | undefined } {
  const [tab, ...rest] = location.hash.slice(1).split('/');
  const known = TABS.find((t) => t.id === tab)?.id ?? 'timeline';
  const arg = rest.join('/');
  return { tab: known, arg: arg === '' ? undefined : decodeURIComponent(arg) };
}

/**
 * Why the console stopped asking the server: its operator session ended (401), or the server has
 * no runtime endpoints (404: a wrong address, or another server on this port). Polling would only
 * repeat the same answer, so the console stops and says what to do.
 */
function Stopped({ error }: { error: ApiError }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useLayoutEffect(() => headingRef.current?.focus(), []);
  return (
    <section class="notice error stopped" role="alert" aria-labelledby="stopped-title">
      <h1 id="stopped-title" ref={headingRef} tabIndex={-1}>
        The console stopped
      </h1>
      {error.status === 401 ? (
        <p>
          Your operator session has ended, or this browser never had one: the server answers 401 to the console. Open a new console link — run <code>npm run leedz -- console-url</code> on the
          server’s machine — and the console starts again.
        </p>
      ) : (
        <p>
          This server has no operations console endpoints (it answered 404 to <code>/local</code>): the address is not the Leedz’s local server, or another program is listening on its port. Check the
          address that <code>npm start</code> printed.
        </p>
      )}
      <button type="button" onClick={() => location.reload()}>
        Try again
      </button>
    </section>
  );
}

/** Ends the operator's session on the server (not only in this browser), then shows the sign-in page. */
function SignOut() {
  const [failed, setFailed] = useState<string | undefined>(undefined);
  const signOut = async () => {
    try {
      await request('POST', '/local/sign-out');
      location.assign('/console');
    } catch (error) {
      setFailed(messageOf(error));
    }
  };
  return (
    <div class="console-sign-out">
      <button type="button" class="small" onClick={() => void signOut()}>
        Sign out
      </button>
      {failed !== undefined && <span role="alert">Could not sign out: {failed}</span>}
    </div>
  );
}

function Console() {
  const [{ tab, arg }, setRoute] = useState(parseHash);
  const [stopped, setStopped] = useState<ApiError | undefined>(undefined);
  useEffect(() => onPollStop(setStopped), []);
  useEffect(() => {
    const onHash = () =>
      setRoute((shown) => {
        const next = parseHash();
        return next.tab === shown.tab && next.arg === shown.arg ? shown : next;
      });
    addEventListener('hashchange', onHash);
    // The fragment may have changed between the first render and this subscription (its event was missed).
    onHash();
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    document.title = `${TABS.find((t) => t.id === tab)?.label} · Operations console · The Leedz`;
  }, [tab]);

  return (
    <>
      <a class="skip-link" href="#console-main">
        Skip to content
      </a>
      <header class="console-header">
        <div class="console-brand">
          <a href="/" class="brand-link">
            The Leedz
          </a>
          <span aria-hidden="true">/</span>
          <span>Operations console</span>
        </div>
        <nav class="tabs" aria-label="Console sections">
          {TABS.map((t) => (
            <a key={t.id} href={`#${t.id}`} aria-current={t.id === tab ? 'page' : undefined}>
              {t.label}
            </a>
          ))}
        </nav>
        <SignOut />
      </header>
      <main id="console-main" tabIndex={-1}>
        {stopped !== undefined && <Stopped error={stopped} />}
        {stopped === undefined && tab === 'timeline' && <Timeline selectedId={arg} />}
        {stopped === undefined && tab === 'functions' && <FunctionsTable />}
        {stopped === undefined && tab === 'queue' && <QueueCharts />}
        {stopped === undefined && tab === 'retries' && <Retries />}
        {stopped === undefined && tab === 'dead-letters' && <DeadLetters />}
        {stopped === undefined && tab === 'destinations' && <Destinations />}
        {stopped === undefined && tab === 'outbox' && <Outbox selectedId={arg} />}
        {stopped === undefined && tab === 'reports' && <Reports />}
        {stopped === undefined && tab === 'invoke' && <Invoke selected={arg} />}
      </main>
    </>
  );
}

render(<Console />, document.getElementById('root')!);
