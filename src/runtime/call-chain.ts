/**
 * Which invocation made an invocation, as far as the runtime can see it — so that the recursion stop
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html) counts hops from what the
 * runtime knows, not from a hop count in the payload that any caller could leave out or forge.
 *
 * The runtime sees a call's parent in two ways, as Lambda does:
 * - in-process: a handler that invokes through the runtime (the typed invoker, or `ctx.transport`
 *   with a hand-written payload) runs inside an `AsyncLocalStorage` scope naming its invocation;
 * - over HTTP: while a handler runs, Lambda's invoke store (`@aws/lambda-invoke-store`, which the AWS
 *   SDK for JavaScript v3 reads) holds an X-Ray trace header for it, so an SDK call made inside the
 *   handler — the Lambda transport, or a raw `LambdaClient` — carries `X-Amzn-Trace-Id` with a
 *   `Parent` the runtime recognises, as Lambda's own recursion detection relies on that header.
 *
 * What it cannot see: a chain that leaves the runtime and comes back without that header (an HTTP
 * call to the marketplace's API, another SDK without recursion detection, a message parked in a store
 * and re-sent later by someone else). Such a call starts a chain of its own at hop 0, whatever the
 * envelope's `_meta.hop` says: on AWS the payload would not stop it either.
 *
 * @example
 * const chain = createCallChain();
 * await chain.run({ id, traceId, hop }, () => handler(event, ctx)); // children see `chain.current()`
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { InvokeStore } from '@aws/lambda-invoke-store';
import type { Escape } from './process-guard.js';

/** The invocation a call comes from. */
export interface CallerLink {
  id: string;
  traceId: string;
  hop: number;
}

export interface CallChain {
  /**
   * Run `fn` as invocation `link`: calls made inside it (in-process or by the AWS SDK) have it as
   * parent, and what escapes it other than by its promise goes to `onEscape` (src/runtime/process-guard.ts).
   */
  run<T>(link: CallerLink, fn: () => Promise<T>, onEscape?: (escape: Escape) => void): Promise<T>;
  /** The running invocation in whose scope this is called, if any. */
  current(): CallerLink | undefined;
  /** Hand an escape to the invocation in whose scope it happened; false when it happened outside every one. */
  escape(escape: Escape): boolean;
  /** The running invocation an `X-Amzn-Trace-Id` header points at (its `Parent`), if it is still running. */
  fromTraceHeader(header: string | undefined): CallerLink | undefined;
  /** Resolves once the SDK's invoke store is ready (before the first handler runs). */
  ready(): Promise<void>;
}

/** The invoke store's key for the X-Ray trace header (a registered symbol, as the Lambda runtime sets it). */
const X_RAY_TRACE_ID = Symbol.for('_AWS_LAMBDA_X_RAY_TRACE_ID');

/** What a handler's scope holds: its invocation, and where its escapes go. */
interface Scope {
  link: CallerLink;
  onEscape: ((escape: Escape) => void) | undefined;
}

export function createCallChain(): CallChain {
  const scope = new AsyncLocalStorage<Scope>();
  // Span ids: this chain's random half and a counter (a random draw per invocation cost more than the rest of this).
  const prefix = randomBytes(4).toString('hex');
  let spans = 0;
  // Parent span id (16 hex digits, X-Ray's format) → the invocation, while it runs.
  const running = new Map<string, CallerLink>();
  let invokeStore: Awaited<ReturnType<typeof InvokeStore.getInstanceAsync>> | undefined;
  // The multi-context store (AsyncLocalStorage), not the single one Lambda uses for one invocation
  // at a time: here many handlers run at once in one process.
  const storeReady = InvokeStore.getInstanceAsync(true).then(
    (store) => {
      invokeStore = 'als' in store ? store : undefined;
    },
    () => {
      invokeStore = undefined;
    },
  );

  return {
    async run(link, fn, onEscape) {
      spans = (spans + 1) % 0x1_0000_0000;
      const span = `${prefix}${spans.toString(16).padStart(8, '0')}`;
      running.set(span, link);
      const header = traceHeader(link, span);
      try {
        const inScope = () => scope.run({ link, onEscape }, fn);
        return await (invokeStore === undefined ? inScope() : invokeStore.run({ [X_RAY_TRACE_ID]: header }, inScope));
      } finally {
        running.delete(span);
      }
    },
    current: () => scope.getStore()?.link,
    escape(escape) {
      const running = scope.getStore();
      if (running === undefined) return false;
      running.onEscape?.(escape);
      return true;
    },
    fromTraceHeader(header) {
      const parent = header === undefined ? undefined : /(?:^|;)\s*Parent=([0-9a-f]{16})\s*(?:;|$)/.exec(header)?.[1];
      return parent === undefined ? undefined : running.get(parent);
    },
    ready: () => storeReady,
  };
}

/**
 * An X-Ray trace header for a running invocation: `Root` from its trace id, `Parent` the span the
 * runtime recognises, and `Lineage` with the hop count, in the form Lambda's recursion detection uses.
 */
function traceHeader(link: CallerLink, span: string): string {
  const hex = link.traceId.replaceAll('-', '').padEnd(32, '0').slice(0, 32);
  return `Root=1-${hex.slice(0, 8)}-${hex.slice(8, 32)};Parent=${span};Sampled=0;Lineage=${hex.slice(0, 8)}:${link.hop}`;
}
