/**
 * Every upcoming leed of one trade, soonest first (`GET /api/trades/{trade}/leedz`), a page at a
 * time: the next page starts at the last leed's start, and the overlap is dropped by id.
 */
import { useEffect, useState } from 'preact/hooks';
import type { LeedPreview } from '../../src/leedz/domain/visibility.js';
import { api, messageOf } from '../shared/api.js';
import { formatCents, formatDate, formatTimeRangeInZone } from '../shared/format.js';
import { useSession } from './session.js';
import { tradeColor } from './trade-colors.js';

const PAGE = 100;

export function TradeList({ trade }: { trade: string }) {
  const { me, trades, dataVersion } = useSession();
  const [leedz, setLeedz] = useState<LeedPreview[]>([]);
  const [state, setState] = useState<'loading' | 'more' | 'done' | 'error'>('loading');
  const [error, setError] = useState<string | undefined>(undefined);

  const load = async (after: LeedPreview[]) => {
    setState('loading');
    try {
      // The next page starts at the last leed's start, after that leed: leedz sharing one start are all listed.
      const last = after.at(-1);
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (last !== undefined) {
        query.set('from', last.start);
        query.set('after', last.id);
      }
      const page = (await api.get<{ leedz: LeedPreview[] }>(`/api/trades/${encodeURIComponent(trade)}/leedz?${query}`)).leedz;
      const seen = new Set(after.map((l) => l.id));
      const next = [...after, ...page.filter((l) => !seen.has(l.id))];
      setLeedz(next);
      setState(page.length < PAGE ? 'done' : 'more');
    } catch (e) {
      setError(messageOf(e));
      setState('error');
    }
  };

  useEffect(() => {
    setLeedz([]);
    void load([]);
  }, [trade, dataVersion]);

  return (
    <div class="trade-list card">
      <p class="back">
        <a href="/">← Back to the calendar</a>
      </p>
      {/* Focused on arrival, as a page's h1 is: the page's h1 (Marketplace) comes before the Trades column. */}
      <h2 id="list-title" data-focus-on-navigate>
        <span class="swatch big" style={{ background: tradeColor(trade, trades) }} aria-hidden="true" /> Upcoming {trade} leedz
      </h2>
      {state === 'error' && (
        <div class="notice error" role="alert">
          Could not load the leedz: {error}
        </div>
      )}
      {leedz.length === 0 && state === 'done' ? (
        <p class="muted">No upcoming {trade} leedz.</p>
      ) : (
        <div class="table-wrap">
          <table class="stack-on-phone">
            <caption class="visually-hidden">Upcoming {trade} leedz, soonest first</caption>
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Time</th>
                <th scope="col">Leed</th>
                <th scope="col">Zip</th>
                <th scope="col" class="num">
                  Price
                </th>
                <th scope="col">Posted by</th>
              </tr>
            </thead>
            <tbody>
              {leedz.map((leed) => (
                <tr key={leed.id}>
                  <td class="nowrap" data-label="Date">
                    {formatDate(leed.start, leed.timeZone)}
                  </td>
                  <td class="nowrap" data-label="Time">
                    {formatTimeRangeInZone(leed.start, leed.end, leed.timeZone)}
                  </td>
                  <td data-label="Leed">
                    <a href={`/leedz/${encodeURIComponent(leed.trade)}/${encodeURIComponent(leed.id)}`}>{leed.title}</a>
                    {me !== null && leed.creator === me.username && <span class="pill info own-pill">yours</span>}
                  </td>
                  <td data-label="Zip">{leed.zip}</td>
                  <td class="num" data-label="Price">
                    {leed.price === 0 ? 'Free' : formatCents(leed.price)}
                  </td>
                  <td data-label="Posted by">
                    <a href={`/users/${encodeURIComponent(leed.creator)}`}>{leed.creator}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="list-foot" role="status">
        {state === 'loading' ? 'Loading…' : `${leedz.length} ${leedz.length === 1 ? 'leed' : 'leedz'}`}
        {state === 'more' && (
          <button type="button" onClick={() => void load(leedz)}>
            Load more
          </button>
        )}
      </p>
    </div>
  );
}
