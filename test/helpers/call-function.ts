/**
 * Run one of the marketplace's HTTP functions in-process, as the edge would hand it a request: its
 * context logs into `logged`, and its transport records into `invoked` what the function invokes
 * directly, refusing any controller the function does not declare in `invokes` (the others hand work
 * on through the outbox, never by invoking a controller directly).
 *
 * @example
 * const answer = await callFunction(marketplace, 'buyLeed', { caller, params: { trade, id } }, logged);
 */
import { createInvocationContext } from '../../src/framework/context.js';
import type { InvocationType } from '../../src/framework/transport.js';
import { RawJson } from '../../src/framework/raw-json.js';
import type { HttpRequest, HttpResult } from '../../src/leedz/functions/http.js';
import type { Marketplace } from '../../src/leedz/marketplace.js';

/** A direct invocation a function made. */
export interface DirectInvocation {
  functionName: string;
  payload: Record<string, unknown>;
  type: InvocationType;
}

export async function callFunction(marketplace: Marketplace, name: string, event: Partial<HttpRequest>, logged: string[], invoked: DirectInvocation[] = []): Promise<HttpResult & { body: any }> {
  const fn = marketplace.deployables.find((d) => d.name === name);
  if (fn === undefined) throw new Error(`no function ${name}`);
  const ctx = createInvocationContext({
    functionName: name,
    timeoutMs: 10_000,
    meta: {},
    transport: {
      invoke: async (functionName, payload, type) => {
        if (!fn.invokes.includes(functionName)) throw new Error(`${name} invoked ${functionName} directly, which it does not declare in \`invokes\`: the functions hand work on through the outbox`);
        invoked.push({ functionName, payload: payload as Record<string, unknown>, type });
        return { statusCode: type === 'Event' ? 202 : type === 'DryRun' ? 204 : 200 };
      },
    },
    log: (line) => logged.push(line),
  });
  return (await fn.handle(event, ctx)) as HttpResult & { body: any };
}

/**
 * {@link callFunction} as the vendor `as` (`<as>@example.com`), or no one, keeping no log; a search's
 * JSON text (`RawJson`, as the edge sends it) is read as a client would.
 */
export async function callAs(marketplace: Marketplace, name: string, request: Partial<HttpRequest> & { as?: string }): Promise<HttpResult & { body: any }> {
  const { as, ...rest } = request;
  const answer = await callFunction(marketplace, name, { ...rest, ...(as === undefined ? {} : { caller: { email: `${as}@example.com`, username: as } }) }, []);
  return answer.body instanceof RawJson ? { ...answer, body: JSON.parse(answer.body.json) } : answer;
}
