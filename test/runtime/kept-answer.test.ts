import { describe, expect, it } from 'vitest';
import { RawJson } from '../../src/framework/raw-json.js';
import { keptAnswer } from '../../src/runtime/kept-answer.js';
import { RESPONSE_LOG_CHARS, SUCCESS_LOG_CHARS } from '../../src/runtime/runtime-db.js';

describe('what the log keeps of an answer', () => {
  it('keeps an HTTP answer’s status and body, not its headers (a cookie is a secret)', () => {
    const kept = keptAnswer({ status: 400, body: { error: { code: 'VALIDATION' } }, headers: { 'set-cookie': 'session=abc' } }, []);
    expect(kept.httpStatus).toBe(400);
    expect(JSON.parse(kept.json)).toEqual({ status: 400, body: { error: { code: 'VALIDATION' } } });
    expect(keptAnswer({ statusCode: 502, body: 'x' }, []).httpStatus).toBe(502);
  });

  it('keeps nothing of an answer marked no-store, and redacts the paths declared under response.', () => {
    expect(keptAnswer({ status: 200, body: { token: 'jwt' }, headers: { 'Cache-Control': 'private, no-store' } }, [])).toEqual({ httpStatus: 200, json: '{"notKept":"Cache-Control: no-store"}' });
    expect(JSON.parse(keptAnswer({ status: 201, body: { url: 'https://x/feed/secret' } }, ['response.body.url', 'query.token']).json).body.url).toBe('[redacted]');
  });

  it('is not an HTTP answer without a status from 100 to 599, and is cut at the log’s limit', () => {
    expect(keptAnswer({ status: 'active' }, []).httpStatus).toBeNull();
    expect(keptAnswer({ status: 42 }, []).httpStatus).toBeNull();
    expect(keptAnswer(undefined, []).json).toBe('null');
    const big = keptAnswer({ status: 200, body: new RawJson(`[${'1,'.repeat(5000)}1]`) }, []);
    expect(big.json).toHaveLength(SUCCESS_LOG_CHARS);
    expect(big.json.startsWith('{"status":200,"body":[1,1,')).toBe(true);
    expect(keptAnswer({ list: 'x'.repeat(10_000) }, []).json).toHaveLength(RESPONSE_LOG_CHARS);
  });

  it('keeps more of an HTTP error than of a success: the error’s body is what explains it', () => {
    const fields = Array.from({ length: 100 }, (_, i) => ({ path: `items.${i}.price`, message: 'must be at least 1' }));
    expect(keptAnswer({ status: 400, body: { error: { code: 'VALIDATION', fields } } }, []).json).toHaveLength(RESPONSE_LOG_CHARS);
    expect(keptAnswer({ status: 500, body: new RawJson(`"${'x'.repeat(10_000)}"`) }, []).json).toHaveLength(RESPONSE_LOG_CHARS);
    expect(keptAnswer({ status: 200, body: { list: 'x'.repeat(10_000) } }, []).json).toHaveLength(SUCCESS_LOG_CHARS);
  });
});
