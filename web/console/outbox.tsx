/**
 * The email outbox (`/api/dev/outbox`): every email the marketplace sent, newest first, and the
 * selected one rendered as its recipient would see it, in a sandboxed iframe (no scripts, its own
 * origin). Its links open in this tab, as they would from a mail client: a magic link signs this
 * browser in, "View the leed" opens the leed. With SMTP set up, each email also says what the SMTP
 * server made of it: one it refused is listed here all the same, and must not pass for sent.
 */
import { useState } from 'preact/hooks';
import { EMAIL_KINDS, listUnsubscribeUrl } from '../../src/leedz/emails/kinds.js';
import { api, ApiError, messageOf } from '../shared/api.js';
import { formatDateTime } from '../shared/format.js';
import { usePoll } from '../shared/hooks.js';
import type { OutboxEmail } from './types.js';

/** What the SMTP server made of an email, in the list: nothing when it took it (or there is no SMTP). */
function SmtpPill({ email }: { email: OutboxEmail }) {
  if (email.smtp === undefined || email.smtp.outcome === 'accepted') return null;
  return email.smtp.outcome === 'refused' ? <span class="pill error">SMTP refused</span> : <span class="pill warn">not sent yet</span>;
}

/** What the SMTP server made of the selected email, in words. */
function smtpWords(smtp: NonNullable<OutboxEmail['smtp']>): string {
  const when = formatDateTime(smtp.at);
  if (smtp.outcome === 'accepted') return `accepted by the SMTP server, ${when}`;
  if (smtp.outcome === 'refused') return `refused for good, ${when}: ${smtp.detail ?? ''} — not tried again, and the address is suppressed for bulk mail`;
  return `not sent, ${when}: ${smtp.detail ?? ''} — emailHelper tries again until its retries run out (then see Failures)`;
}

/** The Outbox tab: the emails sent, filtered by recipient and kind, the selected one as its recipient sees it. */
export function Outbox({ selectedId }: { selectedId: string | undefined }) {
  const [to, setTo] = useState('');
  const [kind, setKind] = useState('');
  const [showText, setShowText] = useState(false);
  const query = new URLSearchParams({ limit: '100' });
  if (to.trim() !== '') query.set('to', to.trim());
  if (kind !== '') query.set('kind', kind);
  const { value, error } = usePoll(() => api.get<{ emails: OutboxEmail[]; total: number }>(`/api/dev/outbox?${query}`), 1500, { deps: [query.toString()], appEndpoint: true });
  const emails = value?.emails ?? [];
  const selected = emails.find((e) => String(e.id) === selectedId) ?? (selectedId === undefined ? emails[0] : undefined);
  const unavailable = error instanceof ApiError && error.status === 404;
  const unsubscribeLink = listUnsubscribeUrl(selected?.headers);

  return (
    <section aria-labelledby="outbox-title">
      <div class="section-head">
        <h1 id="outbox-title">Email outbox</h1>
        <div class="toolbar">
          <label class="inline">
            To
            <input type="search" value={to} placeholder="any address" onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
          </label>
          <label class="inline">
            Kind
            <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
              <option value="">all</option>
              {EMAIL_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {unavailable ? (
        <p class="notice info">This server keeps no email outbox to show: the framework’s example sends no email, and the aws-local profile sends through its SES emulator.</p>
      ) : error !== undefined ? (
        <p class="notice error" role="alert">
          {messageOf(error)}
        </p>
      ) : null}
      {value !== undefined && (
        <p class="muted small">
          {value.total} {value.total === 1 ? 'email' : 'emails'}
          {value.total > emails.length ? `, the latest ${emails.length} listed` : ''}. Every email is kept here, also when SMTP sends it on: one the SMTP server refused is marked.
        </p>
      )}
      <div class="outbox" hidden={unavailable}>
        <ul class="email-list" aria-label="Emails, newest first">
          {emails.map((email) => (
            <li key={email.id}>
              <a href={`#outbox/${email.id}`} class="email-item" aria-current={selected?.id === email.id ? 'true' : undefined}>
                <span class="email-subject">{email.subject}</span>
                <span class="email-meta">
                  <span class="email-to">{email.to}</span>
                  <span class="pill">{email.kind}</span>
                  <SmtpPill email={email} />
                </span>
                <span class="email-time">{formatDateTime(email.createdAt)}</span>
              </a>
            </li>
          ))}
          {value !== undefined && emails.length === 0 && <li class="muted">No emails{to || kind ? ' match' : ' yet'}.</li>}
        </ul>
        {selected !== undefined && (
          <article class="email-view card" aria-labelledby="email-subject">
            <h2 id="email-subject">{selected.subject}</h2>
            <dl class="fields compact">
              <dt>To</dt>
              <dd>{selected.to}</dd>
              <dt>Kind</dt>
              <dd>{selected.kind}</dd>
              <dt>Sent</dt>
              <dd>{formatDateTime(selected.createdAt)}</dd>
              {selected.smtp !== undefined && (
                <>
                  <dt>SMTP</dt>
                  <dd class={selected.smtp.outcome === 'accepted' ? undefined : 'error-text'}>{smtpWords(selected.smtp)}</dd>
                </>
              )}
              <dt>Message-ID</dt>
              <dd class="mono">{selected.messageId}</dd>
              {unsubscribeLink !== undefined && (
                <>
                  <dt>Unsubscribe</dt>
                  <dd>
                    {/* A mail app POSTs to it (RFC 8058); opened here it leads to the web app's confirmation. */}
                    <a href={unsubscribeLink}>the one-click link of List-Unsubscribe</a>
                  </dd>
                </>
              )}
            </dl>
            <div class="actions">
              <button type="button" class="small" aria-pressed={showText} onClick={() => setShowText(!showText)}>
                {showText ? 'Show HTML' : 'Show plain text'}
              </button>
            </div>
            {showText ? (
              <pre class="email-text">{selected.text}</pre>
            ) : (
              <iframe
                key={selected.id}
                class="email-frame"
                title={`Email: ${selected.subject}`}
                sandbox="allow-top-navigation-by-user-activation"
                referrerpolicy="no-referrer"
                src={`/api/dev/outbox/${encodeURIComponent(selected.id)}?format=html`}
              />
            )}
          </article>
        )}
      </div>
    </section>
  );
}
