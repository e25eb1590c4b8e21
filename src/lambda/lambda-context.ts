/**
 * The handler's context on AWS: the framework's {@link createInvocationContext}, fed from the
 * context object Lambda passes (request id, remaining time, ARN, log names), so a function or a
 * controller sees on AWS what it sees in the local runtime.
 *
 * @example
 * const ctx = invocationContextFromLambda(emailHelper, lambdaContext, metaOf(event), transport);
 * await emailHelper.handle(event, ctx);
 */
import type { Context } from 'aws-lambda';
import { createInvocationContext, type InvocationContext } from '../framework/context.js';
import type { Deployable } from '../framework/define.js';
import type { EnvelopeMeta } from '../framework/envelope.js';
import type { Transport } from '../framework/transport.js';
import { currentXrayTrace } from './xray.js';

/**
 * The invocation context of `deployable` for one Lambda invocation. `functionName` is the
 * deployable's own name (`emailHelper`, what the code and the envelopes use); the fields Lambda
 * knows better (ARN, version, log names, remaining time) are Lambda's.
 */
export function invocationContextFromLambda(deployable: Deployable, lambda: Context, meta: EnvelopeMeta, transport: Transport): InvocationContext {
  // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
  const [, , , region, accountId] = lambda.invokedFunctionArn.split(':');
  // A request starts a trace: on AWS, the X-Ray trace Lambda gave this invocation (see xray.ts), so
  // the work it hands off, through the outbox too, joins that trace.
  const traceId = meta.traceId ?? currentXrayTrace();
  const ctx = createInvocationContext({
    functionName: deployable.name,
    requestId: lambda.awsRequestId,
    ...(region ? { region } : {}),
    ...(accountId ? { accountId } : {}),
    timeoutMs: lambda.getRemainingTimeInMillis(),
    meta: traceId === undefined ? meta : { ...meta, traceId },
    transport,
    // What the function declared is what IAM grants it; refusing here names the missing declaration
    // instead of surfacing as an AccessDeniedException from Lambda.
    allowedTargets: new Set(deployable.invokes),
    clientContext: lambda.clientContext,
    log: (line) => console.log(line),
  });
  return {
    ...ctx,
    functionVersion: lambda.functionVersion,
    invokedFunctionArn: lambda.invokedFunctionArn,
    memoryLimitInMB: lambda.memoryLimitInMB,
    logGroupName: lambda.logGroupName,
    logStreamName: lambda.logStreamName,
    getRemainingTimeInMillis: () => lambda.getRemainingTimeInMillis(),
  };
}
