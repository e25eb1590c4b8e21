/**
 * The operations console (`/console`): what the local runtime is doing, from its `/local` JSON
 * endpoints, refreshed live — the invocation timeline with parent → child links, per-function
 * metrics, queue depth and event age over time, retries, dead letters (with Replay), destination
 * records, and the email outbox rendered as recipients see it.
 *
 * Tabs are addressed by the URL's hash (`#dead-letters`, `#timeline/<invocation id>`), so each view
 * has a link and the browser's back button works.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import '../shared/base.css';
import './console.css';
import { DeadLetters, Destinations, Retries } from './failures.js';
import { FunctionsTable, QueueCharts } from './metrics.js';
import { Outbox } from './outbox.js';
import { Timeline } from './timeline.js';

const TABS = [
  { id: 'timeline', label: 'Timeline' },
  { id: 'functions', label: 'Functions' },
  { id: 'queue', label: 'Queue' },
  { id: 'retries', label: 'Retries' },
  { id: 'dead-letters', label: 'Dead letters' },
  { id: 'destinations', label: 'Destinations' },
  { id: 'outbox', label: 'Outbox' },
] as const;

type TabId = (typeof TABS)[number]['id'];

function parseHash(): { tab: TabId; arg: string | undefined } {
  const [tab, ...rest] = location.hash.slice(1).split('/');
  const known = TABS.find((t) => t.id === tab)?.id ?? 'timeline';
  const arg = rest.join('/');
  return { tab: known, arg: arg === '' ? undefined : decodeURIComponent(arg) };
}

function Console() {
  const [{ tab, arg }, setRoute] = useState(parseHash);
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    addEventListener('hashchange', onHash);
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
      </header>
      <main id="console-main" tabIndex={-1}>
        {tab === 'timeline' && <Timeline selectedId={arg} />}
        {tab === 'functions' && <FunctionsTable />}
        {tab === 'queue' && <QueueCharts />}
        {tab === 'retries' && <Retries />}
        {tab === 'dead-letters' && <DeadLetters />}
        {tab === 'destinations' && <Destinations />}
        {tab === 'outbox' && <Outbox selectedId={arg} />}
      </main>
    </>
  );
}

render(<Console />, document.getElementById('root')!);
