/**
 * Invoke on the server's `node:http` listener directly, ahead of hono: for the one route that takes
 * load (every Event a handler or an SDK sends), building a web `Request` and `Response` per call cost
 * more than the work itself (bench/queue.ts). It checks what the hono stack would — the Host the
 * browser guard accepts, the SigV4 signature — and answers with the same handler
 * (src/runtime/invoke-handler.ts), so the two paths cannot disagree; any other request goes on to hono.
 *
 * @example
 * const invoke = createInvokeListener(runtime, access, { hostAllowed });
 * http.createServer((req, res) => invoke(req, res) || hono(req, res));
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestTooLarge, type Access } from './access.js';
import { handleInvoke } from './invoke-handler.js';
import { errorAnswer, type HttpAnswer } from './lambda-errors.js';
import type { LocalRuntime } from './local-runtime.js';
import { InvokeError } from '../framework/transport.js';
import { SYNC_PAYLOAD_LIMIT } from './handler-run.js';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/?]+)\/invocations(?:\?(.*))?$/;

/** Handles the request when it is an Invoke (and returns true); returns false for hono to serve it. */
export type InvokeListener = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createInvokeListener(runtime: LocalRuntime, access: Access, options: { hostAllowed(host: string | undefined): boolean; headers?: Record<string, string> }): InvokeListener {
  const extraHeaders = options.headers ?? {};
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const match = INVOKE_PATH.exec(req.url ?? '');
    if (match === null || !options.hostAllowed(req.headers.host)) return false;
    void serve(req, res, match[1]!, match[2] ?? '').catch((error: unknown) => send(res, errorAnswer(error), extraHeaders));
    return true;
  };

  async function serve(req: IncomingMessage, res: ServerResponse, encodedName: string, rawQuery: string): Promise<void> {
    const rawPath = (req.url ?? '').split('?', 1)[0]!;
    let body: Promise<Uint8Array | undefined> | undefined;
    const readOnce = () => (body ??= readBody(req, SYNC_PAYLOAD_LIMIT));
    let verified = await access.verify({ method: 'POST', rawPath, rawQuery, headers: req.headers }, readOnce);
    // `req.headers` joins a repeated header's lines with ', ' (and keeps the first of some), where
    // SigV4 joins them with ','; every line (`headersDistinct`, which costs an object a request) is
    // read only when a refused request has repeated headers.
    if ('refused' in verified && verified.refused.name === 'InvalidSignatureException' && req.rawHeaders.length > 2 * Object.keys(req.headers).length) {
      verified = await access.verify({ method: 'POST', rawPath, rawQuery, headers: req.headersDistinct }, readOnce);
    }
    if ('refused' in verified) {
      send(res, errorAnswer(new InvokeError(verified.refused.name, verified.refused.message)), extraHeaders);
      return;
    }
    if ('tooLarge' in verified) {
      send(res, errorAnswer(requestTooLarge('InvokeFunction')), extraHeaders);
      return;
    }
    let functionName: string;
    try {
      functionName = decodeURIComponent(encodedName);
    } catch {
      functionName = encodedName;
    }
    const qualifier = rawQuery === '' ? undefined : (new URLSearchParams(rawQuery).get('Qualifier') ?? undefined);
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(',') : value;
    };
    send(res, await handleInvoke(runtime, { functionName, qualifier, header, body: verified.body }), extraHeaders);
  }
}

/** The body, or undefined past `limit` bytes (the rest is not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, answer: HttpAnswer, extra: Record<string, string>): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, { ...extra, ...answer.headers });
  res.end(answer.body ?? undefined);
}
