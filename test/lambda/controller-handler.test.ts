import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineController } from '../../src/framework/define.js';
import { InvalidPayloadError, UnknownFunctionError } from '../../src/framework/errors.js';
import { invoke } from '../../src/framework/invoker.js';
import { InvokeError } from '../../src/framework/transport.js';
import { z } from 'zod';
import { createControllerHandler } from '../../src/lambda/controller-handler.js';
import { aLeed, aUser } from '../helpers/builders.js';
import { fixture, lambdaContext, localMarketplace, recordingTransport, type LocalMarketplace } from './fakes.js';

let m: LocalMarketplace;
let transport: ReturnType<typeof recordingTransport>;

beforeEach(async () => {
  m = await localMarketplace();
  transport = recordingTransport();
});
afterEach(() => m.close());

describe('Lambda entry of a controller (Event)', () => {
  it('dispatches the flat envelope to its route: the magic-link email is sent once, however often it is delivered', async () => {
    const handler = createControllerHandler(m.marketplace.controllers.emailHelper, transport);
    const event = fixture('email-helper-magic-link.json');
    expect(await handler(event, lambdaContext('emailHelper', { requestId: 'first-delivery' }))).toEqual({ sent: true });
    // Lambda may deliver an Event twice: the second delivery sends nothing.
    expect(await handler(event, lambdaContext('emailHelper', { requestId: 'second-delivery' }))).toEqual({ sent: true });
    const emails = m.outbox.listEmails({ to: 'pat@example.com', kind: 'magic-link' });
    expect(emails).toHaveLength(1);
    expect(emails[0]!.text).toMatch(/https:\/\/r4nd0m1d\.execute-api\.us-east-1\.amazonaws\.com\/signin\/confirm#token=[A-Za-z0-9_-]{43}/);
  });

  it('gives the handler a context from Lambda’s: request id, ARN, remaining time, and the envelope’s trace and hop', async () => {
    let seen: Record<string, unknown> = {};
    const probe = defineController('probe', {
      look: {
        payload: z.object({}),
        handler: (_payload, ctx) => {
          seen = {
            awsRequestId: ctx.awsRequestId,
            functionName: ctx.functionName,
            invokedFunctionArn: ctx.invokedFunctionArn,
            logGroupName: ctx.logGroupName,
            remaining: ctx.getRemainingTimeInMillis(),
            meta: ctx.meta,
          };
          return 'ok';
        },
      },
    });
    await createControllerHandler(probe, transport)(
      { function: 'look', _meta: { parentId: 'p-1', traceId: 't-1', hop: 3 } },
      lambdaContext('probe', { requestId: 'r-42', timeoutMs: 30_000 }),
    );
    expect(seen).toEqual({
      awsRequestId: 'r-42',
      functionName: 'probe',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Leedz-probe',
      logGroupName: '/aws/lambda/Leedz-probe',
      remaining: expect.any(Number),
      meta: { requestId: 'r-42', parentId: 'p-1', traceId: 't-1', hop: 3 },
    });
    expect(seen.remaining).toBeGreaterThan(29_000);
    expect(seen.remaining).toBeLessThanOrEqual(30_000);
  });

  it('fans out through the transport with Event, to itself only, one hop further', async () => {
    const creator = await m.store.createUser(aUser({ username: 'seller', email: 'seller@example.com' }), []);
    const leed = aLeed({ creator: creator.username, trade: 'dj' });
    await m.store.insertLeed(leed, []);
    const subscriber = await m.store.createUser(aUser({ username: 'dj1', email: 'dj1@example.com' }), []);
    await m.store.updateUser(subscriber.username, { subscriptions: ['dj'] });

    const handler = createControllerHandler(m.marketplace.controllers.emailHelper, transport);
    const result = await handler({ function: 'notifyUsers', leedId: leed.id, trade: 'dj', _meta: { hop: 1, traceId: 'trace-1' } }, lambdaContext('emailHelper', { requestId: 'fan-out' }));
    expect(result).toEqual({ batches: 1 });
    expect(transport.calls).toEqual([
      {
        functionName: 'emailHelper',
        type: 'Event',
        payload: expect.objectContaining({ function: 'notifyBatch', leedId: leed.id, trade: 'dj', after: null, _meta: expect.objectContaining({ parentId: 'fan-out', traceId: 'trace-1', hop: 2 }) }),
      },
    ]);
  });

  it('refuses to invoke what the controller did not declare, naming the declaration (IAM would refuse it too)', async () => {
    const other = defineController('other', { ping: { payload: z.object({}), handler: () => 'pong' } });
    const sneaky = defineController('sneaky', {
      go: { payload: z.object({}), handler: async (_payload, ctx) => invoke(ctx, other).ping.event({}) },
    });
    const run = createControllerHandler(sneaky, transport)({ function: 'go' }, lambdaContext('sneaky'));
    await expect(run).rejects.toBeInstanceOf(InvokeError);
    await expect(run).rejects.toThrow(/add it to \w+'s "invokes" \(a function lists the controller itself, a controller its name\)/);
    expect(transport.calls).toEqual([]);
  });

  it('rejects an unknown route or an invalid payload with the framework’s non-retriable errors', async () => {
    const handler = createControllerHandler(m.marketplace.controllers.bookkeeping, transport);
    await expect(handler({ function: 'constructor' }, lambdaContext('bookkeeping'))).rejects.toBeInstanceOf(UnknownFunctionError);
    await expect(handler({ function: 'userCreated', username: '' }, lambdaContext('bookkeeping'))).rejects.toBeInstanceOf(InvalidPayloadError);
  });
});
