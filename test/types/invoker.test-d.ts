import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { createInvocationContext } from '../../src/framework/context.js';
import { defineController, defineFunction } from '../../src/framework/define.js';
import { invoke } from '../../src/framework/invoker.js';
import type { Transport } from '../../src/framework/transport.js';

const mailer = defineController('mailer', {
  notifyUsers: {
    payload: z.object({ leedId: z.string(), batch: z.number().int().default(0) }),
    handler: async (payload) => {
      expectTypeOf(payload).toEqualTypeOf<{ leedId: string; batch: number }>();
      return { sent: 3 };
    },
  },
  sendReceipt: {
    payload: z.object({ buyer: z.string() }),
    handler: (payload) => payload.buyer.length,
  },
});

const transport: Transport = { invoke: async () => ({ statusCode: 202 }) };
const ctx = createInvocationContext({ functionName: 'caller', timeoutMs: 1000, meta: {}, transport });

describe('the typed invoker', () => {
  it('infers route names, payloads and results from the controller definition', () => {
    const mail = invoke(ctx, mailer);
    expectTypeOf(mail.notifyUsers.event).parameter(0).toEqualTypeOf<{ leedId: string; batch?: number | undefined }>();
    expectTypeOf(mail.notifyUsers.requestResponse).returns.resolves.toEqualTypeOf<{ sent: number }>();
    expectTypeOf(mail.sendReceipt.requestResponse).returns.resolves.toEqualTypeOf<number>();
  });

  it('does not compile with a wrong route name or payload', () => {
    const mail = invoke(ctx, mailer);
    // @ts-expect-error: no such route
    void mail.notifyUser;
    // @ts-expect-error: leedId must be a string
    void mail.notifyUsers.event({ leedId: 42 });
    // @ts-expect-error: leedId is required
    void mail.notifyUsers.event({});
    // @ts-expect-error: the payload of another route
    void mail.sendReceipt.event({ leedId: 'l_1' });
  });

  it('types a function handler from its input schema', () => {
    const fn = defineFunction('getTrades', {
      input: z.object({ limit: z.number() }),
      invokes: [mailer],
      handler: (input) => {
        expectTypeOf(input).toEqualTypeOf<{ limit: number }>();
        return [{ name: 'dj' }];
      },
    });
    expectTypeOf(fn.name).toEqualTypeOf<'getTrades'>();
  });
});
