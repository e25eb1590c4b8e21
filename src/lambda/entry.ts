/**
 * What every Lambda entry file (`src/lambda/entries/<name>.ts`) is made of: the configuration read
 * once per container, the ports its code uses, its deployable built from the marketplace's own
 * factory, and the Lambda handler of its kind — API Gateway v2 for a function, Event for a
 * controller. The entry names its ports; this file names none, so esbuild bundles a Lambda with
 * only the adapters and SDK clients its entry imports.
 *
 * Everything is built when the module loads (Lambda's init phase), with no I/O: a misconfigured
 * Lambda fails at its first cold start, naming what is wrong.
 *
 * @example
 * // src/lambda/entries/get-trades.ts
 * export const handler = httpEntry((deps) => createGetTrades(deps), { store: dynamoDbStore });
 */
import { resolveAwsConfig, type AwsConfig } from './aws-config.js';
import { createFailureDestination } from './aws-deps.js';
import { cognitoSessions } from './ports/sessions.js';
import type { Controller, Deployable } from '../framework/define.js';
import type { Transport } from '../framework/transport.js';
import type { MarketplaceDeps } from '../leedz/deps.js';
import { createControllerHandler, type ControllerHandler } from './controller-handler.js';
import { createHttpHandler, type HttpHandler } from './http-handler.js';
import { lambdaDeps, type PortBuilders } from './lambda-deps.js';

export interface EntryPorts extends PortBuilders {
  /** The Lambda transport, for a deployable that invokes controllers (`invokes`). */
  transport?: (config: AwsConfig) => Transport;
}

/** The API Gateway v2 handler of the function `create` builds; its HTTP edge checks sessions with Cognito's keys. */
export function httpEntry(create: (deps: MarketplaceDeps) => Deployable, ports: EntryPorts = {}): HttpHandler {
  const { config, deployable, transport } = build(create, ports);
  if (deployable.kind !== 'function') throw new Error(`${deployable.name} is a controller; its entry must use controllerEntry`);
  return createHttpHandler(deployable, transport, cognitoSessions(config), {
    allowedOrigins: [new URL(config.publicUrl).origin],
    publicUrl: config.publicUrl,
    ...(config.originVerify === undefined ? {} : { originSecret: config.originVerify }),
  });
}

/**
 * The Event handler of the controller `create` builds. Its on-failure destination (the stack sets
 * `LEEDZ_ON_FAILURE_DESTINATION`) receives the records of non-retriable errors from the entry itself.
 */
export function controllerEntry(create: (deps: MarketplaceDeps) => Controller, ports: EntryPorts = {}): ControllerHandler {
  const { config, deployable, transport } = build(create, ports);
  if (deployable.kind !== 'controller') throw new Error(`${deployable.name} is a function; its entry must use httpEntry`);
  const onFailure = config.onFailureDestination === undefined ? {} : { onFailure: createFailureDestination(config.onFailureDestination) };
  return createControllerHandler(deployable, transport, onFailure);
}

function build<D extends Deployable>(create: (deps: MarketplaceDeps) => D, ports: EntryPorts) {
  const config = resolveAwsConfig(process.env);
  const deps = lambdaDeps(config, ports);
  const deployable = create(deps);
  if (deployable.name !== config.function) {
    throw new Error(`this Lambda's entry builds ${deployable.name}, but LEEDZ_FUNCTION is "${config.function}": the stack gave it another function's code`);
  }
  if (deployable.invokes.length > 0 && ports.transport === undefined) {
    throw new Error(`${deployable.name} invokes ${deployable.invokes.join(', ')}, but its entry builds no transport: add transport: createAwsTransport`);
  }
  const transport: Transport = ports.transport?.(config) ?? {
    invoke: async (target) => {
      throw new Error(`${deployable.name} may invoke nothing (it declares no invokes), yet it invoked ${target}`);
    },
  };
  return { config, deployable, transport };
}
