/**
 * The console's endpoints for developers (`/local`, issue 11 point 13): send any function an event or
 * a request, replay an invocation, hold a queue, compact the log, the databases' sizes — and what a
 * mistake gets (the field and the rule, never a 500).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, defineFunction } from '../../src/framework/define.js';
import { createInvokeApi } from '../../src/runtime/invoke-api.js';
import { createLocalRuntime, type LocalRuntime } from '../../src/runtime/local-runtime.js';
import { CUT_MARK } from '../../src/runtime/redact.js';
import { REQUEST_LOG_CHARS } from '../../src/runtime/runtime-db.js';
import { signedAppRequest, TEST_CREDENTIALS } from '../helpers/signed.js';

let runtime: LocalRuntime;
let app: ReturnType<typeof createInvokeApi>;
const seen: unknown[] = [];

const echo = defineFunction('echo', { input: z.object({ word: z.string() }), handler: ({ word }) => ({ said: word }) });
const login = defineFunction('login', { input: z.object({ token: z.string() }), sensitive: ['token'], handler: () => ({ ok: true }) });
const worker = defineController('worker', { note: { payload: z.object({ n: z.number() }), handler: (payload) => void seen.push(payload) } });

const call = async (path: string, body?: unknown) => {
  const response = await signedAppRequest(app, path, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, body: (await response.json()) as any };
};

/** A GET of `/local`, signed, as its JSON. */
const fetchJson = async (path: string) => (await (await signedAppRequest(app, path, { method: 'GET' })).json()) as any;

beforeAll(() => {
  runtime = createLocalRuntime({ dbPath: ':memory:', timeScale: 0.001 }).register(echo).register(login).register(worker).start();
  app = createInvokeApi(runtime, { credentials: TEST_CREDENTIALS });
});

afterAll(async () => {
  await runtime.close();
});

