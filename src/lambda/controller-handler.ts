/**
 * The Lambda entry of a controller: the Event payload (the flat envelope) goes to
 * `controller.dispatch` with a context built from Lambda's, as the local worker does.
 *
 * What follows an ordinary error is Lambda's asynchronous invocation, as the stack configures it
 * (`MaximumRetryAttempts`, `MaximumEventAgeInSeconds`, the on-failure queue). A non-retriable error
 * (unknown route, invalid payload, `NonRetriableError`) is the framework's own rule, which Lambda
 * cannot see: retrying it would fail the same way twice more and reach the on-failure queue minutes
 * later. So this entry delivers the failure record to the on-failure destination itself — the record
 * Lambda would send (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html),
 * built by the same code as the local runtime's, condition `RetriesExhausted`, one invocation — and
 * returns. One attempt and the same record, on AWS and locally.
 *
 * @example
 * export const handler = createControllerHandler(marketplace.controllers.emailHelper, transport, { onFailure });
 */
import type { Context } from 'aws-lambda';
import type { Controller } from '../framework/define.js';
import { buildDestinationRecord, type DestinationRecord } from '../framework/destination-record.js';
import { metaOf } from '../framework/envelope.js';
import { isRetriable, serializeError } from '../framework/errors.js';
import type { Transport } from '../framework/transport.js';
import { invocationContextFromLambda } from './lambda-context.js';

export type ControllerHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Where failure records go: the controller's on-failure destination (an SQS queue in the stack). */
export interface FailureDestination {
  /** Its ARN, for the log. */
  readonly arn: string;
  deliver(record: DestinationRecord): Promise<void>;
}

export interface ControllerHandlerOptions {
  /** Without one, a non-retriable error is thrown like any other (and Lambda retries it). */
  onFailure?: FailureDestination;
}

/** The Lambda handler of one controller; `transport` is how it reaches the controllers it invokes. */
export function createControllerHandler(controller: Controller, transport: Transport, options: ControllerHandlerOptions = {}): ControllerHandler {
  return async (event, context) => {
    try {
      return await controller.dispatch(event, invocationContextFromLambda(controller, context, metaOf(event), transport));
    } catch (error) {
      if (isRetriable(error) || options.onFailure === undefined) throw error;
      const failure = serializeError(error);
      const record = buildDestinationRecord({
        requestId: context.awsRequestId,
        functionArn: context.invokedFunctionArn,
        condition: 'RetriesExhausted',
        attempts: 1,
        requestPayload: event,
        response: { error: failure },
        at: Date.now(),
      });
      try {
        await options.onFailure.deliver(record);
      } catch (deliveryError) {
        // The record did not reach its destination: let Lambda's own retries and destination take over.
        console.error(JSON.stringify({ controller: controller.name, requestId: context.awsRequestId, destinationDeliveryFailed: serializeError(deliveryError) }));
        throw error;
      }
      console.error(JSON.stringify({ controller: controller.name, requestId: context.awsRequestId, nonRetriable: failure, deliveredTo: options.onFailure.arn }));
      return null;
    }
  };
}
