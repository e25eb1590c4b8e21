/**
 * The part of Lambda's management API that SDKs, the AWS CLI and tools call against a function, with
 * AWS's paths, request and response shapes and error names, so that `aws lambda list-functions`,
 * boto3's `get_function_event_invoke_config` or the JS SDK's `PutFunctionConcurrencyCommand` work
 * against the local runtime as against AWS. Changes to a function's asynchronous settings and
 * concurrency take effect on the next attempt of every event and survive a restart
 * (src/runtime/function-settings.ts).
 *
 * Any other Lambda operation gets a JSON error in AWS's shape (`x-amzn-ErrorType:
 * UnknownOperationException`), which every SDK turns into a typed exception, never a text page.
 *
 * API reference: https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html
 *
 * @example
 * app.route('/', createManagementApi(runtime));
 * // aws lambda put-function-event-invoke-config --function-name emailHelper --maximum-retry-attempts 0 --endpoint-url …
 */
import { Hono, type Context } from 'hono';
import { DEPLOYED_FUNCTION } from '../framework/deployment.js';
import { InvokeError } from '../framework/transport.js';
import type { EventInvokeConfig } from './function-settings.js';
import type { LocalRuntime } from './local-runtime.js';
import { requestBody, requestTooLarge } from './access.js';
import { parseFunctionName, qualifierViolation } from './function-name.js';
import { lambdaErrorResponse } from './lambda-errors.js';

/** AWS's quotas that GetAccountSettings reports, where the local runtime has no reason to differ. */
const CODE_STORAGE_BYTES = 80 * 1024 ** 3;
const UNZIPPED_CODE_BYTES = 250 * 1024 ** 2;
const ZIPPED_CODE_BYTES = 50 * 1024 ** 2;
/**
 * ListFunctions takes MaxItems up to 10,000 but answers at most 50 functions a page
 * (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html); ListFunctionEventInvokeConfigs
 * takes 1–50 (https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctionEventInvokeConfigs.html).
 */
const LIST_FUNCTIONS_PAGING = { maxItems: 10_000, perPage: 50 };
const LIST_EVENT_INVOKE_CONFIGS_PAGING = { maxItems: 50, perPage: 50 };
/** ListFunctions' `FunctionVersion` enum: the one value AWS documents (API_ListFunctions.html). */
const FUNCTION_VERSIONS = ['ALL'] as const;

