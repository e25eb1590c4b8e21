/**
 * The operations console (web/console/types.ts) reads the runtime's JSON with the runtime's own types
 * (src/runtime/views.ts, which has no Node imports); only the dev outbox's email is described again
 * there, because its module is Node code. This keeps that one copy honest.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { OutboxEmail } from '../../src/adapters/mailer/outbox/outbox-mailer.js';
import type { InvocationView } from '../../src/runtime/views.js';
import type * as Console from '../../web/console/types.js';

describe('the console reads the runtime as it is', () => {
  it('uses the runtime’s own shapes', () => {
    expectTypeOf<Console.Invocation>().toEqualTypeOf<InvocationView>();
  });

  it('reads every field of an email of the dev outbox', () => {
    expectTypeOf<OutboxEmail>().toExtend<Console.OutboxEmail>();
    expectTypeOf<keyof OutboxEmail>().toEqualTypeOf<keyof Console.OutboxEmail>();
  });
});
