/**
 * What leaves a handler other than by its promise: an exception thrown from a timer or an event
 * listener, a promise rejected with nothing to handle it, a call to `process.exit`. Lambda's Node.js
 * runtime reports each as the function error of the invocation it happened in, and then its process
 * exits, taking only that execution environment and its one invocation with it: the caller gets
 * status 200 with `X-Amz-Function-Error: Unhandled`, an Event is retried as any failed one
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html). Locally every handler runs
 * in the server's process, where any of these stopped the whole server, every other invocation and
 * caller with it, and an Event that did it stopped the server again at each redelivery.
 *
 * While a runtime is open, this guard gives each such escape to the invocation whose scope it
 * happened in (src/runtime/call-chain.ts keeps a handler's scope across its timers and promises), as
 * that invocation's error, in the Node.js runtime's words:
 * - an exception: the error itself;
 * - a rejection: `Runtime.UnhandledPromiseRejection`, its message the reason as text ("Error: boom");
 * - `process.exit(N)`: `Runtime.ExitError`, "RequestId: … Error: Runtime exited with error: exit
 *   status N" (https://repost.aws/knowledge-center/lambda-runtime-error), "…without providing a
 *   reason" for 0. The call throws instead of returning, so the handler's code after it does not run,
 *   as it would not on AWS.
 *
 * An escape outside every invocation is the server's own fault, and ends the process as Node.js ends
 * it without a guard, unless something else in the process listens for it (a test runner does).
 *
 * @example
 * const release = guardProcess((escape) => chain.escape(escape)); // when the runtime opens
 * release();                                                      // when it closes
 */

/** An error that left a handler other than by its promise. */
export type Escape = { kind: 'exception'; error: unknown } | { kind: 'rejection'; reason: unknown } | { kind: 'exit'; code: number };

/** Takes an escape when it happened in one of its invocations (and fails that invocation); false otherwise. */
export type EscapeClaimer = (escape: Escape) => boolean;

/** Thrown by the guarded `process.exit` inside an invocation, to stop the handler's code there. */
class ExitStopped extends Error {
  constructor(code: number) {
    super(`process.exit(${code}) ended this invocation (the local runtime keeps its process)`);
    this.name = 'Runtime.ExitError';
  }
}

const claimers = new Set<EscapeClaimer>();
let realExit: typeof process.exit | undefined;

const claim = (escape: Escape): boolean => {
  for (const claimer of claimers) if (claimer(escape)) return true;
  return false;
};

function onException(error: unknown): void {
  // The guarded exit's own throw, escaped from a timer: its invocation has failed already.
  if (error instanceof ExitStopped || claim({ kind: 'exception', error })) return;
  unclaimed('uncaughtException', error);
}

function onRejection(reason: unknown): void {
  if (reason instanceof ExitStopped || claim({ kind: 'rejection', reason })) return;
  unclaimed('unhandledRejection', reason instanceof Error ? reason : new Error(`Unhandled promise rejection: ${String(reason)}`, { cause: reason }));
}

/**
 * Not an invocation's: what Node.js does when nothing listens — unless something else does (a test
 * runner reports it) — is print it and exit with 1; throwing it again with the guard removed does so.
 */
function unclaimed(event: 'uncaughtException' | 'unhandledRejection', error: unknown): void {
  if (process.listenerCount(event) > 1) return;
  unguard();
  process.nextTick(() => {
    throw error;
  });
}

function guardedExit(code?: string | number | null): never {
  const status = Number(code ?? process.exitCode ?? 0);
  if (claim({ kind: 'exit', code: status })) throw new ExitStopped(status);
  return realExit!(code);
}

function guard(): void {
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  realExit = process.exit;
  process.exit = guardedExit;
}

function unguard(): void {
  process.off('uncaughtException', onException);
  process.off('unhandledRejection', onRejection);
  // Only if nothing replaced it since (a test runner may have patched it in turn).
  if (process.exit === guardedExit && realExit !== undefined) process.exit = realExit;
  realExit = undefined;
}

/** Guard the process for `claimer` until the returned function is called. */
export function guardProcess(claimer: EscapeClaimer): () => void {
  if (claimers.size === 0) guard();
  claimers.add(claimer);
  return () => {
    if (!claimers.delete(claimer)) return;
    if (claimers.size === 0 && realExit !== undefined) unguard();
  };
}

/** The function error an escape is, as Lambda's Node.js runtime reports it for invocation `requestId`. */
export function escapeError(escape: Escape, requestId: string): unknown {
  switch (escape.kind) {
    case 'exception':
      return escape.error;
    case 'rejection':
      return namedError('Runtime.UnhandledPromiseRejection', escape.reason === undefined || escape.reason === null ? '' : String(escape.reason));
    case 'exit':
      return namedError(
        'Runtime.ExitError',
        `RequestId: ${requestId} Error: ${escape.code === 0 ? 'Runtime exited without providing a reason' : `Runtime exited with error: exit status ${escape.code}`}`,
      );
  }
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  // The stack's first line names the error as it is now named (it was written with "Error").
  error.stack = `${name}: ${message}`;
  return error;
}