export function createManagementApi(runtime: LocalRuntime): Hono {
  const app = new Hono();
  const startedAt = new Date();

  // ── functions ───────────────────────────────────────────────────────────

  const listFunctions = (c: Context) => {
    const version = c.req.query('FunctionVersion');
    if (version !== undefined && !(FUNCTION_VERSIONS as readonly string[]).includes(version)) {
      throw validation(`Value '${version}' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [${FUNCTION_VERSIONS.join(', ')}]`);
    }
    // With ALL, AWS adds each published version; the local runtime has only $LATEST.
    const names = runtime.functionNames().sort();
    const page = paginate(names, c.req.query('Marker'), c.req.query('MaxItems'), LIST_FUNCTIONS_PAGING);
    return json(c, {
      Functions: page.items.map((name) => functionConfiguration(runtime, name, startedAt)),
      ...(page.next === undefined ? {} : { NextMarker: page.next }),
    });
  };
  app.get('/2015-03-31/functions', listFunctions);
  app.get('/2015-03-31/functions/', listFunctions);

  app.get('/2015-03-31/functions/:FunctionName', (c) => {
    const name = target(runtime, c);
    const reserved = runtime.registry.reservedConcurrency(name);
    return json(c, {
      Configuration: functionConfiguration(runtime, name, startedAt, shownName(c, name)),
      // The code is the server's own source: there is no package to download.
      Code: { RepositoryType: 'S3' },
      ...(reserved === undefined ? {} : { Concurrency: { ReservedConcurrentExecutions: reserved } }),
    });
  });

  app.get('/2015-03-31/functions/:FunctionName/configuration', (c) => {
    const name = target(runtime, c);
    return json(c, functionConfiguration(runtime, name, startedAt, shownName(c, name)));
  });

  // ── asynchronous invocation settings (FunctionEventInvokeConfig) ────────

  const eventInvokeConfig = '/2019-09-25/functions/:FunctionName/event-invoke-config';

  app.get(eventInvokeConfig, (c) => {
    const name = target(runtime, c);
    const config = runtime.registry.eventInvokeConfig(name);
    if (config === undefined) throw noEventInvokeConfig(runtime, name);
    return json(c, eventInvokeConfigView(runtime, name, config));
  });

  // Put replaces the whole configuration; Update changes only what it is given, and only a
  // configuration that exists (https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionEventInvokeConfig.html#API_UpdateFunctionEventInvokeConfig_Errors).
  app.put(eventInvokeConfig, async (c) => {
    const change = parseEventInvokeConfig(runtime, await body(c));
    const name = target(runtime, c);
    return json(c, eventInvokeConfigView(runtime, name, runtime.registry.putEventInvokeConfig(name, change.config)));
  });

  app.post(eventInvokeConfig, async (c) => {
    const change = parseEventInvokeConfig(runtime, await body(c));
    const name = target(runtime, c);
    const current = runtime.registry.eventInvokeConfig(name);
    if (current === undefined) throw noEventInvokeConfig(runtime, name);
    const merged: Omit<EventInvokeConfig, 'lastModified'> = {};
    for (const key of ['maximumRetryAttempts', 'maximumEventAgeSeconds'] as const) {
      const value = change.config[key] ?? current[key];
      if (value !== undefined) merged[key] = value;
    }
    // A DestinationConfig in an update replaces both destinations; without one, they stay.
    const destinations = change.hasDestinations ? change.config : current;
    for (const key of ['onSuccess', 'onFailure', 'onSuccessArn', 'onFailureArn'] as const) {
      if (destinations[key] !== undefined) merged[key] = destinations[key];
    }
    return json(c, eventInvokeConfigView(runtime, name, runtime.registry.putEventInvokeConfig(name, merged)));
  });

  app.delete(eventInvokeConfig, (c) => {
    const name = target(runtime, c);
    if (runtime.registry.eventInvokeConfig(name) === undefined) throw noEventInvokeConfig(runtime, name);
    runtime.registry.deleteEventInvokeConfig(name);
    return c.body(null, 204);
  });

  app.get(`${eventInvokeConfig}/list`, (c) => {
    const name = target(runtime, c);
    const config = runtime.registry.eventInvokeConfig(name);
    const all = config === undefined ? [] : [eventInvokeConfigView(runtime, name, config)];
    const page = paginate(all, c.req.query('Marker'), c.req.query('MaxItems'), LIST_EVENT_INVOKE_CONFIGS_PAGING);
    return json(c, { FunctionEventInvokeConfigs: page.items, ...(page.next === undefined ? {} : { NextMarker: page.next }) });
  });

  // ── concurrency ─────────────────────────────────────────────────────────

  app.get('/2019-09-30/functions/:FunctionName/concurrency', (c) => {
    const reserved = runtime.registry.reservedConcurrency(target(runtime, c));
    return json(c, reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved });
  });

  app.put('/2017-10-31/functions/:FunctionName/concurrency', async (c) => {
    const name = target(runtime, c);
    const value = integerMember(await body(c), 'ReservedConcurrentExecutions', { min: 0 });
    if (value === undefined) {
      throw validation(`Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null`);
    }
    // Reservations come out of the account's concurrency, which here is the worker pool.
    const others = runtime.functionNames().reduce((sum, other) => sum + (other === name ? 0 : (runtime.registry.reservedConcurrency(other) ?? 0)), 0);
    if (value + others > runtime.concurrency) {
      throw new InvokeError(
        'InvalidParameterValueException',
        `Specified ReservedConcurrentExecutions for function ${value} with ${others} reserved by other functions exceeds the account's concurrency of ${runtime.concurrency} (LEEDZ_POOL_SIZE).`,
      );
    }
    runtime.registry.setReservedConcurrency(name, value);
    return json(c, { ReservedConcurrentExecutions: value });
  });

  app.delete('/2017-10-31/functions/:FunctionName/concurrency', (c) => {
    runtime.registry.setReservedConcurrency(target(runtime, c), undefined);
    return c.body(null, 204);
  });

  // ── account ─────────────────────────────────────────────────────────────

  const accountSettings = (c: Context) => {
    const names = runtime.functionNames();
    const reserved = names.reduce((sum, name) => sum + (runtime.registry.reservedConcurrency(name) ?? 0), 0);
    return json(c, {
      AccountLimit: {
        TotalCodeSize: CODE_STORAGE_BYTES,
        CodeSizeUnzipped: UNZIPPED_CODE_BYTES,
        CodeSizeZipped: ZIPPED_CODE_BYTES,
        // The worker pool is the local account's concurrency (LEEDZ_POOL_SIZE).
        ConcurrentExecutions: runtime.concurrency,
        UnreservedConcurrentExecutions: Math.max(0, runtime.concurrency - reserved),
      },
      AccountUsage: { TotalCodeSize: 0, FunctionCount: names.length },
    });
  };
  app.get('/2016-08-19/account-settings', accountSettings);
  app.get('/2016-08-19/account-settings/', accountSettings);

  app.onError((error) => lambdaErrorResponse(error));

  return app;
}

