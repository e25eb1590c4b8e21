/**
 * The `local` transport: invocations go straight into the embedded runtime, in-process.
 *
 * @example
 * const transport = createLocalTransport(runtime);
 * await transport.invoke('emailHelper', { function: 'notifyUsers', leedId }, 'Event');
 */
import type { Transport } from '../framework/transport.js';
import type { LocalRuntime } from '../runtime/local-runtime.js';

export function createLocalTransport(runtime: LocalRuntime): Transport {
  return { invoke: (functionName, payload, type, options) => runtime.invoke(functionName, payload, type, options) };
}
