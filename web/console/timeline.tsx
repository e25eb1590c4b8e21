/**
 * The live invocation timeline: the latest invocations as a tree — a request-response function,
 * under it the controller work it handed off (Event), under that what the controller invoked — each
 * with its type, outcome (an HTTP answer's status beside it), attempts, duration and a bar from
 * enqueue through run on a shared time axis. It searches the whole log, not only the latest page: by
 * id, payload text, function, outcome, HTTP class and time, older page by older page. Selecting one
 * shows its payload, its answer, error, failed attempts and links to its parent, children and
 * replays, and replays it.
 */
import { useMemo, useState } from 'preact/hooks';
import { api, messageOf } from '../shared/api.js';
import { formatDuration, formatLogTime, pad } from '../shared/format.js';
import { usePoll } from '../shared/hooks.js';
import { errorText, routeOf, type FunctionInfo, type Invocation, type InvocationDetail } from './types.js';

const LIMIT = 200;

export function StatusPill({ invocation }: { invocation: Pick<Invocation, 'state' | 'outcome' | 'attempts' | 'type'> & Partial<Pick<Invocation, 'httpStatus'>> }) {
  const { state, outcome } = invocation;
  const status = invocation.httpStatus ?? null;
  // A function that answered an HTTP request succeeded as a function; its answer may still be a failure.
  if (outcome === 'Success' && status !== null) {
    return <span class={`pill ${status >= 500 ? 'error' : status >= 400 ? 'warn' : 'ok'}`} title={`the function answered HTTP ${status}`}>HTTP {status}</span>;
  }
  if (outcome === 'Success') return <span class="pill ok">Success</span>;
  if (outcome !== null) return <span class="pill error">{outcome}</span>;
  if (state === 'running') return <span class="pill info">running</span>;
  if (state === 'queued') return <span class="pill warn">{invocation.attempts > 0 ? `retry ${invocation.attempts + 1} waiting` : 'queued'}</span>;
  return <span class="pill">{state}</span>;
}

interface Row {
  invocation: Invocation;
  depth: number;
  /** The parent is not among the rows shown (older than the page). */
  orphan: boolean;
}

/** Newest first, each followed by the work it caused (oldest first), depth-first. */
function treeRows(list: Invocation[]): Row[] {
  const byId = new Map(list.map((i) => [i.id, i]));
  const children = new Map<string, Invocation[]>();
  const roots: Invocation[] = [];
  for (const invocation of list) {
    if (invocation.parentId !== null && byId.has(invocation.parentId)) {
      let siblings = children.get(invocation.parentId);
      if (siblings === undefined) children.set(invocation.parentId, (siblings = []));
      siblings.push(invocation);
    } else roots.push(invocation);
  }
  const rows: Row[] = [];
  const visit = (invocation: Invocation, depth: number) => {
    rows.push({ invocation, depth, orphan: depth === 0 && invocation.parentId !== null });
    const kids = (children.get(invocation.id) ?? []).sort((a, b) => a.enqueuedAt.localeCompare(b.enqueuedAt) || a.id.localeCompare(b.id));
    for (const child of kids) visit(child, depth + 1);
  };
  for (const root of roots) visit(root, 0);
  return rows;
}