/**
 * Every other path of Lambda's API (`/<api version>/…`): an operation the local runtime does not
 * serve, answered as AWS answers an unknown operation. Mount it after the served routes.
 */
export function createUnknownOperationApi(): Hono {
  const app = new Hono();
  app.all('/:version{20\\d\\d-\\d\\d-\\d\\d}/*', (c) =>
    lambdaErrorResponse(
      new InvokeError('UnknownOperationException', `${c.req.method} ${c.req.path}: the local runtime does not serve this Lambda operation (it serves Invoke, ListFunctions, GetFunction, GetFunctionConfiguration, the event-invoke-config and concurrency operations and GetAccountSettings)`),
    ),
  );
  return app;
}

/** The registered function the path names (a name, a deployed name or an ARN), or AWS's error. */
function target(runtime: LocalRuntime, c: Context): string {
  const raw = c.req.param('FunctionName') ?? '';
  const qualifier = c.req.query('Qualifier');
  if (qualifier !== undefined) {
    // Checked as a member of its own: folded into the name first, a bad one would be blamed on 'functionName'.
    const violation = qualifierViolation(qualifier);
    if (violation !== undefined) throw validation(violation);
  }
  return runtime.registry.resolveName(raw, qualifier);
}

/**
 * Get, Update or Delete of a configuration the function does not have. AWS documents the exception
 * (ResourceNotFoundException, API_UpdateFunctionEventInvokeConfig.html#API_UpdateFunctionEventInvokeConfig_Errors)
 * but not its message; this is the message as other emulators observed it (LocalStack, which records
 * AWS's answers in snapshot tests).
 */
function noEventInvokeConfig(runtime: LocalRuntime, name: string): InvokeError {
  return new InvokeError('ResourceNotFoundException', `The function ${runtime.registry.arnOf(name)}:$LATEST doesn't have an EventInvokeConfig`);
}

/** The name as the caller gave it (`Leedz-emailHelper`, or the name in an ARN): AWS answers with the deployed name. */
function shownName(c: Context, registered: string): string {
  return parseFunctionName(c.req.param('FunctionName') ?? '')?.name ?? registered;
}

