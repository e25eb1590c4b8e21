/**
 * When asynchronous work fails: retries (Event invocations on their second or third attempt, or
 * waiting for it), dead letters (work that failed for good and had no on-failure destination) with
 * Replay, and the records delivered to destinations.
 */
import { useState } from 'preact/hooks';
import { api, messageOf } from '../shared/api.js';
import { formatCount, formatDateTime, formatLogTime } from '../shared/format.js';
import { usePoll } from '../shared/hooks.js';
import { StatusPill } from './timeline.js';
import { errorText, notRetriable, routeOf, type DeadLetter, type DestinationRecordRow, type Invocation } from './types.js';

function invocationLink(id: string, text?: string) {
  return (
    <a href={`#timeline/${encodeURIComponent(id)}`} class="mono">
      {text ?? id}
    </a>
  );
}

export function Retries() {
  const { value, error } = usePoll(() => api.get<Invocation[]>('/local/invocations?type=Event&limit=1000&withPayload=true'), 1500);
  const retried = (value ?? []).filter((i) => i.attempts > 1 || (i.state === 'queued' && i.attempts > 0));
  return (
    <section aria-labelledby="retries-title">
      <h1 id="retries-title">Retries</h1>
      <p class="muted small">
        Event invocations that failed at least once. The runtime retries a failed event twice (after about 1 and 2 minutes at Lambda’s timings, times <code>LEEDZ_TIME_SCALE</code>), then it goes to the on-failure destination or the dead letters.
      </p>
      {error !== undefined && (
        <p class="notice error" role="alert">
          {messageOf(error)}
        </p>
      )}
      {value !== undefined && retried.length === 0 ? (
        <p class="muted">No retries among the latest 1,000 events.</p>
      ) : (
        <div class="table-wrap">
          <table class="stacked">
            <caption class="visually-hidden">Retried invocations</caption>
            <thead>
              <tr>
                <th scope="col">Function</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Outcome</th>
                <th scope="col">Last error</th>
                <th scope="col">Enqueued</th>
              </tr>
            </thead>
            <tbody>
              {retried.map((i) => (
                <tr key={i.id} data-function={i.function} data-route={routeOf(i) ?? ''}>
                  <td>
                    {invocationLink(i.id, `${i.function}${routeOf(i) ? ` · ${routeOf(i)}` : ''}`)}
                  </td>
                  <td class="num" data-label="attempts">{i.attempts}</td>
                  <td>
                    <StatusPill invocation={i} />
                  </td>
                  <td class="error-text wrap full">{i.error === null ? '—' : errorText(i.error)}</td>
                  <td class="nowrap" data-label="enqueued">{formatLogTime(i.enqueuedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Dead letters the page lists, newest first. */
const DEAD_LETTERS_SHOWN = 200;

export function DeadLetters() {
  // The newest letters, and how many are open in all: the page shows the newest only, Replay all replays every one.
  const polled = usePoll(
    () => Promise.all([api.get<DeadLetter[]>(`/local/dead-letters?includeReplayed=true&limit=${DEAD_LETTERS_SHOWN}`), api.get<{ open: number }>('/local/dead-letters/open')]),
    1500,
  );
  const { error, refresh } = polled;
  const value = polled.value?.[0];
  const openCount = polled.value?.[1].open ?? 0;
  const shownOpen = (value ?? []).filter((d) => d.replayedAs === null).length;
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string; invocationId?: string } | undefined>(undefined);
  const [busy, setBusy] = useState<number | 'all' | undefined>(undefined);

  const replay = async (letter: DeadLetter) => {
    setBusy(letter.id);
    try {
      const { invocationId } = await api.post<{ invocationId: string }>(`/local/dead-letters/${letter.id}/replay`);
      setMessage({ kind: 'ok', text: `Dead letter ${letter.id} replayed as invocation `, invocationId });
    } catch (e) {
      setMessage({ kind: 'error', text: `Dead letter ${letter.id} was not replayed: ${messageOf(e)}` });
    } finally {
      setBusy(undefined);
      refresh();
    }
  };
  const replayAll = async () => {
    setBusy('all');
    try {
      const { replayed } = await api.post<{ replayed: string[] }>('/local/dead-letters/replay-all');
      setMessage({ kind: 'ok', text: `Replayed ${replayed.length} dead ${replayed.length === 1 ? 'letter' : 'letters'}.` });
    } catch (e) {
      setMessage({ kind: 'error', text: `Not replayed: ${messageOf(e)}` });
    } finally {
      setBusy(undefined);
      refresh();
    }
  };

  return (
    <section aria-labelledby="dead-title">
      <div class="section-head">
        <h1 id="dead-title">Dead letters</h1>
        <div class="toolbar">
          <button type="button" class="small" disabled={openCount === 0 || busy !== undefined} onClick={() => void replayAll()}>
            Replay all ({formatCount(openCount)})
          </button>
        </div>
      </div>
      <p class="muted small">Events that failed every attempt (or grew too old) and had no on-failure destination. Replay enqueues the same payload again, with the same idempotency key.</p>
      {openCount > shownOpen && (
        <p class="muted small" data-more-dead-letters>
          The newest {formatCount(DEAD_LETTERS_SHOWN)} are listed: {formatCount(openCount - shownOpen)} more open dead {openCount - shownOpen === 1 ? 'letter is' : 'letters are'} not (<code>leedz dlq list --limit N</code> lists them). Replay all replays every one.
        </p>
      )}
      <p class={message === undefined ? 'visually-hidden' : `notice ${message.kind}`} role="status" aria-live="polite">
        {message?.text}
        {message?.invocationId !== undefined && invocationLink(message.invocationId)}
        {message?.invocationId !== undefined && '.'}
      </p>
      {error !== undefined && (
        <p class="notice error" role="alert">
          {messageOf(error)}
        </p>
      )}
      {value !== undefined && value.length === 0 ? (
        <p class="muted">No dead letters.</p>
      ) : (
        <div class="table-wrap">
          <table class="dead-letters stacked">
            <caption class="visually-hidden">Dead letters, newest first</caption>
            <thead>
              <tr>
                <th scope="col" class="num">
                  #
                </th>
                <th scope="col">Function</th>
                <th scope="col">Condition</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Error</th>
                <th scope="col">Failed</th>
                <th scope="col">Replay</th>
              </tr>
            </thead>
            <tbody>
              {(value ?? []).map((d) => (
                <tr key={d.id} data-dead-letter={d.id}>
                  <td class="num" data-label="#">{d.id}</td>
                  <td>{invocationLink(d.invocationId, `${d.function}${routeOf({ payload: d.record.requestPayload }) ? ` · ${routeOf({ payload: d.record.requestPayload })}` : ''}`)}</td>
                  <td>
                    <span class="pill error">{d.condition}</span>
                    {/* RetriesExhausted after one attempt reads as a contradiction without this (the same record Lambda gets: docs/lambda-parity.md). */}
                    {notRetriable(d.record.responsePayload) && <div class="muted small">not retriable: no retry</div>}
                  </td>
                  <td class="num" data-label="attempts">{d.attempts}</td>
                  {/* An event that never ran (too old, no concurrency) has no response: its condition says why. */}
                  <td class="error-text wrap full">{errorText(d.record.responsePayload) || (d.attempts === 0 ? 'did not run' : '—')}</td>
                  <td class="nowrap" data-label="failed">{formatDateTime(d.failedAt)}</td>
                  <td>
                    {d.replayedAs === null ? (
                      <button type="button" class="small primary" disabled={busy !== undefined} onClick={() => void replay(d)}>
                        Replay<span class="visually-hidden"> dead letter {d.id}</span>
                      </button>
                    ) : (
                      <span class="small">replayed as {invocationLink(d.replayedAs)}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function Destinations() {
  const { value, error } = usePoll(() => api.get<DestinationRecordRow[]>('/local/destination-records?limit=200'), 2000);
  return (
    <section aria-labelledby="destinations-title">
      <h1 id="destinations-title">Destination records</h1>
      <p class="muted small">The records Lambda sends to an asynchronous invocation’s on-success or on-failure destination, as delivered.</p>
      {error !== undefined && (
        <p class="notice error" role="alert">
          {messageOf(error)}
        </p>
      )}
      {value !== undefined && value.length === 0 ? (
        <p class="muted">No destination records: no function has an on-success or on-failure destination that fired.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Destination records, newest first</caption>
            <thead>
              <tr>
                <th scope="col" class="num">
                  #
                </th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Condition</th>
                <th scope="col">Delivered as</th>
                <th scope="col">At</th>
                <th scope="col">Record</th>
              </tr>
            </thead>
            <tbody>
              {(value ?? []).map((r) => (
                <tr key={r.id}>
                  <td class="num">{r.id}</td>
                  <td>{invocationLink(r.invocationId, r.function)}</td>
                  <td>{r.destination}</td>
                  <td>
                    <span class={`pill ${r.condition === 'Success' ? 'ok' : 'error'}`}>{r.condition}</span>
                  </td>
                  <td>{r.deliveredAs === null ? <span class="muted">not yet</span> : invocationLink(r.deliveredAs)}</td>
                  <td class="nowrap">{formatDateTime(r.createdAt)}</td>
                  <td>
                    <details>
                      <summary>JSON</summary>
                      <pre class="json">{JSON.stringify(r.record, null, 2)}</pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
