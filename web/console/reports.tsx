/**
 * Moderation (`/api/ops/reports`, behind the operator's session): the open reports, each with the
 * leed it is about, who reported it and why; Dismiss, or Take down (confirmed first), which emails
 * the poster and tells the vendors who were emailed about the leed that it is withdrawn. Resolved
 * reports are listed below. There is no console on AWS: there, reports reach the admin by email.
 */
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ReportView } from '../../src/leedz/ports.js';
import { api, ApiError, messageOf } from '../shared/api.js';
import { formatCents, formatDateTime } from '../shared/format.js';
import { usePoll } from '../shared/hooks.js';

export function Reports() {
  const [which, setWhich] = useState<'open' | 'closed'>('open');
  const { value, error, refresh } = usePoll(() => api.get<{ reports: ReportView[] }>(`/api/ops/reports?which=${which}`), 5000, { deps: [which], appEndpoint: true });
  // The framework's example has no marketplace, so nothing to moderate (its 404 is not the session's).
  const unavailable = error instanceof ApiError && error.status === 404 && !error.answered;
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [confirming, setConfirming] = useState<string | undefined>(undefined);
  const reports = value?.reports ?? [];

  const resolve = async (report: ReportView, action: 'dismiss' | 'take-down') => {
    setBusy(report.id);
    setMessage(undefined);
    try {
      await api.post(`/api/ops/reports/${encodeURIComponent(report.id)}/resolve`, { action });
      const title = report.leed?.title ?? report.leedId;
      setMessage({
        kind: 'ok',
        text: action === 'dismiss' ? `Report on “${title}” dismissed.` : `“${title}” is taken down: its poster is emailed, and the vendors who were told about it hear it is withdrawn.`,
      });
    } catch (e) {
      setMessage({ kind: 'error', text: `Not done: ${messageOf(e)}` });
    } finally {
      setBusy(undefined);
      setConfirming(undefined);
      refresh();
    }
  };

  return (
    <section aria-labelledby="reports-title">
      <div class="section-head">
        <h1 id="reports-title">Reports</h1>
        <div class="toolbar" role="group" aria-label="Which reports">
          <button type="button" class="small" aria-pressed={which === 'open'} onClick={() => setWhich('open')}>
            Open
          </button>
          <button type="button" class="small" aria-pressed={which === 'closed'} onClick={() => setWhich('closed')}>
            Resolved
          </button>
        </div>
      </div>
      <p class="muted small">Leedz that vendors reported. Take one down when it breaks the rules: it is deleted, its poster is emailed, and the vendors who were emailed about it are told it is withdrawn.</p>
      <p class={message === undefined ? 'visually-hidden' : `notice ${message.kind}`} role="status" aria-live="polite">
        {message?.text ?? ''}
      </p>
      {unavailable ? (
        <p class="notice info">This server has no reports to moderate: the framework’s example has no marketplace.</p>
      ) : (
        error !== undefined && (
          <p class="notice error" role="alert">
            {messageOf(error)}
          </p>
        )
      )}
      {unavailable ? null : value !== undefined && reports.length === 0 ? (
        <p class="muted">{which === 'open' ? 'No open reports.' : 'No resolved reports yet.'}</p>
      ) : (
        <ul class="reports">
          {reports.map((report) => (
            <li key={report.id} class="card report" data-report={report.id}>
              <h2>
                {report.leed === null ? (
                  <span>Leed {report.leedId} (no longer exists)</span>
                ) : (
                  <a href={`/leedz/${encodeURIComponent(report.trade)}/${encodeURIComponent(report.leedId)}`} target="_blank" rel="noopener">
                    {report.leed.title}
                  </a>
                )}
              </h2>
              <dl class="fields compact">
                <dt>Reason</dt>
                <dd class="report-reason">{report.reason}</dd>
                <dt>Reported by</dt>
                <dd>
                  {report.reporter}, {formatDateTime(report.createdAt)}
                </dd>
                {report.leed !== null && (
                  <>
                    <dt>Leed</dt>
                    <dd>
                      {report.trade} · {report.leed.status} · posted by {report.leed.creator} · {report.leed.price === 0 ? 'free' : formatCents(report.leed.price)}
                      <br />
                      {report.leed.when} · {report.leed.location}
                      {report.leed.details === null ? null : (
                        <>
                          <br />
                          <span class="muted">{report.leed.details}</span>
                        </>
                      )}
                    </dd>
                  </>
                )}
                {report.status !== 'open' && (
                  <>
                    <dt>Decision</dt>
                    <dd>
                      <span class={`pill ${report.status === 'taken-down' ? 'error' : ''}`}>{report.status === 'taken-down' ? 'Taken down' : 'Dismissed'}</span>
                      {report.resolvedAt === null ? '' : ` ${formatDateTime(report.resolvedAt)}`}
                    </dd>
                  </>
                )}
              </dl>
              {report.status === 'open' &&
                (confirming === report.id ? (
                  <ConfirmTakeDown report={report} busy={busy === report.id} onConfirm={() => void resolve(report, 'take-down')} onCancel={() => setConfirming(undefined)} />
                ) : (
                  <div class="actions">
                    <button type="button" class="danger" disabled={busy !== undefined || report.leed?.status !== 'active'} onClick={() => setConfirming(report.id)}>
                      Take down<span class="visually-hidden"> “{report.leed?.title}”</span>
                    </button>
                    <button type="button" disabled={busy !== undefined} onClick={() => void resolve(report, 'dismiss')}>
                      Dismiss<span class="visually-hidden"> the report on “{report.leed?.title ?? report.leedId}”</span>
                    </button>
                  </div>
                ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ConfirmTakeDown({ report, busy, onConfirm, onCancel }: { report: ReportView; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const confirmRef = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => confirmRef.current?.focus(), []);
  return (
    <div class="notice warn" role="group" aria-labelledby={`confirm-${report.id}`}>
      <p id={`confirm-${report.id}`}>
        Take “{report.leed?.title}” down? It is deleted for good, and {report.leed?.creator} is emailed.
      </p>
      <div class="actions">
        <button type="button" class="danger" ref={confirmRef} disabled={busy} onClick={onConfirm}>
          Take it down
        </button>
        <button type="button" onClick={onCancel}>
          Keep it
        </button>
      </div>
    </div>
  );
}
