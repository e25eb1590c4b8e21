/**
 * SES's sending rate, shared by every container that sends, with sign-in links and receipts ahead of
 * bulk mail — derived from `sesMaxSendRate` at synth.
 *
 * SES enforces one maximum send rate per account and region, for every sender at once
 * (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas.html; a send over it is refused
 * with "Maximum sending rate exceeded": https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html).
 * Each container paces its own sends (`createSesMailer`'s token bucket), so the account's rate holds
 * when the containers that can run at once, times each one's pace, stay within it: reserved
 * concurrency is the most containers a function runs at once
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html), and each container
 * paces at its lane's share divided by that.
 *
 * Two lanes (`src/leedz/controllers/mail-lanes.ts`):
 *
 * - `emailHelper`: sign-in links, receipts, reports, take-down notices, SES's feedback, and the
 *   planners of the fan-out. A quarter of the rate (at least half of it, up to 1 a second, on a
 *   small account), over a few containers: an email that a person waits for is sent at once.
 * - `emailHelperBulk`: new-leed alerts and leed news, a batch of recipients an invocation. The rest
 *   of the rate, over as few containers as can send it. A batch holds what one container sends in
 *   about two minutes at its pace, at most 1,000; its timeout is that time plus a margin, so a batch
 *   finishes within one attempt even at the SES sandbox's 1 a second. The planner invokes every
 *   batch at once; those beyond the reserved concurrency are throttled, and Lambda keeps a throttled
 *   Event and retries it for up to the maximum event age, six hours
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html): a backlog of
 *   about `rate × 6 h` bulk emails (226,800 at 14 a second) is delivered, the rest would be dropped
 *   (`AsyncEventsDropped` alarms).
 *
 * A controller's declared `reservedConcurrency` overrides the stack's default cap; for
 * `emailHelper` it is also the number of containers its share is divided by. On an account too small
 * to reserve anything (`planConcurrency`'s warning), nothing bounds a lane but the account's own
 * concurrency: each container then paces at its lane's share divided by that, which is slow but
 * never over SES's rate.
 *
 * @example
 * const plan = planMailRate(14);
 * plan.bulk;     // → { lambda: 'emailHelperBulk', reservedConcurrency: 1, rate: 10.5, ratePerContainer: 10.5, batchSize: 1000, timeoutSeconds: 126 }
 * plan.priority; // → { lambda: 'emailHelper', reservedConcurrency: 2, rate: 3.5, ratePerContainer: 1.75 }
 */
import type { FunctionConfig } from '../src/framework/define.js';
import { MAX_BATCH_SIZE } from '../src/leedz/controllers/email-helper.js';
import { BULK_LANE } from '../src/leedz/controllers/mail-lanes.js';
import { planConcurrency, type ConcurrencyPlan } from './edge-limits.js';

/** The share of SES's rate kept for the emails people wait for. */
export const PRIORITY_SHARE = 0.25;
/** Emails a second a container of each lane is planned to send at most: a few beyond it are still quick. */
export const PRIORITY_RATE_PER_CONTAINER = 5;
export const BULK_RATE_PER_CONTAINER = 25;
/** The least containers of the priority lane: a sign-in link does not wait behind a slow receipt. */
export const MIN_PRIORITY_CONTAINERS = 2;
/** How long a bulk batch sends for, at its container's pace. */
export const BATCH_SENDING_SECONDS = 120;
/** What a batch does besides sending (reading its page, its claim, a throttle's retry after a second). */
export const BATCH_MARGIN_SECONDS = 30;
/** Lambda's longest timeout. */
export const MAX_TIMEOUT_SECONDS = 900;

export interface MailLanePlan {
  /** The Lambda's name (the stack deploys it as `<stack>-<name>`). */
  lambda: string;
  /** The most containers that run at once: its reserved concurrency (or the account's concurrency, when nothing can be reserved). */
  containers: number;
  /** Whether `containers` is a reservation the stack makes (false: the account's concurrency bounds it). */
  reserved: boolean;
  /** The emails a second this lane may send, all its containers together. */
  rate: number;
  /** Each container's pace: `rate / containers`. */
  ratePerContainer: number;
}

export interface MailRatePlan {
  /** SES's maximum send rate for the account (`sesMaxSendRate`). */
  accountRate: number;
  priority: MailLanePlan;
  bulk: MailLanePlan & {
    /** Recipients per batch (`notifyBatch`, `leedNewsBatch`). */
    batchSize: number;
    /** The bulk Lambda's timeout: a batch's sending at its pace, and a margin. */
    timeoutSeconds: number;
  };
}

export interface MailRateOptions {
  /** `emailHelper`'s declared `reservedConcurrency`, which the stack deploys as it is. */
  priorityContainers?: number;
  /** The account's concurrency, when nothing can be reserved: every lane may then run that many containers. */
  unreservedContainers?: number;
}

