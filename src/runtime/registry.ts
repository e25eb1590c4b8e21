/**
 * The runtime's registry: the functions it runs, by name, with the settings that apply to each (the
 * code's declaration, overridden by the management API's changes: src/runtime/function-settings.ts),
 * and Lambda's name resolution — a name, `name:$LATEST`, a partial or full ARN of any region and
 * account, or the deployed name `<stack>-<name>` (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 *
 * @example
 * const registry = createRegistry({ settings, region: 'local', accountId: '000000000000', prefixes: ['Leedz-'] });
 * registry.register(emailHelper);
 * registry.resolve('arn:aws:lambda:us-east-1:123456789012:function:Leedz-emailHelper').deployable.name; // 'emailHelper'
 */
import type { Deployable, FunctionConfig } from '../framework/define.js';
import { InvokeError } from '../framework/transport.js';
import { FUNCTION_NAME_PATTERN, MAX_FUNCTION_NAME, namesVersionOrAlias, parseFunctionName } from './function-name.js';
import type { EffectiveConfig, EventInvokeConfig, FunctionSettings } from './function-settings.js';

export interface ResolvedFunction {
  deployable: Deployable;
  /** What applies now: the code's declaration, overridden by the management API's changes. */
  config: EffectiveConfig;
  allowedTargets: ReadonlySet<string> | 'any';
}

export interface Registry {
  /** Register a function; `overrides` changes its declared settings locally (a test's shorter retries). */
  register(deployable: Deployable, overrides?: FunctionConfig): void;
  names(): string[];
  has(name: string): boolean;
  /** The registered function `name` with its settings as they apply now. */
  describe(name: string): ResolvedFunction | undefined;
  /** The registered name `functionName` designates (any of Lambda's forms, or the deployed name; a qualifier only $LATEST), or undefined. */
  nameOf(functionName: string): string | undefined;
  /** The function a caller's `FunctionName` designates, or Lambda's error (`ValidationException`, `ResourceNotFoundException`). */
  resolve(functionName: string): ResolvedFunction;
  /** {@link resolve} with the request's `Qualifier` folded in (Lambda takes it in either place): the registered name. */
  resolveName(functionName: string, qualifier?: string): string;
  /**
   * `functionName` with a request's separate `Qualifier` folded in (`name:qualifier`) when the name
   * carries none; ResourceNotFoundException for a qualifier that no version or alias can have (a `$`
   * inside it, which the parameter's pattern admits), rather than a complaint about the name.
   */
  withQualifier(functionName: string, qualifier: string): string;
  arnOf(name: string): string;
  eventInvokeConfig(name: string): EventInvokeConfig | undefined;
  putEventInvokeConfig(name: string, config: Omit<EventInvokeConfig, 'lastModified'>): EventInvokeConfig;
  deleteEventInvokeConfig(name: string): void;
  reservedConcurrency(name: string): number | undefined;
  setReservedConcurrency(name: string, value: number | undefined): void;
  /** Hold or release the function's queue (the local runtime's own setting: AWS has none; its reserved concurrency 0 drops events, it does not hold them). */
  setPaused(name: string, paused: boolean): void;
}

interface Registration {
  deployable: Deployable;
  declared: FunctionConfig;
  allowedTargets: ReadonlySet<string>;
}

