/**
 * What the readers of the outbox share about an email: its kinds (the `kind` of a port `Email`), in
 * one list for the templates, the CLI's `outbox --kind`, the outbox listing and the console's filter,
 * and where bulk mail's one-click unsubscribe link is. No imports: the console's bundle reads it.
 *
 * @example
 * isEmailKind('refund'); // → true
 * listUnsubscribeUrl({ 'List-Unsubscribe': '<https://leedz.example/api/unsubscribe?token=t>' }); // → 'https://leedz.example/api/unsubscribe?token=t'
 */
export const EMAIL_KINDS = ['new-leed', 'changed', 'withdrawn', 'receipt', 'sold', 'refund', 'report', 'taken-down', 'magic-link'] as const;

export type EmailKind = (typeof EMAIL_KINDS)[number];

export function isEmailKind(value: string): value is EmailKind {
  return (EMAIL_KINDS as readonly string[]).includes(value);
}

/** The http(s) URL of an email's `List-Unsubscribe` header field (`<url>`, RFC 8058), if it has one. */
export function listUnsubscribeUrl(headers: Readonly<Record<string, string>> | undefined): string | undefined {
  const value = headers?.['List-Unsubscribe'];
  return value === undefined ? undefined : /<(https?:\/\/[^>]+)>/.exec(value)?.[1];
}
