import { describe, expect, it } from 'vitest';
import { ERROR_STATUS, problem, storeProblem } from '../../../src/leedz/functions/http.js';
import { ConflictError, ForbiddenError, NotFoundError, StateError } from '../../../src/leedz/ports.js';

describe('error codes and their statuses', () => {
  it('answer each code with the status of the one table', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(problem(code as keyof typeof ERROR_STATUS, 'x')).toEqual({ status, body: { error: { code, message: 'x' } } });
      expect(status >= 400 && status < 600).toBe(true);
    }
    expect(problem('VALIDATION', 'invalid title', [{ path: 'title', message: 'is required' }]).body).toEqual({ error: { code: 'VALIDATION', message: 'invalid title', fields: [{ path: 'title', message: 'is required' }] } });
  });

  it('turn the store’s refusals into the API’s codes, and nothing else', () => {
    expect(storeProblem(new ConflictError('dj leed already exists'))).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT', message: 'dj leed already exists' } } });
    expect(storeProblem(new StateError('this leed is sold'))).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT' } } });
    expect(storeProblem(new ForbiddenError('not yours'))).toMatchObject({ status: 403 });
    expect(storeProblem(new NotFoundError('no such leed'))).toMatchObject({ status: 404 });
    expect(storeProblem(new Error('disk full'))).toBeUndefined();
  });
});
