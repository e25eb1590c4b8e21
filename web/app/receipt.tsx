/**
 * The receipt (`/receipts/{trade}/{id}`, where the checkout returns): every field of a bought leed,
 * as the buyer now sees it. A provider may report the payment a moment after the buyer is back, so
 * an unsold leed is asked for again for a while before the page gives up.
 *
 * Another vendor who comes back here did not get the leed: it was sold to someone else, or someone
 * else held it (a payment on a checkout its buyer had cancelled), and the webhook refunded any
 * payment of theirs. The return URL is the same for every buyer and says nothing of a payment, so the page
 * cannot tell whether this viewer paid: it says what happens to a payment if they did. So too for a
 * leed withdrawn or over by the time the payment arrived.
 */
import { useEffect, useState } from 'preact/hooks';
import { platformFeeCents } from '../../src/leedz/domain/money.js';
import type { LeedView } from '../../src/leedz/domain/visibility.js';
import { api, ApiError, leedApiPath, messageOf } from '../shared/api.js';
import { config } from '../shared/config.js';
import { formatCents, formatDate, formatDateTime, formatTimeInZone, formatTimeRangeInZone, zoneName } from '../shared/format.js';
import { fieldText, FIELD_LABELS } from './leed-fields.js';
import { useSession } from './session.js';
import { signInHref } from './sign-in.js';

const WAIT_MS = 30_000;

