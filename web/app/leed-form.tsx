/**
 * Post a leed (`POST /api/leedz`) or edit one's own (`PATCH /api/leedz/{trade}/{id}`, only the
 * fields that changed). Start and end are the wall clock where the gig happens: the form sends them
 * without an offset (`2027-01-09T18:00`) and the API reads them in the zone of the location, so a
 * vendor posting from another zone (or a browser set to UTC) posts the time the client gave. Every hideable field has a show/hide toggle. Validation is the API's: the
 * form sends what was typed and shows each field message of a 400 beside its field, with a summary
 * at the top that links to them.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { FieldVisibility, HideableField, Leed } from '../../src/leedz/domain/leed.js';
import type { FieldError } from '../../src/leedz/domain/validation.js';
import { api, ApiError, leedApiPath, messageOf } from '../shared/api.js';
import { config } from '../shared/config.js';
import { formatCents, toLocalInput, zoneName } from '../shared/format.js';
import { EyeIcon, LockIcon } from '../shared/icons.js';
import { navigate } from '../shared/router.js';
import { FIELD_LABELS } from './leed-fields.js';
import { useSession } from './session.js';
import { signInHref } from './sign-in.js';

type TextField = 'trade' | 'title' | 'location' | 'start' | 'end' | 'price' | 'clientEmail' | 'clientPhone' | 'details' | 'requirements';
type Values = Record<TextField, string> & { visibility: Record<HideableField, FieldVisibility> };

const LABELS: Record<TextField, string> = {
  trade: 'Trade',
  title: 'Title',
  location: 'Location',
  start: 'Starts',
  end: 'Ends',
  price: 'Price (US$)',
  clientEmail: FIELD_LABELS.clientEmail,
  clientPhone: FIELD_LABELS.clientPhone,
  details: FIELD_LABELS.details,
  requirements: FIELD_LABELS.requirements,
};

/** The order of the fields on the form (and of the error summary). */
const ORDER: string[] = ['trade', 'title', 'location', 'visibility.location', 'start', 'end', 'price', 'clientEmail', 'visibility.clientEmail', 'clientPhone', 'visibility.clientPhone', 'details', 'visibility.details', 'requirements', 'visibility.requirements'];

function valuesOf(leed: Leed): Values {
  return {
    trade: leed.trade,
    title: leed.title,
    location: leed.location,
    start: toLocalInput(leed.start, leed.timeZone),
    end: toLocalInput(leed.end, leed.timeZone),
    price: leed.price === 0 ? '0' : (leed.price / 100).toFixed(2),
    clientEmail: leed.clientEmail ?? '',
    clientPhone: leed.clientPhone ?? '',
    details: leed.details ?? '',
    requirements: leed.requirements ?? '',
    visibility: { ...leed.visibility },
  };
}

/**
 * Dollars as typed → cents. What is not dollars and cents goes to the API as it is, so that the API
 * says why: text, and a fraction of a cent (25.999 is not rounded to $26.00 behind the poster's back).
 */
function priceOf(text: string): number | string | undefined {
  const typed = text.trim().replace(/^\$/, '');
  if (typed === '') return undefined;
  // A comma groups thousands ("1,000.50"); anywhere else ("7,5", a decimal comma) it is not dropped
  // to make $75.00 of it: the text goes to the API, which refuses it.
  if (typed.includes(',') && !/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(typed)) return text;
  const trimmed = typed.replace(/,/g, '');
  // Digits and a point only: Number() would read "0x10" as 16, "0b11" as 3 and "1e1" as 10.
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(trimmed)) return text;
  const dollars = Number(trimmed);
  // 19.99 × 100 is 1998.9999999999998 in floating point: within a millionth of a cent is that cent.
  const cents = dollars * 100;
  return Math.abs(cents - Math.round(cents)) < 1e-6 ? Math.round(cents) : cents;
}

