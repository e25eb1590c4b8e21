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

/** A transport that invokes `<prefix><name>` for `name`. */
export function withFunctionPrefix(transport: Transport, prefix: string): Transport {
  if (prefix === '') return transport;
  return { invoke: (functionName, payload, type, options) => transport.invoke(`${prefix}${functionName}`, payload, type, options) };
}