function functionConfiguration(runtime: LocalRuntime, name: string, startedAt: Date, shown = name): Record<string, unknown> {
  const fn = runtime.describe(name)!;
  const { deployable, config } = fn;
  const description =
    deployable.kind === 'controller' && 'routeNames' in deployable
      ? `controller; routes: ${(deployable.routeNames as readonly string[]).join(', ')}`
      : 'request-response function';
  return {
    FunctionName: shown,
    FunctionArn: runtime.registry.arnOf(shown),
    // As the stack deploys it (src/framework/deployment.ts), whatever Node.js runs the server.
    Runtime: DEPLOYED_FUNCTION.runtime,
    Role: `arn:aws:iam::${runtime.accountId}:role/${name}-local`,
    Handler: DEPLOYED_FUNCTION.handler,
    CodeSize: 0,
    Description: description,
    Timeout: config.timeoutSeconds,
    MemorySize: DEPLOYED_FUNCTION.memorySizeMb,
    // Lambda's format: ISO 8601 with milliseconds and a numeric zone.
    LastModified: startedAt.toISOString().replace('Z', '+0000'),
    CodeSha256: '',
    Version: '$LATEST',
    TracingConfig: { Mode: DEPLOYED_FUNCTION.tracing },
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: [DEPLOYED_FUNCTION.architecture],
    EphemeralStorage: { Size: 512 },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${shown}` },
  };
}

function eventInvokeConfigView(runtime: LocalRuntime, name: string, config: EventInvokeConfig): Record<string, unknown> {
  const destination = (target: string | undefined, arn: string | undefined) => (target === undefined ? {} : { Destination: arn ?? runtime.registry.arnOf(target) });
  return {
    // Epoch seconds: the API's timestamp format.
    LastModified: config.lastModified / 1000,
    FunctionArn: `${runtime.registry.arnOf(name)}:$LATEST`,
    ...(config.maximumRetryAttempts === undefined ? {} : { MaximumRetryAttempts: config.maximumRetryAttempts }),
    ...(config.maximumEventAgeSeconds === undefined ? {} : { MaximumEventAgeInSeconds: config.maximumEventAgeSeconds }),
    DestinationConfig: { OnSuccess: destination(config.onSuccess, config.onSuccessArn), OnFailure: destination(config.onFailure, config.onFailureArn) },
  };
}

/**
 * The body of Put/UpdateFunctionEventInvokeConfig, validated with AWS's constraints and messages
 * (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html): each member
 * of its type and range, then at least one setting, as AWS refuses a call that sets nothing (the
 * message is as other emulators observed it: LocalStack, which records AWS's answers in snapshot tests).
 * A refused body changes nothing.
 */
function parseEventInvokeConfig(runtime: LocalRuntime, input: Record<string, unknown>): { config: Omit<EventInvokeConfig, 'lastModified'>; hasDestinations: boolean } {
  const config: Omit<EventInvokeConfig, 'lastModified'> = {};
  const retries = integerMember(input, 'MaximumRetryAttempts', { min: 0, max: 2 });
  if (retries !== undefined) config.maximumRetryAttempts = retries;
  const age = integerMember(input, 'MaximumEventAgeInSeconds', { min: 60, max: 21_600 });
  if (age !== undefined) config.maximumEventAgeSeconds = age;
  const destinations = structureMember(input.DestinationConfig, 'destinationConfig');
  const targets = (['OnSuccess', 'OnFailure'] as const).map((field) => {
    const member = `destinationConfig.${field === 'OnSuccess' ? 'onSuccess' : 'onFailure'}`;
    const destination = structureMember(destinations?.[field], member)?.Destination;
    if (destination !== undefined && destination !== null && typeof destination !== 'string') {
      throw validation(`Value '${JSON.stringify(destination)}' at '${member}.destination' failed to satisfy constraint: Member must be a string`);
    }
    return [field, destination] as const;
  });
  if (retries === undefined && age === undefined && destinations === undefined) {
    throw new InvokeError('InvalidParameterValueException', 'You must specify at least one of error handling or destination setting.');
  }
  for (const [field, destination] of targets) {
    if (destination === undefined || destination === null || destination === '') continue;
    const member = `destinationConfig.${field === 'OnSuccess' ? 'onSuccess' : 'onFailure'}.destination`;
    // An ARN, as AWS's pattern asks (https://docs.aws.amazon.com/lambda/latest/api/API_OnFailure.html): a
    // function's bare name works locally only if let through, and would fail on AWS. Any region is
    // taken, the runtime's own `local` included, which AWS's pattern would not match.
    if (destination.length > DESTINATION_MAX_LENGTH) {
      throw validation(`Value '${destination}' at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${DESTINATION_MAX_LENGTH}`);
    }
    if (!DESTINATION_ARN.test(destination)) {
      throw validation(`Value '${destination}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${DESTINATION_PATTERN_SHOWN}`);
    }
    const name = runtime.registry.nameOf(destination);
    if (name === undefined) {
      throw new InvokeError(
        'InvalidParameterValueException',
        `The destination ARN ${destination} is invalid: the local runtime delivers ${field} records to its own functions only (the ARN of one of: ${runtime.functionNames().join(', ')}); a failed event with no OnFailure destination is kept as a dead letter.`,
      );
    }
    if (field === 'OnSuccess') Object.assign(config, { onSuccess: name, onSuccessArn: destination });
    else Object.assign(config, { onFailure: name, onFailureArn: destination });
  }
  return { config, hasDestinations: destinations !== undefined };
}

