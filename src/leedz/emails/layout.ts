/**
 * The one layout every Leedz email uses. A template describes its email as data (a heading,
 * paragraphs, label/value facts, one action link); {@link renderEmail} turns that into an HTML part
 * and a text part that say the same thing. Every value is escaped here, once, so a template cannot
 * forget to: a leed's title or a reporter's reason is text typed by strangers.
 *
 * The HTML is self-contained (inline styles, no images, no web fonts, no scripts) and uses tables for
 * layout, because that is what mail clients (Outlook above all) render reliably.
 */

/** What a template produces: the three parts of an email that depend on its content. */
export interface EmailContent {
  subject: string;
  html: string;
  text: string;
}

/** One labelled value ("Price: $25.00"). A value may span several lines. */
export interface EmailFact {
  label: string;
  value: string;
}

/** An email described as data; see {@link renderEmail}. */
export interface EmailDocument {
  /** Plain text; line breaks are folded into spaces (a header cannot hold them). */
  subject: string;
  heading: string;
  /** Paragraphs before the facts. */
  intro: readonly string[];
  facts: readonly EmailFact[];
  /** A titled block of free text after the facts (a report's reason). */
  note?: { title: string; text: string };
  /** The one thing to click; an http(s) URL. */
  action?: { label: string; url: string };
  /** Paragraphs after the action. */
  outro?: readonly string[];
  /** Why the recipient gets this email. */
  footer: string;
  /** An http(s) link after the footer: where to change what one is emailed about. */
  footerLink?: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text made safe to place in HTML, in element content and in quoted attribute values alike.
 *
 * @example
 * escapeHtml('<script>alert("x")</script>'); // → '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * Render an email's HTML and text parts from one description, so the two always agree.
 *
 * @example
 * const { subject, html, text } = renderEmail({
 *   subject: 'New Leed: Wedding', heading: 'Wedding', intro: ['A new dj leed.'],
 *   facts: [{ label: 'Price', value: '$25.00' }], footer: 'You subscribe to dj leedz.',
 * });
 */
export function renderEmail(doc: EmailDocument): EmailContent {
  for (const url of [doc.action?.url, doc.footerLink]) {
    // A javascript: or data: URL in an href would run in some webmail clients.
    if (url !== undefined && !/^https?:\/\//i.test(url)) throw new TypeError(`email link must be http(s), got "${url}"`);
  }
  return { subject: oneLine(doc.subject), html: renderHtml(doc), text: renderText(doc) };
}

// ── HTML ─────────────────────────────────────────────────────────────────────────────────────────

const FONT = 'font-family:Arial,Helvetica,sans-serif;';
const PARAGRAPH = `margin:0 0 16px;font-size:15px;line-height:1.5;color:#18181b;${FONT}`;

/** Escaped, with line breaks kept as `<br>`. */
function htmlLines(text: string): string {
  return escapeHtml(text).replace(/\r\n|\r|\n/g, '<br>');
}

function renderHtml(doc: EmailDocument): string {
  const paragraphs = (texts: readonly string[] | undefined) =>
    (texts ?? []).map((text) => `<p style="${PARAGRAPH}">${htmlLines(text)}</p>`).join('\n');
  const facts =
    doc.facts.length === 0
      ? ''
      : `<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;border-collapse:collapse;margin:0 0 20px;">
${doc.facts
  .map(
    (fact) => `<tr>
<th scope="row" style="text-align:left;vertical-align:top;padding:8px 16px 8px 0;border-bottom:1px solid #e4e4e7;font-size:14px;font-weight:normal;color:#52525b;white-space:nowrap;${FONT}">${escapeHtml(fact.label)}</th>
<td style="vertical-align:top;padding:8px 0;border-bottom:1px solid #e4e4e7;font-size:14px;color:#18181b;${FONT}">${htmlLines(fact.value)}</td>
</tr>`,
  )
  .join('\n')}
</table>`;
  const note =
    doc.note === undefined
      ? ''
      : `<h2 style="margin:0 0 8px;font-size:16px;color:#18181b;${FONT}">${escapeHtml(doc.note.title)}</h2>
<p style="${PARAGRAPH}padding:12px;background:#f4f4f5;border-radius:6px;">${htmlLines(doc.note.text)}</p>`;
  const action =
    doc.action === undefined
      ? ''
      : `<p style="margin:8px 0 16px;"><a href="${escapeHtml(doc.action.url)}" style="display:inline-block;padding:12px 20px;background:#1d4ed8;color:#ffffff;text-decoration:none;border-radius:6px;font-size:15px;font-weight:bold;${FONT}">${escapeHtml(doc.action.label)}</a></p>
<p style="margin:0 0 16px;font-size:13px;line-height:1.5;color:#52525b;word-break:break-all;${FONT}">Or open this address: ${escapeHtml(doc.action.url)}</p>`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(oneLine(doc.subject))}</title>
</head>
<body style="margin:0;padding:0;background:#f4f4f5;">
<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;background:#f4f4f5;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;max-width:560px;background:#ffffff;border:1px solid #e4e4e7;border-radius:8px;">
<tr><td style="padding:16px 24px;border-bottom:1px solid #e4e4e7;font-size:18px;font-weight:bold;color:#1d4ed8;${FONT}">The Leedz</td></tr>
<tr><td style="padding:24px;">
<h1 style="margin:0 0 16px;font-size:20px;line-height:1.3;color:#18181b;${FONT}">${htmlLines(doc.heading)}</h1>
${[paragraphs(doc.intro), facts, note, action, paragraphs(doc.outro)].filter((part) => part !== '').join('\n')}
</td></tr>
<tr><td style="padding:16px 24px;border-top:1px solid #e4e4e7;font-size:12px;line-height:1.5;color:#71717a;${FONT}">${htmlLines(doc.footer)}${doc.footerLink === undefined ? '' : ` <a href="${escapeHtml(doc.footerLink)}" style="color:#1d4ed8;">${escapeHtml(doc.footerLink)}</a>`}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;
}

// ── text ─────────────────────────────────────────────────────────────────────────────────────────

function renderText(doc: EmailDocument): string {
  const blocks: string[] = [`${doc.heading}\n${'='.repeat(Math.min(60, Math.max(3, doc.heading.length)))}`, ...doc.intro];
  if (doc.facts.length > 0) {
    const width = Math.max(...doc.facts.map((fact) => fact.label.length)) + 2;
    blocks.push(
      doc.facts
        .map((fact) => {
          // Continuation lines line up under the first line of the value.
          const [first = '', ...rest] = splitLines(fact.value);
          return [`${`${fact.label}:`.padEnd(width)}${first}`, ...rest.map((line) => `${' '.repeat(width)}${line}`)].join('\n');
        })
        .join('\n'),
    );
  }
  if (doc.note !== undefined) blocks.push(`${doc.note.title}:\n${doc.note.text}`);
  if (doc.action !== undefined) blocks.push(`${doc.action.label}: ${doc.action.url}`);
  blocks.push(...(doc.outro ?? []), `--\n${doc.footer}${doc.footerLink === undefined ? '' : ` ${doc.footerLink}`}`);
  return `${blocks.join('\n\n')}\n`;
}

function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