export function createRegistry(options: { settings: FunctionSettings; region: string; accountId: string; prefixes: readonly string[]; onChange?: () => void }): Registry {
  // Each function's settings as they apply now, read on every invocation: kept until something changes.
  const current = new Map<string, ResolvedFunction>();
  const changed = () => {
    current.clear();
    options.onChange?.();
  };
  const { settings, prefixes } = options;
  const functions = new Map<string, Registration>();
  const arnOf = (name: string) => `arn:aws:lambda:${options.region}:${options.accountId}:function:${name}`;

  const resolved = (registration: Registration): ResolvedFunction => {
    const name = registration.deployable.name;
    let found = current.get(name);
    if (found === undefined) {
      found = { deployable: registration.deployable, config: settings.effective(name, registration.declared), allowedTargets: registration.allowedTargets };
      current.set(name, found);
    }
    return found;
  };

  const registeredName = (name: string): string | undefined => {
    if (functions.has(name)) return name;
    for (const prefix of prefixes) {
      if (name.startsWith(prefix) && functions.has(name.slice(prefix.length))) return name.slice(prefix.length);
    }
    return undefined;
  };

  const registration = (name: string): Registration => {
    const found = functions.get(name);
    if (found === undefined) throw new RangeError(`${name}: no such function`);
    return found;
  };

  function resolve(functionName: string): ResolvedFunction {
    const parsed = parseFunctionName(functionName);
    if (parsed === undefined) {
      // Lambda checks the name against its length (1–170) and its pattern before looking it up
      // (API_Invoke.html#API_Invoke_RequestSyntax); a name too long is told so, not that its form is wrong.
      const broken = functionName.length > MAX_FUNCTION_NAME ? `Member must have length less than or equal to ${MAX_FUNCTION_NAME}` : `Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN}`;
      throw new InvokeError('ValidationException', `1 validation error detected: Value '${functionName}' at 'functionName' failed to satisfy constraint: ${broken}`);
    }
    if (parsed.qualifier !== undefined && parsed.qualifier !== '$LATEST') {
      throw new InvokeError('ResourceNotFoundException', `Function not found: ${arnOf(parsed.name)}:${parsed.qualifier} (the local runtime has only $LATEST)`);
    }
    const name = registeredName(parsed.name);
    const found = name === undefined ? undefined : functions.get(name);
    if (found === undefined) throw new InvokeError('ResourceNotFoundException', `Function not found: ${arnOf(parsed.name)}`);
    return resolved(found);
  }

  function withQualifier(functionName: string, qualifier: string): string {
    const parsed = parseFunctionName(functionName);
    if (parsed?.qualifier !== undefined) return functionName;
    if (parsed !== undefined && !namesVersionOrAlias(qualifier)) throw new InvokeError('ResourceNotFoundException', `Function not found: ${arnOf(parsed.name)}:${qualifier}`);
    return `${functionName}:${qualifier}`;
  }

  return {
    register(deployable, overrides = {}) {
      functions.set(deployable.name, {
        deployable,
        declared: { ...deployable.config, ...overrides },
        // What the code declares is all it may invoke, as its IAM policy allows on AWS.
        allowedTargets: new Set(deployable.invokes),
      });
      current.delete(deployable.name);
    },
    names: () => [...functions.keys()],
    has: (name) => functions.has(name),
    describe(name) {
      const found = functions.get(name);
      return found === undefined ? undefined : resolved(found);
    },
    nameOf(functionName) {
      const parsed = parseFunctionName(functionName);
      // A version or alias other than $LATEST designates nothing here, as in resolve.
      if (parsed === undefined || (parsed.qualifier !== undefined && parsed.qualifier !== '$LATEST')) return undefined;
      return registeredName(parsed.name);
    },
    resolve,
    resolveName(functionName, qualifier) {
      return resolve(qualifier === undefined ? functionName : withQualifier(functionName, qualifier)).deployable.name;
    },
    withQualifier,
    arnOf,
    eventInvokeConfig: (name) => settings.eventInvokeConfig(name, registration(name).declared),
    putEventInvokeConfig(name, config) {
      for (const destination of [config.onSuccess, config.onFailure]) {
        if (destination !== undefined && !functions.has(destination)) throw new RangeError(`destination ${destination}: no such function`);
      }
      const stored = settings.putEventInvokeConfig(name, registration(name).declared, config);
      changed();
      return stored;
    },
    deleteEventInvokeConfig(name) {
      registration(name);
      settings.deleteEventInvokeConfig(name);
      changed();
    },
    reservedConcurrency: (name) => settings.reservedConcurrency(name, registration(name).declared),
    setReservedConcurrency(name, value) {
      registration(name);
      settings.setReservedConcurrency(name, value);
      changed();
    },
    setPaused(name, paused) {
      registration(name);
      settings.setPaused(name, paused);
      changed();
    },
  };
}
