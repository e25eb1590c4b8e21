/**
 * The framework's public surface: what an application author imports to write request-response
 * functions and asynchronous controllers, invoke them with types, handle their errors the same way on
 * AWS and locally, keep Event side effects idempotent, and plug in a transport. Everything else in
 * `src/framework/` is how it works, not what it offers.
 *
 * @example
 * import { defineController, defineFunction, invoke, NonRetriableError } from './src/framework/index.js';
 */
export { defineController, defineFunction } from './define.js';
export type { Controller, ControllerConfig, Deployable, FunctionConfig, FunctionDefinition, LambdaFunction, RouteDefinition, TableAccess, TableAction } from './define.js';
export { invoke, prepare, FunctionInvocationError, MAX_HOPS } from './invoker.js';
export type { ControllerInvoker, ControllerPreparer, EventOptions, PreparedInvocation, RouteInvoker } from './invoker.js';
export type { InvocationContext, InvocationMeta, LambdaContext } from './context.js';
export { errorDetails, FrameworkError, InvalidPayloadError, isRetriable, NonRetriableError, RecursionLimitError, RetryAfterError, TimeoutError, UnknownFunctionError } from './errors.js';
export type { FieldIssue, SerializedFunctionError } from './errors.js';
export { createIdempotency } from './idempotency.js';
export type { ClaimRequest, ClaimResult, CreateIdempotencyOptions, Idempotency, IdempotencyStore } from './idempotency.js';
export { buildDestinationRecord, destinationRecordSchema } from './destination-record.js';
export type { DestinationCondition, DestinationRecord } from './destination-record.js';
export type { Envelope, EnvelopeMeta } from './envelope.js';
export { InvokeError } from './transport.js';
export type { InvocationType, InvokeOptions, InvokeResult, Transport } from './transport.js';
export { RawJson } from './raw-json.js';
export type { InputDescription } from './input-docs.js';