/**
 * An Integer member of a request body: undefined when absent or null, else an integer within its
 * range, or a ValidationException that names the member (its camelCase name, as AWS's validation
 * messages do) and the rule the value breaks. AWS's API reference does not say what Lambda answers
 * for a value of the wrong JSON type (a string or an array for an Integer), so such a value is
 * refused as a wrong type, never with a range it does not break.
 */
function integerMember(input: Record<string, unknown>, key: string, range: { min: number; max?: number }): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  const member = key[0]!.toLowerCase() + key.slice(1);
  const shown = `Value '${typeof value === 'number' ? String(value) : JSON.stringify(value)}' at '${member}' failed to satisfy constraint:`;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw validation(`${shown} Member must be an integer`);
  if (value < range.min) throw validation(`${shown} Member must have value greater than or equal to ${range.min}`);
  if (range.max !== undefined && value > range.max) throw validation(`${shown} Member must have value less than or equal to ${range.max}`);
  return value;
}

/** A structure member: undefined when absent or null, else its fields, or a ValidationException naming it. */
function structureMember(value: unknown, member: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw validation(`Value '${JSON.stringify(value)}' at '${member}' failed to satisfy constraint: Member must be a structure`);
  return value as Record<string, unknown>;
}

async function body(c: Context): Promise<Record<string, unknown>> {
  // The signature check read it already (it signs the body).
  const bytes = await requestBody(c);
  if (bytes === undefined) throw requestTooLarge();
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvokeError('InvalidRequestContentException', `Could not parse request body into json: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvokeError('InvalidRequestContentException', 'The request body must be a JSON object');
  return value as Record<string, unknown>;
}

/** A destination's longest ARN, and its form (AWS's pattern, with any region: the runtime's own is `local`). */
const DESTINATION_MAX_LENGTH = 350;
const DESTINATION_ARN = /^arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-])+:([a-z0-9-]*):(\d{12})?:(.*)$/;
const DESTINATION_PATTERN_SHOWN = '$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';

function validation(message: string): InvokeError {
  return new InvokeError('ValidationException', `1 validation error detected: ${message}`);
}

/**
 * One page of `items`: `Marker` is the index to start at (opaque to callers); `MaxItems` is a plain
 * integer in 1…`paging.maxItems` (AWS's query parameters are typed: `1e1` or ` 1` is no integer), and
 * a page holds at most `paging.perPage` items whatever it asks for.
 */
function paginate<T>(items: T[], marker: string | undefined, maxItems: string | undefined, paging: { maxItems: number; perPage: number }): { items: T[]; next?: string } {
  let size = paging.perPage;
  if (maxItems !== undefined) {
    const shown = `Value '${maxItems}' at 'maxItems' failed to satisfy constraint:`;
    if (!/^-?\d+$/.test(maxItems)) throw validation(`${shown} Member must be an integer`);
    const asked = Number(maxItems);
    if (asked < 1) throw validation(`${shown} Member must have value greater than or equal to 1`);
    if (asked > paging.maxItems) throw validation(`${shown} Member must have value less than or equal to ${paging.maxItems}`);
    size = Math.min(asked, paging.perPage);
  }
  // A marker is one this API made (the base64url of a decimal index): anything else is refused, not read as far as it parses.
  const decoded = marker === undefined ? '0' : Buffer.from(marker, 'base64url').toString('utf8');
  if (!/^\d{1,9}$/.test(decoded) || (marker !== undefined && Buffer.from(decoded).toString('base64url') !== marker)) {
    throw new InvokeError('InvalidParameterValueException', `Marker "${marker}" is not one this API returned`);
  }
  const start = Number(decoded);
  const page = items.slice(start, start + size);
  const nextIndex = start + size;
  return nextIndex < items.length ? { items: page, next: Buffer.from(String(nextIndex)).toString('base64url') } : { items: page };
}

function json(c: Context, value: unknown): Response {
  return c.json(value as Record<string, unknown>, 200, { 'x-amzn-RequestId': crypto.randomUUID() });
}
