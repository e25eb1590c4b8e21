/**
 * The record Lambda sends to an asynchronous invocation's destination
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html), and the
 * schema a destination function uses to read it. The local runtime builds every record with
 * {@link buildDestinationRecord}; on AWS, the controller's Lambda entry builds the one for a
 * non-retriable error with it too (Lambda builds the others), so both sides send the same record.
 *
 * @example
 * const recordFailure = defineFunction('recordFailure', { input: destinationRecordSchema, handler: (record) => … });
 */
import { z } from 'zod';
import type { SerializedFunctionError } from './errors.js';

/** Why an asynchronous invocation ended, as a destination record says it (plus recursion, as Lambda reports a stopped loop). */
/**
 * Why a record was sent: AWS's conditions, recursion's stop, and an event sent on while its function's
 * reserved concurrency is 0 (AWS's page says such events go to the failure destination without any
 * attempt, and names no condition for them: the runtime writes `ZeroReservedConcurrency`).
 */
export const DESTINATION_CONDITIONS = ['Success', 'RetriesExhausted', 'EventAgeExceeded', 'RecursiveInvocationException', 'ZeroReservedConcurrency'] as const;
export type DestinationCondition = (typeof DESTINATION_CONDITIONS)[number];

export const destinationRecordSchema = z.object({
  version: z.literal('1.0'),
  timestamp: z.string(),
  requestContext: z.object({
    requestId: z.string(),
    functionArn: z.string(),
    condition: z.enum(DESTINATION_CONDITIONS),
    approximateInvokeCount: z.number().int().nonnegative(),
  }),
  requestPayload: z.unknown(),
  responseContext: z
    .object({
      statusCode: z.number().int(),
      executedVersion: z.string(),
      functionError: z.literal('Unhandled').optional(),
    })
    .optional(),
  responsePayload: z.unknown().optional(),
});

export type DestinationRecord = z.infer<typeof destinationRecordSchema>;

export interface RecordInput {
  requestId: string;
  /** The function's ARN, with or without its qualifier (`$LATEST` is added when it has none). */
  functionArn: string;
  condition: DestinationCondition;
  attempts: number;
  requestPayload: unknown;
  /** The handler's result (Success) or its serialised error; absent when the function never ran. */
  response?: { result: unknown } | { error: SerializedFunctionError };
  at: number;
}

export function buildDestinationRecord(input: RecordInput): DestinationRecord {
  const record: DestinationRecord = {
    version: '1.0',
    timestamp: new Date(input.at).toISOString(),
    requestContext: {
      requestId: input.requestId,
      functionArn: qualified(input.functionArn),
      condition: input.condition,
      approximateInvokeCount: input.attempts,
    },
    requestPayload: input.requestPayload,
  };
  if (input.response !== undefined) {
    const failed = 'error' in input.response;
    record.responseContext = { statusCode: 200, executedVersion: '$LATEST' };
    if (failed) record.responseContext.functionError = 'Unhandled';
    record.responsePayload = failed ? (input.response as { error: unknown }).error : (input.response as { result: unknown }).result;
  }
  return record;
}

/** `arn:…:function:name` → `arn:…:function:name:$LATEST`; a qualified ARN stays as it is. */
function qualified(arn: string): string {
  // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
  return arn.split(':').length >= 8 ? arn : `${arn}:$LATEST`;
}
