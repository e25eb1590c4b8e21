/**
 * The marketplace: the trades column (leed counts, subscribe checkboxes), the filters (trades shown,
 * zip + radius), the month calendar or one trade's upcoming list, and the selected leed's panel.
 * The month, the filters and the selected leed live in the URL, so every view has a link.
 */
import { useEffect, useState } from 'preact/hooks';
import { config } from '../shared/config.js';
import { navigate, useLocation, withQuery } from '../shared/router.js';
import { Calendar, filtersFor } from './calendar.js';
import type { Filters } from './calendar-query.js';
import { LeedDetail } from './leed-detail.js';
import { useSession } from './session.js';
import { tradeColor } from './trade-colors.js';
import { TradeList } from './trade-list.js';
import { TradesColumn } from './trades-column.js';
import { signInHref } from './sign-in.js';

export function MarketplacePage({ selected, listTrade }: { selected?: { trade: string; id: string }; listTrade?: string }) {
  const { me, trades } = useSession();
  const { query } = useLocation();
  const filters = filtersFor(me, trades, query);
  const search = location.search;

  return (
    <div class={`market${selected ? ' has-detail' : ''}`}>
      {/* The page's heading first: the Trades column's and the calendar's (or the list's) come under it. */}
      <h1 class="visually-hidden">Marketplace</h1>
      {/* Past the trades column's boxes and links (one or two per trade) without tabbing through them. */}
      <a class="skip-link" href="#market-main">
        {listTrade === undefined ? 'Skip to the calendar' : 'Skip to the leedz'}
      </a>
      <TradesColumn />
      <section id="market-main" class="market-main" aria-labelledby={listTrade === undefined ? 'calendar-title' : 'list-title'}>
        {listTrade !== undefined ? (
          <TradeList trade={listTrade} />
        ) : (
          <>
            {me === null ? (
              <div class="notice info">
                <p>
                  Showing the busiest trades. <a href={signInHref(location.pathname + location.search)}>Sign in</a> to subscribe to yours, post leedz and buy them.
                </p>
              </div>
            ) : me.subscriptions.length === 0 ? (
              <div class="notice info">
                <p>Subscribe to trades in the Trades column to see their leedz here, and to be emailed when new ones are posted.</p>
              </div>
            ) : null}
            <FilterBar filters={filters} />
            <Calendar filters={filters} selectedId={selected?.id} search={search} />
          </>
        )}
      </section>
      {selected !== undefined && (
        <LeedDetail key={selected.id} trade={selected.trade} id={selected.id} closeHref={`/${search}`} />
      )}
    </div>
  );
}

function FilterBar({ filters }: { filters: Filters }) {
  const { trades } = useSession();
  const [zip, setZip] = useState(filters.zip);
  const [radius, setRadius] = useState(String(filters.radius));
  // Back and forward change the filters in the URL: follow them.
  useEffect(() => setZip(filters.zip), [filters.zip]);
  useEffect(() => setRadius(String(filters.radius)), [filters.radius]);
  const hidden = filters.available.filter((t) => !filters.trades.includes(t));

  const toggle = (trade: string, shown: boolean) => {
    const next = shown ? hidden.filter((t) => t !== trade) : [...hidden, trade];
    navigate(withQuery({ hide: next.length === 0 ? undefined : next.join(',') }), { replace: true, keepScroll: true });
  };

  return (
    <form
      class="filters card"
      role="search"
      aria-label="Filter the calendar"
      onSubmit={(event) => {
        event.preventDefault();
        navigate(withQuery({ zip: zip.trim(), radius: zip.trim() === '' ? undefined : radius }), { keepScroll: true });
      }}
    >
      {filters.available.length > 0 && (
        <fieldset class="filter-trades">
          <legend>Trades shown</legend>
          {filters.available.map((trade) => (
            <label class="check trade-toggle" key={trade}>
              <input type="checkbox" checked={filters.trades.includes(trade)} onChange={(e) => toggle(trade, (e.target as HTMLInputElement).checked)} />
              <span class="swatch" style={{ background: tradeColor(trade, trades) }} aria-hidden="true" />
              {trade}
            </label>
          ))}
        </fieldset>
      )}
      <div class="filter-near">
        <div class="field">
          <label for="filter-zip">Near zip</label>
          <input
            id="filter-zip"
            type="text"
            inputMode="numeric"
            autoComplete="postal-code"
            placeholder="any"
            value={zip}
            onInput={(e) => setZip((e.target as HTMLInputElement).value)}
            aria-describedby="calendar-error"
          />
        </div>
        <div class="field">
          <label for="filter-radius">Within</label>
          <select id="filter-radius" value={radius} onChange={(e) => setRadius((e.target as HTMLSelectElement).value)}>
            {config().radiusMiles.map((miles) => (
              <option value={String(miles)} key={miles}>
                {miles} miles
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Apply</button>
        {filters.zip !== '' && (
          <button
            type="button"
            class="link"
            onClick={() => {
              setZip('');
              navigate(withQuery({ zip: '', radius: undefined }), { keepScroll: true });
            }}
          >
            Anywhere
          </button>
        )}
      </div>
    </form>
  );
}