export function ReceiptPage({ trade, id }: { trade: string; id: string }) {
  const { me, changed } = useSession();
  const [leed, setLeed] = useState<LeedView | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [waitedOut, setWaitedOut] = useState(false);
  /** The leed is gone (withdrawn): nothing to show but what happens to a payment for it. */
  const [gone, setGone] = useState(false);

  useEffect(() => {
    let stopped = false;
    const started = Date.now();
    const poll = async () => {
      try {
        const view = await api.get<LeedView>(leedApiPath(trade, id));
        if (stopped) return;
        setLeed(view);
        if (view.status === 'sold') {
          changed();
          return;
        }
        if (Date.now() - started > WAIT_MS) setWaitedOut(true);
        else setTimeout(() => void poll(), 1000);
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && e.answered && e.status === 404) setGone(true);
        else setError(messageOf(e));
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [trade, id]);

  if (error !== undefined) {
    return (
      <section class="receipt card">
        <h1>Receipt</h1>
        <p class="notice error" role="alert">
          The leed could not be loaded: {error}
        </p>
      </section>
    );
  }
  // Withdrawn (gone from the API) or over: a payment that arrived for it was refunded, and its payer emailed.
  if (gone || (leed !== undefined && (leed.status === 'deleted' || leed.status === 'expired') && me !== null && me.username !== leed.creator)) {
    return (
      <section class="receipt card">
        <h1>No longer for sale</h1>
        <p class="notice warn" role="status">
          This leed is no longer for sale: its poster withdrew it, or its time has passed. If you paid for it, your payment is refunded, and an email tells you so.
        </p>
        <p>
          <a href={`/trades/${encodeURIComponent(trade)}`}>See other {trade} leedz</a>
        </p>
      </section>
    );
  }
  if (leed === undefined) return <p role="status">Loading the receipt…</p>;
  if (me === null || leed.buyer !== me.username) {
    const seller = me !== null && me.username === leed.creator;
    // Another vendor holds it: a payment of this viewer's arriving now is refunded (held-by-another).
    const heldByOther = leed.status === 'active' && leed.hold !== undefined && !leed.hold.yours && me !== null && !seller;
    const soldToOther = leed.status === 'sold' && me !== null && !seller;
    const waiting = leed.status === 'active' && !heldByOther && !waitedOut && me !== null;
    // In the gig's zone, as the leed's panel and the API's 409 give it.
    const until = leed.hold === undefined ? '' : formatTimeInZone(leed.hold.until, leed.timeZone);
    return (
      <section class="receipt card">
        <h1>{waiting ? 'Confirming your payment…' : soldToOther ? 'Sold to another vendor' : heldByOther ? 'Another vendor is checking out this leed' : 'Receipt'}</h1>
        <p class={`notice ${waiting ? 'info' : 'warn'}`} role="status">
          {waiting
            ? 'The payment provider is confirming the payment. This page updates by itself.'
            : me === null
              ? (
                  <>
                    <a href={signInHref(location.pathname + location.search)}>Sign in</a> as the buyer to see this receipt.
                  </>
                )
              : soldToOther
                ? 'This leed was sold to another vendor, not to you. If you paid for it, your payment is refunded: another vendor bought the leed, or held it, before your payment arrived.'
                : heldByOther
                  ? `Another vendor is checking out this leed until ${until}. If you paid for it, your payment is refunded: the leed was on hold for them when your payment arrived. If they do not pay, you can buy it then.`
                  : leed.status === 'active'
                    ? 'No sale to you has been recorded. If you paid, an email tells you what became of the payment: the receipt, or, when the leed changed since your checkout (its price, say), that your payment is refunded, and why.'
                    : 'This receipt belongs to the buyer of the leed.'}
        </p>
        <p>
          <a href={`/leedz/${encodeURIComponent(trade)}/${encodeURIComponent(id)}`}>Back to the leed</a>
        </p>
      </section>
    );
  }

  const zone = leed.timeZone;
  const fee = platformFeeCents(leed.price);
  return (
    <section class="receipt card" aria-labelledby="receipt-title">
      <p class="pill ok receipt-badge">{leed.price === 0 ? 'Claimed (free)' : 'Paid'}</p>
      <h1 id="receipt-title">Receipt: {leed.title}</h1>
      <p class="muted">
        You {leed.price === 0 ? 'claimed' : 'bought'} this {leed.trade} leed from <a href={`/users/${encodeURIComponent(leed.creator)}`}>{leed.creator}</a>
        {leed.soldAt ? ` on ${formatDateTime(leed.soldAt, zone)} ${zoneName(leed.soldAt, zone)}` : ''}. A copy of this receipt, with the seller’s contact, is in your email.
      </p>
      <dl class="fields receipt-fields">
        <dt>Leed</dt>
        <dd>{leed.title}</dd>
        <dt>Trade</dt>
        <dd>{leed.trade}</dd>
        <dt>Date</dt>
        <dd>{formatDate(leed.start, zone)}</dd>
        <dt>Time</dt>
        <dd>
          {formatTimeRangeInZone(leed.start, leed.end, zone)}
          {zone ? <span class="muted"> ({zone})</span> : null}
        </dd>
        {config().hideableFields.map((field) => [
          <dt key={`${field}-t`}>{FIELD_LABELS[field]}</dt>,
          <dd key={`${field}-d`} data-field={field}>
            {fieldText(field, leed[field]) ?? <span class="muted">Not given</span>}
          </dd>,
        ])}
        <dt>Zip</dt>
        <dd>{leed.zip}</dd>
        <dt>Seller</dt>
        <dd>
          <a href={`/users/${encodeURIComponent(leed.creator)}`}>{leed.creator}</a>
        </dd>
        <dt>Buyer</dt>
        <dd>{leed.buyer}</dd>
        <dt>Price paid</dt>
        <dd>{leed.price === 0 ? 'Free' : formatCents(leed.price)}</dd>
        {leed.price > 0 && (
          <>
            <dt>Platform fee</dt>
            <dd>
              {formatCents(fee)} ({config().platformFeePercent}%, included)
            </dd>
          </>
        )}
        <dt>Leed id</dt>
        <dd class="mono">{leed.id}</dd>
      </dl>
      <div class="actions no-print">
        <button type="button" onClick={() => print()}>
          Print
        </button>
        <a class="button" href="/">
          Back to the marketplace
        </a>
      </div>
    </section>
  );
}
