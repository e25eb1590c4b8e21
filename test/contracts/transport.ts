/**
 * The Transport contract (the doc comment of `src/framework/transport.ts`), run on every adapter:
 * the in-process `local` transport and the `lambda` transport (the AWS SDK over HTTP to the local
 * Invoke API). An adapter passes when it behaves as Lambda's Invoke does.
 *
 * @example
 * describeTransportContract('local', async () => {
 *   const runtime = createLocalRuntime({ dbPath: ':memory:' });
 *   return { transport: createLocalTransport(runtime), runtime, teardown: () => runtime.close() };
 * });
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineController, defineFunction } from '../../src/framework/define.js';
import { EVENT_PAYLOAD_LIMIT, type LocalRuntime } from '../../src/runtime/local-runtime.js';
import { InvokeError, type Transport } from '../../src/framework/transport.js';

export interface TransportFixture {
  transport: Transport;
  /** The runtime behind the transport: the suite registers its functions and starts and drains the worker. */
  runtime: LocalRuntime;
  teardown(): Promise<void>;
}

export function describeTransportContract(name: string, setup: () => Promise<TransportFixture>): void {
  describe(`Transport contract: ${name}`, () => {
    let fixture: TransportFixture;
    let recorded: string[];

    const greet = defineFunction('greet', {
      input: z.object({ name: z.string() }),
      handler: ({ name }) => ({ greeting: `hello ${name}` }),
    });
    const explode = defineFunction('explode', {
      input: z.object({}),
      handler: () => {
        throw new TypeError('the function exploded');
      },
    });
    const recorder = defineController('recorder', {
      record: {
        payload: z.object({ key: z.string() }),
        handler: ({ key }) => {
          recorded.push(key);
        },
      },
    });

    beforeEach(async () => {
      recorded = [];
      fixture = await setup();
      fixture.runtime.registerAll([greet, explode, recorder]);
    });

    afterEach(async () => {
      await fixture.teardown();
    });

    async function rejection(promise: Promise<unknown>): Promise<InvokeError> {
      const error = await promise.then(
        () => expect.unreachable('the invocation should have been refused'),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvokeError);
      return error as InvokeError;
    }

    it('RequestResponse resolves 200 with the function’s result', async () => {
      const result = await fixture.transport.invoke('greet', { name: 'Ada' }, 'RequestResponse');
      expect(result).toMatchObject({ statusCode: 200, payload: { greeting: 'hello Ada' }, executedVersion: '$LATEST' });
      expect(result.functionError).toBeUndefined();
      expect(result.requestId).toEqual(expect.any(String));
    });

    it('a function that throws resolves 200 with functionError Unhandled and the Node.js error shape', async () => {
      const result = await fixture.transport.invoke('explode', {}, 'RequestResponse');
      expect(result.statusCode).toBe(200);
      expect(result.functionError).toBe('Unhandled');
      expect(result.payload).toMatchObject({ errorType: 'TypeError', errorMessage: 'the function exploded' });
      const trace = (result.payload as { trace: unknown }).trace;
      expect(Array.isArray(trace) && trace.every((line) => typeof line === 'string')).toBe(true);
      expect((trace as string[])[0]).toBe('TypeError: the function exploded');
    });

    it('Event resolves 202 once the event is stored, and the handler runs afterwards', async () => {
      // The worker is not started yet: the 202 cannot depend on the handler having run.
      const result = await fixture.transport.invoke('recorder', { function: 'record', key: 'e1' }, 'Event');
      expect(result.statusCode).toBe(202);
      expect(recorded).toEqual([]);
      fixture.runtime.start();
      await fixture.runtime.drain();
      expect(recorded).toEqual(['e1']);
      expect(fixture.runtime.getInvocation(result.requestId!)).toMatchObject({ type: 'Event', outcome: 'Success', attempts: 1 });
    });

    it('DryRun resolves 204 and the handler never runs', async () => {
      fixture.runtime.start();
      const result = await fixture.transport.invoke('recorder', { function: 'record', key: 'dry' }, 'DryRun');
      expect(result.statusCode).toBe(204);
      expect(result.payload).toBeUndefined();
      // A status code alone, in process as over HTTP (API_Invoke.html).
      expect(result.executedVersion).toBeUndefined();
      await fixture.runtime.drain();
      expect(recorded).toEqual([]);
      expect(fixture.runtime.listInvocations()).toEqual([]);
    });

    it('an unknown function rejects with ResourceNotFoundException naming its ARN', async () => {
      const error = await rejection(fixture.transport.invoke('noSuchFunction', {}, 'RequestResponse'));
      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.statusCode).toBe(404);
      expect(error.message).toBe('Function not found: arn:aws:lambda:local:000000000000:function:noSuchFunction');
    });

    it('an Event payload over 1 MB rejects with RequestEntityTooLargeException and is not queued', async () => {
      const payload = { function: 'record', key: 'x'.repeat(EVENT_PAYLOAD_LIMIT) };
      const error = await rejection(fixture.transport.invoke('recorder', payload, 'Event'));
      expect(error.name).toBe('RequestEntityTooLargeException');
      expect(error.statusCode).toBe(413);
      expect(fixture.runtime.listInvocations()).toEqual([]);
    });

    it('accepts the qualifier $LATEST in the name', async () => {
      const result = await fixture.transport.invoke('greet:$LATEST', { name: 'Grace' }, 'RequestResponse');
      expect(result).toMatchObject({ statusCode: 200, payload: { greeting: 'hello Grace' } });
    });

    it('a call is not stopped by the hop its payload claims (Lambda does not read it): test/parity/recursion.test.ts stops real chains', async () => {
      await expect(fixture.transport.invoke('greet', { name: 'loop', _meta: { hop: 16 } }, 'RequestResponse')).resolves.toMatchObject({ statusCode: 200, payload: { greeting: 'hello loop' } });
    });
  });
}
