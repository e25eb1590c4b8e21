import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineController, defineFunction } from '../../src/framework/define.js';
import { errorDetails, RetryAfterError } from '../../src/framework/errors.js';
import { invoke } from '../../src/framework/invoker.js';
import { destinationRecordSchema, type DestinationRecord } from '../../src/framework/destination-record.js';
import { RECORD_WINDOW_MS } from '../../src/runtime/event-intake.js';
import { createLocalRuntime, type LocalRuntime } from '../../src/runtime/local-runtime.js';
import { tempDir } from '../helpers/temp-dir.js';

/** AWS's delays (60 s, 120 s, 1 s throttle backoff…) scaled by 1/1000. */
const TIME_SCALE = 0.001;

let dir: ReturnType<typeof tempDir>;
let runtime: LocalRuntime;
let records: DestinationRecord[];
let calls: Map<string, number>;

const recordSink = defineFunction('recordSink', {
  input: destinationRecordSchema,
  handler: (record) => {
    records.push(record as DestinationRecord);
  },
});

function count(key: string): number {
  const n = (calls.get(key) ?? 0) + 1;
  calls.set(key, n);
  return n;
}

const worker = defineController('worker', {
  flaky: {
    payload: z.object({ key: z.string(), failures: z.number().int() }),
    handler: ({ key, failures }) => {
      if (count(key) <= failures) throw new Error(`flaky failure ${calls.get(key)}`);
      return { ranTimes: calls.get(key) };
    },
  },
  alwaysFails: {
    payload: z.object({ key: z.string() }),
    handler: ({ key }) => {
      count(key);
      throw new TypeError('this route always fails');
    },
  },
  slow: {
    payload: z.object({ key: z.string(), ms: z.number() }),
    handler: async ({ key, ms }) => {
      count(key);
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
  },
  echo: {
    payload: z.object({ leedId: z.string(), trade: z.string() }),
    handler: (payload) => {
      count(`echo:${payload.leedId}`);
      return payload;
    },
  },
  /** Answers what JSON cannot write: an object that holds itself. */
  circular: {
    payload: z.object({ key: z.string() }),
    handler: ({ key }) => {
      count(key);
      const answer: Record<string, unknown> = { key };
      answer.self = answer;
      return answer;
    },
  },
  rateLimited: {
    payload: z.object({ key: z.string() }),
    handler: ({ key }) => {
      if (count(key) === 1) throw new RetryAfterError('busy, come back soon', 5);
    },
  },
});

const loop = defineController('loop', {
  again: {
    payload: z.object({ n: z.number().int() }),
    handler: async ({ n }, ctx) => {
      count('loop');
      await invoke(ctx, loop).again.event({ n: n + 1 });
    },
  },
}, { invokes: ['loop'] });

beforeEach(() => {
  dir = tempDir();
  records = [];
  calls = new Map();
  runtime = createLocalRuntime({ dbPath: join(dir.path, 'runtime.db'), timeScale: TIME_SCALE, pollIntervalMs: 20 });
  runtime.register(recordSink);
  runtime.register(worker, { onSuccess: 'recordSink', onFailure: 'recordSink', timeoutSeconds: 1 });
  runtime.register(loop, { onFailure: 'recordSink' });
});

afterEach(async () => {
  await runtime.close();
  dir.cleanup();
});

async function run(payload: object, fn = 'worker'): Promise<string> {
  const result = await runtime.invoke(fn, payload, 'Event');
  expect(result.statusCode).toBe(202);
  return result.requestId!;
}

describe('retries', () => {
  it('a route that fails twice then succeeds runs three times and yields one Success record', async () => {
    runtime.start();
    const id = await run({ function: 'flaky', key: 'a', failures: 2 });
    await runtime.drain();
    expect(calls.get('a')).toBe(3);
    const mine = records.filter((r) => r.requestContext.requestId === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.requestContext.condition).toBe('Success');
    expect(mine[0]!.requestContext.approximateInvokeCount).toBe(3);
    expect(mine[0]!.responsePayload).toEqual({ ranTimes: 3 });
    expect(runtime.getInvocation(id)!.failedAttempts.map((a) => a.attempt)).toEqual([1, 2]);
  });

  it('waits AWS’s delays, scaled: about 60 s then 120 s before the second and third attempts', async () => {
    runtime.start();
    const id = await run({ function: 'flaky', key: 'd', failures: 2 });
    await runtime.drain();
    const attempts = runtime.getInvocation(id)!.failedAttempts;
    const third = runtime.getInvocation(id)!;
    const gap1 = Date.parse(attempts[1]!.startedAt) - Date.parse(attempts[0]!.endedAt);
    const gap2 = Date.parse(third.startedAt!) - Date.parse(attempts[1]!.endedAt);
    expect(gap1).toBeGreaterThanOrEqual(60 * 1000 * TIME_SCALE - 1);
    expect(gap2).toBeGreaterThanOrEqual(120 * 1000 * TIME_SCALE - 1);
  });

  it('one that always fails yields a RetriesExhausted record with approximateInvokeCount 3 at onFailure', async () => {
    runtime.start();
    const payload = { function: 'alwaysFails', key: 'b' };
    const id = await run(payload);
    await runtime.drain();
    expect(calls.get('b')).toBe(3);
    const [record] = records.filter((r) => r.requestContext.requestId === id);
    expect(record!.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(record!.requestContext.functionArn).toBe('arn:aws:lambda:local:000000000000:function:worker:$LATEST');
    expect(record!.requestPayload).toEqual(payload);
    expect(record!.responseContext).toEqual({ statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    expect(record!.responsePayload).toMatchObject({ errorType: 'TypeError', errorMessage: 'this route always fails' });
    expect(runtime.getInvocation(id)).toMatchObject({ state: 'failed', outcome: 'RetriesExhausted', attempts: 3 });
  });

  it('MaximumRetryAttempts 0 gives one attempt', async () => {
    runtime.register(worker, { maximumRetryAttempts: 0, onFailure: 'recordSink' });
    runtime.start();
    const id = await run({ function: 'alwaysFails', key: 'c' });
    await runtime.drain();
    expect(calls.get('c')).toBe(1);
    expect(records.find((r) => r.requestContext.requestId === id)!.requestContext.approximateInvokeCount).toBe(1);
  });

  it('a RetryAfterError runs the handler again after its delay within the same attempt (Lambda has no per-event delay)', async () => {
    runtime.start();
    const id = await run({ function: 'rateLimited', key: 'r' });
    await runtime.drain();
    expect(calls.get('r')).toBe(2);
    expect(runtime.getInvocation(id)).toMatchObject({ outcome: 'Success', attempts: 1 });
  });

  it('a handler that outlives its timeout fails with Lambda’s timeout error and is retried', async () => {
    runtime.register(worker, { timeoutSeconds: 1, maximumRetryAttempts: 0 });
    runtime.start();
    const id = await run({ function: 'slow', key: 's', ms: 1500 });
    await runtime.drain();
    const view = runtime.getInvocation(id)!;
    // As Lambda writes it: its type and message, no stack of the runtime's own code (and so no details line).
    expect(view.error).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: expect.any(String), trace: [] });
    expect(view.error!.errorMessage).toMatch(/Task timed out after 1\.00 seconds/);
  });
});

describe('a destination that is not there', () => {
  it('keeps the failure record as a dead letter, counts DestinationDeliveryFailures, and says so in the runtime’s log', async () => {
    const lines: string[] = [];
    const own = createLocalRuntime({ dbPath: join(dir.path, 'own.db'), timeScale: TIME_SCALE, pollIntervalMs: 20, onLog: (line) => lines.push(line) });
    try {
      own.register(worker, { onFailure: 'failureSink', maximumRetryAttempts: 0 }).start();
      const { requestId } = await own.invoke('worker', { function: 'alwaysFails', key: 'lost' }, 'Event');
      await own.drain();
      expect(own.listDeadLetters().map((d) => d.invocationId)).toEqual([requestId]);
      expect(own.metrics().find((m) => m.function === 'worker')).toMatchObject({ DestinationDeliveryFailures: 1 });
      expect(lines).toContain(`runtime: worker ${requestId}: the onFailure record could not go to failureSink (no function of that name is registered); it is kept as a dead letter`);
    } finally {
      await own.close();
    }
  });
});

describe('a handler’s ctx.log', () => {
  it('reaches the runtime’s log, naming the function and the invocation, for an Event and a synchronous call (on AWS, its log stream)', async () => {
    const lines: string[] = [];
    const chatty = defineFunction('chatty', {
      input: z.object({ word: z.string() }),
      handler: ({ word }, ctx) => {
        ctx.log(`said ${word}`);
        return null;
      },
    });
    const own = createLocalRuntime({ dbPath: join(dir.path, 'own.db'), timeScale: TIME_SCALE, pollIntervalMs: 20, onLog: (line) => lines.push(line) });
    try {
      own.register(chatty).start();
      const event = await own.invoke('chatty', { word: 'later' }, 'Event');
      await own.drain();
      const sync = await own.invoke('chatty', { word: 'now' }, 'RequestResponse', { logType: 'Tail' });
      expect(lines).toContain(`chatty ${event.requestId} said later`);
      expect(lines).toContain(`chatty ${sync.requestId} said now`);
      // The synchronous call's tail still has it, as Lambda's Node.js runtime writes it.
      expect(Buffer.from(sync.logResult!, 'base64').toString('utf8')).toMatch(new RegExp(`\\t${sync.requestId}\\tINFO\\tsaid now`));
    } finally {
      await own.close();
    }
  });
});

describe('a result JSON cannot write', () => {
  it('fails the Event like a function error (retried, then RetriesExhausted), and the events recorded beside it run once', async () => {
    runtime.start();
    const id = await run({ function: 'circular', key: 'cycle' });
    const beside = await run({ function: 'echo', leedId: 'beside', trade: 'dj' });
    await runtime.drain();
    expect(calls.get('cycle')).toBe(3);
    expect(calls.get('echo:beside')).toBe(1);
    const [record] = records.filter((r) => r.requestContext.requestId === id);
    expect(record!.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(record!.responsePayload).toMatchObject({ errorType: 'Error', errorMessage: 'Unable to stringify response body' });
    expect(records.filter((r) => r.requestContext.requestId === beside).map((r) => r.requestContext.condition)).toEqual(['Success']);
  });

  it('answers a synchronous caller with the function error, not a fault of the runtime', async () => {
    const result = await runtime.invoke('worker', { function: 'circular', key: 'sync' }, 'RequestResponse');
    expect(result).toMatchObject({ statusCode: 200, functionError: 'Unhandled', payload: { errorType: 'Error', errorMessage: 'Unable to stringify response body' } });
    expect(calls.get('sync')).toBe(1);
  });
});

describe('maximum event age', () => {
  it('an event older than the maximum age gives EventAgeExceeded without running', async () => {
    runtime.register(worker, { maximumEventAgeSeconds: 60, onFailure: 'recordSink' });
    const id = await run({ function: 'echo', leedId: 'old', trade: 'dj' });
    await new Promise((resolve) => setTimeout(resolve, 60 * 1000 * TIME_SCALE + 30));
    runtime.start();
    await runtime.drain();
    expect(calls.get('echo:old')).toBeUndefined();
    const [record] = records.filter((r) => r.requestContext.requestId === id);
    expect(record!.requestContext).toMatchObject({ condition: 'EventAgeExceeded', approximateInvokeCount: 0 });
    expect(record!.responsePayload).toBeUndefined();
  });

  it('without an on-failure destination, its dead letter keeps the same record: no response of a function that never ran', async () => {
    runtime.register(worker, { maximumEventAgeSeconds: 60 });
    const id = await run({ function: 'echo', leedId: 'kept', trade: 'dj' });
    await new Promise((resolve) => setTimeout(resolve, 60 * 1000 * TIME_SCALE + 30));
    runtime.start();
    await runtime.drain();
    expect(calls.get('echo:kept')).toBeUndefined();
    const letter = runtime.listDeadLetters().find((d) => d.invocationId === id)!;
    expect(letter.condition).toBe('EventAgeExceeded');
    expect(letter.record.requestContext).toMatchObject({ condition: 'EventAgeExceeded', approximateInvokeCount: 0 });
    expect(letter.record).not.toHaveProperty('responseContext');
    expect(letter.record).not.toHaveProperty('responsePayload');
  });
});

describe('the envelope', () => {
  it('a hand-written flat payload dispatches to its route', async () => {
    runtime.start();
    const id = await run(JSON.parse('{"function":"echo","leedId":"l_1","trade":"dj"}'));
    await runtime.drain();
    expect(calls.get('echo:l_1')).toBe(1);
    expect(records.find((r) => r.requestContext.requestId === id)!.responsePayload).toEqual({ leedId: 'l_1', trade: 'dj' });
  });

  it.each([
    ['__proto__', { function: '__proto__', leedId: 'x' }, /"function" is "__proto__"; expected one of "flaky", "alwaysFails"/],
    ['constructor', { function: 'constructor' }, /"function" is "constructor"/],
    ['toString', { function: 'toString' }, /"function" is "toString"/],
    ['missing', { leedId: 'x' }, /"function" is missing/],
    ['a number', { function: 42 }, /"function" is not a string \(number\)/],
  ])('function %s is a clear non-retriable error, tried once', async (_name, payload, message) => {
    runtime.start();
    const id = await run(JSON.parse(JSON.stringify(payload)));
    await runtime.drain();
    const view = runtime.getInvocation(id)!;
    expect(view).toMatchObject({ outcome: 'RetriesExhausted', attempts: 1 });
    expect(view.error!.errorType).toBe('UnknownFunctionError');
    expect(view.error!.errorMessage).toMatch(message);
    expect(errorDetails(view.error)).toMatchObject({ retriable: false, code: expect.stringMatching(/^(UNKNOWN_FUNCTION|INVALID_ENVELOPE)$/) });
    expect(Object.keys(view.error!).sort()).toEqual(['errorMessage', 'errorType', 'trace']);
  });

  it('an invalid payload is non-retriable and names the field', async () => {
    runtime.start();
    const id = await run({ function: 'echo', leedId: 7, trade: 'dj' });
    await runtime.drain();
    const view = runtime.getInvocation(id)!;
    expect(view).toMatchObject({ outcome: 'RetriesExhausted', attempts: 1 });
    expect(view.error).toMatchObject({ errorType: 'InvalidPayloadError' });
    expect(view.error!.errorMessage).toMatch(/worker\.echo: invalid payload: leedId: /);
    expect(errorDetails(view.error)).toMatchObject({ code: 'INVALID_PAYLOAD', retriable: false, fields: [{ path: 'leedId', message: expect.any(String) }] });
  });

  it('a payload nested 6,000 levels deep (valid JSON; Lambda takes it) that fails keeps its record and dead letter, and the views say it is too deep to show', async () => {
    const strict = defineController('strict', { take: { payload: z.object({ key: z.string() }), handler: () => {} } });
    runtime.register(strict);
    runtime.start();
    const deep = (route: string) => `{"function":"${route}","a":${'['.repeat(6000)}${']'.repeat(6000)}}`;
    const dead = (await runtime.invokeRaw('strict', deep('take'), 'Event')).requestId!;
    const recorded = (await runtime.invokeRaw('worker', deep('echo'), 'Event')).requestId!;
    await runtime.drain();

    const letters = runtime.listDeadLetters();
    expect(letters.map((letter) => letter.invocationId)).toEqual([dead]);
    expect(letters[0]!.record.requestPayload).toEqual({ notShown: 'the JSON nests deeper than 256 levels' });
    expect(records.map((record) => record.requestContext.requestId)).toEqual([recorded]);
    expect(JSON.stringify(runtime.listDestinationRecords())).toContain('nests deeper than 256 levels');
    for (const [id, sent] of [[dead, deep('take')], [recorded, deep('echo')]] as const) {
      const view = runtime.getInvocation(id)!;
      expect(view).toMatchObject({ outcome: 'RetriesExhausted', payload: { notShown: 'the JSON nests deeper than 256 levels', bytes: sent.length } });
      expect(() => JSON.stringify(view)).not.toThrow();
    }
  });

  it('the typed invoker refuses a bad payload before sending it', async () => {
    const { createInvocationContext } = await import('../../src/framework/context.js');
    const ctx = createInvocationContext({ functionName: 'caller', timeoutMs: 1000, meta: {}, transport: runtime });
    // Cast: a caller outside TypeScript could send this.
    await expect(invoke(ctx, worker).echo.event({ leedId: 1 } as never)).rejects.toThrow(/worker\.echo: invalid payload: leedId/);
    expect(runtime.listInvocations()).toHaveLength(0);
  });
});

describe('declared targets', () => {
  it('a controller may invoke only what it declares (its IAM policy on AWS)', async () => {
    const undeclared = defineController('undeclared', {
      go: { payload: z.object({}), handler: async (_payload, ctx) => invoke(ctx, loop).again.event({ n: 0 }) },
    });
    runtime.register(undeclared, { maximumRetryAttempts: 0 });
    runtime.start();
    const id = await run({ function: 'go' }, 'undeclared');
    await runtime.drain();
    expect(runtime.getInvocation(id)!.error).toMatchObject({
      errorType: 'AccessDeniedException',
      // Says where the declaration goes, in the form each kind of deployable writes it.
      errorMessage: 'undeclared is not allowed to invoke loop: add it to undeclared\'s "invokes" (a function lists the controller itself, a controller its name)',
    });
    expect(calls.get('loop')).toBeUndefined();
  });
});

describe('recursion', () => {
  it('a controller that invokes itself stops at 16 hops with a failure record', async () => {
    runtime.start();
    await run({ function: 'again', n: 0 }, 'loop');
    await runtime.drain();
    expect(calls.get('loop')).toBe(16);
    const failures = records.filter((r) => r.requestContext.condition === 'RecursiveInvocationException');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.requestPayload).toMatchObject({ function: 'again', n: 16, _meta: { hop: 16 } });
    const chain = runtime.listInvocations({ function: 'loop', limit: 100 });
    expect(chain).toHaveLength(17);
    // Each link names its caller.
    const byId = new Map(chain.map((v) => [v.id, v]));
    expect(chain.filter((v) => v.parentId !== null && byId.has(v.parentId))).toHaveLength(16);
  });

  it('a synchronous call is not stopped by the hop its payload claims: only the chain the runtime saw counts', async () => {
    const result = await runtime.invoke('worker', { function: 'echo', leedId: 'x', trade: 'dj', _meta: { hop: 16 } }, 'RequestResponse');
    expect(result.functionError).toBeUndefined();
    expect(calls.get('echo:x')).toBe(1);
  });
});

describe('concurrency', () => {
  it('events beyond reserved concurrency wait with backoff and all run, never more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const narrow = defineController('narrow', {
      work: {
        payload: z.object({ i: z.number() }),
        handler: async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
        },
      },
    });
    runtime.register(narrow, { reservedConcurrency: 2 });
    runtime.start();
    await Promise.all(Array.from({ length: 20 }, (_, i) => run({ function: 'work', i }, 'narrow')));
    await runtime.drain();
    expect(peak).toBe(2);
    const done = runtime.listInvocations({ function: 'narrow', outcome: 'Success', limit: 100 });
    expect(done).toHaveLength(20);
    expect(runtime.metrics().find((m) => m.function === 'narrow')!.Throttles).toBeGreaterThan(0);
  });

  it('a synchronous call over reserved concurrency gets TooManyRequestsException', async () => {
    runtime.register(worker, { reservedConcurrency: 1 });
    const first = runtime.invoke('worker', { function: 'slow', key: 'x', ms: 50 }, 'RequestResponse');
    await expect(runtime.invoke('worker', { function: 'slow', key: 'y', ms: 1 }, 'RequestResponse')).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      statusCode: 429,
    });
    await first;
  });
});

