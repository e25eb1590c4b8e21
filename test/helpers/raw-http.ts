/**
 * One HTTP/1.1 request with exactly the headers given, `Host` included: what `fetch` cannot send
 * (it sets `Host` itself), and what a DNS-rebinding page's requests look like to the server.
 *
 * @example
 * const response = await rawRequest(`${url}/api/trades`, { headers: { host: 'evil.example' } });
 * response.status; // 421
 */
import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** `localAddress`: the address the request comes from (another loopback address is another client to the server). */
export function rawRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        // A fresh connection per request: nothing kept alive between tests.
        agent: false,
        ...(init.localAddress === undefined ? {} : { localAddress: init.localAddress }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(init.body);
  });
}
