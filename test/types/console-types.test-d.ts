/**
 * The operations console (web/console/types.ts) reads the runtime's JSON and the dev outbox's emails
 * with the server's own types (src/runtime/views.ts and src/adapters/mailer/outbox/outbox-email.ts,
 * which have no Node imports), not with copies of them.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { OutboxEmail } from '../../src/adapters/mailer/outbox/outbox-mailer.js';
import type { InvocationView } from '../../src/runtime/views.js';
import type * as Console from '../../web/console/types.js';

describe('the console reads the server as it is', () => {
  it('uses the runtime’s own shapes', () => {
    expectTypeOf<Console.Invocation>().toEqualTypeOf<InvocationView>();
  });

  it('uses the dev outbox’s own email', () => {
    expectTypeOf<Console.OutboxEmail>().toEqualTypeOf<OutboxEmail>();
  });
});
