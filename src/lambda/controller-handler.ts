/**
 * The Lambda entry of a controller: the Event payload (the flat envelope) goes to
 * `controller.dispatch` with a context built from Lambda's — nothing else, as the local worker does.
 *
 * What follows a thrown error is Lambda's asynchronous invocation, as the stack configures it
 * (`MaximumRetryAttempts`, `MaximumEventAgeInSeconds`, the on-failure queue). One difference from
 * the local runtime: Lambda cannot tell a non-retriable error (unknown route, invalid payload) from
 * another, so it retries those too before the record reaches the on-failure queue.
 *
 * @example
 * export const handler = createControllerHandler(marketplace.controllers.emailHelper, transport);
 */
import type { Context } from 'aws-lambda';
import type { Controller } from '../framework/define.js';
import { metaOf } from '../framework/envelope.js';
import type { Transport } from '../framework/transport.js';
import { invocationContextFromLambda } from './lambda-context.js';

export type ControllerHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The Lambda handler of one controller; `transport` is how it reaches the controllers it invokes. */
export function createControllerHandler(controller: Controller, transport: Transport): ControllerHandler {
  return (event, context) => controller.dispatch(event, invocationContextFromLambda(controller, context, metaOf(event), transport));
}