/** Share SES's rate between the lanes and their containers (see the module comment). */
export function planMailRate(sesMaxSendRate: number, options: MailRateOptions = {}): MailRatePlan {
  if (!(Number.isFinite(sesMaxSendRate) && sesMaxSendRate > 0)) throw new RangeError(`sesMaxSendRate must be a positive number of emails a second, got ${sesMaxSendRate}`);
  const unbounded = options.unreservedContainers;
  const priorityRate = Math.max(sesMaxSendRate * PRIORITY_SHARE, Math.min(sesMaxSendRate / 2, 1));
  const bulkRate = sesMaxSendRate - priorityRate;
  const priorityContainers = unbounded ?? options.priorityContainers ?? Math.max(MIN_PRIORITY_CONTAINERS, Math.ceil(priorityRate / PRIORITY_RATE_PER_CONTAINER));
  const bulkContainers = unbounded ?? Math.max(1, Math.ceil(bulkRate / BULK_RATE_PER_CONTAINER));
  const bulkPace = bulkRate / bulkContainers;
  const batchSize = Math.min(MAX_BATCH_SIZE, Math.max(1, Math.floor(bulkPace * BATCH_SENDING_SECONDS)));
  const timeoutSeconds = Math.ceil(batchSize / bulkPace) + BATCH_MARGIN_SECONDS;
  if (timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    throw new RangeError(
      `SES's rate of ${sesMaxSendRate}/s shared by ${bulkContainers} containers leaves each ${bulkPace.toFixed(4)} emails a second: ` +
        `one email would not fit a Lambda's ${MAX_TIMEOUT_SECONDS} s. Raise the account's Lambda concurrency quota, so that the stack can reserve concurrency for the mail Lambdas.`,
    );
  }
  return {
    accountRate: sesMaxSendRate,
    priority: { lambda: 'emailHelper', containers: priorityContainers, reserved: unbounded === undefined, rate: priorityRate, ratePerContainer: priorityRate / priorityContainers },
    bulk: { lambda: BULK_LANE, containers: bulkContainers, reserved: unbounded === undefined, rate: bulkRate, ratePerContainer: bulkPace, batchSize, timeoutSeconds },
  };
}

/** A Lambda as the concurrency plan reads it. */
interface Capped {
  name: string;
  config: Readonly<FunctionConfig>;
}

/**
 * The reserved concurrency of the stack's Lambdas and the mail plan that goes with it: the
 * controllers and their lanes capped (the mail Lambdas at the containers their share of SES's rate
 * is planned for), the functions that declare a cap; when the account cannot reserve them, no cap at
 * all, and the mail plan for as many containers as the account runs. `warnings` says what to do.
 *
 * @example
 * const { concurrency, mail } = planLambdaCaps(1000, 14, { functions, controllers, lanes });
 * concurrency.reserved.get('emailHelperBulk'); // → mail.bulk.containers
 */
export function planLambdaCaps(
  accountConcurrency: number,
  sesMaxSendRate: number,
  { functions, controllers, lanes }: { functions: readonly Capped[]; controllers: readonly Capped[]; lanes: readonly Capped[] },
): { concurrency: ConcurrencyPlan; mail: MailRatePlan; warnings: string[] } {
  const mailHelper = controllers.find((c) => c.name === 'emailHelper');
  if (mailHelper === undefined) throw new Error('the marketplace has no emailHelper controller');
  const declared = mailHelper.config.reservedConcurrency;
  const mail = planMailRate(sesMaxSendRate, declared === undefined ? {} : { priorityContainers: declared });
  const capped: Capped[] = [
    ...controllers.map((c) => (c.name === mail.priority.lambda ? { ...c, config: { ...c.config, reservedConcurrency: mail.priority.containers } } : c)),
    ...lanes.map((lane) => (lane.name === mail.bulk.lambda ? { ...lane, config: { ...lane.config, reservedConcurrency: mail.bulk.containers } } : lane)),
    ...functions.filter((fn) => fn.config.reservedConcurrency !== undefined),
  ];
  const concurrency = planConcurrency(accountConcurrency, capped);
  if (concurrency.warning === undefined) return { concurrency, mail, warnings: [] };
  // Nothing reserved: only the account's concurrency bounds how many containers send at once.
  const unbounded = planMailRate(sesMaxSendRate, { unreservedContainers: accountConcurrency });
  return {
    concurrency,
    mail: unbounded,
    warnings: [
      concurrency.warning,
      `with no reserved concurrency, each of up to ${accountConcurrency} containers of a mail Lambda sends at most ${unbounded.bulk.ratePerContainer.toFixed(3)} emails a second, so that together they stay within SES's ${sesMaxSendRate}/s: bulk mail is slow until the quota is raised`,
    ],
  };
}

/**
 * Refuse a Lambda that sends email outside the plan: SES's rate is shared out between `emailHelper`'s
 * lanes only (their containers, their pace, the configuration set that reports bounces), so another
 * sender would pace itself at the whole account's rate, per container, and its bounces would go
 * unheard. Email goes through an `emailHelper` route (invoke it), or the plan learns the new sender.
 */
export function unplannedMailSenders(mailers: readonly string[], plan: Pick<MailRatePlan, 'priority'>): void {
  const outside = mailers.filter((name) => name !== plan.priority.lambda);
  if (outside.length > 0) {
    throw new Error(
      `${outside.join(', ')} ${outside.length === 1 ? 'sends' : 'send'} email (SERVICE_USERS.mailer), but SES's rate is planned for ${plan.priority.lambda} and its lanes only ` +
        `(infra/mail-rate.ts): send the email through an ${plan.priority.lambda} route (invoke it), or add the sender to the plan`,
    );
  }
}
