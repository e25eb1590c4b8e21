/**
 * The outbox sweep on Lambda, run on a schedule (EventBridge): the pending messages the stream relay
 * could not deliver go to their controllers (`outbox-sweep.ts`). It stops starting batches 10 s
 * before its timeout; what is left waits for the next run.
 */
import { resolveAwsConfig } from '../aws-config.js';
import { createAwsTransport } from '../aws-deps.js';
import { OUTBOX_SWEEP, sweepOutbox, type OutboxSweepResult } from '../outbox-sweep.js';
import { dynamoDbStore } from '../ports/dynamodb.js';
import { carryingTraces } from '../xray.js';
import type { Context } from 'aws-lambda';

const config = resolveAwsConfig(process.env);
const store = dynamoDbStore(config);
const transport = carryingTraces(createAwsTransport(config));

export const handler = async (_event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<OutboxSweepResult> =>
  sweepOutbox({ store, transport, olderThanMs: OUTBOX_SWEEP.olderThanMinutes * 60_000, shouldStop: () => context.getRemainingTimeInMillis() < 10_000 });