describe('/local for the console', () => {
  it('sends a request and an event, by any of a function’s names', async () => {
    expect(await call('/local/invoke/echo', { type: 'RequestResponse', payload: { word: 'hi' } })).toMatchObject({ status: 200, body: { statusCode: 200, payload: { said: 'hi' } } });
    const queued = await call('/local/invoke/arn:aws:lambda:local:000000000000:function:worker', { type: 'Event', payload: { function: 'note', n: 7 } });
    expect(queued).toMatchObject({ status: 200, body: { statusCode: 202, requestId: expect.any(String) } });
    await runtime.drain();
    expect(seen).toContainEqual(expect.objectContaining({ n: 7 }));
  });

  it('names the field and the rule of a bad send; an unknown function is a 404', async () => {
    expect(await call('/local/invoke/echo', { type: 'Later', payload: {} })).toMatchObject({ status: 400, body: { fields: [{ parameter: 'type', message: 'must be Event or RequestResponse' }] } });
    expect(await call('/local/invoke/echo', { type: 'Event' })).toMatchObject({ status: 400, body: { fields: [{ parameter: 'payload' }] } });
    expect((await call('/local/invoke/echo')).status).toBe(400);
    expect(await call('/local/invoke/nobody', { type: 'Event', payload: {} })).toMatchObject({ status: 404, body: { message: 'function nobody: not found' } });
  });

  it('cuts ids to the shortest beginning no other invocation shares, and names the field of a bad request', async () => {
    const sent = await call('/local/invoke/echo', { type: 'RequestResponse', payload: { word: 'short' } });
    const id = sent.body.requestId as string;
    const short = await call('/local/short-ids', { ids: [id] });
    expect(short.status).toBe(200);
    expect(id.startsWith(short.body[id])).toBe(true);
    expect(runtime.listInvocations({ id: short.body[id], limit: 10 }).map((row) => row.id)).toEqual([id]);
    expect(await call('/local/short-ids', { ids: 'all' })).toMatchObject({ status: 400, body: { fields: [{ parameter: 'ids' }] } });
    expect(await call('/local/short-ids', { ids: [id], more: true })).toMatchObject({ status: 400 });
  });

  it('replays an invocation as a new one marked as its replay, but not one whose secrets the log did not keep', async () => {
    const first = await runtime.invoke('echo', { word: 'again' }, 'RequestResponse');
    await runtime.drain();
    const replayed = await call(`/local/invocations/${first.requestId}/replay`);
    expect(replayed).toMatchObject({ status: 200, body: { statusCode: 200, payload: { said: 'again' } } });
    await runtime.drain();
    expect(runtime.getInvocation(replayed.body.requestId)!.replayOf).toBe(first.requestId);
    // The original's detail names its replays, however far back in the log they are (the console's "Replayed as").
    const again = await call(`/local/invocations/${first.requestId}/replay`);
    await runtime.drain();
    const detail = await fetchJson(`/local/invocations/${first.requestId}`);
    expect(detail.replayedAs).toEqual([replayed.body.requestId, again.body.requestId]);
    expect((await fetchJson(`/local/invocations/${again.body.requestId}`)).replayedAs).toEqual([]);

    const secret = await runtime.invoke('login', { token: 'a-secret' }, 'RequestResponse');
    await runtime.drain();
    // The detail says so before anyone tries (the console's Replay button is off).
    expect((await fetchJson(`/local/invocations/${secret.requestId}`)).replayable).toBe(false);
    expect((await fetchJson(`/local/invocations/${first.requestId}`)).replayable).toBe(true);
    const refused = await call(`/local/invocations/${secret.requestId}/replay`);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/secrets the log does not keep/);
    expect((await call('/local/invocations/01234567-89ab-7def-8123-456789abcdef/replay')).status).toBe(404);
  });

  it('keeps a synchronous payload up to REQUEST_LOG_CHARS; a longer one runs whole, the log keeps its beginning, marked, and it is not replayable', async () => {
    const whole = 'w'.repeat(REQUEST_LOG_CHARS - '{"word":""}'.length);
    const kept = await runtime.invoke('echo', { word: whole }, 'RequestResponse');
    const long = 'x'.repeat(40_000);
    const cut = await runtime.invoke('echo', { word: long }, 'RequestResponse');
    // The function had all of it.
    expect((cut.payload as { said: string }).said).toHaveLength(40_000);
    await runtime.drain();
    expect(runtime.getInvocation(kept.requestId!)!.payload).toEqual({ word: whole });
    expect((await fetchJson(`/local/invocations/${kept.requestId}`)).replayable).toBe(true);
    const logged = runtime.getInvocation(cut.requestId!)!.payload as Record<string, unknown>;
    expect(logged).toEqual({ [CUT_MARK]: `{"word":"${long}"}`.slice(0, REQUEST_LOG_CHARS), characters: 40_000 + '{"word":""}'.length });
    const detail = await fetchJson(`/local/invocations/${cut.requestId}`);
    expect(detail).toMatchObject({ replayable: false, notReplayable: 'its payload was longer than the log keeps (16,384 characters)' });
    const refused = await call(`/local/invocations/${cut.requestId}/replay`);
    expect(refused).toMatchObject({ status: 409, body: { message: `invocation ${cut.requestId}: its payload was longer than the log keeps (16,384 characters); invoke it again from its caller` } });
    // An Event's payload is its place in the queue: kept whole.
    const queued = await runtime.invoke('worker', { function: 'note', n: 1, pad: long }, 'Event');
    await runtime.drain();
    expect(runtime.getInvocation(queued.requestId!)!.payload).toMatchObject({ pad: long });
  });

  it('takes an invocation without a payload as the empty object, Event or RequestResponse, and keeps running', async () => {
    const queued = await runtime.invokeRaw('echo', '', 'Event');
    await runtime.drain();
    expect(runtime.getInvocation(queued.requestId!)).toMatchObject({ payload: {}, state: 'failed', outcome: 'RetriesExhausted', attempts: 1 });
    const answered = await runtime.invokeRaw('echo', '', 'RequestResponse');
    expect(answered.functionError).toBe('Unhandled');
    await runtime.drain();
    expect(runtime.getInvocation(answered.requestId!)!.payload).toEqual({});
  });

  it('pauses and resumes a queue, compacts, and lists the databases', async () => {
    expect(await call('/local/functions/worker/pause')).toMatchObject({ status: 200, body: { name: 'worker', config: { paused: true } } });
    expect((await call('/local/functions/worker/resume')).body.config.paused).toBeUndefined();
    expect((await call('/local/functions/nobody/pause')).status).toBe(404);
    expect(await call('/local/compact?vacuum=true')).toMatchObject({ status: 200, body: { invocations: expect.any(Number), deadLetters: 0, bytes: expect.any(Number) } });
    expect((await call('/local/compact?vacuum=maybe')).status).toBe(400);
    const storage = await signedAppRequest(app, '/local/storage');
    expect(await storage.json()).toEqual([{ name: 'runtime', description: 'invocation log and queue', bytes: expect.any(Number) }]);
  });
});
