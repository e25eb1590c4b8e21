/**
 * The operations console (web/console/types.ts) repeats the shapes of the runtime's `/local` JSON,
 * because the browser bundle cannot type-check against Node modules. These checks keep the copies
 * honest: whatever the runtime sends must be what the console reads, field by field.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { OutboxEmail } from '../../src/adapters/mailer/outbox/outbox-mailer.js';
import type { DestinationRecord } from '../../src/framework/destination-record.js';
import type { DeadLetterView, FunctionMetrics, InvocationView } from '../../src/runtime/local-runtime.js';
import type { InvocationState, Outcome } from '../../src/runtime/runtime-db.js';
import type * as Console from '../../web/console/types.js';

describe('the console reads the runtime as it is', () => {
  it('has the same outcomes and states', () => {
    expectTypeOf<Console.Outcome>().toEqualTypeOf<Outcome>();
    expectTypeOf<Console.InvocationState>().toEqualTypeOf<InvocationState>();
  });

  it('reads every field of an invocation, a dead letter, a destination record, the metrics and an email', () => {
    expectTypeOf<InvocationView>().toExtend<Console.Invocation>();
    expectTypeOf<keyof InvocationView>().toEqualTypeOf<keyof Console.Invocation>();
    expectTypeOf<DeadLetterView>().toExtend<Console.DeadLetter>();
    expectTypeOf<keyof DeadLetterView>().toEqualTypeOf<keyof Console.DeadLetter>();
    expectTypeOf<DestinationRecord>().toExtend<Console.DestinationRecord>();
    expectTypeOf<FunctionMetrics>().toExtend<Console.FunctionMetrics>();
    expectTypeOf<keyof FunctionMetrics>().toEqualTypeOf<keyof Console.FunctionMetrics>();
    expectTypeOf<OutboxEmail>().toExtend<Console.OutboxEmail>();
  });
});
