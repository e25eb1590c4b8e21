/**
 * What the invocation log keeps of a synchronous invocation's answer: its HTTP status when it answered
 * an HTTP request (`status`, or API Gateway's `statusCode`), and its JSON — without the headers (a
 * session cookie is a secret), without the paths the function declares sensitive under `response.`,
 * and cut at {@link RESPONSE_LOG_CHARS} characters. An answer marked `Cache-Control: no-store` (a
 * session token, a private feed's URL) is not kept at all: what no cache may store, the log does not.
 * An HTTP success keeps only its first {@link SUCCESS_LOG_CHARS} characters: an error's body is
 * what explains it, a success's beginning is enough to see what was sent.
 *
 * @example
 * keptAnswer({ status: 404, body: { error: { code: 'NOT_FOUND' } } }, []);
 * // → { httpStatus: 404, json: '{"status":404,"body":{"error":{"code":"NOT_FOUND"}}}' }
 */
import { RawJson, stringifyJson } from '../framework/raw-json.js';
import { redactPaths } from './redact.js';
import { RESPONSE_LOG_CHARS, SUCCESS_LOG_CHARS } from './runtime-db.js';

export function keptAnswer(payload: unknown, sensitive: readonly string[]): { httpStatus: number | null; json: string } {
  let kept = payload;
  let httpStatus: number | null = null;
  let limit = RESPONSE_LOG_CHARS;
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    const record = payload as Record<string, unknown>;
    const status = record.status ?? record.statusCode;
    if (Number.isInteger(status) && (status as number) >= 100 && (status as number) <= 599) {
      httpStatus = status as number;
      const { headers, multiValueHeaders: _multi, cookies: _cookies, ...rest } = record;
      if (noStore(headers)) return { httpStatus, json: JSON.stringify({ notKept: 'Cache-Control: no-store' }) };
      kept = rest;
      if (httpStatus < 400) limit = SUCCESS_LOG_CHARS;
      // A large answer built as JSON text: only its beginning is kept, so only that is copied.
      if (rest.body instanceof RawJson && rest.body.json.length > limit) {
        return { httpStatus, json: `{"status":${httpStatus},"body":${rest.body.json.slice(0, limit)}`.slice(0, limit) };
      }
    }
  }
  const responsePaths = sensitive.filter((path) => path.startsWith('response.')).map((path) => path.slice('response.'.length));
  const json = stringifyJson(redactPaths(kept, responsePaths));
  return { httpStatus, json: json.length > limit ? json.slice(0, limit) : json };
}

function noStore(headers: unknown): boolean {
  if (headers === null || typeof headers !== 'object') return false;
  return Object.entries(headers).some(([name, value]) => name.toLowerCase() === 'cache-control' && /\bno-store\b/i.test(String(value)));
}
