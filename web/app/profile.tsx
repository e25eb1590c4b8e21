/**
 * Your profile (`GET/PATCH /api/me`: home zip and alert radius, website, about, subscriptions,
 * badges and counters) and anyone's public profile (`GET /api/users/{username}`).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { BadgeId } from '../../src/leedz/domain/badges.js';
import type { FieldError } from '../../src/leedz/domain/validation.js';
import type { PublicProfile, User } from '../../src/leedz/domain/user.js';
import { api, ApiError, messageOf } from '../shared/api.js';
import { config } from '../shared/config.js';
import { useLoad } from '../shared/hooks.js';
import { MedalIcon } from '../shared/icons.js';
import { CalendarFeed } from './calendar-feed.js';
import { useSession } from './session.js';
import { tradeColor } from './trade-colors.js';
import { signInHref } from './sign-in.js';

/** The form's fields, in its order. */
const PROFILE_FIELDS = ['zip', 'radius', 'website', 'about'] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];

/** The fields as the form names them: what an error message starts with. */
const PROFILE_LABELS: Record<ProfileField, string> = { zip: 'Home zip', radius: 'Radius', website: 'Website', about: 'About you' };

export function ProfilePage() {
  const { me, setMe, trades } = useSession();
  const [values, setValues] = useState(() => ({ zip: me?.zip ?? '', radius: String(me?.radius ?? 50), website: me?.website ?? '', about: me?.about ?? '' }));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  // An Unsubscribe button goes with its trade: the focus goes to the list's heading, not the page.
  const subscriptionsTitle = useRef<HTMLHeadingElement>(null);
  // Linked from emails (#subscriptions, #calendar): the section, once the page has drawn it.
  useEffect(() => {
    const target = location.hash.length > 1 ? document.getElementById(location.hash.slice(1)) : null;
    target?.scrollIntoView();
  }, []);

  if (me === null) {
    return (
      <section class="card narrow">
        <h1>Your profile</h1>
        <p>
          <a href={signInHref(location.pathname + location.search)}>Sign in</a> to see your profile.
        </p>
      </section>
    );
  }

  const errorOf = (field: string) => errors.find((e) => e.path === field)?.message;
  const save = async (body: Record<string, unknown>, done: string) => {
    if (busy) return;
    setBusy(true);
    setErrors([]);
    setStatus(undefined);
    try {
      setMe(await api.patch<User>('/api/me', body));
      setStatus({ kind: 'ok', text: done });
    } catch (error) {
      if (error instanceof ApiError && error.fields.length > 0) {
        // The fields say what is wrong, beside each: the summary names them as the form labels them.
        setErrors(error.fields);
        // The first field to fix, in the form's order, has focus: typing goes on where it must.
        const first = PROFILE_FIELDS.find((field) => error.fields.some((f) => f.path === field));
        if (first !== undefined) queueMicrotask(() => document.getElementById(`profile-${first}`)?.focus());
        const named = error.fields.map((f) => PROFILE_LABELS[f.path as ProfileField] ?? f.path);
        setStatus({ kind: 'error', text: `Not saved: check ${named.join(', ')}.` });
      } else setStatus({ kind: 'error', text: `Not saved: ${messageOf(error)}` });
    } finally {
      setBusy(false);
    }
  };
  const input = (field: ProfileField) => ({
    id: `profile-${field}`,
    'aria-invalid': errorOf(field) !== undefined ? ('true' as const) : undefined,
    'aria-describedby': errorOf(field) !== undefined ? `profile-${field}-error` : undefined,
  });
  const error = (field: ProfileField) =>
    errorOf(field) !== undefined && (
      <p class="field-error" id={`profile-${field}-error`}>
        {PROFILE_LABELS[field]} {errorOf(field)}
      </p>
    );

  return (
    <div class="profile-page">
      <section class="card" aria-labelledby="profile-title">
        <h1 id="profile-title">Your profile</h1>
        <p class="muted">
          Signed in as <strong>{me.username}</strong> ({me.email}). Your email is private; others see your <a href={`/users/${encodeURIComponent(me.username)}`}>public profile</a>.
        </p>
        {status !== undefined && (
          <p class={`notice ${status.kind}`} role={status.kind === 'error' ? 'alert' : 'status'}>
            {status.text}
          </p>
        )}
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            void save({ zip: values.zip, radius: Number(values.radius), website: values.website, about: values.about }, 'Your profile is saved.');
          }}
        >
          <div class="field-row">
            <div class="field">
              <label for="profile-zip">Home zip</label>
              <span class="field-hint">The calendar starts with the leedz within your radius of it, and new ones there are emailed to you. Empty: from anywhere.</span>
              <input type="text" inputMode="numeric" autoComplete="postal-code" value={values.zip} onInput={(e) => setValues({ ...values, zip: (e.target as HTMLInputElement).value })} {...input('zip')} />
              {error('zip')}
            </div>
            <div class="field">
              <label for="profile-radius">Radius</label>
              <span class="field-hint">How far you travel for a gig.</span>
              <select value={values.radius} onChange={(e) => setValues({ ...values, radius: (e.target as HTMLSelectElement).value })} {...input('radius')}>
                {config().radiusMiles.map((miles) => (
                  <option key={miles} value={String(miles)}>
                    {miles} miles
                  </option>
                ))}
              </select>
              {error('radius')}
            </div>
          </div>
          <div class="field">
            <label for="profile-website">Website</label>
            <input type="url" placeholder="https://" value={values.website} onInput={(e) => setValues({ ...values, website: (e.target as HTMLInputElement).value })} {...input('website')} />
            {error('website')}
          </div>
          <div class="field">
            <label for="profile-about">About you</label>
            <span class="field-hint">At most {config().limits.about} characters.</span>
            <textarea value={values.about} onInput={(e) => setValues({ ...values, about: (e.target as HTMLTextAreaElement).value })} {...input('about')} />
            {error('about')}
          </div>
          {/* aria-disabled, not disabled: a disabled button loses its focus to the page, and with it the user's place. */}
          <button type="submit" class="primary" aria-disabled={busy ? 'true' : undefined}>
            {busy ? 'Saving…' : 'Save profile'}
          </button>
        </form>
      </section>
      <section class="card" id="subscriptions" aria-labelledby="subs-title">
        <h2 id="subs-title" ref={subscriptionsTitle} tabIndex={-1}>
          Subscriptions
        </h2>
        <p class="muted small">
          The trades your calendar shows and whose new leedz are emailed to you: {me.subscriptions.length} of at most {config().maxSubscriptions}. Subscribe in the
          trades column of the <a href="/">marketplace</a>.
        </p>
        {errorOf('subscriptions') !== undefined && <p class="field-error">subscriptions {errorOf('subscriptions')}</p>}
        <ul class="plain-list">
          {me.subscriptions.map((trade) => (
            <li key={trade}>
              <span class="swatch" style={{ background: tradeColor(trade, trades) }} aria-hidden="true" />
              <a href={`/trades/${encodeURIComponent(trade)}`}>{trade}</a>
              <button
                type="button"
                class="small"
                disabled={busy}
                onClick={() => void save({ subscriptions: me.subscriptions.filter((t) => t !== trade) }, `Unsubscribed from ${trade}.`).then(() => subscriptionsTitle.current?.focus())}
              >
                Unsubscribe<span class="visually-hidden"> from {trade}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
      <CalendarFeed />
      <ProfileFacts profile={me} />
    </div>
  );
}

function ProfileFacts({ profile }: { profile: PublicProfile }) {
  return (
    <section class="card" aria-labelledby="facts-title">
      <h2 id="facts-title">Badges and counters</h2>
      <ul class="badges">
        {profile.badges.map((badge) => (
          <li key={badge} class="badge">
            <MedalIcon /> {config().badgeNames[badge as BadgeId] ?? `Badge ${badge}`}
          </li>
        ))}
      </ul>
      <dl class="counters">
        <div>
          <dt>Posted</dt>
          <dd>{profile.posted}</dd>
        </div>
        <div>
          <dt>Sold</dt>
          <dd>{profile.sold}</dd>
        </div>
        <div>
          <dt>Bought</dt>
          <dd>{profile.bought}</dd>
        </div>
      </dl>
      <p class="muted small">Counted since joining the Leedz: deleted leedz stay in Posted.</p>
    </section>
  );
}

export function PublicProfilePage({ username }: { username: string }) {
  const { trades } = useSession();
  const [result] = useLoad(() => api.get<PublicProfile>(`/api/users/${encodeURIComponent(username)}`), [username]);
  if (result.state === 'error') {
    return (
      <section class="card narrow">
        <h1>{username}</h1>
        <p class="notice error" role="alert">
          {result.error instanceof ApiError && result.error.status === 404 ? 'There is no vendor with this name.' : messageOf(result.error)}
        </p>
      </section>
    );
  }
  const profile = result.value;
  if (profile === undefined) return <p role="status">Loading…</p>;
  return (
    <div class="profile-page">
      <section class="card" aria-labelledby="public-title">
        <h1 id="public-title">{profile.username}</h1>
        {profile.about ? <p class="about">{profile.about}</p> : <p class="muted">No description yet.</p>}
        {profile.website && (
          <p>
            <a href={profile.website} rel="nofollow noopener" target="_blank">
              {profile.website}
            </a>
          </p>
        )}
        <h2>Trades</h2>
        {profile.subscriptions.length === 0 ? (
          <p class="muted">None yet.</p>
        ) : (
          <ul class="plain-list">
            {profile.subscriptions.map((trade) => (
              <li key={trade}>
                <span class="swatch" style={{ background: tradeColor(trade, trades) }} aria-hidden="true" />
                <a href={`/trades/${encodeURIComponent(trade)}`}>{trade}</a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <ProfileFacts profile={profile} />
    </div>
  );
}
