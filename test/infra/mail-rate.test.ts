import { describe, expect, it } from 'vitest';
import { BATCH_MARGIN_SECONDS, MAX_TIMEOUT_SECONDS, planLambdaCaps, planMailRate, unplannedMailSenders } from '../../infra/mail-rate.js';
import { readDeployables } from '../../infra/deployables.js';
import { lambdaSpecs, SERVICE_USERS } from '../../infra/lambda-specs.js';
import { MAX_BATCH_SIZE } from '../../src/leedz/controllers/email-helper.js';

/** Every container of both lanes sending at its pace at once, in emails a second. */
const together = (plan: ReturnType<typeof planMailRate>) => plan.priority.containers * plan.priority.ratePerContainer + plan.bulk.containers * plan.bulk.ratePerContainer;

describe("SES's rate, shared by the mail Lambdas' containers", () => {
  it.each([0.5, 1, 2, 14, 50, 200, 1000])('at %s emails a second, every container of both lanes at once stays within it, and a batch finishes within one attempt', (rate) => {
    const plan = planMailRate(rate);
    expect(together(plan)).toBeLessThanOrEqual(rate + 1e-9);
    expect(plan.priority.rate + plan.bulk.rate).toBeCloseTo(rate);
    // The emails people wait for keep at least a quarter (half, up to 1 a second, on a small account).
    expect(plan.priority.rate).toBeGreaterThanOrEqual(rate / 4);
    const { batchSize, ratePerContainer, timeoutSeconds } = plan.bulk;
    expect(batchSize).toBeGreaterThanOrEqual(1);
    expect(batchSize).toBeLessThanOrEqual(MAX_BATCH_SIZE);
    expect(batchSize / ratePerContainer + BATCH_MARGIN_SECONDS).toBeLessThanOrEqual(timeoutSeconds);
    expect(timeoutSeconds).toBeLessThanOrEqual(MAX_TIMEOUT_SECONDS);
  });

  it("in the SES sandbox (1 a second): half for sign-in links and receipts over two containers, half for bulk mail in one, batches of 60 in 150 s", () => {
    expect(planMailRate(1)).toEqual({
      accountRate: 1,
      priority: { lambda: 'emailHelper', containers: 2, reserved: true, rate: 0.5, ratePerContainer: 0.25 },
      bulk: { lambda: 'emailHelperBulk', containers: 1, reserved: true, rate: 0.5, ratePerContainer: 0.5, batchSize: 60, timeoutSeconds: 150 },
    });
  });

  it('at a new production account’s 14 a second: batches of 1,000 in about a minute and a half', () => {
    const plan = planMailRate(14);
    expect(plan.priority).toMatchObject({ containers: 2, rate: 3.5, ratePerContainer: 1.75 });
    expect(plan.bulk).toMatchObject({ containers: 1, rate: 10.5, batchSize: 1000, timeoutSeconds: 126 });
  });

  it("divides emailHelper's share by its declared reserved concurrency, which the stack deploys as it is", () => {
    const plan = planMailRate(14, { priorityContainers: 7 });
    expect(plan.priority).toMatchObject({ containers: 7, ratePerContainer: 0.5 });
    expect(together(plan)).toBeLessThanOrEqual(14);
  });

  it("with nothing reserved, divides each lane's share by the account's concurrency (the most containers there can be)", () => {
    const plan = planMailRate(1, { unreservedContainers: 10 });
    expect(plan.priority).toMatchObject({ containers: 10, reserved: false, ratePerContainer: 0.05 });
    expect(plan.bulk).toMatchObject({ containers: 10, reserved: false, ratePerContainer: 0.05, batchSize: 6, timeoutSeconds: 150 });
    expect(together(plan)).toBeLessThanOrEqual(1);
  });

  it('refuses a rate that is not a positive number, and a share too thin for one email to fit a Lambda', () => {
    expect(() => planMailRate(0)).toThrow(/sesMaxSendRate must be a positive number/);
    expect(() => planMailRate(Number.NaN)).toThrow(/sesMaxSendRate/);
    expect(() => planMailRate(1, { unreservedContainers: 1000 })).toThrow(/would not fit a Lambda's 900 s/);
  });

  it('plans the stack’s caps: the mail Lambdas at their containers, every other controller capped as before; without reservations, neither', () => {
    const { functions, controllers } = readDeployables();
    const { lanes } = lambdaSpecs();
    const caps = planLambdaCaps(1000, 14, { functions, controllers, lanes });
    expect(caps.concurrency.reserved.get('emailHelper')).toBe(2);
    expect(caps.concurrency.reserved.get('emailHelperBulk')).toBe(1);
    expect(caps.concurrency.reserved.get('bookkeeping')).toBe(90);
    expect(caps.warnings).toEqual([]);
    const small = planLambdaCaps(50, 14, { functions, controllers, lanes });
    expect(small.concurrency.reserved.size).toBe(0);
    expect(small.mail.bulk).toMatchObject({ containers: 50, reserved: false });
    expect(small.warnings).toHaveLength(2);
  });
});

describe('who may send email', () => {
  it('is emailHelper (and its lanes) only: another sender would pace at the whole account’s rate, unheard by the bounce handling, so synth refuses it', () => {
    const plan = planMailRate(14);
    expect(() => unplannedMailSenders(SERVICE_USERS.mailer, plan)).not.toThrow();
    expect(() => unplannedMailSenders([...SERVICE_USERS.mailer, 'reminders'], plan)).toThrow(
      /^reminders sends email \(SERVICE_USERS\.mailer\), but SES's rate is planned for emailHelper and its lanes only \(infra\/mail-rate\.ts\): send the email through an emailHelper route/,
    );
  });
});
