/** Lambda's asynchronous rules as pure decisions, without a database or a clock of their own. */
import { describe, expect, it } from 'vitest';
import { afterError, beforeAttempt, throttleDelayMs, type DueEvent } from '../../src/runtime/async-rules.js';
import type { EffectiveConfig } from '../../src/runtime/function-settings.js';

const NOW = 1_800_000_000_000;
const config: EffectiveConfig = { timeoutSeconds: 3, maximumRetryAttempts: 2, maximumEventAgeSeconds: 21_600 };
const event = (overrides: Partial<DueEvent> = {}): DueEvent => ({ function: 'emailHelper', hop: 0, attempts: 1, throttles: 0, enqueuedAt: NOW, ...overrides });
const decide = (overrides: Partial<Parameters<typeof beforeAttempt>[0]> = {}) =>
  beforeAttempt({ event: event(), config, running: 0, now: NOW, timeScale: 1, arn: 'arn:aws:lambda:local:000000000000:function:emailHelper', ...overrides });

describe('before an attempt', () => {
  it('a due event of a known function, young, shallow, with attempts left and room to run, runs', () => {
    expect(decide()).toEqual({ kind: 'run' });
  });

  it('an event of a function that is gone ends RetriesExhausted with ResourceNotFoundException naming its ARN', () => {
    expect(decide({ config: undefined })).toMatchObject({ kind: 'end', condition: 'RetriesExhausted', error: { errorType: 'ResourceNotFoundException', errorMessage: expect.stringContaining('function:emailHelper') } });
  });

  it('a chain at 16 hops ends with RecursiveInvocationException; 15 still runs', () => {
    expect(decide({ event: event({ hop: 16 }) })).toMatchObject({ kind: 'end', condition: 'RecursiveInvocationException' });
    expect(decide({ event: event({ hop: 15 }) })).toEqual({ kind: 'run' });
  });

  it('an event older than MaximumEventAgeInSeconds ends EventAgeExceeded; the time scale shrinks the age', () => {
    const old = event({ enqueuedAt: NOW - 60_001 });
    expect(decide({ event: old, config: { ...config, maximumEventAgeSeconds: 60 } })).toMatchObject({ kind: 'end', condition: 'EventAgeExceeded' });
    expect(decide({ event: event({ enqueuedAt: NOW - 60_000 }), config: { ...config, maximumEventAgeSeconds: 60 } })).toEqual({ kind: 'run' });
    expect(decide({ event: event({ enqueuedAt: NOW - 61 }), config: { ...config, maximumEventAgeSeconds: 60 }, timeScale: 0.001 })).toMatchObject({ condition: 'EventAgeExceeded' });
  });

  it('an event claimed past its last allowed attempt (a crash ended that one) ends RetriesExhausted with Runtime.ExitError', () => {
    expect(decide({ event: event({ attempts: 4 }) })).toMatchObject({ kind: 'end', condition: 'RetriesExhausted', error: { errorType: 'Runtime.ExitError' } });
    expect(decide({ event: event({ attempts: 3 }) })).toEqual({ kind: 'run' });
  });

  it('a function at its reserved concurrency throttles the event with backoff; reserved 0 sends it on at once, never run', () => {
    expect(decide({ config: { ...config, reservedConcurrency: 2 }, running: 2, event: event({ throttles: 3 }) })).toEqual({ kind: 'throttle', delayMs: 8_000 });
    expect(decide({ config: { ...config, reservedConcurrency: 0 } })).toMatchObject({ kind: 'end', condition: 'ZeroReservedConcurrency', error: { errorType: 'TooManyRequestsException' } });
    expect(decide({ config: { ...config, reservedConcurrency: 2 }, running: 1 })).toEqual({ kind: 'run' });
  });

  it('the checks come in Lambda’s order: a gone function before recursion, recursion before age, age before throttling', () => {
    const everything = event({ hop: 20, enqueuedAt: 0, attempts: 9 });
    expect(decide({ event: everything, config: undefined })).toMatchObject({ error: { errorType: 'ResourceNotFoundException' } });
    expect(decide({ event: everything })).toMatchObject({ condition: 'RecursiveInvocationException' });
    expect(decide({ event: event({ enqueuedAt: 0, attempts: 9 }), config: { ...config, reservedConcurrency: 0 } })).toMatchObject({ condition: 'EventAgeExceeded' });
  });
});

describe('after a failed attempt', () => {
  const delays = [60_000, 120_000];

  it('a retriable error is retried after 1 minute, then 2, then fails with RetriesExhausted', () => {
    expect(afterError({ attempts: 1, maximumRetryAttempts: 2, retriable: true, retryDelaysMs: delays })).toEqual({ kind: 'retry', delayMs: 60_000 });
    expect(afterError({ attempts: 2, maximumRetryAttempts: 2, retriable: true, retryDelaysMs: delays })).toEqual({ kind: 'retry', delayMs: 120_000 });
    expect(afterError({ attempts: 3, maximumRetryAttempts: 2, retriable: true, retryDelaysMs: delays })).toEqual({ kind: 'fail', condition: 'RetriesExhausted' });
  });

  it('MaximumRetryAttempts 0 fails after one attempt; a non-retriable error fails at once', () => {
    expect(afterError({ attempts: 1, maximumRetryAttempts: 0, retriable: true, retryDelaysMs: delays })).toEqual({ kind: 'fail', condition: 'RetriesExhausted' });
    expect(afterError({ attempts: 1, maximumRetryAttempts: 2, retriable: false, retryDelaysMs: delays })).toEqual({ kind: 'fail', condition: 'RetriesExhausted' });
  });
});

describe('throttle backoff', () => {
  it('doubles from 1 s up to 5 minutes, scaled', () => {
    expect([0, 1, 2, 8, 9, 20].map((n) => throttleDelayMs(n, 1))).toEqual([1_000, 2_000, 4_000, 256_000, 300_000, 300_000]);
    expect(throttleDelayMs(2, 0.01)).toBe(40);
  });
});
