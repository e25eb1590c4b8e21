/** Marketplace totals and the last posted and sold leed (`GET /api/stats`). */
import type { Stats, StatsEvent } from '../../src/leedz/ports.js';
import { api, messageOf } from '../shared/api.js';
import { formatCents, formatCount, formatDateTime, zoneName } from '../shared/format.js';
import { useLoad } from '../shared/hooks.js';

export function StatsPage() {
  const [result] = useLoad(() => api.get<Stats>('/api/stats'), []);
  const stats = result.value;
  return (
    <section class="stats-page" aria-labelledby="stats-title">
      <h1 id="stats-title">The Leedz in numbers</h1>
      {result.state === 'error' && (
        <p class="notice error" role="alert">
          {messageOf(result.error)}
        </p>
      )}
      {stats === undefined ? (
        result.state === 'loading' && <p role="status">Loading…</p>
      ) : (
        <>
          <dl class="totals">
            <div class="card">
              <dt>Leedz posted</dt>
              <dd>{formatCount(stats.posted)}</dd>
            </div>
            <div class="card">
              <dt>Leedz sold</dt>
              <dd>{formatCount(stats.sold)}</dd>
            </div>
            <div class="card">
              <dt>Vendors</dt>
              <dd>{formatCount(stats.users)}</dd>
            </div>
          </dl>
          <div class="last-events">
            <LastEvent title="Last posted" verb="Posted" event={stats.lastPosted} />
            <LastEvent title="Last sold" verb="Sold" event={stats.lastSold} />
          </div>
        </>
      )}
    </section>
  );
}

/** The last post or sale as it was then: a price changed since is not this event's. */
function LastEvent({ title, verb, event }: { title: string; verb: 'Posted' | 'Sold'; event: StatsEvent | null }) {
  return (
    <section class="card" aria-label={title}>
      <h2>{title}</h2>
      {event === null ? (
        <p class="muted">Nothing yet.</p>
      ) : (
        <dl class="fields">
          <dt>Trade</dt>
          <dd>
            <a href={`/trades/${encodeURIComponent(event.trade)}`}>{event.trade}</a>
          </dd>
          <dt>Price when {verb.toLowerCase()}</dt>
          <dd>{event.price === 0 ? 'Free' : formatCents(event.price)}</dd>
          <dt>Zip</dt>
          <dd>{event.zip}</dd>
          <dt>{verb}</dt>
          <dd>
            {formatDateTime(event.at)} {zoneName(event.at)}
          </dd>
        </dl>
      )}
    </section>
  );
}
