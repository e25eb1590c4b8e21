/**
 * One email of the outbox as the dev endpoints (`/api/dev/outbox`) show it: its own module, with no
 * Node imports, so that the operations console (web/console) reads it with this very type.
 *
 * @example
 * const { emails } = await api.get<{ emails: OutboxEmail[]; total: number }>('/api/dev/outbox');
 */
import type { Email } from '../../../leedz/ports.js';

/** One stored email, as the dev endpoints show it. */
export interface OutboxEmail extends Email {
  /** Increasing with every stored email: newer emails have larger ids. */
  id: number;
  messageId: string;
  /** ISO 8601 instant (UTC) when it was first stored. */
  createdAt: string;
  /** With `SMTP_URL` set: what the SMTP server last made of it. Absent while it was not handed on. */
  smtp?: SmtpOutcome;
}

/** What the SMTP server made of an email at its latest try. */
export interface SmtpOutcome {
  /** accepted: taken for delivery; refused: its recipient refused for good (not tried again); failed: not sent, tried again until the event's retries run out. */
  outcome: 'accepted' | 'refused' | 'failed';
  /** The error, with the server's reply, when not accepted. */
  detail?: string;
  /** ISO 8601 instant of that try. */
  at: string;
}
