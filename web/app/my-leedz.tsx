/**
 * My leedz (`/my-leedz`, `GET /api/me/leedz`): what a vendor posted — available, sold (to whom, and
 * what they received), expired — and what they bought, with the totals: earned after the platform's
 * fee, the fees, and what they spent. Times are where each gig happens.
 */
import type { MyLeed, MyLeedz } from '../../src/leedz/domain/visibility.js';
import { api, messageOf } from '../shared/api.js';
import { formatCents, formatCount, formatDate, formatTimeRangeInZone } from '../shared/format.js';
import { useLoad } from '../shared/hooks.js';
import { receiptPath } from './leed-detail.js';
import { useSession } from './session.js';
import { signInHref } from './sign-in.js';

function leedHref(leed: MyLeed): string {
  return `/leedz/${encodeURIComponent(leed.trade)}/${encodeURIComponent(leed.id)}`;
}

function When({ leed }: { leed: MyLeed }) {
  return (
    <td class="nowrap" data-label="When">
      {formatDate(leed.start, leed.timeZone)}
      <br />
      <span class="muted small">
        {formatTimeRangeInZone(leed.start, leed.end, leed.timeZone)}
      </span>
    </td>
  );
}

function statusOf(leed: MyLeed): string {
  if (leed.status === 'sold') return leed.buyer === null ? 'Sold' : `Sold to ${leed.buyer}`;
  return leed.status === 'active' ? 'Available' : leed.status === 'expired' ? 'Expired' : leed.status;
}

export function MyLeedzPage() {
  const { me, dataVersion } = useSession();
  const [result] = useLoad(() => (me === null ? Promise.resolve(undefined) : api.get<MyLeedz>('/api/me/leedz')), [me?.username, dataVersion]);
  if (me === null) {
    return (
      <section class="card narrow">
        <h1>My leedz</h1>
        <p>
          <a href={signInHref(location.pathname + location.search)}>Sign in</a> to see the leedz you posted and bought.
        </p>
      </section>
    );
  }
  const mine = result.value;
  return (
    <section class="my-leedz" aria-labelledby="my-leedz-title">
      <h1 id="my-leedz-title">My leedz</h1>
      {result.state === 'error' && (
        <p class="notice error" role="alert">
          Your leedz could not be loaded: {messageOf(result.error)}
        </p>
      )}
      {mine === undefined ? (
        result.state === 'loading' && <p role="status">Loading…</p>
      ) : (
        <>
          <dl class="totals">
            <div class="card">
              <dt>Earned</dt>
              <dd data-total="earned">{formatCents(mine.totals.earned)}</dd>
              <dd class="total-note">
                from {formatCount(mine.totals.sold)} {mine.totals.sold === 1 ? 'sale' : 'sales'}, after fees
              </dd>
            </div>
            <div class="card">
              <dt>Platform fees</dt>
              <dd data-total="fees">{formatCents(mine.totals.fees)}</dd>
              <dd class="total-note">included in your sale prices</dd>
            </div>
            <div class="card">
              <dt>Spent</dt>
              <dd data-total="spent">{formatCents(mine.totals.spent)}</dd>
              <dd class="total-note">
                on {formatCount(mine.totals.bought)} {mine.totals.bought === 1 ? 'leed' : 'leedz'}
              </dd>
            </div>
          </dl>

          <section class="card" aria-labelledby="posted-title">
            <h2 id="posted-title">Posted ({formatCount(mine.posted.length)})</h2>
            {/* The profile's counter counts every post; this list leaves out the leedz that are gone. */}
            <p class="muted small">Leedz you deleted, or that the Leedz took down, are not listed here.</p>
            {mine.posted.length === 0 ? (
              <p class="muted">
                You have not posted a leed yet. <a href="/post">Post one</a>
              </p>
            ) : (
              <div class="table-wrap">
                <table class="my-posted stack-on-phone">
                  <caption class="visually-hidden">Leedz you posted, latest gig first</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Leed</th>
                      <th scope="col">Status</th>
                      <th scope="col" class="num">
                        Price
                      </th>
                      <th scope="col" class="num">
                        You receive
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {mine.posted.map((leed) => (
                      <tr key={leed.id} data-leed={leed.id}>
                        <When leed={leed} />
                        <td data-label="Leed">
                          <a href={leedHref(leed)}>{leed.title}</a>
                          <br />
                          <span class="muted small">{leed.trade}</span>
                        </td>
                        <td data-label="Status">{statusOf(leed)}</td>
                        <td class="num" data-label="Price">
                          {leed.price === 0 ? 'Free' : formatCents(leed.price)}
                        </td>
                        <td class="num" data-label="You receive">
                          {leed.status === 'sold' ? formatCents(leed.price - leed.fee) : <span class="muted">—</span>}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section class="card" aria-labelledby="bought-title">
            <h2 id="bought-title">Bought ({formatCount(mine.bought.length)})</h2>
            {mine.bought.length === 0 ? (
              <p class="muted">
                You have not bought a leed yet. <a href="/">Find one on the calendar</a>
              </p>
            ) : (
              <div class="table-wrap">
                <table class="my-bought stack-on-phone">
                  <caption class="visually-hidden">Leedz you bought, latest gig first</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Leed</th>
                      <th scope="col">Seller</th>
                      <th scope="col" class="num">
                        Paid
                      </th>
                      <th scope="col">Receipt</th>
                    </tr>
                  </thead>
                  <tbody>
                    {mine.bought.map((leed) => (
                      <tr key={leed.id} data-leed={leed.id}>
                        <When leed={leed} />
                        <td data-label="Leed">
                          <a href={leedHref(leed)}>{leed.title}</a>
                          <br />
                          <span class="muted small">{leed.trade}</span>
                        </td>
                        <td data-label="Seller">
                          <a href={`/users/${encodeURIComponent(leed.creator)}`}>{leed.creator}</a>
                        </td>
                        <td class="num" data-label="Paid">
                          {leed.price === 0 ? 'Free' : formatCents(leed.price)}
                        </td>
                        <td data-label="Receipt">
                          <a href={receiptPath(leed.trade, leed.id)}>
                            Receipt<span class="visually-hidden"> for {leed.title}</span>
                          </a>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </section>
  );
}
