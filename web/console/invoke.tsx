/**
 * Send an event or a request to any function, as a developer would from the CLI: the function's
 * input schema and an example payload (`/local/functions/:name`, derived from its definition) fill
 * the form; Send invokes it through the runtime (`POST /local/invoke/:name`), and the answer, or the
 * new event's id, links to its row of the timeline.
 */
import { useEffect, useState } from 'preact/hooks';
import type { FunctionDetail } from '../../src/runtime/views.js';
import { api, messageOf } from '../shared/api.js';
import { usePoll } from '../shared/hooks.js';
import type { FunctionInfo } from './types.js';

interface InvokeAnswer {
  statusCode: number;
  requestId?: string;
  functionError?: string;
  payload?: unknown;
}

export function Invoke({ selected }: { selected: string | undefined }) {
  const { value: functions, error: listError } = usePoll(() => api.get<FunctionInfo[]>('/local/functions'), 60_000);
  const name = selected ?? functions?.[0]?.name;
  const [detail, setDetail] = useState<FunctionDetail | undefined>(undefined);
  const [route, setRoute] = useState(0);
  const [type, setType] = useState<'Event' | 'RequestResponse'>('Event');
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [answer, setAnswer] = useState<InvokeAnswer | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (name === undefined) return;
    let current = true;
    setAnswer(undefined);
    setProblem(undefined);
    api.get<FunctionDetail>(`/local/functions/${encodeURIComponent(name)}`).then(
      (found) => {
        if (!current) return;
        setDetail(found);
        setRoute(0);
        // A controller is invoked with Event, as its callers do; a function answers a request.
        setType(found.kind === 'controller' ? 'Event' : 'RequestResponse');
        setText(JSON.stringify(found.inputs[0]?.example ?? {}, null, 2));
      },
      (failure: unknown) => current && setProblem(messageOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [name]);

  const chooseRoute = (index: number) => {
    setRoute(index);
    setText(JSON.stringify(detail?.inputs[index]?.example ?? {}, null, 2));
  };

  const send = async (event: Event) => {
    event.preventDefault();
    if (name === undefined) return;
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (failure) {
      setAnswer(undefined);
      setProblem(`The payload is not JSON: ${(failure as Error).message}`);
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      setAnswer(await api.post<InvokeAnswer>(`/local/invoke/${encodeURIComponent(name)}`, { type, payload }));
    } catch (failure) {
      setAnswer(undefined);
      setProblem(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const input = detail?.inputs[route];
  return (
    <section aria-labelledby="invoke-title" class="invoke">
      <h1 id="invoke-title">Send an event or a request</h1>
      <p class="muted small">
        Any function, with its payload: the form starts from an example derived from the function’s definition. An Event is queued and runs as its callers’ would (retries, destinations); a
        RequestResponse runs now and shows what it returned.
      </p>
      {listError !== undefined && (
        <p class="notice error" role="alert">
          {messageOf(listError)}
        </p>
      )}
      <form onSubmit={send} class="invoke-form">
        <div class="toolbar">
          <label class="inline">
            Function
            <select value={name ?? ''} onChange={(e) => (location.hash = `#invoke/${encodeURIComponent((e.target as HTMLSelectElement).value)}`)}>
              {(functions ?? []).map((f) => (
                <option key={f.name} value={f.name}>
                  {f.name}
                  {f.config.paused ? ' (paused)' : ''}
                </option>
              ))}
            </select>
          </label>
          {detail !== undefined && detail.inputs.length > 1 && (
            <label class="inline">
              Route
              <select value={String(route)} onChange={(e) => chooseRoute(Number((e.target as HTMLSelectElement).value))}>
                {detail.inputs.map((described, index) => (
                  <option key={described.route ?? index} value={String(index)}>
                    {described.route ?? `input ${index + 1}`}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label class="inline">
            Type
            <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value as 'Event' | 'RequestResponse')}>
              <option value="Event">Event</option>
              <option value="RequestResponse">RequestResponse</option>
            </select>
          </label>
        </div>
        <label for="invoke-payload">Payload (JSON)</label>
        <textarea id="invoke-payload" rows={12} spellcheck={false} class="mono" value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        <div class="toolbar">
          <button type="submit" disabled={busy || name === undefined}>
            {busy ? 'Sending…' : `Send ${type === 'Event' ? 'event' : 'request'}`}
          </button>
          {input !== undefined && (
            <button type="button" class="small" onClick={() => setText(JSON.stringify(input.example ?? {}, null, 2))}>
              Reset to the example
            </button>
          )}
        </div>
      </form>
      {problem !== undefined && (
        <p class="notice error" role="alert">
          {problem}
        </p>
      )}
      {answer !== undefined && (
        <div class={`notice ${answer.functionError === undefined ? 'ok' : 'error'}`} role="status" data-testid="invoke-answer">
          <p>
            {answer.statusCode === 202 ? 'Queued (202).' : answer.functionError === undefined ? `Answered (${answer.statusCode}).` : `The function failed (${answer.functionError}).`}{' '}
            {answer.requestId !== undefined && <a href={`#timeline/${encodeURIComponent(answer.requestId)}`}>Show it in the timeline</a>}
          </p>
          {answer.payload !== undefined && <pre class="json">{JSON.stringify(answer.payload, null, 2)}</pre>}
        </div>
      )}
      {input !== undefined && (
        <details>
          <summary>Input schema{input.route === undefined ? '' : ` of ${input.route}`}</summary>
          <pre class="json">{JSON.stringify(input.schema, null, 2)}</pre>
        </details>
      )}
    </section>
  );
}
