/**
 * `fetch` signed with AWS Signature V4 and the runtime's credentials: how the `leedz` CLI talks to
 * the runtime's endpoints (`/local/*`, the Invoke API, the dev outbox), which accept nothing else.
 * The signer is the AWS SDK's own (`@smithy/signature-v4`), so the CLI signs exactly as the SDKs do.
 *
 * @example
 * const response = await signedFetch(`${endpoint}/local/invocations?limit=5`, { method: 'GET' }, credentials);
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { RUNTIME_REGION, type RuntimeCredentials } from '../runtime/credentials.js';
import { uriEncode } from '../runtime/sigv4.js';

/** SHA-256 in the shape the SDK's signer takes (a constructor; with a secret, an HMAC). */
type SourceData = string | ArrayBuffer | ArrayBufferView;

class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }

  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The headers that sign a request to the runtime (the given ones, plus `host`, `x-amz-date`,
 * `x-amz-content-sha256` and `authorization`).
 */
export async function signRequest(url: string, init: { method: string; headers?: Record<string, string>; body?: string | Uint8Array }, credentials: RuntimeCredentials): Promise<Record<string, string>> {
  const target = new URL(url);
  const signer = new SignatureV4({ service: 'lambda', region: RUNTIME_REGION, credentials, sha256: NodeSha256 });
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of target.searchParams) {
    const existing = query[name];
    query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const signed = await signer.sign({
    method: init.method,
    protocol: target.protocol,
    hostname: target.hostname,
    ...(target.port === '' ? {} : { port: Number(target.port) }),
    path: target.pathname,
    query,
    headers: { ...init.headers, host: target.host },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return signed.headers as Record<string, string>;
}

/** Sign and send a request to the runtime; `init.body` must be a string (or absent). */
export async function signedFetch(url: string, init: { method: string; headers?: Record<string, string>; body?: string }, credentials: RuntimeCredentials): Promise<Response> {
  const sent = withSignedQuery(url);
  // fetch sets Host itself, to the same value.
  const { host: _host, ...headers } = await signRequest(sent, init, credentials);
  return fetch(sent, { method: init.method, headers, ...(init.body === undefined ? {} : { body: init.body }) });
}

/**
 * The URL with its query written as SigV4 signs it: every name and value encoded as RFC 3986 wants
 * (a space is `%20`). The signer reads the query decoded, so a form-encoded `+` (what URLSearchParams
 * writes for a space) would be signed as a space and sent as a plus, which the server, reading the
 * bytes as AWS does, takes for a plus: the signature would not match.
 */
export function withSignedQuery(url: string): string {
  const target = new URL(url);
  if (target.search === '') return url;
  target.search = [...target.searchParams].map(([name, value]) => `${uriEncode(name)}=${uriEncode(value)}`).join('&');
  return target.toString();
}
