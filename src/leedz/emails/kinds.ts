/**
 * The kinds of email the marketplace sends (the `kind` of a port `Email`), in one list that the
 * templates, the CLI's `outbox --kind`, the outbox listing and the console's filter share.
 * No imports: the console's bundle reads it.
 *
 * @example
 * isEmailKind('refund'); // → true
 */
export const EMAIL_KINDS = ['new-leed', 'changed', 'withdrawn', 'receipt', 'sold', 'refund', 'report', 'taken-down', 'magic-link'] as const;

export type EmailKind = (typeof EMAIL_KINDS)[number];

export function isEmailKind(value: string): value is EmailKind {
  return (EMAIL_KINDS as readonly string[]).includes(value);
}
