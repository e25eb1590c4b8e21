/**
 * The typed invoker: `invoke(ctx, controller).route.event(payload)`. Route names and payload types
 * are inferred from the controller's definition; the payload is validated before it is sent, so a
 * caller learns of a bad payload at once instead of from a dead letter.
 *
 * @example
 * await invoke(ctx, emailHelper).notifyUsers.event({ leedId, trade }, { idempotencyKey: `notify:${leedId}` });
 * await invoke(ctx, bookkeeping).leedPosted.requestResponse({ leedId, trade }); // the route's result, or FunctionInvocationError
 */
import type { InvocationContext } from './context.js';
import type { Controller } from './define.js';
import { toEnvelope, type EnvelopeMeta } from './envelope.js';
import { FrameworkError, type SerializedFunctionError } from './errors.js';
import { InvokeError, type InvokeResult } from './transport.js';

export interface EventOptions {
  /**
   * A name for the event's effect, kept with it (the invocation log, its dead letter, a replay) and
   * given to the handler as `ctx.meta.idempotencyKey`. It deduplicates nothing by itself: a handler
   * whose effect must happen once claims a key with the idempotency helper (`once` in
   * src/framework/idempotency.ts), as the marketplace's controllers do with keys of their own.
   */
  idempotencyKey?: string;
}

export interface RouteInvoker<Payload, Result> {
  /** Asynchronous invocation: resolves once the event is durably queued (202). */
  event(payload: Payload, options?: EventOptions): Promise<{ requestId?: string }>;
  /** Synchronous invocation: resolves with the route's result, rejects with {@link FunctionInvocationError}. */
  requestResponse(payload: Payload, options?: EventOptions): Promise<Result>;
  /** Checks that the controller exists and may be invoked, without running it (204). */
  dryRun(payload: Payload): Promise<void>;
}

export type ControllerInvoker<C> = C extends Controller<string, infer _S, infer _R>
  ? { [K in keyof NonNullable<C['__routes']>]: RouteInvoker<NonNullable<C['__routes']>[K]['payload'], NonNullable<C['__routes']>[K]['result']> }
  : never;

/** A synchronous invocation whose function threw: carries the Node.js Lambda error payload. */
export class FunctionInvocationError extends FrameworkError {
  readonly functionName: string;
  readonly payload: SerializedFunctionError;

  constructor(functionName: string, payload: SerializedFunctionError) {
    super('FUNCTION_ERROR', `${functionName} failed: ${payload.errorType}: ${payload.errorMessage}`, { retriable: true });
    this.functionName = functionName;
    this.payload = payload;
  }
}

/** Lambda's recursion limit: invocation chains longer than this are stopped. */
export const MAX_HOPS = 16;

/**
 * The typed invoker for `controller`, as seen from the running invocation `ctx`. The child's
 * envelope carries the caller's id, trace and hop count (+1).
 */
export function invoke<C extends Controller>(ctx: InvocationContext, controller: C): ControllerInvoker<C> {
  if (ctx.allowedTargets !== 'any' && !ctx.allowedTargets.has(controller.name)) {
    throw new InvokeError(
      'AccessDeniedException',
      `${ctx.functionName} is not allowed to invoke ${controller.name}: add it to ${ctx.functionName}'s "invokes" (a function lists the controller itself, a controller its name)`,
    );
  }
  const routes: Record<string, RouteInvoker<unknown, unknown>> = {};
  for (const route of controller.routeNames) {
    routes[route] = {
      async event(payload, options) {
        controller.validate(route, payload);
        const result = await ctx.transport.invoke(controller.name, toEnvelope(route, payload as object, childMeta(ctx, options?.idempotencyKey)), 'Event');
        return result.requestId === undefined ? {} : { requestId: result.requestId };
      },
      async requestResponse(payload, options) {
        controller.validate(route, payload);
        const result = await ctx.transport.invoke(
          controller.name,
          toEnvelope(route, payload as object, childMeta(ctx, options?.idempotencyKey)),
          'RequestResponse',
        );
        return unwrapResult(controller.name, result);
      },
      async dryRun(payload) {
        controller.validate(route, payload);
        await ctx.transport.invoke(controller.name, toEnvelope(route, payload as object, childMeta(ctx)), 'DryRun');
      },
    };
  }
  return routes as ControllerInvoker<C>;
}

/** An invocation built now and sent later (by a transactional outbox's relay, say). */
export interface PreparedInvocation {
  functionName: string;
  payload: Record<string, unknown>;
}

export type ControllerPreparer<C> = C extends Controller<string, infer _S, infer _R>
  ? { [K in keyof NonNullable<C['__routes']>]: (payload: NonNullable<C['__routes']>[K]['payload'], options?: EventOptions) => PreparedInvocation }
  : never;

/**
 * Build a controller invocation now, to send later: validated and typed like {@link invoke}, with the
 * caller's metadata in `_meta`. The transactional outbox stores these with the change they belong to.
 *
 * @example
 * const message = prepare(ctx, bookkeeping).leedPosted({ leedId }, { idempotencyKey: `posted:${leedId}` });
 * await store.insertLeed(leed, [{ id: randomUUID(), target: message.functionName, payload: message.payload }]);
 */
export function prepare<C extends Controller>(ctx: InvocationContext, controller: C): ControllerPreparer<C> {
  const routes: Record<string, (payload: unknown, options?: EventOptions) => PreparedInvocation> = {};
  for (const route of controller.routeNames) {
    routes[route] = (payload, options) => {
      controller.validate(route, payload);
      return { functionName: controller.name, payload: toEnvelope(route, payload as object, childMeta(ctx, options?.idempotencyKey)) };
    };
  }
  return routes as ControllerPreparer<C>;
}

function childMeta(ctx: InvocationContext, idempotencyKey?: string): EnvelopeMeta {
  const meta: EnvelopeMeta = { parentId: ctx.meta.requestId, traceId: ctx.meta.traceId, hop: ctx.meta.hop + 1, sentAt: Date.now() };
  if (idempotencyKey !== undefined) meta.idempotencyKey = idempotencyKey;
  return meta;
}

/** The result of a synchronous invocation, or a {@link FunctionInvocationError} when the function threw. */
export function unwrapResult(functionName: string, result: InvokeResult): unknown {
  if (result.functionError !== undefined) {
    throw new FunctionInvocationError(functionName, result.payload as SerializedFunctionError);
  }
  return result.payload;
}
