/**
 * The `lambda` transport: Lambda's `Invoke` through `@aws-sdk/client-lambda`. It reaches AWS, or,
 * with `endpoint`, the local runtime's Invoke API (`src/runtime/invoke-api.ts`), and passes the
 * same contract suite as the in-process `local` transport (`test/contracts/transport.ts`).
 *
 * Lambda's exceptions that prevent a function from running become the framework's
 * {@link InvokeError} with the same name; anything else (network errors, exceptions the framework
 * does not model such as `KMSAccessDeniedException`) is rethrown as the SDK threw it.
 *
 * @example
 * const transport = createLambdaTransport({ region: 'us-east-1' });            // AWS, SDK credentials chain
 * const local = createLambdaTransport({ endpoint: 'http://127.0.0.1:3000', credentials }); // the local runtime (`leedz credentials`)
 * await local.invoke('emailHelper', { function: 'notifyUsers', leedId: 'l_1' }, 'Event'); // { statusCode: 202, … }
 */
import { InvokeCommand, LambdaClient, LambdaServiceException, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import {
  InvokeError,
  isInvokeErrorName,
  type InvocationType,
  type InvokeResult,
  type ThrottleReason,
  type Transport,
} from '../framework/transport.js';

export interface LambdaTransportOptions {
  /** A configured client (tests, custom middleware); when given, the other options are ignored. */
  client?: LambdaClient;
  /** Another Invoke API than AWS's, such as the local runtime's `http://127.0.0.1:3000`. */
  endpoint?: string;
  /** Default: the SDK's region chain, or `local` with an `endpoint`. */
  region?: string;
  /** The SDK's attempts per call (default the SDK's, 3: it retries throttles and 5xx). */
  maxAttempts?: number;
  /** Credentials to sign with (the local runtime's own, with `endpoint`); default the SDK's chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function createLambdaTransport(options: LambdaTransportOptions = {}): Transport {
  const client = options.client ?? createClient(options);
  return {
    async invoke(functionName, payload, type, invokeOptions = {}) {
      const command = new InvokeCommand({
        FunctionName: functionName,
        InvocationType: type,
        Payload: encodePayload(payload),
        LogType: invokeOptions.logType,
        ClientContext: invokeOptions.clientContext,
      });
      try {
        const response = await client.send(command);
        return toInvokeResult(type, response);
      } catch (error) {
        throw toInvokeError(error);
      }
    },
  };
}

function createClient(options: LambdaTransportOptions): LambdaClient {
  if (options.endpoint === undefined) {
    return new LambdaClient({ region: options.region, maxAttempts: options.maxAttempts });
  }
  return new LambdaClient({
    endpoint: options.endpoint,
    region: options.region ?? 'local',
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: options.maxAttempts,
  });
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The payload as Lambda receives it: JSON bytes (an absent payload is `{}`, as in the local transport). */
function encodePayload(payload: unknown): Uint8Array {
  let json: string;
  try {
    json = JSON.stringify(payload === undefined ? {} : payload);
  } catch (error) {
    throw new InvokeError('InvalidRequestContentException', `Could not serialize the payload: ${(error as Error).message}`);
  }
  return encoder.encode(json);
}

function toInvokeResult(type: InvocationType, response: InvokeCommandOutput): InvokeResult {
  const result: InvokeResult = { statusCode: (response.StatusCode ?? expectedStatus(type)) as InvokeResult['statusCode'] };
  // The SDK's type says `Uint8Array | undefined`, but a 202 or 204 (no body) gives `null`.
  const body = response.Payload == null || response.Payload.byteLength === 0 ? undefined : decoder.decode(response.Payload);
  if (body !== undefined) result.payload = parsePayload(body);
  if (response.FunctionError !== undefined) result.functionError = 'Unhandled';
  if (response.ExecutedVersion !== undefined) result.executedVersion = response.ExecutedVersion;
  if (response.LogResult !== undefined) result.logResult = response.LogResult;
  if (response.$metadata.requestId !== undefined) result.requestId = response.$metadata.requestId;
  return result;
}

function expectedStatus(type: InvocationType): InvokeResult['statusCode'] {
  return type === 'Event' ? 202 : type === 'DryRun' ? 204 : 200;
}

/** Node.js functions always answer JSON; a custom runtime may answer other bytes, kept as text. */
function parsePayload(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function toInvokeError(error: unknown): unknown {
  if (!(error instanceof LambdaServiceException) || !isInvokeErrorName(error.name)) return error;
  const retryAfter = 'retryAfterSeconds' in error ? Number(error.retryAfterSeconds) : Number.NaN;
  const reason = 'Reason' in error && typeof error.Reason === 'string' ? (error.Reason as ThrottleReason) : undefined;
  return new InvokeError(error.name, error.message, {
    cause: error,
    ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}),
    ...(reason === undefined ? {} : { reason }),
  });
}
