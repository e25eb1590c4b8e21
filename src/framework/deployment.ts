/**
 * How every function of the stack is deployed as a Lambda (infra/leedz-stack.ts builds each with these),
 * and so what the local runtime reports of its functions: `GetFunction`'s configuration, a handler's
 * `context.memoryLimitInMB`, the REPORT line of a log tail. A function developed locally then reads
 * the same values it will read on AWS.
 *
 * @example
 * new LambdaFunction(stack, name, { memorySize: DEPLOYED_FUNCTION.memorySizeMb, handler: DEPLOYED_FUNCTION.handler, … });
 */
export const DEPLOYED_FUNCTION = {
  /** Lambda's identifier of the Node.js runtime. */
  runtime: 'nodejs24.x',
  architecture: 'arm64',
  /** CPU grows with memory; 512 MB keeps a cold start short. */
  memorySizeMb: 512,
  /** Each Lambda's bundle exports `handler` from its `index.js`. */
  handler: 'index.handler',
  /** X-Ray: a request, the controllers it hands work to and their batches are one trace (src/lambda/xray.ts). */
  tracing: 'Active',
} as const;
