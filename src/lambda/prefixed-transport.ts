/**
 * Deployables are named in the code (`emailHelper`) and deployed under a prefix
 * (`Leedz-emailHelper`), so two stacks can live in one account and region; this transport makes the
 * translation, so the code never knows the physical names.
 *
 * @example
 * const transport = withFunctionPrefix(createLambdaTransport({ client }), 'Leedz-');
 * await transport.invoke('emailHelper', envelope, 'Event'); // invokes Leedz-emailHelper
 */
import type { Transport } from '../framework/transport.js';
import { laneOf } from '../leedz/controllers/mail-lanes.js';

/** A transport that invokes `<prefix><name>` for `name`. */
export function withFunctionPrefix(transport: Transport, prefix: string): Transport {
  if (prefix === '') return transport;
  return { invoke: (functionName, payload, type, options) => transport.invoke(`${prefix}${functionName}`, payload, type, options) };
}

/**
 * A transport that sends a controller's route to the Lambda of its lane (`emailHelper`'s bulk routes
 * to `emailHelperBulk`: `src/leedz/controllers/mail-lanes.ts`); every other invocation as it is.
 *
 * @example
 * await withLanes(transport).invoke('emailHelper', { function: 'notifyBatch', … }, 'Event'); // invokes emailHelperBulk
 */
export function withLanes(transport: Transport): Transport {
  return {
    invoke: (functionName, payload, type, options) =>
      transport.invoke(laneOf(functionName, (payload as { function?: unknown } | null)?.function), payload, type, options),
  };
}
