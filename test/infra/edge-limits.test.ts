import { describe, expect, it } from 'vitest';
import { DEFAULT_ACCOUNT_CONCURRENCY, LAMBDA_UNRESERVED_MINIMUM, planConcurrency, signInThrottle, stageThrottle } from '../../infra/edge-limits.js';

const controllers = [
  { name: 'emailHelper', config: {} },
  { name: 'bookkeeping', config: {} },
];

describe('the concurrency plan', () => {
  it('caps each controller at a tenth of what the account can reserve, and leaves the API the rest', () => {
    const plan = planConcurrency(DEFAULT_ACCOUNT_CONCURRENCY, controllers);
    expect([...plan.reserved]).toEqual([
      ['emailHelper', 90],
      ['bookkeeping', 90],
    ]);
    expect(plan.api).toBe(820);
    expect(plan.warning).toBeUndefined();
  });

  it('takes the cap a controller declares (reservedConcurrency) over the default', () => {
    const plan = planConcurrency(1000, [{ name: 'emailHelper', config: { reservedConcurrency: 4 } }, controllers[1]!]);
    expect(plan.reserved.get('emailHelper')).toBe(4);
    expect(plan.api).toBe(1000 - 4 - 90);
  });

  it('never reserves into the 100 executions Lambda keeps unreserved: a small account gets no cap and a warning', () => {
    expect(planConcurrency(LAMBDA_UNRESERVED_MINIMUM + 2, controllers).reserved.size).toBe(2);
    for (const account of [10, 50, LAMBDA_UNRESERVED_MINIMUM + 1]) {
      const plan = planConcurrency(account, controllers);
      expect(plan.reserved.size, String(account)).toBe(0);
      expect(plan.api).toBe(account);
      expect(plan.warning).toMatch(/cannot reserve the \d+ executions that cap emailHelper, bookkeeping .*-c lambdaConcurrency=/);
    }
  });
});

describe('the throttles', () => {
  it('lets the stage take no more than the API’s executions serve, within API Gateway’s own limits', () => {
    expect(stageThrottle({ reserved: new Map(), api: 50 })).toEqual({ rateLimit: 500, burstLimit: 50 });
    expect(stageThrottle({ reserved: new Map(), api: 3000 })).toEqual({ rateLimit: 10_000, burstLimit: 3000 });
    expect(stageThrottle({ reserved: new Map(), api: 9000 })).toEqual({ rateLimit: 10_000, burstLimit: 5000 });
  });

  it('lets sign-in requests in no faster than SES sends their emails', () => {
    expect(signInThrottle(1)).toEqual({ rateLimit: 1, burstLimit: 5 });
    expect(signInThrottle(14)).toEqual({ rateLimit: 14, burstLimit: 70 });
  });
});
