/**
 * One leed's panel (`GET /api/leedz/{trade}/{id}`): every field the caller may see, the hidden ones
 * as "Buy to show" ("Claim to show" when free); Buy and Report for someone else's leed, Edit and Delete for one's own.
 * Buying a paid leed goes to the payment provider's checkout page (locally: `/pay/checkout/:id`),
 * which comes back to the receipt page; a free one is sold at once. A leed on hold (someone is
 * checking out) says so and until when; its buyer may continue or cancel, and the checkout page's
 * Cancel comes back here with `?checkout=cancelled`, which releases the hold at once.
 */
import type { RefObject } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { LeedView } from '../../src/leedz/domain/visibility.js';
import { api, ApiError, leedApiPath, messageOf } from '../shared/api.js';
import { config } from '../shared/config.js';
import { dayKey, formatCents, formatDate, formatDateTime, formatTimeInZone, formatTimeRangeInZone, zoneName } from '../shared/format.js';
import { useFocusOnToggle, useLoad } from '../shared/hooks.js';
import { LockIcon } from '../shared/icons.js';
import { navigate, withQuery } from '../shared/router.js';
import { fieldText, FIELD_LABELS } from './leed-fields.js';
import { useSession } from './session.js';
import { signInHref } from './sign-in.js';
import { tradeColor } from './trade-colors.js';

export function receiptPath(trade: string, id: string): string {
  return `/receipts/${encodeURIComponent(trade)}/${encodeURIComponent(id)}`;
}

/** How often an open leed on hold is looked at again. */
const HOLD_RECHECK_MS = 5000;

/** Where a leed's panel sits beside the calendar, not above it (app.css: `.market.has-detail`, narrower from 1280px). */
export const DETAIL_BESIDE = '(min-width: 1281px)';

export function LeedDetail({ trade, id, closeHref }: { trade: string; id: string; closeHref: string }) {
  const { me, trades, dataVersion } = useSession();
  const [cancelled, setCancelled] = useState(false);
  const [result, reload] = useLoad(async () => {
    // Back from the checkout page's Cancel: the hold goes first, so the leed shows as available.
    if (me !== null && new URLSearchParams(location.search).get('checkout') === 'cancelled') {
      await api.delete(`${leedApiPath(trade, id)}/checkout`);
      setCancelled(true);
      navigate(withQuery({ checkout: undefined }), { replace: true, keepScroll: true });
    }
    return api.get<LeedView>(leedApiPath(trade, id));
  }, [trade, id, dataVersion]);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const leed = result.value;

  useEffect(() => {
    if (leed === undefined) return;
    // Opened from a link without a month (an email): show the leed's month in the calendar.
    if (!new URLSearchParams(location.search).has('month')) {
      // The month of the gig where it happens (the calendar places leedz on their local day).
      navigate(withQuery({ month: dayKey(new Date(leed.start), leed.timeZone).slice(0, 7) }), { replace: true, keepScroll: true });
    }
    // Opening a leed takes focus to it, so keyboard and screen reader users land in the panel.
    headingRef.current?.focus({ preventScroll: matchMedia(DETAIL_BESIDE).matches });
  }, [leed?.id]);

  // Deleted while open (a Buy found it gone): the panel says so, and the focus, left on a button
  // that is no more, goes to what it says.
  const gone = result.state === 'error' && isGone(result.error);
  useEffect(() => {
    if (gone && leed !== undefined) headingRef.current?.focus({ preventScroll: true });
  }, [gone]);

  // A hold ends by a cancel or a payment at any moment, or runs out at its time: look again every
  // few seconds while it lasts, and once it is due to end, so that Buy comes back by itself.
  const holdUntil = leed?.status === 'active' ? leed.hold?.until : undefined;
  useEffect(() => {
    if (holdUntil === undefined) return;
    const every = setInterval(reload, HOLD_RECHECK_MS);
    const atEnd = setTimeout(reload, Math.max(0, Date.parse(holdUntil) - Date.now()) + 1000);
    return () => {
      clearInterval(every);
      clearTimeout(atEnd);
    };
  }, [holdUntil]);

  // Escape closes the leed, as it closes the day's list, unless a field or a confirmation has the focus.
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    const focused = event.target as HTMLElement;
    if (focused.closest('input, textarea, select, .confirm') !== null) return;
    event.preventDefault();
    navigate(closeHref, { keepScroll: matchMedia(DETAIL_BESIDE).matches });
  };

  return (
    <aside class="detail card" aria-labelledby="leed-title" onKeyDown={onKeyDown}>
      <div class="detail-top">
        <span class="trade-tag" style={{ '--trade': tradeColor(trade, trades) }}>
          {trade}
        </span>
        <a class="close button small" href={closeHref} aria-label="Close the leed" data-keep-scroll={DETAIL_BESIDE}>
          <span aria-hidden="true">✕</span>
        </a>
      </div>
      {result.state === 'error' && (leed === undefined || gone) ? (
        <>
          <h2 id="leed-title" ref={headingRef} tabIndex={-1} data-focus-on-navigate>
            Leed not available
          </h2>
          <p class="notice error" role="alert">
            {isGone(result.error) ? 'This leed does not exist or was deleted.' : messageOf(result.error)}
          </p>
        </>
      ) : leed === undefined ? (
        <p class="muted" role="status">
          Loading the leed…
        </p>
      ) : (
        <>
          {cancelled && leed.status === 'active' && leed.hold === undefined && (
            <p class="notice info" role="status">
              Checkout cancelled: nothing was paid, and the leed is available again.
            </p>
          )}
          <LeedBody leed={leed} me={me?.username ?? null} headingRef={headingRef} onChanged={reload} closeHref={closeHref} />
        </>
      )}
    </aside>
  );
}

