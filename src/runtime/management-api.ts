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
import { InvokeError } from '../framework/transport.js';
import type { EventInvokeConfig } from './function-settings.js';
import type { LocalRuntime } from './local-runtime.js';
import { requestBody, requestTooLarge } from './access.js';
import { parseFunctionName } from './function-name.js';
import { lambdaErrorResponse } from './lambda-errors.js';

/** AWS's quotas that GetAccountSettings reports, where the local runtime has no reason to differ. */
const CODE_STORAGE_BYTES = 80 * 1024 ** 3;
const UNZIPPED_CODE_BYTES = 250 * 1024 ** 2;
const ZIPPED_CODE_BYTES = 50 * 1024 ** 2;
const DEFAULT_MAX_ITEMS = 50;

export function createManagementApi(runtime: LocalRuntime): Hono {
  const app = new Hono();
  const startedAt = new Date();

  // ── functions ───────────────────────────────────────────────────────────

  const listFunctions = (c: Context) => {
    const names = runtime.functionNames().sort();
    const page = paginate(names, c.req.query('Marker'), c.req.query('MaxItems'), 10_000);
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
    if (config === undefined) throw new InvokeError('ResourceNotFoundException', `The function ${runtime.registry.arnOf(name)} doesn't have an EventInvokeConfig`);
    return json(c, eventInvokeConfigView(runtime, name, config));
  });

  // Put replaces the whole configuration; Update changes only what it is given.
  app.put(eventInvokeConfig, async (c) => {
    const name = target(runtime, c);
    const change = parseEventInvokeConfig(runtime, await body(c));
    return json(c, eventInvokeConfigView(runtime, name, runtime.registry.putEventInvokeConfig(name, change.config)));
  });

  app.post(eventInvokeConfig, async (c) => {
    const name = target(runtime, c);
    const change = parseEventInvokeConfig(runtime, await body(c));
    const current = runtime.registry.eventInvokeConfig(name) ?? { lastModified: 0 };
    const merged: Omit<EventInvokeConfig, 'lastModified'> = {};
    for (const key of ['maximumRetryAttempts', 'maximumEventAgeSeconds'] as const) {
      const value = change.config[key] ?? current[key];
      if (value !== undefined) merged[key] = value;
    }
    // A DestinationConfig in an update replaces both destinations; without one, they stay.
    const destinations = change.hasDestinations ? change.config : current;
    if (destinations.onSuccess !== undefined) merged.onSuccess = destinations.onSuccess;
    if (destinations.onFailure !== undefined) merged.onFailure = destinations.onFailure;
    return json(c, eventInvokeConfigView(runtime, name, runtime.registry.putEventInvokeConfig(name, merged)));
  });

  app.delete(eventInvokeConfig, (c) => {
    const name = target(runtime, c);
    if (runtime.registry.eventInvokeConfig(name) === undefined) {
      throw new InvokeError('ResourceNotFoundException', `The function ${runtime.registry.arnOf(name)} doesn't have an EventInvokeConfig`);
    }
    runtime.registry.deleteEventInvokeConfig(name);
    return c.body(null, 204);
  });

  app.get(`${eventInvokeConfig}/list`, (c) => {
    const name = target(runtime, c);
    const config = runtime.registry.eventInvokeConfig(name);
    const all = config === undefined ? [] : [eventInvokeConfigView(runtime, name, config)];
    const page = paginate(all, c.req.query('Marker'), c.req.query('MaxItems'), 50);
    return json(c, { FunctionEventInvokeConfigs: page.items, ...(page.next === undefined ? {} : { NextMarker: page.next }) });
  });

  // ── concurrency ─────────────────────────────────────────────────────────

  app.get('/2019-09-30/functions/:FunctionName/concurrency', (c) => {
    const reserved = runtime.registry.reservedConcurrency(target(runtime, c));
    return json(c, reserved === undefined ? {} : { ReservedConcurrentExecutions: reserved });
  });

  app.put('/2017-10-31/functions/:FunctionName/concurrency', async (c) => {
    const name = target(runtime, c);
    const input = await body(c);
    const value = input.ReservedConcurrentExecutions;
    if (value === undefined || value === null) {
      throw validation(`Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null`);
    }
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw validation(`Value '${String(value)}' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0`);
    }
    // Reservations come out of the account's concurrency, which here is the worker pool.
    const others = runtime.functionNames().reduce((sum, other) => sum + (other === name ? 0 : (runtime.registry.reservedConcurrency(other) ?? 0)), 0);
    if ((value as number) + others > runtime.concurrency) {
      throw new InvokeError(
        'InvalidParameterValueException',
        `Specified ReservedConcurrentExecutions for function ${value as number} with ${others} reserved by other functions exceeds the account's concurrency of ${runtime.concurrency} (LEEDZ_POOL_SIZE).`,
      );
    }
    runtime.registry.setReservedConcurrency(name, value as number);
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
  const name = runtime.registry.resolveName(raw, c.req.query('Qualifier'));
  return name;
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
    Runtime: `nodejs${process.versions.node.split('.')[0]}.x`,
    Role: `arn:aws:iam::${runtime.accountId}:role/${name}-local`,
    Handler: deployable.kind === 'controller' ? 'handlers.controller' : 'handlers.http',
    CodeSize: 0,
    Description: description,
    Timeout: config.timeoutSeconds,
    MemorySize: 128,
    // Lambda's format: ISO 8601 with milliseconds and a numeric zone.
    LastModified: startedAt.toISOString().replace('Z', '+0000'),
    CodeSha256: '',
    Version: '$LATEST',
    TracingConfig: { Mode: 'PassThrough' },
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: [process.arch === 'arm64' ? 'arm64' : 'x86_64'],
    EphemeralStorage: { Size: 512 },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${shown}` },
  };
}

function eventInvokeConfigView(runtime: LocalRuntime, name: string, config: EventInvokeConfig): Record<string, unknown> {
  const destination = (target: string | undefined) => (target === undefined ? {} : { Destination: runtime.registry.arnOf(target) });
  return {
    // Epoch seconds: the API's timestamp format.
    LastModified: config.lastModified / 1000,
    FunctionArn: `${runtime.registry.arnOf(name)}:$LATEST`,
    ...(config.maximumRetryAttempts === undefined ? {} : { MaximumRetryAttempts: config.maximumRetryAttempts }),
    ...(config.maximumEventAgeSeconds === undefined ? {} : { MaximumEventAgeInSeconds: config.maximumEventAgeSeconds }),
    DestinationConfig: { OnSuccess: destination(config.onSuccess), OnFailure: destination(config.onFailure) },
  };
}

/** The body of Put/UpdateFunctionEventInvokeConfig, validated with AWS's constraints and messages. */
function parseEventInvokeConfig(runtime: LocalRuntime, input: Record<string, unknown>): { config: Omit<EventInvokeConfig, 'lastModified'>; hasDestinations: boolean } {
  const config: Omit<EventInvokeConfig, 'lastModified'> = {};
  const retries = input.MaximumRetryAttempts;
  if (retries !== undefined && retries !== null) {
    if (!Number.isInteger(retries) || (retries as number) < 0 || (retries as number) > 2) {
      throw validation(`Value '${String(retries)}' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value ${(retries as number) < 0 ? 'greater than or equal to 0' : 'less than or equal to 2'}`);
    }
    config.maximumRetryAttempts = retries as number;
  }
  const age = input.MaximumEventAgeInSeconds;
  if (age !== undefined && age !== null) {
    if (!Number.isInteger(age) || (age as number) < 60 || (age as number) > 21_600) {
      throw validation(`Value '${String(age)}' at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value ${(age as number) < 60 ? 'greater than or equal to 60' : 'less than or equal to 21600'}`);
    }
    config.maximumEventAgeSeconds = age as number;
  }
  const destinations = input.DestinationConfig;
  if (destinations !== undefined && destinations !== null) {
    if (typeof destinations !== 'object' || Array.isArray(destinations)) throw validation(`Value at 'destinationConfig' failed to satisfy constraint: Member must be a structure`);
    for (const [field, key] of [['OnSuccess', 'onSuccess'], ['OnFailure', 'onFailure']] as const) {
      const destination = ((destinations as Record<string, { Destination?: unknown } | undefined>)[field] ?? {}).Destination;
      if (destination === undefined || destination === null || destination === '') continue;
      const name = typeof destination === 'string' ? runtime.registry.nameOf(destination) : undefined;
      if (name === undefined) {
        throw new InvokeError(
          'InvalidParameterValueException',
          `The destination ARN ${String(destination)} is invalid: the local runtime delivers ${field} records to its own functions only (an ARN or name of one of: ${runtime.functionNames().join(', ')}); a failed event with no OnFailure destination is kept as a dead letter.`,
        );
      }
      config[key] = name;
    }
  }
  return { config, hasDestinations: destinations !== undefined && destinations !== null };
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

function validation(message: string): InvokeError {
  return new InvokeError('ValidationException', `1 validation error detected: ${message}`);
}

/** One page of `items`: `Marker` is the index to start at (opaque to callers), `MaxItems` 1…max. */
function paginate<T>(items: T[], marker: string | undefined, maxItems: string | undefined, max: number): { items: T[]; next?: string } {
  const size = maxItems === undefined ? Math.min(DEFAULT_MAX_ITEMS, max) : Number(maxItems);
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw validation(`Value '${maxItems}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and ${max}`);
  }
  const start = marker === undefined ? 0 : Number.parseInt(Buffer.from(marker, 'base64url').toString('utf8'), 10);
  if (!Number.isInteger(start) || start < 0) throw new InvokeError('InvalidParameterValueException', `Marker "${marker}" is not one this API returned`);
  const page = items.slice(start, start + size);
  const nextIndex = start + size;
  return nextIndex < items.length ? { items: page, next: Buffer.from(String(nextIndex)).toString('base64url') } : { items: page };
}

function json(c: Context, value: unknown): Response {
  return c.json(value as Record<string, unknown>, 200, { 'x-amzn-RequestId': crypto.randomUUID() });
}