/** A `datetime-local` value (the browser's zone) as epoch milliseconds, or undefined. */
function instantOf(local: string): number | undefined {
  const ms = local === '' ? NaN : new Date(local).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/** What a search's text is: an invocation id (or the start of one), else text its payload holds. */
const ID_PREFIX = /^[0-9a-f]{8}(-[0-9a-f-]{0,27})?$/i;

export function Timeline({ selectedId }: { selectedId: string | undefined }) {
  const [live, setLive] = useState(true);
  const [fn, setFn] = useState('');
  const [outcome, setOutcome] = useState('');
  const [type, setType] = useState('');
  const [http, setHttp] = useState('');
  const [text, setText] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  /** The pages before this one, by the id each began after (undefined: the newest). */
  const [pages, setPages] = useState<(string | undefined)[]>([]);
  const before = pages.at(-1);
  const query = new URLSearchParams({ limit: String(LIMIT), withPayload: 'true' });
  if (fn !== '') query.set('function', fn);
  if (outcome !== '') query.set('outcome', outcome);
  if (type !== '') query.set('type', type);
  if (http !== '') query.set('http', http);
  const search = text.trim();
  if (search !== '') query.set(ID_PREFIX.test(search) ? 'id' : 'text', search);
  const fromMs = instantOf(from);
  const toMs = instantOf(to);
  if (fromMs !== undefined) query.set('from', String(fromMs));
  if (toMs !== undefined) query.set('to', String(toMs + 59_999));
  if (before !== undefined) query.set('before', before);
  // An older page holds still: only the newest page is live.
  const following = live && before === undefined;
  const { value: invocations, error } = usePoll(() => api.get<Invocation[]>(`/local/invocations?${query}`), 1000, { active: following, deps: [query.toString()] });
  const filtering = fn !== '' || outcome !== '' || type !== '' || http !== '' || search !== '' || fromMs !== undefined || toMs !== undefined;
  const resetPages = <T,>(set: (value: T) => void) => (value: T) => {
    setPages([]);
    set(value);
  };
  const { value: functions } = usePoll(() => api.get<FunctionInfo[]>('/local/functions'), 60_000);
  const rows = useMemo(() => treeRows(invocations ?? []), [invocations]);
  const span = useMemo(() => {
    const list = invocations ?? [];
    if (list.length === 0) return { from: 0, to: 1 };
    const from = Math.min(...list.map((i) => Date.parse(i.enqueuedAt)));
    const to = Math.max(Date.now(), ...list.map((i) => Date.parse(i.endedAt ?? i.startedAt ?? i.enqueuedAt)));
    return { from, to: Math.max(to, from + 1) };
  }, [invocations]);

  return (
    <div class={`timeline-layout${selectedId ? ' with-detail' : ''}`}>
      <section aria-labelledby="timeline-title" class="timeline">
        <div class="section-head">
          <h1 id="timeline-title">Invocations</h1>
          <div class="toolbar">
            <label class="inline search">
              Search
              <input
                type="search"
                value={text}
                placeholder="id or payload text"
                aria-label="Search the log"
                aria-describedby="search-hint"
                onInput={(e) => resetPages(setText)((e.target as HTMLInputElement).value)}
              />
            </label>
            <label class="inline">
              Function
              <select aria-label="Function" value={fn} onChange={(e) => resetPages(setFn)((e.target as HTMLSelectElement).value)}>
                <option value="">all</option>
                {(functions ?? []).map((f) => (
                  <option key={f.name} value={f.name}>
                    {f.name}
                  </option>
                ))}
              </select>
            </label>
            <label class="inline">
              Type
              <select value={type} onChange={(e) => resetPages(setType)((e.target as HTMLSelectElement).value)}>
                <option value="">all</option>
                <option value="RequestResponse">RequestResponse</option>
                <option value="Event">Event</option>
              </select>
            </label>
            <label class="inline">
              Outcome
              <select value={outcome} onChange={(e) => resetPages(setOutcome)((e.target as HTMLSelectElement).value)}>
                <option value="">all</option>
                {['Success', 'FunctionError', 'RetriesExhausted', 'EventAgeExceeded', 'RecursiveInvocationException', 'ZeroReservedConcurrency'].map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            </label>
            <label class="inline">
              HTTP
              <select aria-label="HTTP answers" value={http} onChange={(e) => resetPages(setHttp)((e.target as HTMLSelectElement).value)}>
                <option value="">all</option>
                <option value="error">4xx and 5xx</option>
                <option value="4xx">4xx</option>
                <option value="5xx">5xx</option>
                <option value="2xx">2xx</option>
              </select>
            </label>
            <label class="inline">
              From
              <input type="datetime-local" value={from} onInput={(e) => resetPages(setFrom)((e.target as HTMLInputElement).value)} />
            </label>
            <label class="inline">
              To
              <input type="datetime-local" value={to} onInput={(e) => resetPages(setTo)((e.target as HTMLInputElement).value)} />
            </label>
            <button type="button" class="small" aria-pressed={live} onClick={() => setLive(!live)}>
              {live ? 'Pause' : 'Resume'}
              <span class="visually-hidden"> live updates</span>
            </button>
          </div>
        </div>
        <p class="muted small" id="search-hint">
          {before === undefined ? `The latest ${LIMIT} invocations` : `Page ${pages.length + 1}: ${LIMIT} older invocations`}
          {filtering ? ' that match' : ''}
          {following ? ', live' : before === undefined ? ' (paused)' : ''}. Search takes an id (or its start) or text the payload contains. Work a function handed off is listed under it, indented; ↳
          marks a child, ↻ a replay.
        </p>
        {error !== undefined && (
          <p class="notice error" role="alert">
            {messageOf(error)}
          </p>
        )}
        <div class="table-wrap">
          <table class="invocations stacked">
            <caption class="visually-hidden">Invocations, newest first, each followed by the work it caused</caption>
            <thead>
              <tr>
                <th scope="col">Function</th>
                <th scope="col">Type</th>
                <th scope="col">Outcome</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col" class="num">
                  Duration
                </th>
                <th scope="col">Enqueued</th>
                <th scope="col" class="bar-col">
                  <span class="visually-hidden">Time: waiting, then running</span>
                  <span aria-hidden="true">Queue → run</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ invocation: i, depth, orphan }) => (
                <tr key={i.id} class={i.id === selectedId ? 'selected' : undefined} data-function={i.function} data-route={routeOf(i) ?? ''} data-outcome={i.outcome ?? i.state}>
                  <td class="fn-cell" style={{ paddingLeft: `${0.6 + depth * 1.1}rem` }}>
                    {depth > 0 && (
                      <span class="child-mark" aria-label="caused by the row above">
                        ↳{' '}
                      </span>
                    )}
                    {orphan && (
                      <a class="child-mark" href={`#timeline/${encodeURIComponent(i.parentId!)}`} title="its parent is older than this page">
                        ↖{' '}
                      </a>
                    )}
                    {i.replayOf !== null && (
                      <span class="replay-mark" title={`replay of ${i.replayOf}`}>
                        ↻{' '}
                      </span>
                    )}
                    <a href={`#timeline/${encodeURIComponent(i.id)}`} class="fn-link" aria-current={i.id === selectedId ? 'true' : undefined}>
                      {i.function}
                      {routeOf(i) !== undefined && <span class="route"> · {routeOf(i)}</span>}
                    </a>
                    {i.replayOf !== null && <span class="visually-hidden"> (replay)</span>}
                  </td>
                  <td>{i.type === 'RequestResponse' ? 'Request' : 'Event'}</td>
                  <td>
                    <StatusPill invocation={i} />
                  </td>
                  <td class="num" data-label="attempts">
                    {i.attempts > 1 ? <strong>{i.attempts}</strong> : i.attempts}
                  </td>
                  <td class="num" data-label="took">
                    {formatDuration(i.durationMs)}
                  </td>
                  <td class="nowrap" data-label="at">
                    {formatLogTime(i.enqueuedAt)}
                  </td>
                  <td class="bar-col">
                    <TimeBar invocation={i} from={span.from} to={span.to} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {invocations !== undefined && rows.length === 0 && (
          <p class="muted">{filtering || before !== undefined ? 'No invocations match.' : 'No invocations yet. Use the marketplace, and they appear here.'}</p>
        )}
        <nav class="pager" aria-label="Pages of the log">
          <button type="button" class="small" disabled={before === undefined} onClick={() => setPages([])}>
            Newest
          </button>
          <button type="button" class="small" disabled={pages.length === 0} onClick={() => setPages(pages.slice(0, -1))}>
            ← Newer
          </button>
          <button type="button" class="small" disabled={(invocations?.length ?? 0) < LIMIT} onClick={() => setPages([...pages, invocations!.at(-1)!.id])}>
            Older →
          </button>
        </nav>
      </section>
      {selectedId !== undefined && <InvocationPanel id={selectedId} />}
    </div>
  );
}

function TimeBar({ invocation, from, to }: { invocation: Invocation; from: number; to: number }) {
  const width = 160;
  const x = (t: number) => ((t - from) / (to - from)) * width;
  const enq = Date.parse(invocation.enqueuedAt);
  const start = invocation.startedAt === null ? undefined : Date.parse(invocation.startedAt);
  const end = invocation.endedAt === null ? undefined : Date.parse(invocation.endedAt);
  const waitEnd = start ?? (invocation.state === 'queued' ? to : enq);
  const color = invocation.outcome === 'Success' ? '#15803d' : invocation.outcome !== null ? '#b42318' : '#1d4ed8';
  return (
    <svg width={width} height="12" viewBox={`0 0 ${width} 12`} aria-hidden="true" class="time-bar">
      <line x1="0" x2={width} y1="6" y2="6" stroke="#e3e6eb" />
      <rect x={x(enq)} y="4" width={Math.max(1, x(waitEnd) - x(enq))} height="4" fill="#9aa3af" />
      {start !== undefined && <rect x={x(start)} y="2" width={Math.max(2, x(end ?? to) - x(start))} height="8" rx="1" fill={color} />}
    </svg>
  );
}

/** "22:16:05.031": to the millisecond, in the browser's zone. */
function preciseTime(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** The payload without secrets a screen has no need to show (a request's session token). */
function redacted(payload: unknown): unknown {
  if (typeof payload !== 'object' || payload === null || !('token' in payload)) return payload;
  return { ...payload, token: '(redacted)' };
}

function InvocationPanel({ id }: { id: string }) {
  const { value: detail, error } = usePoll(() => api.get<InvocationDetail>(`/local/invocations/${encodeURIComponent(id)}`), 1500, { deps: [id] });
  const [replay, setReplay] = useState<{ busy: boolean; message?: string; failed?: boolean; invocationId?: string }>({ busy: false });
  const replayNow = async () => {
    setReplay({ busy: true });
    try {
      const result = await api.post<{ statusCode: number; requestId?: string; functionError?: string }>(`/local/invocations/${encodeURIComponent(id)}/replay`);
      setReplay({
        busy: false,
        ...(result.requestId === undefined ? {} : { invocationId: result.requestId }),
        message: result.statusCode === 202 ? 'Queued as a new event.' : result.functionError !== undefined ? 'Ran again, and failed.' : 'Ran again.',
      });
    } catch (failure) {
      setReplay({ busy: false, failed: true, message: messageOf(failure) });
    }
  };
  const { value: children } = usePoll(() => api.get<Invocation[]>(`/local/invocations?parentId=${encodeURIComponent(id)}&limit=100&withPayload=true`), 1500, { deps: [id] });
  return (
    <aside class="invocation-detail card" aria-labelledby="invocation-title">
      <div class="detail-head">
        <h2 id="invocation-title" tabIndex={-1}>
          {detail ? `${detail.function}${routeOf(detail) ? ` · ${routeOf(detail)}` : ''}` : 'Invocation'}
        </h2>
        <a class="button small" href="#timeline" aria-label="Close the invocation">
          <span aria-hidden="true">✕</span>
        </a>
      </div>
      {error !== undefined && detail === undefined && (
        <p class="notice error" role="alert">
          {messageOf(error)}
        </p>
      )}
      {detail !== undefined && (
        <>
          <p class="detail-status">
            <StatusPill invocation={detail} />{' '}
            {/* Replayed before: the button says so, as the list below does ("Replayed as"). */}
            <button type="button" class="small" disabled={replay.busy || !detail.replayable} onClick={replayNow}>
              {replay.busy ? 'Replaying…' : detail.replayedAs.length > 0 ? 'Replay again' : 'Replay'}
            </button>
          </p>
          {!detail.replayable && <p class="muted small">Not replayable: {detail.notReplayable ?? 'the log did not keep its payload whole'}. Invoke it again from its caller.</p>}
          {replay.message !== undefined && (
            <p class={`notice ${replay.failed ? 'error' : 'ok'}`} role="status">
              {replay.message}{' '}
              {replay.invocationId !== undefined && <a href={`#timeline/${encodeURIComponent(replay.invocationId)}`}>Show the replay</a>}
            </p>
          )}
          <dl class="fields compact">
            <dt>Id</dt>
            <dd class="mono">{detail.id}</dd>
            <dt>Type</dt>
            <dd>{detail.type}</dd>
            {detail.httpStatus !== null && (
              <>
                <dt>HTTP status</dt>
                <dd>
                  <strong class={detail.httpStatus >= 400 ? 'error-text' : undefined}>{detail.httpStatus}</strong>
                </dd>
              </>
            )}
            <dt>Attempts</dt>
            <dd>
              {detail.attempts}
              {detail.throttles > 0 ? ` (throttled ${detail.throttles}×)` : ''}
            </dd>
            <dt>Duration</dt>
            <dd>{formatDuration(detail.durationMs)}</dd>
            <dt>Enqueued</dt>
            <dd>{preciseTime(detail.enqueuedAt)}</dd>
            {detail.startedAt !== null && (
              <>
                <dt>Started</dt>
                <dd>{preciseTime(detail.startedAt)}</dd>
              </>
            )}
            <dt>Caused by</dt>
            <dd>{detail.parentId === null ? <span class="muted">nothing (an outside call)</span> : <a href={`#timeline/${encodeURIComponent(detail.parentId)}`}>{detail.parentId}</a>}</dd>
            {detail.replayOf !== null && (
              <>
                <dt>Replay of</dt>
                <dd>
                  <a href={`#timeline/${encodeURIComponent(detail.replayOf)}`}>{detail.replayOf}</a>
                </dd>
              </>
            )}
            {detail.replayedAs.length > 0 && (
              <>
                <dt>Replayed as</dt>
                <dd class="replayed-as">
                  {detail.replayedAs.map((replayId) => (
                    <a key={replayId} href={`#timeline/${encodeURIComponent(replayId)}`}>
                      {replayId}
                    </a>
                  ))}
                </dd>
              </>
            )}
            <dt>Trace</dt>
            <dd class="mono">{detail.traceId ?? '—'}</dd>
            <dt>Hop</dt>
            <dd>{detail.hop}</dd>
            {detail.idempotencyKey !== null && (
              <>
                <dt>Idempotency key</dt>
                <dd class="mono">{detail.idempotencyKey}</dd>
              </>
            )}
          </dl>
          <h3>Caused</h3>
          {children === undefined || children.length === 0 ? (
            <p class="muted small">No work handed off.</p>
          ) : (
            <ul class="child-list">
              {children.map((c) => (
                <li key={c.id}>
                  <a href={`#timeline/${encodeURIComponent(c.id)}`}>
                    {c.function}
                    {routeOf(c) ? ` · ${routeOf(c)}` : ''}
                  </a>{' '}
                  <StatusPill invocation={c} />
                </li>
              ))}
            </ul>
          )}
          {detail.error !== null && (
            <>
              <h3>Error</h3>
              <pre class="error-box">{errorText(detail.error)}</pre>
            </>
          )}
          {detail.failedAttempts.length > 0 && (
            <>
              <h3>Failed attempts</h3>
              <ol class="attempts">
                {detail.failedAttempts.map((a) => (
                  <li key={a.attempt}>
                    <strong>Attempt {a.attempt}</strong> at {formatLogTime(a.startedAt)}: <span class="error-text">{errorText(a.error)}</span>
                  </li>
                ))}
              </ol>
            </>
          )}
          {detail.response !== undefined && (
            <details open={detail.httpStatus !== null && detail.httpStatus >= 400}>
              <summary>{detail.httpStatus === null ? 'Result' : 'Answer'}</summary>
              <pre class="json" data-testid="invocation-response">
                {JSON.stringify(detail.response, null, 2)}
              </pre>
            </details>
          )}
          <details>
            <summary>Payload</summary>
            <pre class="json">{JSON.stringify(redacted(detail.payload), null, 2)}</pre>
          </details>
        </>
      )}
    </aside>
  );
}