/** A datetime-local value, sent as typed: the API reads it where the gig is, and says why when it cannot. */
function wallTimeOf(text: string): string | undefined {
  return text.trim() === '' ? undefined : text.trim();
}

/** The beginning of every draft's key in sessionStorage. */
const DRAFT_PREFIX = 'leedz-draft:';

/**
 * What was typed into a form and not yet saved, kept in this tab (sessionStorage) under the form's
 * key, which names the vendor who typed it: a reload, or Back then Forward, brings it back instead
 * of an empty form. Cancel drops it, and signing out drops every one (a client's email and phone
 * are in it), so another vendor signing in on this tab never sees it.
 */
const drafts = {
  read(key: string): Values | undefined {
    try {
      const kept = JSON.parse(sessionStorage.getItem(key) ?? 'null') as Values | null;
      return kept !== null && typeof kept === 'object' && typeof kept.title === 'string' ? kept : undefined;
    } catch {
      return undefined;
    }
  },
  /** Keep `values` as the draft, or none when they are the form's `baseline` (nothing typed). */
  keep(key: string, values: Values, baseline: Values): void {
    try {
      if (JSON.stringify(values) === JSON.stringify(baseline)) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, JSON.stringify(values));
    } catch {
      // Storage full or refused (a private window): the form still works, without its draft.
    }
  },
  drop(key: string): void {
    sessionStorage.removeItem(key);
  },
};

/** Drop every draft of this tab (at sign-out). */
export function dropDrafts(): void {
  try {
    const keys = Array.from({ length: sessionStorage.length }, (_, i) => sessionStorage.key(i) ?? '');
    for (const key of keys) if (key.startsWith(DRAFT_PREFIX)) sessionStorage.removeItem(key);
  } catch {
    // Storage refused: there are no drafts either.
  }
}

