/**
 * Sending a batch of emails — a fan-out's page of alerts, a leed's news — each at most once per key,
 * in as few writes as the mailer allows, and with the batch's outcome right when some fail.
 *
 * The batch's idempotency keys are claimed in one write (`idempotency.onceEach`). With a mailer that
 * records (the local outbox), the emails are stored in that same transaction: one commit for the
 * whole batch, and the keys complete in it when recording is all there is; with SMTP behind the
 * outbox, each email is then sent and its key completed as the server accepts it, so a crash resends
 * at most the emails that were in flight. Any other mailer (SES) sends each claimed email.
 *
 * A recipient refused for good (the provider's `NonRetriableError`) is one recipient's failure: its
 * key completes with the refusal, so no retry sends it again, and the others still go. A retriable
 * failure (a throttle, a broken connection) fails the batch, so it runs again for what is left.
 *
 * @example
 * const { refused } = await sendEach(deps, ctx, emails);
 * for (const { email, code } of refused) ctx.log(`${email.to}: ${code}`);
 */
import type { InvocationContext } from '../../framework/context.js';
import { NonRetriableError } from '../../framework/errors.js';
import type { Idempotency } from '../../framework/idempotency.js';
import type { Email, Mailer } from '../ports.js';

/** Emails of one batch in flight at once. */
export const SEND_CONCURRENCY = 8;

/** What became of a batch: emails sent (or recorded) now, done before, and refused for good. */
export interface BatchOutcome {
  sent: number;
  done: number;
  refused: { email: Email; code: string; message: string }[];
}

/** What an email's key keeps when its recipient was refused for good. */
interface Refusal {
  refused: string;
}

/** Send each email at most once per `key` (see the module comment). */
export async function sendEach(deps: { mailer: Mailer; idempotency: Idempotency }, ctx: InvocationContext, emails: readonly Email[]): Promise<BatchOutcome> {
  const { mailer, idempotency } = deps;
  const refused: BatchOutcome['refused'] = [];
  const deliver = mailer.record === undefined ? (email: Email) => mailer.send(email) : mailer.deliver?.bind(mailer);
  const effect =
    deliver === undefined
      ? undefined
      : async (email: Email): Promise<unknown> => {
          try {
            return await deliver(email);
          } catch (error) {
            if (!(error instanceof NonRetriableError)) throw error;
            refused.push({ email, code: error.code, message: error.message });
            return { refused: error.code } satisfies Refusal;
          }
        };
  const record = mailer.record?.bind(mailer);
  const { ran, done } = await idempotency.onceEach(ctx, emails, (email) => email.key, effect, {
    concurrency: SEND_CONCURRENCY,
    ...(record === undefined ? {} : { record }),
  });
  return { sent: ran - refused.length, done, refused };
}
