/**
 * Run one of the marketplace's HTTP functions in-process, as the edge would hand it a request: its
 * context logs into `logged`, and its transport refuses to be used (the functions under test hand
 * work on through the outbox, never by invoking a controller directly).
 *
 * @example
 * const answer = await callFunction(marketplace, 'buyLeed', { caller, params: { trade, id } }, logged);
 */
import { createInvocationContext } from '../../src/framework/context.js';
import type { HttpRequest, HttpResult } from '../../src/leedz/functions/http.js';
import type { Marketplace } from '../../src/leedz/marketplace.js';

export async function callFunction(marketplace: Marketplace, name: string, event: Partial<HttpRequest>, logged: string[]): Promise<HttpResult & { body: any }> {
  const fn = marketplace.deployables.find((d) => d.name === name);
  if (fn === undefined) throw new Error(`no function ${name}`);
  const ctx = createInvocationContext({
    functionName: name,
    timeoutMs: 10_000,
    meta: {},
    transport: {
      invoke: async () => {
        throw new Error(`${name} invoked a controller directly: the functions hand work on through the outbox`);
      },
    },
    log: (line) => logged.push(line),
  });
  return (await fn.handle(event, ctx)) as HttpResult & { body: any };
}
