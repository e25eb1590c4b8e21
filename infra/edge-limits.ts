/**
 * The limits at the edge of the stack, derived from the account and the code: how much Lambda
 * concurrency the asynchronous side may take, so that a fan-out never starves the API, and how fast
 * the HTTP API's stage and its sign-in route accept requests.
 *
 * Concurrency. Every function of an account and region draws from one pool (1,000 by default; a new
 * account may have far less). Reserved concurrency both guarantees and caps a function's share; the
 * API's functions reserve nothing and share what is left, which Lambda keeps at 100 or more
 * (https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html). So the plan caps
 * each controller — what its code declares (`reservedConcurrency`), or a tenth of what the account
 * can reserve — and the API keeps the rest. An account too small to reserve anything (fewer than
 * 100 executions beyond the caps) gets no cap and a synth warning: raise its quota.
 *
 * @example
 * const plan = planConcurrency(1000, controllers);
 * plan.reserved.get('emailHelper'); // → 90
 * plan.api;                         // → 820
 */
import type { FunctionConfig } from '../src/framework/define.js';

/** Lambda keeps at least this many executions unreserved, for the functions that reserve none. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/** The default account concurrency of a region (Service Quotas: AWS Lambda → Concurrent executions). */
export const DEFAULT_ACCOUNT_CONCURRENCY = 1000;

/** API Gateway's own account-level limits for HTTP APIs: no stage limit can exceed them. */
const API_GATEWAY_RATE = 10_000;
const API_GATEWAY_BURST = 5_000;

/** Requests a second one API execution serves: the functions answer in about 100 ms. */
const REQUESTS_PER_EXECUTION = 10;

export interface ConcurrencyPlan {
  /** Reserved concurrency of each capped Lambda, by name (empty when the account cannot reserve). */
  reserved: ReadonlyMap<string, number>;
  /** The executions the API's functions share: the account's, less every reservation. */
  api: number;
  /** Why nothing is reserved, when nothing can be. */
  warning?: string;
}

/** Cap every Lambda of `capped` (the controllers: what fans out), as the module comment says. */
export function planConcurrency(accountConcurrency: number, capped: readonly { name: string; config: Readonly<FunctionConfig> }[]): ConcurrencyPlan {
  const reservable = accountConcurrency - LAMBDA_UNRESERVED_MINIMUM;
  const share = Math.max(1, Math.floor(reservable / 10));
  const reserved = new Map(capped.map((lambda) => [lambda.name, lambda.config.reservedConcurrency ?? share]));
  const total = [...reserved.values()].reduce((sum, n) => sum + n, 0);
  if (total > reservable) {
    return {
      reserved: new Map(),
      api: accountConcurrency,
      warning:
        `the account's Lambda concurrency (${accountConcurrency}) cannot reserve the ${total} executions that cap ${capped.map((l) => l.name).join(', ')} ` +
        `(Lambda keeps ${LAMBDA_UNRESERVED_MINIMUM} unreserved), so a fan-out may take every execution the API needs. Request more ` +
        `(Service Quotas → AWS Lambda → Concurrent executions; ${total + LAMBDA_UNRESERVED_MINIMUM * 2} or more), then deploy with -c lambdaConcurrency=<the new quota>.`,
    };
  }
  return { reserved, api: accountConcurrency - total };
}

export interface StageThrottle {
  /** Steady requests per second, and the bucket that absorbs bursts. */
  rateLimit: number;
  burstLimit: number;
}

/**
 * The stage's limit: no more requests than the API's executions can serve (beyond it, Lambda would
 * throttle them into 500s; API Gateway answers a clean 429 instead), within API Gateway's own.
 */
export function stageThrottle(plan: ConcurrencyPlan): StageThrottle {
  return { rateLimit: Math.min(API_GATEWAY_RATE, plan.api * REQUESTS_PER_EXECUTION), burstLimit: Math.min(API_GATEWAY_BURST, plan.api) };
}

/**
 * The sign-in route's limit: each request sends an email, so no faster than SES sends them (the
 * account's rate, 1 a second in the sandbox), with a small burst; the function itself also limits
 * each mailbox and each client.
 */
export function signInThrottle(sesMaxSendRate: number): StageThrottle {
  return { rateLimit: sesMaxSendRate, burstLimit: Math.max(5, Math.ceil(sesMaxSendRate * 5)) };
}