export function LeedForm({ edit }: { edit?: { trade: string; id: string } }) {
  const { me, trades, changed, flash } = useSession();
  const draftKey = `${DRAFT_PREFIX}${me?.username ?? ''}:${edit === undefined ? 'new' : `${edit.trade}/${edit.id}`}`;
  const [original, setOriginal] = useState<Leed | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const blank = (): Values => ({
    trade: me?.subscriptions[0] ?? trades[0]?.name ?? '',
    title: '',
    location: '',
    start: '',
    end: '',
    price: '',
    clientEmail: '',
    clientPhone: '',
    details: '',
    requirements: '',
    visibility: { ...config().defaultVisibility },
  });
  // What the form shows before anything is typed (a new leed's blanks, or the leed as it is); a draft differs from it.
  const [baseline, setBaseline] = useState<Values | undefined>(() => (edit === undefined ? blank() : undefined));
  // A new leed's draft is read at once; an edited leed's once the leed has loaded.
  const [draft] = useState(() => (edit === undefined ? drafts.read(draftKey) : undefined));
  const [restored, setRestored] = useState(draft !== undefined);
  const [values, setValues] = useState<Values>(() => draft ?? blank());
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (edit === undefined) return;
    api.get<Leed>(leedApiPath(edit.trade, edit.id)).then(
      (leed) => {
        setOriginal(leed);
        const draft = drafts.read(draftKey);
        setBaseline(valuesOf(leed));
        setRestored(draft !== undefined);
        setValues(draft ?? valuesOf(leed));
      },
      (error: unknown) => setLoadError(messageOf(error)),
    );
  }, [edit?.trade, edit?.id]);

  useLayoutEffect(() => {
    if (errors.length > 0 || failure !== undefined) summaryRef.current?.focus();
  }, [errors, failure]);

  // Not before an edited leed has loaded: the form is not showing it yet.
  useEffect(() => {
    if (baseline !== undefined) drafts.keep(draftKey, values, baseline);
  }, [values, baseline]);

  if (me === null) {
    return (
      <section class="form-page card">
        <h1>{edit ? 'Edit leed' : 'Post a leed'}</h1>
        <p>
          <a href={signInHref(location.pathname + location.search)}>Sign in</a> to post leedz.
        </p>
      </section>
    );
  }
  if (edit !== undefined && original === undefined) {
    return (
      <section class="form-page card">
        <h1>Edit leed</h1>
        {loadError === undefined ? <p role="status">Loading…</p> : <p class="notice error" role="alert">The leed could not be loaded: {loadError}</p>}
      </section>
    );
  }
  if (original !== undefined && (original.creator !== me.username || original.status !== 'active')) {
    return (
      <section class="form-page card">
        <h1>Edit leed</h1>
        <p class="notice error" role="alert">
          {original.creator !== me.username ? 'Only the creator of a leed may change it.' : `This leed is ${original.status} and can no longer be changed.`}
        </p>
      </section>
    );
  }

  const set = (field: TextField) => (event: Event) => setValues((v) => ({ ...v, [field]: (event.target as HTMLInputElement).value }));
  // The end starts an hour after the start (the shortest gig), on its date, and follows the start
  // until it is changed: one date to type, and an end past midnight moves to the next day by itself.
  const setStart = (event: Event) => {
    const start = (event.target as HTMLInputElement).value;
    setValues((v) => ({ ...v, start, end: v.end === '' || v.end === anHourAfter(v.start) ? anHourAfter(start) : v.end }));
  };
  const setVisibility = (field: HideableField, hidden: boolean) => setValues((v) => ({ ...v, visibility: { ...v.visibility, [field]: hidden ? 'hidden' : 'shown' } }));
  const errorOf = (path: string) => {
    const error = errors.find((e) => e.path === path);
    return error === undefined ? undefined : readable(error);
  };

  const body = (): Record<string, unknown> => {
    const filled = (field: HideableField) => values[field].trim() !== '';
    const visibility = Object.fromEntries(config().hideableFields.filter(filled).map((f) => [f, values.visibility[f]]));
    if (original === undefined) {
      const out: Record<string, unknown> = { trade: values.trade, title: values.title, location: values.location, start: wallTimeOf(values.start), end: wallTimeOf(values.end), price: priceOf(values.price) };
      for (const field of ['clientEmail', 'clientPhone', 'details', 'requirements'] as const) if (filled(field)) out[field] = values[field];
      out.visibility = visibility;
      return out;
    }
    // An edit sends what changed: an unchanged place or time is not geocoded or checked again.
    const before = valuesOf(original);
    const out: Record<string, unknown> = {};
    for (const field of ['title', 'location', 'clientEmail', 'clientPhone', 'details', 'requirements'] as const) if (values[field] !== before[field]) out[field] = values[field];
    // A moved location changes the zone the times are read in: send them too, as the form shows them.
    const moved = values.location !== before.location;
    if (values.start !== before.start || moved) out.start = wallTimeOf(values.start) ?? null;
    if (values.end !== before.end || moved) out.end = wallTimeOf(values.end) ?? null;
    if (values.price !== before.price) out.price = priceOf(values.price) ?? 0;
    if (config().hideableFields.some((f) => filled(f) && values.visibility[f] !== original.visibility[f])) out.visibility = visibility;
    return out;
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setErrors([]);
    setFailure(undefined);
    try {
      if (original === undefined) {
        const posted = await api.post<{ id: string; trade: string; title: string; when: string; price: number }>('/api/leedz', body());
        drafts.drop(draftKey);
        changed();
        // The calendar shows the trades one subscribes to: a post in another trade is not on it, and the page says so.
        const onCalendar = me?.subscriptions.includes(posted.trade) ?? false;
        flash({
          kind: 'ok',
          // An empty price is a free leed: said, as a forgotten price gives the gig away.
          text: `Posted “${posted.title}”${posted.price === 0 ? ' as a free leed (the first vendor to claim it gets it)' : ''} for ${posted.when}. Subscribers of ${posted.trade} are being emailed.${
            onCalendar ? '' : ` Your calendar shows the trades you subscribe to, and ${posted.trade} is not one of them: find this leed in My leedz, or subscribe to ${posted.trade} in the Trades column.`
          }`,
        });
        // The wall date is the gig's own date: its month is the calendar's.
        navigate(`/leedz/${encodeURIComponent(posted.trade)}/${encodeURIComponent(posted.id)}?month=${values.start.slice(0, 7)}`);
      } else {
        const changes = body();
        if (Object.keys(changes).length > 0) await api.patch<Leed>(leedApiPath(original.trade, original.id), changes);
        drafts.drop(draftKey);
        changed();
        flash({ kind: 'ok', text: Object.keys(changes).length > 0 ? 'Your changes are saved.' : 'Nothing changed.' });
        navigate(`/leedz/${encodeURIComponent(original.trade)}/${encodeURIComponent(original.id)}?month=${(values.start || valuesOf(original).start).slice(0, 7)}`);
      }
    } catch (error) {
      // A refusal that names fields is shown at them; any other (a double booking, a leed sold or
      // deleted meanwhile) at the top, in its own words, which say what clashed.
      if (error instanceof ApiError && error.fields.length > 0) setErrors(error.fields);
      else setFailure(messageOf(error));
      setBusy(false);
    }
  };

  const known = new Set(ORDER);
  const sorted = [...errors].sort((a, b) => (known.has(a.path) ? ORDER.indexOf(a.path) : 99) - (known.has(b.path) ? ORDER.indexOf(b.path) : 99));
  // Where the gig is: the leed's zone when editing (a new location may change it); for a new leed, the location's.
  const zoneHint =
    original === undefined || values.location !== original.location
      ? 'The time where the gig is: read in the time zone of its location.'
      : `The time where the gig is: ${zoneName(original.start, original.timeZone)} (${original.timeZone}).`;
  const { limits } = config();

  return (
    <section class="form-page card" aria-labelledby="form-title">
      <h1 id="form-title">{original === undefined ? 'Post a leed' : 'Edit leed'}</h1>
      <p class="muted">
        {original === undefined
          ? 'A booking you cannot take, for another vendor of the same trade. Fields marked “hidden” are shown only to the buyer.'
          : `Changing “${original.title}”. The trade cannot change.`}
      </p>
      {restored && (
        <p class="notice info" role="status">
          What you typed here before, and did not save, is back.{' '}
          <button
            type="button"
            class="small"
            onClick={() => {
              setValues(baseline ?? blank());
              setRestored(false);
            }}
          >
            Start over
          </button>
        </p>
      )}
      {(sorted.length > 0 || failure !== undefined) && (
        <div class="notice error" role="alert" tabIndex={-1} ref={summaryRef} id="form-errors">
          {failure !== undefined ? (
            <p>The leed was not saved: {failure}</p>
          ) : (
            <>
              <p>
                The leed was not saved. {sorted.length === 1 ? 'One field needs' : `${sorted.length} fields need`} attention:
              </p>
              <ul>
                {sorted.map((e) => (
                  <li key={e.path}>
                    {known.has(e.path) ? (
                      <a href={`#${inputId(e.path)}`} onClick={(event) => focusField(event, inputId(e.path))}>
                        {labelOf(e.path)}
                      </a>
                    ) : (
                      <strong>{e.path}</strong>
                    )}{' '}
                    {readable(e)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      <form class="leed-form" noValidate onSubmit={(e) => void submit(e)}>
        <Field name="trade" error={errorOf('trade')}>
          <select id="leed-trade" value={values.trade} onChange={set('trade')} disabled={original !== undefined} {...invalid('trade', errorOf('trade'))}>
            {trades.map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <Field name="title" error={errorOf('title')} hint={`What the gig is, in a line (at most ${limits.title} characters).`}>
          <input id="leed-title" type="text" value={values.title} onInput={set('title')} {...invalid('title', errorOf('title'), true)} />
        </Field>
        <Field name="location" error={errorOf('location')} hint="The full street address, ending with the 5-digit zip: 123 Main St, Springfield, IL 62701" toggle={<HideToggle field="location" values={values} onChange={setVisibility} error={errorOf('visibility.location')} />}>
          <input id="leed-location" type="text" autoComplete="street-address" value={values.location} onInput={set('location')} {...invalid('location', errorOf('location'), true)} />
        </Field>
        <div class="field-row">
          <Field name="start" error={errorOf('start')} hint={zoneHint}>
            <input id="leed-start" type="datetime-local" value={values.start} onInput={setStart} {...invalid('start', errorOf('start'), true)} />
          </Field>
          <Field name="end" error={errorOf('end')} hint="1 to 12 hours after the start (past midnight, on the next day).">
            <input id="leed-end" type="datetime-local" value={values.end} onInput={set('end')} {...invalid('end', errorOf('end'), true)} />
          </Field>
        </div>
        <Field name="price" error={errorOf('price')} hint={`0 or empty for free; otherwise ${formatCents(limits.minPaidPriceCents)} to ${formatCents(limits.maxPriceCents)}. The platform keeps ${config().platformFeePercent}%.`}>
          <input id="leed-price" type="text" inputMode="decimal" value={values.price} onInput={set('price')} placeholder="0.00" {...invalid('price', errorOf('price'), true)} />
        </Field>
        <div class="field-row">
          <Field name="clientEmail" error={errorOf('clientEmail')} toggle={<HideToggle field="clientEmail" values={values} onChange={setVisibility} error={errorOf('visibility.clientEmail')} />}>
            <input id="leed-clientEmail" type="email" value={values.clientEmail} onInput={set('clientEmail')} {...invalid('clientEmail', errorOf('clientEmail'))} />
          </Field>
          <Field name="clientPhone" error={errorOf('clientPhone')} toggle={<HideToggle field="clientPhone" values={values} onChange={setVisibility} error={errorOf('visibility.clientPhone')} />}>
            <input id="leed-clientPhone" type="tel" value={values.clientPhone} onInput={set('clientPhone')} {...invalid('clientPhone', errorOf('clientPhone'))} />
          </Field>
        </div>
        <Field name="details" error={errorOf('details')} hint={`At most ${limits.text.toLocaleString('en-US')} characters.`} toggle={<HideToggle field="details" values={values} onChange={setVisibility} error={errorOf('visibility.details')} />}>
          <textarea id="leed-details" value={values.details} onInput={set('details')} {...invalid('details', errorOf('details'), true)} />
        </Field>
        <Field name="requirements" error={errorOf('requirements')} hint="What the vendor must bring or know." toggle={<HideToggle field="requirements" values={values} onChange={setVisibility} error={errorOf('visibility.requirements')} />}>
          <textarea id="leed-requirements" value={values.requirements} onInput={set('requirements')} {...invalid('requirements', errorOf('requirements'), true)} />
        </Field>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Saving…' : original === undefined ? 'Post leed' : 'Save changes'}
          </button>
          <a class="button" href={original === undefined ? '/' : `/leedz/${encodeURIComponent(original.trade)}/${encodeURIComponent(original.id)}`} onClick={() => drafts.drop(draftKey)}>
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}

/**
 * The API's message as the form's reader needs it: the API counts money in cents, the form in
 * dollars, and a trade error points API users to an endpoint.
 */
function readable(error: FieldError): string {
  const { limits } = config();
  if (error.path === 'price' && /whole number of cents/.test(error.message)) return 'must be dollars and cents, like 40 or 39.99';
  if (error.path === 'price' && /cents/.test(error.message)) return `must be 0 (free), or from ${formatCents(limits.minPaidPriceCents)} to ${formatCents(limits.maxPriceCents)}`;
  return error.message.replace(/; see GET \/api\/trades$/, '');
}

function inputId(path: string): string {
  return path.startsWith('visibility.') ? `leed-hide-${path.slice('visibility.'.length)}` : `leed-${path}`;
}

function labelOf(path: string): string {
  if (path.startsWith('visibility.')) return `Hide ${(FIELD_LABELS as Record<string, string>)[path.slice(11)]?.toLowerCase() ?? path.slice(11)}:`;
  return (LABELS as Record<string, string>)[path] ?? path;
}

/** aria-invalid and aria-describedby for an input whose field has a hint and maybe an error. */
function invalid(name: string, error: string | undefined, hasHint = false) {
  const describedBy = [hasHint ? `leed-${name}-hint` : '', error !== undefined ? `leed-${name}-error` : ''].filter(Boolean).join(' ');
  return { 'aria-invalid': error !== undefined ? ('true' as const) : undefined, 'aria-describedby': describedBy === '' ? undefined : describedBy };
}

function Field({ name, error, hint, toggle, children }: { name: TextField; error: string | undefined; hint?: string; toggle?: ComponentChildren; children: ComponentChildren }) {
  return (
    <div class={`field${toggle !== undefined ? ' with-toggle' : ''}${error !== undefined ? ' has-error' : ''}`} data-field={name}>
      <div class="field-label">
        <label for={`leed-${name}`}>{LABELS[name]}</label>
      </div>
      {hint !== undefined && (
        <span class="field-hint" id={`leed-${name}-hint`}>
          {hint}
        </span>
      )}
      {children}
      {/* Shown beside the label, but after the field in the keyboard's order: it waits for the field's text. */}
      {toggle !== undefined && <div class="field-toggle">{toggle}</div>}
      {error !== undefined && (
        <p class="field-error" id={`leed-${name}-error`}>
          {LABELS[name].replace(/ \(.*\)$/, '')} {error}
        </p>
      )}
    </div>
  );
}

function HideToggle({ field, values, onChange, error }: { field: HideableField; values: Values; onChange: (field: HideableField, hidden: boolean) => void; error: string | undefined }) {
  const hidden = values.visibility[field] === 'hidden';
  const empty = values[field].trim() === '';
  return (
    <span class="hide-toggle-wrap">
      {/* An empty field has nothing to hide (the API keeps no visibility for it): the toggle waits for text. */}
      <label class={`check hide-toggle${hidden && !empty ? ' is-hidden' : ''}`}>
        <input
          type="checkbox"
          id={`leed-hide-${field}`}
          checked={hidden}
          disabled={empty}
          onChange={(e) => onChange(field, (e.target as HTMLInputElement).checked)}
          aria-invalid={error !== undefined ? 'true' : undefined}
          aria-describedby={error !== undefined ? `leed-hide-${field}-error` : undefined}
        />
        <span aria-hidden="true" class="hide-state">
          {empty ? (
            'Nothing to hide yet'
          ) : hidden ? (
            <>
              <LockIcon /> Hidden until bought
            </>
          ) : (
            <>
              <EyeIcon /> Shown to everyone
            </>
          )}
        </span>
        <span class="visually-hidden">Hide {FIELD_LABELS[field].toLowerCase()} until bought</span>
      </label>
      {error !== undefined && (
        <span class="field-error" id={`leed-hide-${field}-error`}>
          {error}
        </span>
      )}
    </span>
  );
}

/**
 * A link of the error summary takes the user to its field: focused (which scrolls it into view), as
 * a click on an in-page link alone would not do, nor would the app's router, which takes the link for
 * a page of its own.
 */
function focusField(event: Event, id: string): void {
  const field = document.getElementById(id);
  if (field === null) return;
  event.preventDefault();
  field.focus();
}

/** A `datetime-local` value an hour later, as wall time (the form's values have no zone); '' for anything else. */
export function anHourAfter(value: string): string {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(value)) return '';
  return new Date(Date.parse(`${value}:00Z`) + 3_600_000).toISOString().slice(0, 16);
}
