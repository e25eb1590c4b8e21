/**
 * Parity 1 — `RetryAfterError` behaves the same locally and on AWS.
 *
 * What AWS does: Lambda retries a failed asynchronous invocation by its own clock only — about one
 * minute before the second attempt and two minutes before the third — and every retry uses up an
 * attempt; there is no per-event delay a function can ask for
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 *
 * So the framework never asks the platform for a delay: a `RetryAfterError` whose delay is at most
 * half the time the invocation has left is waited out *inside* the invocation (the handler runs again,
 * same attempt); a longer one is an ordinary function error, retried with AWS's delays. Both sides run
 * the same `runWithRetryAfter` (src/framework/errors.ts); these tests hold the local runtime and the
 * Lambda entry (src/lambda/controller-handler.ts) to it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { defineController } from '../../src/framework/define.js';
import { errorDetails, RetryAfterError } from '../../src/framework/errors.js';
import { createControllerHandler } from '../../src/lambda/controller-handler.js';
import { lambdaContext, recordingTransport } from '../lambda/fakes.js';
import { PARITY_TIME_SCALE, tempRuntime, type TempRuntime } from '../helpers/parity.js';

/** The controller's timeout: 3 s, so "half the time left" is about 1.5 s. */
const TIMEOUT_SECONDS = 3;
/** A delay that fits: waited out within the invocation. */
const SHORT_MS = 50;
/** A delay longer than half the invocation: ten minutes, far beyond AWS's first retry delay. */
const LONG_MS = 600_000;
/** AWS's delay before the second attempt, scaled as the runtime scales it. */
const FIRST_RETRY_DELAY_MS = 60_000 * PARITY_TIME_SCALE;

let runs: Map<string, number>;

/** A mail server that is rate-limited on the first try of every message and accepts the second. */
const mailer = defineController(
  'mailer',
  {
    send: {
      payload: z.object({ message: z.string(), retryAfterMs: z.number().int().nonnegative() }),
      handler: ({ message, retryAfterMs }) => {
        const run = (runs.get(message) ?? 0) + 1;
        runs.set(message, run);
        if (run === 1) throw new RetryAfterError('the mail server is rate-limited; try again later', retryAfterMs);
        return { sentOnRun: run };
      },
    },
  },
  { timeoutSeconds: TIMEOUT_SECONDS, maximumRetryAttempts: 2 },
);

let local: TempRuntime;

beforeEach(() => {
  runs = new Map();
  local = tempRuntime();
  local.runtime.register(mailer).start();
});

afterEach(async () => {
  await local.cleanup();
});

async function sendEvent(message: string, retryAfterMs: number): Promise<string> {
  const accepted = await local.runtime.invoke('mailer', { function: 'send', message, retryAfterMs }, 'Event');
  expect(accepted.statusCode).toBe(202);
  return accepted.requestId!;
}

describe('a RetryAfterError whose delay fits in half the remaining time', () => {
  it('locally: the handler waits and runs again within attempt 1, and the event succeeds without a failed attempt', async () => {
    const id = await sendEvent('welcome', SHORT_MS);
    await local.runtime.drain();

    const invocation = local.runtime.getInvocation(id)!;
    expect(invocation).toMatchObject({ outcome: 'Success', attempts: 1, failedAttempts: [] });
    expect(runs.get('welcome')).toBe(2);
    // The wait happened inside the invocation: it is part of its duration.
    expect(invocation.durationMs).toBeGreaterThanOrEqual(SHORT_MS - 5);
  });

  it('through the Lambda entry: the same — one invocation, the handler runs twice, the result is returned (nothing for Lambda to retry)', async () => {
    // On Lambda, ctx.log writes to the function's log (CloudWatch): the wait is visible there.
    const logged = vi.spyOn(console, 'log').mockImplementation(() => {});
    const handler = createControllerHandler(mailer, recordingTransport());
    const started = Date.now();
    const result = await handler(
      { function: 'send', message: 'welcome', retryAfterMs: SHORT_MS },
      lambdaContext('mailer', { timeoutMs: TIMEOUT_SECONDS * 1000 }),
    );
    expect(result).toEqual({ sentOnRun: 2 });
    expect(runs.get('welcome')).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SHORT_MS - 5);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining(`running again in ${SHORT_MS} ms, within this invocation`));
    logged.mockRestore();
  });
});

describe('a RetryAfterError longer than half the remaining time is an ordinary error', () => {
  it('locally: the event is retried after AWS’s first delay (60 s, scaled), not the asked-for delay, and the retry is attempt 2', async () => {
    const id = await sendEvent('digest', LONG_MS);
    await local.runtime.drain();

    const invocation = local.runtime.getInvocation(id)!;
    expect(invocation).toMatchObject({ outcome: 'Success', attempts: 2 });
    expect(runs.get('digest')).toBe(2);
    expect(invocation.failedAttempts).toHaveLength(1);
    const [failed] = invocation.failedAttempts;
    expect(failed!.error.errorType).toBe('RetryAfterError');
    // What the error asked for still travels with it, in the trace (parity 3).
    expect(errorDetails(failed!.error)).toMatchObject({ code: 'RETRY_AFTER', retriable: true, retryAfterMs: LONG_MS });

    const gap = Date.parse(invocation.startedAt!) - Date.parse(failed!.endedAt);
    expect(gap).toBeGreaterThanOrEqual(FIRST_RETRY_DELAY_MS);
    // Ten minutes scaled would be 600 ms: the platform did not honour the error's delay.
    expect(gap).toBeLessThan(LONG_MS * PARITY_TIME_SCALE);
  });

  it('through the Lambda entry: the error is thrown at once, after one run, so that Lambda retries it with its own delays', async () => {
    const handler = createControllerHandler(mailer, recordingTransport());
    const started = Date.now();
    const run = handler({ function: 'send', message: 'digest', retryAfterMs: LONG_MS }, lambdaContext('mailer', { timeoutMs: TIMEOUT_SECONDS * 1000 }));
    await expect(run).rejects.toBeInstanceOf(RetryAfterError);
    expect(runs.get('digest')).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