describe('dead letters', () => {
  it('a failure with no onFailure destination is kept with its error and can be replayed with the same payload', async () => {
    runtime.register(worker, { maximumRetryAttempts: 0 });
    runtime.start();
    const payload = { function: 'flaky', key: 'dl', failures: 1, _meta: { idempotencyKey: 'effect-1' } };
    const id = await run(payload);
    await runtime.drain();
    const [letter] = runtime.listDeadLetters();
    expect(letter).toMatchObject({ invocationId: id, function: 'worker', condition: 'RetriesExhausted', attempts: 1 });
    expect(letter!.record.responsePayload).toMatchObject({ errorMessage: 'flaky failure 1' });

    const replayId = await runtime.replayDeadLetter(letter!.id);
    await runtime.drain();
    expect(runtime.getInvocation(replayId)).toMatchObject({ outcome: 'Success', replayOf: id, idempotencyKey: 'effect-1' });
    expect(runtime.getInvocation(replayId)!.payload).toEqual(payload);
    expect(runtime.listDeadLetters()).toHaveLength(0);
    await expect(runtime.replayDeadLetter(letter!.id)).rejects.toThrow(/already replayed/);
    expect(runtime.metrics().find((m) => m.function === 'worker')).toMatchObject({ AsyncEventsReceived: 2, AsyncEventsDropped: 1 });
  });
});

