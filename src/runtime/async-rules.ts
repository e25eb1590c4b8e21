/**
 * Lambda's rules for asynchronous invocation, as pure decisions: what to do with an event that is
 * due, and with an attempt that failed. The runtime's worker (src/runtime/worker.ts) applies them; they
 * touch no database and no clock of their own, so each rule is tested on its own
 * (test/runtime/async-rules.test.ts).
 *
 * @example
 * const next = beforeAttempt({ event, config, known: true, running: 0, now, timeScale: 1 });
 * if (next.kind === 'run') run(event);
 */
import type { SerializedFunctionError } from '../framework/errors.js';
import type { DestinationCondition } from '../framework/destination-record.js';
import { MAX_HOPS } from '../framework/invoker.js';
import type { EffectiveConfig } from './function-settings.js';

/**
 * "If the function returns an error, Lambda attempts to run it two more times, with a one-minute wait
 * between the first two attempts, and two minutes between the second and third attempts."
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
export const DEFAULT_RETRY_DELAYS_SECONDS = [60, 120] as const;

/**
 * Throttled events (no concurrency available) are returned to the queue and retried "for up to 6
 * hours, with exponential backoff … from 1 second after the first attempt to a maximum of 5 minutes"
 * (same page), for as long as the event is younger than its maximum age.
 */
export const THROTTLE_BASE_MS = 1000;
export const THROTTLE_MAX_MS = 300_000;

/** What the rules need to know about an event. */
export interface DueEvent {
  function: string;
  hop: number;
  /** Attempts so far, this one included (counted when the event was claimed). */
  attempts: number;
  throttles: number;
  enqueuedAt: number;
}

export type BeforeAttempt =
  | { kind: 'run' }
  | { kind: 'throttle'; delayMs: number }
  /** Ends without running: `ran: false`, so the attempt it was claimed for is not counted. */
  | { kind: 'end'; condition: DestinationCondition; error: SerializedFunctionError };

/**
 * Decide what to do with an event that is due, in the order Lambda applies its checks: a function
 * that no longer exists, a chain past the recursion limit, an event past its maximum age, an event
 * whose last allowed attempt was cut short by a crash, and a function at its reserved concurrency.
 */
export function beforeAttempt(input: {
  event: DueEvent;
  /** Undefined when the function is not registered (any more). */
  config: EffectiveConfig | undefined;
  /** The function's invocations running now. */
  running: number;
  now: number;
  /** Multiplies AWS's delays and the maximum event age (tests and demos). */
  timeScale: number;
  arn: string;
}): BeforeAttempt {
  const { event, config, now, timeScale } = input;
  if (config === undefined) {
    return { kind: 'end', condition: 'RetriesExhausted', error: failure('ResourceNotFoundException', `Function not found: ${input.arn}`) };
  }
  // "Lambda detects … and stops the invocation after about 16 invocations in the chain."
  // https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html
  if (event.hop >= MAX_HOPS) {
    return {
      kind: 'end',
      condition: 'RecursiveInvocationException',
      error: failure('RecursiveInvocationException', `${event.function}: invocation chain reached ${event.hop} hops; Lambda stops recursive loops at ${MAX_HOPS}`),
    };
  }
  // MaximumEventAgeInSeconds: an event older than this is discarded with EventAgeExceeded
  // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
  const ageMs = now - event.enqueuedAt;
  const maxAgeMs = config.maximumEventAgeSeconds * 1000 * timeScale;
  if (ageMs > maxAgeMs) {
    const scaled = timeScale === 1 ? '' : ` (× time scale ${timeScale})`;
    return {
      kind: 'end',
      condition: 'EventAgeExceeded',
      error: failure('EventAgeExceeded', `Event is ${ageMs} ms old, over MaximumEventAgeInSeconds ${config.maximumEventAgeSeconds}${scaled}`),
    };
  }
  // Only after a crash: the attempt that was running when the process died counted as one.
  if (event.attempts > config.maximumRetryAttempts + 1) {
    return { kind: 'end', condition: 'RetriesExhausted', error: failure('Runtime.ExitError', 'The runtime process exited during the last attempt') };
  }
  // "When you set reserved concurrency to zero for an asynchronously invoked function, Lambda begins
  // sending new events to the configured dead-letter queue or the on-failure event destination,
  // without any retries." (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)
  if (config.reservedConcurrency === 0) {
    return {
      kind: 'end',
      condition: 'ZeroReservedConcurrency',
      error: failure('TooManyRequestsException', `${event.function}: reserved concurrency is 0, so Lambda sends the event on without running it`),
    };
  }
  if (config.reservedConcurrency !== undefined && input.running >= config.reservedConcurrency) {
    return { kind: 'throttle', delayMs: throttleDelayMs(event.throttles, timeScale) };
  }
  return { kind: 'run' };
}

export type AfterError = { kind: 'retry'; delayMs: number } | { kind: 'fail'; condition: 'RetriesExhausted' };

/**
 * Decide what follows a failed attempt: another attempt after AWS's delay, while attempts are left and
 * the error may be retried, or failure. No error sets its own delay: Lambda has none per event (a
 * `RetryAfterError` is honoured inside the invocation, by the framework: src/framework/errors.ts).
 */
export function afterError(input: { attempts: number; maximumRetryAttempts: number; retriable: boolean; retryDelaysMs: readonly number[] }): AfterError {
  if (input.retriable && input.attempts < input.maximumRetryAttempts + 1) {
    return { kind: 'retry', delayMs: input.retryDelaysMs[input.attempts - 1] ?? input.retryDelaysMs.at(-1) ?? 0 };
  }
  return { kind: 'fail', condition: 'RetriesExhausted' };
}

/** Exponential backoff for a throttled event: 1 s, 2 s, 4 s… up to 5 minutes, scaled. */
export function throttleDelayMs(throttles: number, timeScale: number): number {
  return Math.min(THROTTLE_BASE_MS * 2 ** throttles, THROTTLE_MAX_MS) * timeScale;
}

function failure(errorType: string, errorMessage: string): SerializedFunctionError {
  return { errorType, errorMessage, trace: [] };
}
