/**
 * The one file CDK bundles for every Lambda of the marketplace. Each Lambda names its handler —
 * `http` (API Gateway v2), `controller` (Event) or `outboxStream` (DynamoDB stream) — and its
 * deployable in `LEEDZ_FUNCTION`; `createMarketplace` builds every function from one set of
 * dependencies anyway, so one bundle serves all of them, and esbuild runs once per synth instead of
 * once per function (CDK reuses the bundle of an identical entry and options).
 *
 * Configuration and clients are built once per container, when the module loads (Lambda's init
 * phase); nothing here does I/O until an invocation asks for it.
 */
import type { Deployable } from '../framework/define.js';
import { createMarketplace } from '../leedz/marketplace.js';
import { resolveAwsConfig } from './aws-config.js';
import { createAwsDeps, createAwsTransport, createFailureDestination } from './aws-deps.js';
import { createControllerHandler, type ControllerHandler } from './controller-handler.js';
import { dynamoDbOutboxMessage } from './dynamodb-outbox.js';
import { createHttpHandler, type HttpHandler } from './http-handler.js';
import { createOutboxStreamHandler, type OutboxStreamHandler } from './outbox-stream-handler.js';
import { OUTBOX_SWEEP, sweepOutbox, type OutboxSweepResult } from './outbox-sweep.js';

const config = resolveAwsConfig(process.env);
const deps = createAwsDeps(config);
const transport = createAwsTransport(config);
const marketplace = createMarketplace(deps);

let httpHandler: HttpHandler | undefined;
let controllerHandler: ControllerHandler | undefined;
let streamHandler: OutboxStreamHandler | undefined;

/** A request-response function behind the HTTP API. */
export const http: HttpHandler = async (event, context) => (httpHandler ??= createHttpHandler(find(marketplace.functions), transport, deps.identity, { allowedOrigins: [new URL(config.publicUrl).origin] }))(
    event,
    context,
  );

/** A controller, invoked with `Event`. */
export const controller: ControllerHandler = async (event, context) =>
  (controllerHandler ??= createControllerHandler(
    find(Object.values(marketplace.controllers)),
    transport,
    config.onFailureDestination === undefined ? {} : { onFailure: createFailureDestination(config.onFailureDestination) },
  ))(event, context);

/** The outbox relay, on the table's stream. */
export const outboxStream: OutboxStreamHandler = async (event) =>
  (streamHandler ??= createOutboxStreamHandler({ store: deps.store, transport, readMessage: dynamoDbOutboxMessage }))(event);

/** The outbox sweep, on a schedule (EventBridge): it stops starting batches 10 s before its timeout. */
export const outboxSweep = async (_event: unknown, context: { getRemainingTimeInMillis(): number }): Promise<OutboxSweepResult> =>
  sweepOutbox({
    store: deps.store,
    transport,
    olderThanMs: OUTBOX_SWEEP.olderThanMinutes * 60_000,
    shouldStop: () => context.getRemainingTimeInMillis() < 10_000,
  });

function find<D extends Deployable>(deployables: readonly D[]): D {
  const found = deployables.find((d) => d.name === config.function);
  if (found === undefined) {
    throw new Error(`LEEDZ_FUNCTION "${config.function}" is none of ${deployables.map((d) => d.name).join(', ')}; this Lambda's handler and LEEDZ_FUNCTION disagree`);
  }
  return found;
}