describe('durability', () => {
  it('an accepted event is in the database before invoke resolves', async () => {
    const id = await run({ function: 'echo', leedId: 'durable', trade: 'dj' });
    const other = new Database(join(dir.path, 'runtime.db'), { readonly: true });
    try {
      expect(other.prepare('SELECT state FROM invocations WHERE id = ?').get(id)).toEqual({ state: 'queued' });
    } finally {
      other.close();
    }
  });

  describe("a synchronous invocation's record (its caller waits on nothing)", () => {
    const stored = (id: string) => {
      const other = new Database(join(dir.path, 'runtime.db'), { readonly: true });
      try {
        return other.prepare<[string], { state: string }>('SELECT state FROM invocations WHERE id = ?').get(id)?.state;
      } finally {
        other.close();
      }
    };
    const answer = async () => (await runtime.invoke('worker', { function: 'echo', leedId: 'sync', trade: 'dj' }, 'RequestResponse')).requestId!;

    it(`commits within ${RECORD_WINDOW_MS} ms on its own, gathered with others`, async () => {
      const ids = [await answer(), await answer(), await answer()];
      // Answered, not yet committed: they wait for each other.
      expect(ids.map(stored)).toEqual([undefined, undefined, undefined]);
      await vi.waitFor(() => expect(ids.map(stored)).toEqual(['succeeded', 'succeeded', 'succeeded']), { timeout: 1000, interval: 5 });
    });

    it('commits with the next event', async () => {
      const id = await answer();
      await run({ function: 'echo', leedId: 'after', trade: 'dj' });
      expect(stored(id)).toBe('succeeded');
    });

    it('is in every read of the log as soon as its caller has the answer', async () => {
      const id = await answer();
      expect(runtime.listInvocations({ function: 'worker' }).map((view) => view.id)).toContain(id);
      expect(runtime.getInvocation(id)?.state).toBe('succeeded');
      expect(runtime.metrics().find((m) => m.function === 'worker')?.Invocations).toBe(1);
    });
  });
});