/** Escape in a confirmation answers "no" (Keep it, Cancel), and goes no further: the leed stays open. */
function escapeTo(cancel: () => void): (event: KeyboardEvent) => void {
  return (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    cancel();
  };
}

/** The leed is no more (deleted): its panel says so rather than keep what it showed. */
function isGone(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

function LeedBody({ leed, me, headingRef, onChanged, closeHref }: { leed: LeedView; me: string | null; headingRef: RefObject<HTMLHeadingElement>; onChanged: () => void; closeHref: string }) {
  const own = me !== null && leed.creator === me;
  const bought = me !== null && leed.buyer === me;
  const zone = leed.timeZone;
  return (
    <>
      <h2 id="leed-title" ref={headingRef} tabIndex={-1} data-focus-on-navigate>
        {leed.title}
      </h2>
      <p class="detail-status">
        <StatusPill leed={leed} own={own} bought={bought} />
        {own && <span class="pill info">★ Your leed</span>}
      </p>
      <dl class="fields">
        <dt>When</dt>
        <dd>
          {formatDate(leed.start, zone)}
          <br />
          {formatTimeRangeInZone(leed.start, leed.end, zone)}
        </dd>
        <dt>Price</dt>
        <dd>{leed.price === 0 ? 'Free' : formatCents(leed.price)}</dd>
        <dt>Zip</dt>
        <dd>{leed.zip}</dd>
        {config().hideableFields.map((field) => {
          const text = fieldText(field, leed[field]);
          return [
            <dt key={`${field}-t`}>{FIELD_LABELS[field]}</dt>,
            <dd key={`${field}-d`} data-field={field}>
              {leed.hidden.includes(field) ? (
                leed.status === 'active' ? (
                  <span class="locked">
                    <LockIcon /> {leed.price === 0 ? 'Claim to show' : 'Buy to show'}
                  </span>
                ) : (
                  // Sold or expired: there is nothing left to buy, so nothing to promise.
                  <span class="muted">Not shown ({leed.status === 'sold' ? 'sold' : 'no longer for sale'})</span>
                )
              ) : text === undefined ? (
                <span class="muted">Not given</span>
              ) : (
                text
              )}
            </dd>,
          ];
        })}
        <dt>Posted by</dt>
        <dd>
          <a href={`/users/${encodeURIComponent(leed.creator)}`}>{leed.creator}</a>, {formatDateTime(leed.postedAt, zone)} {zoneName(leed.postedAt, zone)}
        </dd>
        {leed.buyer !== undefined && leed.buyer !== null && (
          <>
            <dt>Bought by</dt>
            <dd>
              <a href={`/users/${encodeURIComponent(leed.buyer)}`}>{leed.buyer}</a>
              {leed.soldAt ? `, ${formatDateTime(leed.soldAt, zone)} ${zoneName(leed.soldAt, zone)}` : ''}
            </dd>
          </>
        )}
      </dl>
      {own ? <OwnActions leed={leed} closeHref={closeHref} /> : <BuyerActions leed={leed} me={me} bought={bought} onChanged={onChanged} />}
    </>
  );
}

function StatusPill({ leed, own, bought }: { leed: LeedView; own: boolean; bought: boolean }) {
  if (leed.status === 'active' && leed.hold !== undefined) return <span class="pill warn">{leed.hold.yours ? 'Held for you' : 'On hold'}</span>;
  if (leed.status === 'active') return <span class="pill ok">Available</span>;
  if (leed.status === 'sold') return <span class="pill warn">{bought ? 'Sold to you' : own ? `Sold${leed.buyer ? ` to ${leed.buyer}` : ''}` : 'Sold'}</span>;
  return <span class="pill">{leed.status === 'expired' ? 'Expired' : leed.status}</span>;
}

function BuyerActions({ leed, me, bought, onChanged }: { leed: LeedView; me: string | null; bought: boolean; onChanged: () => void }) {
  const { changed } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [reporting, setReporting] = useState(false);
  const [claiming, setClaiming] = useState(false);
  const claimRef = useRef<HTMLButtonElement>(null);
  // The buttons a confirmation or the report form replaced: the focus goes back to them when those close
  // (the report form focuses its own field).
  const buyRef = useRef<HTMLButtonElement>(null);
  const reportRef = useRef<HTMLButtonElement>(null);
  useFocusOnToggle(claiming, claimRef, buyRef);
  useFocusOnToggle(reporting, undefined, reportRef);

  if (bought) {
    return (
      <div class="notice ok">
        <p>
          You bought this leed. <a href={receiptPath(leed.trade, leed.id)}>View the receipt</a>
        </p>
      </div>
    );
  }
  if (me === null) {
    return (
      <div class="actions">
        {leed.status === 'active' && (
          <a class="button primary" href={signInHref(location.pathname + location.search)}>
            Sign in to buy
          </a>
        )}
      </div>
    );
  }

  const buy = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await api.post<{ checkoutUrl?: string; sold?: boolean; receiptUrl?: string }>(`${leedApiPath(leed.trade, leed.id)}/checkout`);
      if (result.checkoutUrl !== undefined) {
        location.assign(result.checkoutUrl);
        return;
      }
      changed();
      navigate(result.receiptUrl !== undefined ? new URL(result.receiptUrl, location.href).pathname : receiptPath(leed.trade, leed.id));
    } catch (e) {
      setError(messageOf(e));
      // Sold or deleted meanwhile: the calendar looks again too, and a deleted leed's panel says it is gone.
      changed();
      setBusy(false);
    }
  };

  const cancel = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api.delete(`${leedApiPath(leed.trade, leed.id)}/checkout`);
      onChanged();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const heldByOther = leed.hold !== undefined && !leed.hold.yours;
  const until = leed.hold === undefined ? '' : holdEnds(leed.hold.until, leed.timeZone);

  return (
    <>
      {error !== undefined && (
        <div class="notice error" role="alert">
          {error}
        </div>
      )}
      {leed.status === 'active' && leed.hold !== undefined && (
        <div class={`notice ${heldByOther ? 'warn' : 'info'}`} role="status">
          <p>
            {heldByOther
              ? `On hold: another vendor is checking out this leed until ${until}. If they do not pay, you can buy it then.`
              : `You started a checkout of this leed; it is held for you until ${until}.`}
          </p>
        </div>
      )}
      {claiming && leed.status === 'active' && (
        <div class="notice warn confirm" role="group" aria-labelledby="confirm-claim" onKeyDown={escapeTo(() => setClaiming(false))}>
          <p id="confirm-claim">Claim “{leed.title}” for free? It becomes yours: you see every detail, get a receipt by email, and nobody else can claim it.</p>
          <div class="actions">
            <button type="button" class="primary" ref={claimRef} disabled={busy} onClick={() => void buy()}>
              {busy ? 'Claiming…' : 'Claim it'}
            </button>
            <button type="button" onClick={() => setClaiming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <div class="actions">
        {leed.status === 'active' && !claiming && (
          <button
            type="button"
            class="primary"
            ref={buyRef}
            disabled={busy || heldByOther}
            onClick={() => (leed.price === 0 && leed.hold === undefined ? setClaiming(true) : void buy())}
          >
            {busy ? 'Starting checkout…' : leed.hold?.yours ? 'Continue to checkout' : leed.price === 0 ? 'Claim for free' : `Buy for ${formatCents(leed.price)}`}
          </button>
        )}
        {leed.status === 'active' && leed.hold?.yours && (
          <button type="button" disabled={busy} onClick={() => void cancel()}>
            Cancel checkout
          </button>
        )}
        {!reporting && (
          <button type="button" ref={reportRef} onClick={() => setReporting(true)}>
            Report
          </button>
        )}
      </div>
      {leed.status === 'active' && leed.hidden.length > 0 && (
        <p class="muted small">
          {leed.price === 0 ? 'Claiming' : 'Buying'} shows the {new Intl.ListFormat('en', { type: 'conjunction' }).format(leed.hidden.map((f) => FIELD_LABELS[f].toLowerCase()))}. You also get a receipt by email.
        </p>
      )}
      {reporting && <ReportForm leed={leed} onDone={() => setReporting(false)} />}
    </>
  );
}

function ReportForm({ leed, onDone }: { leed: LeedView; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const thanksRef = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => textRef.current?.focus(), []);
  // Refused: the focus goes back to the reason, whose description is the error (read out with it).
  useLayoutEffect(() => {
    if (error !== undefined) textRef.current?.focus();
  }, [error]);
  // The form (and the button that sent it) is gone: the focus goes to what took its place.
  useLayoutEffect(() => {
    if (sent) thanksRef.current?.focus();
  }, [sent]);

  if (sent) {
    return (
      <div class="notice ok" role="status" tabIndex={-1} ref={thanksRef}>
        <p>Thank you. The admin has been told about this leed.</p>
      </div>
    );
  }
  return (
    <form
      id="report-form"
      class="report-form"
      noValidate
      onSubmit={async (event) => {
        event.preventDefault();
        if (busy) return;
        setBusy(true);
        setError(undefined);
        try {
          await api.post(`${leedApiPath(leed.trade, leed.id)}/report`, { reason });
          setSent(true);
        } catch (e) {
          setError(e instanceof ApiError ? (e.fieldMessage('reason') ?? e.message) : messageOf(e));
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="field">
        <label for="report-reason">Why are you reporting this leed?</label>
        <textarea
          id="report-reason"
          ref={textRef}
          value={reason}
          maxLength={1000}
          aria-invalid={error !== undefined}
          aria-describedby={error !== undefined ? 'report-reason-error' : undefined}
          onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
        />
        {error !== undefined && (
          <p class="field-error" id="report-reason-error">
            Reason {error}
          </p>
        )}
      </div>
      <div class="actions">
        {/* aria-disabled, not disabled: a disabled button drops the keyboard's focus to the page. */}
        <button type="submit" class="primary" aria-disabled={busy}>
          Send report
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function OwnActions({ leed, closeHref }: { leed: LeedView; closeHref: string }) {
  const { changed, flash } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  // Asked to confirm a deletion, which cannot be undone, the focus is on "Keep it": Enter pressed once
  // too often keeps the leed (the WAI-ARIA alert dialog pattern's least destructive action).
  const keepRef = useRef<HTMLButtonElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  useFocusOnToggle(confirming, keepRef, deleteRef);

  if (leed.status !== 'active') {
    return leed.status === 'sold' ? (
      <div class="notice ok">
        <p>Sold{leed.buyer ? ` to ${leed.buyer}` : ''}. The buyer has your contact details and a receipt.</p>
      </div>
    ) : null;
  }
  // Someone is paying for it right now: the poster should know before changing the price or deleting it.
  const held = leed.hold === undefined ? undefined : holdEnds(leed.hold.until, leed.timeZone);
  const remove = async () => {
    setBusy(true);
    try {
      await api.delete(leedApiPath(leed.trade, leed.id));
      changed();
      flash({ kind: 'ok', text: `Deleted “${leed.title}”.` });
      navigate(closeHref);
    } catch (e) {
      setError(messageOf(e));
      setBusy(false);
    }
  };
  return (
    <>
      {error !== undefined && (
        <div class="notice error" role="alert">
          {error}
        </div>
      )}
      {held !== undefined && !confirming && (
        <div class="notice info" role="status">
          <p>On hold: a vendor is checking out this leed until {held}. Its price cannot change until then.</p>
        </div>
      )}
      {confirming ? (
        <div class="notice warn confirm" role="group" aria-labelledby="confirm-delete" onKeyDown={escapeTo(() => setConfirming(false))}>
          <p id="confirm-delete">
            Delete “{leed.title}”? Nobody will be able to buy it any more.
            {held !== undefined && ` A vendor is checking out this leed until ${held}: if they pay, their payment is refunded and they are told why.`}
          </p>
          <div class="actions">
            <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
              Delete leed
            </button>
            <button type="button" ref={keepRef} onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        </div>
      ) : (
        <div class="actions">
          <a class="button primary" href={`/leedz/${encodeURIComponent(leed.trade)}/${encodeURIComponent(leed.id)}/edit`}>
            Edit
          </a>
          <button type="button" ref={deleteRef} onClick={() => setConfirming(true)}>
            Delete
          </button>
        </div>
      )}
    </>
  );
}

/**
 * When a checkout hold ends: in the gig's zone, as every time of the leed and the API's own messages
 * ("cannot change while a buyer is checking out this leed (until …)") give it, and how soon, which
 * reads the same in any zone.
 */
function holdEnds(iso: string, timeZone: string): string {
  return `${formatTimeInZone(iso, timeZone)} (${minutesFromNow(iso)})`;
}

/** "in about 12 minutes", "in about 1 minute": how soon a moment comes. */
function minutesFromNow(iso: string): string {
  const minutes = Math.max(1, Math.ceil((Date.parse(iso) - Date.now()) / 60_000));
  return `in about ${minutes} minute${minutes === 1 ? '' : 's'}`;
}
