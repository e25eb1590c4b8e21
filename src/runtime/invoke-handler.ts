/**
 * Lambda's Invoke over HTTP, independent of any HTTP framework: a request's parts in, the status,
 * headers and body out (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). The Invoke
 * API's hono route (src/runtime/invoke-api.ts) and the server's direct `node:http` path
 * (src/runtime/invoke-listener.ts, which skips building a web `Request` and `Response` per call) both
 * call it, so there is one Invoke.
 *
 * @example
 * const response = await handleInvoke(runtime, { functionName, qualifier, header: (name) => req.headers[name], body });
 */
import { stringifyJson } from '../framework/raw-json.js';
import { InvokeError, INVOCATION_TYPES, type InvocationType, type InvokeOptions, type InvokeResult } from '../framework/transport.js';
import { parseFunctionName, qualifierViolation } from './function-name.js';
import { EVENT_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT, decodeClientContext } from './handler-run.js';
import type { HttpAnswer } from './lambda-errors.js';
import type { LocalRuntime } from './local-runtime.js';
import { newRequestId } from './request-id.js';

const LOG_TYPES = ['None', 'Tail'] as const;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface InvokeRequest {
  /** The path's FunctionName, decoded. */
  functionName: string;
  qualifier: string | undefined;
  /** A request header by its lower-case name. */
  header(name: string): string | undefined;
  /** The body; undefined when it was over {@link SYNC_PAYLOAD_LIMIT} (and not read whole). */
  body: Uint8Array | undefined;
}

/** Invoke as Lambda's API does; a refusal is thrown as the {@link InvokeError} Lambda would answer with. */
export async function handleInvoke(runtime: LocalRuntime, request: InvokeRequest): Promise<HttpAnswer> {
  const type = invocationTypeOf(request.header('x-amz-invocation-type'));
  const options = invokeOptionsOf(request);
  const functionName = qualifiedName(runtime, request.functionName, request.qualifier);
  const body = payloadText(request.body, type);
  // An SDK call made inside a running handler names that invocation (src/runtime/call-chain.ts).
  const traceHeader = request.header('x-amzn-trace-id');
  const result = await runtime.invokeRaw(functionName, body, type, options, traceHeader === undefined ? {} : { traceHeader });
  return invokeAnswer(result);
}

// A value outside the operation's model (an enum, a pattern) is Lambda's ValidationException, in AWS's
// "1 validation error detected" words, as a recorded answer to a bad InvocationType shows
// (https://github.com/ex-aws/ex_aws/pull/442); the management operations answer so too.
function invocationTypeOf(header: string | undefined): InvocationType {
  if (header === undefined) return 'RequestResponse';
  if ((INVOCATION_TYPES as readonly string[]).includes(header)) return header as InvocationType;
  throw new InvokeError(
    'ValidationException',
    `1 validation error detected: Value '${header}' at 'invocationType' failed to satisfy constraint: Member must satisfy enum value set: [${INVOCATION_TYPES.join(', ')}]`,
  );
}

function invokeOptionsOf(request: InvokeRequest): InvokeOptions {
  const options: InvokeOptions = {};
  const logType = request.header('x-amz-log-type');
  if (logType !== undefined) {
    if (!(LOG_TYPES as readonly string[]).includes(logType)) {
      throw new InvokeError(
        'ValidationException',
        `1 validation error detected: Value '${logType}' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [${LOG_TYPES.join(', ')}]`,
      );
    }
    options.logType = logType as InvokeOptions['logType'];
  }
  const clientContext = request.header('x-amz-client-context');
  if (clientContext !== undefined) {
    // Checked here for every invocation type; the runtime only decodes it for synchronous calls.
    decodeClientContext(clientContext);
    options.clientContext = clientContext;
  }
  return options;
}

/**
 * Fold `?Qualifier=` into the name, as Lambda does: the qualifier may be in either place, and when
 * it is in both they must agree.
 */
function qualifiedName(runtime: LocalRuntime, functionName: string, qualifier: string | undefined): string {
  if (qualifier === undefined) return functionName;
  const violation = qualifierViolation(qualifier);
  if (violation !== undefined) throw new InvokeError('ValidationException', `1 validation error detected: ${violation}`);
  const parsed = parseFunctionName(functionName);
  // Not one of Lambda's forms: the runtime answers for it.
  if (parsed === undefined) return functionName;
  if (parsed.qualifier === undefined) return runtime.registry.withQualifier(functionName, qualifier);
  if (parsed.qualifier !== qualifier) {
    throw new InvokeError('InvalidParameterValueException', 'The derived qualifier from the function name does not match the specified qualifier.');
  }
  return functionName;
}

/**
 * The body as text: beyond 6 MB nothing is invocable, whatever the type; the exact per-type limits
 * (1 MB for Event) are the runtime's, checked on this text before it is parsed.
 */
function payloadText(bytes: Uint8Array | undefined, type: InvocationType): string {
  if (bytes === undefined) {
    const limit = type === 'Event' ? EVENT_PAYLOAD_LIMIT : SYNC_PAYLOAD_LIMIT;
    throw new InvokeError('RequestEntityTooLargeException', `Payload is too large for the ${type} invocation type (limit ${limit} bytes)`);
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new InvokeError('InvalidRequestContentException', 'Could not parse request body into json: the body is not valid UTF-8');
  }
}

/**
 * Event (202) and DryRun (204) answer with their status code alone: "The API response only includes
 * a status code" (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_RequestSyntax);
 * the executed version, the function error and the log are a RequestResponse's.
 */
function invokeAnswer(result: InvokeResult): HttpAnswer {
  const headers: Record<string, string> = { 'x-amzn-RequestId': result.requestId ?? newRequestId() };
  if (result.statusCode !== 200) return { status: result.statusCode, headers, body: null };
  headers['X-Amz-Executed-Version'] = result.executedVersion ?? '$LATEST';
  headers['content-type'] = 'application/json';
  if (result.functionError !== undefined) headers['X-Amz-Function-Error'] = result.functionError;
  if (result.logResult !== undefined) headers['X-Amz-Log-Result'] = result.logResult;
  return { status: 200, headers, body: stringifyJson(result.payload) };
}
