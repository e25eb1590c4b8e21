/**
 * The marketplace's emails: pure functions from a leed (and who is involved) to `{subject, html, text}`,
 * and builders that add the recipient, the kind and the idempotency key to make a port {@link Email}.
 *
 * What each email may show follows docs/marketplace.md (Visibility): a new-leed alert shows only what a stranger may see
 * (the domain's `projectLeed(leed, null)` decides, so the rule lives in one place); the buyer's
 * receipt and the admin's report show every field.
 *
 * @example
 * const email = newLeedEmail({ leed, recipient: { username: 'pat', email: 'pat@example.com' }, publicUrl });
 * await mailer.send(email); // email.key === `${leed.id}:pat:new-leed`
 */
import { HIDEABLE_FIELDS, type HideableField, type Leed } from '../domain/leed.js';
import { formatPhone } from '../domain/phone.js';
import { formatCents, platformFeeCents, PLATFORM_FEE_PERCENT } from '../domain/money.js';
import { formatGigTime, formatInZone } from '../domain/time-zone.js';
import { projectLeed } from '../domain/visibility.js';
import type { Email } from '../ports.js';
import type { EmailKind } from './kinds.js';
import { renderEmail, type EmailContent, type EmailFact } from './layout.js';

export type { EmailKind } from './kinds.js';

/** Why a payment was refunded rather than recorded as a sale: the store's refusals of `recordSale`, but for a repeat of the same payment. */
export const REFUND_REASONS = ['not-found', 'not-active', 'already-sold', 'wrong-amount', 'held-by-another'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

/** A user as an email names them: public handle and address. */
export interface Contact {
  username: string;
  email: string;
}

/**
 * The web page of a leed. The trade is encoded: trade names may hold spaces ("face painting").
 *
 * @example
 * leedUrl('http://127.0.0.1:3000', { trade: 'face painting', id: 'l_1' }); // → 'http://127.0.0.1:3000/leedz/face%20painting/l_1'
 */
export function leedUrl(publicUrl: string, leed: Pick<Leed, 'trade' | 'id'>): string {
  return `${publicUrl.replace(/\/+$/, '')}/leedz/${encodeURIComponent(leed.trade)}/${encodeURIComponent(leed.id)}`;
}

/** The receipt page of a bought leed: where a checkout returns the buyer to. */
export function receiptUrl(publicUrl: string, leed: Pick<Leed, 'trade' | 'id'>): string {
  return `${publicUrl.replace(/\/+$/, '')}/receipts/${encodeURIComponent(leed.trade)}/${encodeURIComponent(leed.id)}`;
}

/** A trade's page of upcoming leedz: where to look once a leed is gone. */
function tradeUrl(publicUrl: string, trade: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/trades/${encodeURIComponent(trade)}`;
}

// ── content ──────────────────────────────────────────────────────────────────────────────────────

/**
 * The alert to a subscriber: trade, times in the leed's zone, zip, price, the fields the creator
 * chose to show, and a link. Hidden fields are named ("shown once you buy") but their values never
 * reach this function's output.
 *
 * @example
 * newLeedContent({ leed, publicUrl }).subject; // → 'New Leed: Wedding reception'
 */
export function newLeedContent(input: { leed: Leed; publicUrl: string }): EmailContent {
  const { leed, publicUrl } = input;
  const view = projectLeed(leed, null);
  const shown: EmailFact[] = [];
  for (const field of HIDEABLE_FIELDS) {
    const value = view[field];
    if (value !== undefined && value !== null) shown.push({ label: FIELD_LABELS[field], value });
  }
  const hidden = view.hidden.map((field) => FIELD_LABELS[field].toLowerCase());
  return renderEmail({
    subject: `New Leed: ${leed.title}`,
    heading: leed.title,
    intro: [`A new ${leed.trade} leed is for sale on the Leedz.`],
    facts: [
      { label: 'Trade', value: leed.trade },
      ...schedule(leed),
      { label: 'Zip', value: leed.zip },
      { label: 'Price', value: formatPrice(leed.price) },
      { label: 'Posted by', value: leed.creator },
      ...shown,
    ],
    action: { label: 'View the leed', url: leedUrl(publicUrl, leed) },
    outro: hidden.length === 0 ? [] : [`Shown once you buy this leed: ${listWords(hidden)}.`],
    footer: `You get this email because you subscribe to ${leed.trade} leedz on the Leedz. ${SUBSCRIPTIONS_FOOTER}`,
    footerLink: profileSubscriptionsUrl(publicUrl),
  });
}

/**
 * The buyer's receipt: every field of the leed, the price and the platform fee, and the seller's contact.
 *
 * @example
 * receiptContent({ leed, seller: { username: 'sam', email: 'sam@example.com' }, publicUrl });
 */
export function receiptContent(input: { leed: Leed; seller: Contact; publicUrl: string }): EmailContent {
  const { leed, seller, publicUrl } = input;
  const free = leed.price === 0;
  return renderEmail({
    subject: `Your Leed Receipt: ${leed.title}`,
    heading: `Receipt: ${leed.title}`,
    intro: [`Thank you for ${free ? 'claiming this free' : 'buying this'} ${leed.trade} leed. Here is everything about the gig, and how to reach the seller.`],
    facts: [
      { label: 'Leed', value: leed.id },
      { label: 'Title', value: leed.title },
      { label: 'Trade', value: leed.trade },
      ...schedule(leed),
      ...allHideableFields(leed),
      { label: 'Zip', value: leed.zip },
      ...priceAndFee(leed.price),
      { label: 'Seller', value: seller.username },
      { label: 'Seller email', value: seller.email },
      ...(leed.soldAt === null ? [] : [{ label: free ? 'Claimed' : 'Purchased', value: formatInZone(leed.soldAt, leed.timeZone) }]),
    ],
    action: { label: 'View the leed', url: leedUrl(publicUrl, leed) },
    footer: `You get this email because you ${free ? 'claimed' : 'bought'} this leed on the Leedz. Keep it as your receipt.`,
  });
}

/**
 * The seller's "Leed Sold!": who bought it (username and email) and what the seller receives; for
 * a free leed, "Leed Claimed!" and who claimed it.
 *
 * @example
 * soldContent({ leed, buyer: { username: 'pat', email: 'pat@example.com' }, publicUrl }).subject; // → 'Leed Sold! Wedding reception'
 */
export function soldContent(input: { leed: Leed; buyer: Contact; publicUrl: string }): EmailContent {
  const { leed, buyer, publicUrl } = input;
  const free = leed.price === 0;
  const heading = free ? 'Leed Claimed!' : 'Leed Sold!';
  return renderEmail({
    subject: `${heading} ${leed.title}`,
    heading,
    intro: [
      free
        ? `${buyer.username} claimed your free ${leed.trade} leed "${leed.title}". You can reach them at ${buyer.email}.`
        : `${buyer.username} bought your ${leed.trade} leed "${leed.title}". You can reach the buyer at ${buyer.email}.`,
    ],
    facts: [
      { label: 'Title', value: leed.title },
      { label: 'Trade', value: leed.trade },
      ...schedule(leed),
      { label: 'Zip', value: leed.zip },
      { label: free ? 'Claimed by' : 'Buyer', value: buyer.username },
      { label: free ? 'Their email' : 'Buyer email', value: buyer.email },
      ...priceAndFee(leed.price),
      ...(free ? [] : [{ label: 'You receive', value: formatCents(leed.price - platformFeeCents(leed.price)) }]),
    ],
    action: { label: 'View the leed', url: leedUrl(publicUrl, leed) },
    footer: 'You get this email because you posted this leed on the Leedz.',
  });
}

/**
 * The admin's copy of a report: every field of the leed (the admin must judge it), who reported it
 * and why.
 *
 * @example
 * reportContent({ leed, reporter: { username: 'pat', email: 'pat@example.com' }, reason: 'Spam', publicUrl });
 */
export function reportContent(input: { leed: Leed; reporter: { username: string; email?: string }; reason: string; publicUrl: string }): EmailContent {
  const { leed, reporter, reason, publicUrl } = input;
  return renderEmail({
    subject: `Leed Reported: ${leed.title}`,
    heading: 'A leed was reported',
    intro: [`${reporter.username} reported the ${leed.trade} leed "${leed.title}" posted by ${leed.creator}.`],
    facts: [
      { label: 'Reported by', value: reporter.username },
      ...(reporter.email === undefined ? [] : [{ label: 'Reporter email', value: reporter.email }]),
      { label: 'Leed', value: leed.id },
      { label: 'Title', value: leed.title },
      { label: 'Trade', value: leed.trade },
      { label: 'Creator', value: leed.creator },
      { label: 'Status', value: leed.buyer === null ? leed.status : `${leed.status} (to ${leed.buyer})` },
      ...schedule(leed),
      { label: 'Time zone', value: leed.timeZone },
      ...allHideableFields(leed),
      { label: 'Zip', value: leed.zip },
      { label: 'Price', value: formatPrice(leed.price) },
      { label: 'Hidden from strangers', value: hiddenList(leed) },
      { label: 'Posted', value: formatInZone(leed.postedAt, leed.timeZone) },
    ],
    note: { title: 'Reason', text: reason },
    action: { label: 'View the leed', url: leedUrl(publicUrl, leed) },
    footer: 'You get this email because this address is set to receive the reports of the Leedz (the admin email of its settings).',
  });
}

/**
 * To someone who was told about a leed: it is no longer for sale, withdrawn by its poster or taken
 * down by the Leedz after a report.
 *
 * @example
 * leedWithdrawnContent({ leed, by: 'creator', publicUrl }).subject; // → 'Leed withdrawn: Wedding reception'
 */
export function leedWithdrawnContent(input: { leed: Leed; by: 'creator' | 'operator'; publicUrl: string }): EmailContent {
  const { leed, by, publicUrl } = input;
  return renderEmail({
    subject: `Leed withdrawn: ${leed.title}`,
    heading: 'A leed you were told about is withdrawn',
    intro: [
      by === 'creator'
        ? `${leed.creator} withdrew the ${leed.trade} leed "${leed.title}": it is no longer for sale.`
        : `The Leedz took the ${leed.trade} leed "${leed.title}" down: it is no longer for sale.`,
    ],
    facts: [{ label: 'Trade', value: leed.trade }, ...schedule(leed), { label: 'Zip', value: leed.zip }],
    action: { label: `See other ${leed.trade} leedz`, url: tradeUrl(publicUrl, leed.trade) },
    footer: `You get this email because you were emailed about this leed: you subscribe to ${leed.trade} leedz on the Leedz. ${SUBSCRIPTIONS_FOOTER}`,
    footerLink: profileSubscriptionsUrl(publicUrl),
  });
}

/**
 * To someone who was told about a leed: its time or place changed. What it was, what it is now; the
 * place only as far as the creator shows it (the same rule as the first alert).
 *
 * @example
 * leedChangedContent({ leed, previous: { start, end, zip }, publicUrl }).subject; // → 'Leed changed: Wedding reception'
 */
export function leedChangedContent(input: { leed: Leed; previous: { start: string; end: string; zip: string; timeZone?: string | undefined }; publicUrl: string }): EmailContent {
  const { leed, previous, publicUrl } = input;
  const view = projectLeed(leed, null);
  const timeChanged = previous.start !== leed.start || previous.end !== leed.end;
  const facts: EmailFact[] = [
    { label: 'Trade', value: leed.trade },
    { label: timeChanged ? 'When, now' : 'When', value: formatGigTime(leed.start, leed.end, leed.timeZone) },
    // The old time as the recipients were told it: in the old place's zone, which a move may have changed.
    ...(timeChanged ? [{ label: 'When, before', value: formatGigTime(previous.start, previous.end, previous.timeZone ?? leed.timeZone) }] : []),
    { label: previous.zip === leed.zip ? 'Zip' : 'Zip, now', value: leed.zip },
    ...(previous.zip === leed.zip ? [] : [{ label: 'Zip, before', value: previous.zip }]),
    ...(view.location === undefined ? [] : [{ label: 'Location', value: view.location }]),
    { label: 'Price', value: formatPrice(leed.price) },
  ];
  return renderEmail({
    subject: `Leed changed: ${leed.title}`,
    heading: leed.title,
    intro: [`${leed.creator} changed the ${timeChanged ? 'time' : 'place'}${timeChanged && previous.zip !== leed.zip ? ' and the place' : ''} of this ${leed.trade} leed, which you were told about.`],
    facts,
    action: { label: 'View the leed', url: leedUrl(publicUrl, leed) },
    footer: `You get this email because you were emailed about this leed: you subscribe to ${leed.trade} leedz on the Leedz. ${SUBSCRIPTIONS_FOOTER}`,
    footerLink: profileSubscriptionsUrl(publicUrl),
  });
}

/**
 * To the poster of a leed the operator took down after a report: what happened, and whom to write to.
 *
 * @example
 * leedTakenDownContent({ leed, adminEmail: 'admin@leedz.local', publicUrl }).subject; // → 'Your leed was taken down: Wedding reception'
 */
export function leedTakenDownContent(input: { leed: Leed; adminEmail: string; publicUrl: string }): EmailContent {
  const { leed, adminEmail, publicUrl } = input;
  return renderEmail({
    subject: `Your leed was taken down: ${leed.title}`,
    heading: 'Your leed was taken down',
    intro: [
      `After a report by another vendor, the Leedz took down your ${leed.trade} leed "${leed.title}". It is no longer for sale, and the vendors who were emailed about it are told it is withdrawn.`,
      `If you think this is a mistake, write to ${adminEmail}.`,
    ],
    facts: [{ label: 'Trade', value: leed.trade }, ...schedule(leed), { label: 'Zip', value: leed.zip }, { label: 'Price', value: formatPrice(leed.price) }],
    action: { label: 'Your leedz', url: `${publicUrl.replace(/\/+$/, '')}/my-leedz` },
    footer: 'You get this email because you posted this leed on the Leedz.',
  });
}

/**
 * To a vendor whose payment for a leed was refunded rather than made a sale: how much, and why in
 * their words. Only what a stranger may see of the leed: this payment bought nothing.
 *
 * @example
 * refundContent({ leed, leedId: 'l_1', trade: 'dj', payer: { username: 'pat' }, amount: 2500, reason: 'already-sold', publicUrl }).subject; // → 'Payment refunded: Wedding reception'
 */
export function refundContent(input: { leed: Leed | undefined; leedId: string; trade: string; payer: Pick<Contact, 'username'>; amount: number; reason: RefundReason; publicUrl: string }): EmailContent {
  const { leed, amount, reason, publicUrl } = input;
  const title = leed?.title ?? input.leedId;
  // `already-sold` is also the second of two checkouts the same vendor paid (two tabs): the leed is
  // theirs, so "another vendor bought it" would be false. Only the sold leed's buyer tells them apart.
  const paidTwice = reason === 'already-sold' && leed?.buyer === input.payer.username;
  const why = paidTwice ? 'you had already bought this leed, so this second payment for it is refunded' : REFUND_WHY[reason];
  return renderEmail({
    subject: `Payment refunded: ${title}`,
    heading: 'Your payment was refunded',
    intro: [`Your payment of ${formatCents(amount)} for the ${input.trade} leed "${title}" was refunded in full: ${why}.`, 'Your card is not charged; the refund may take a few days to show on your statement.'],
    facts: [
      { label: 'Refunded', value: formatCents(amount) },
      { label: 'Trade', value: input.trade },
      ...(leed === undefined ? [] : [...schedule(leed), { label: 'Zip', value: leed.zip }]),
    ],
    action: paidTwice && leed !== undefined ? { label: 'View the leed', url: leedUrl(publicUrl, leed) } : { label: `See other ${input.trade} leedz`, url: tradeUrl(publicUrl, input.trade) },
    footer: 'You get this email because you paid for this leed on the Leedz.',
  });
}

/** Each refund's reason as the vendor who paid reads it. */
const REFUND_WHY: Readonly<Record<RefundReason, string>> = {
  'already-sold': 'another vendor bought this leed before your payment arrived',
  'not-active': 'the leed is no longer for sale (its poster withdrew it, or its time has passed)',
  'not-found': 'the leed is no longer on the Leedz',
  'wrong-amount': 'the amount paid is not the leed\'s price (its poster changed the price after your checkout began)',
  'held-by-another': 'your checkout had been cancelled or had run out, and another vendor is buying the leed',
};

/**
 * The sign-in email. `link` must be an http(s) URL (the layout refuses anything else).
 *
 * @example
 * magicLinkContent({ email: 'pat@example.com', link: 'http://127.0.0.1:3000/signin/confirm#token=…' });
 */
export function magicLinkContent(input: { email: string; link: string }): EmailContent {
  return renderEmail({
    subject: 'Your sign-in link for the Leedz',
    heading: 'Sign in to the Leedz',
    intro: [`Open this link and press Sign in to sign in as ${input.email}. The link works once and expires in 15 minutes.`],
    facts: [],
    action: { label: 'Sign in', url: input.link },
    outro: ['If you did not ask to sign in, ignore this email: nobody can sign in without this link.'],
    footer: 'You get this email because this address was entered on the sign-in page of the Leedz.',
  });
}

// ── emails: content + recipient, kind and key ───────────────────────────────────────────────────

/**
 * A port {@link Email} from content. `key` names the effect, so that idempotent senders send each
 * key at most once.
 *
 * @example
 * toEmail(magicLinkContent({ email, link }), { to: email, kind: 'magic-link', key: `magic:${link}` });
 */
export function toEmail(content: EmailContent, address: { to: string; kind: EmailKind; key: string }): Email {
  return { to: address.to, kind: address.kind, key: address.key, ...content };
}

/**
 * Emails that share one rendered content, each to its own recipient with its own key and header
 * fields: a batch of bulk mail rendered once. Every email holds the same `subject`, `html` and `text`
 * strings, which lets a mailer encode them once (and the outbox keep them once).
 *
 * @example
 * bulkEmails(newLeedContent({ leed, publicUrl }), 'new-leed', [{ to: 'pat@example.com', key: 'l_1:pat:new-leed', headers }]);
 */
export function bulkEmails(content: EmailContent, kind: EmailKind, recipients: readonly { to: string; key: string; headers?: Record<string, string> }[]): Email[] {
  return recipients.map(({ to, key, headers }) => ({ to, kind, key, subject: content.subject, html: content.html, text: content.text, ...(headers === undefined ? {} : { headers }) }));
}

/**
 * A new-leed alert for one subscriber; key `<leed id>:<username>:new-leed`.
 *
 * @example
 * newLeedEmail({ leed, recipient: subscriber, publicUrl }).key; // → 'l_1:pat:new-leed'
 */
export function newLeedEmail(input: { leed: Leed; recipient: Contact; publicUrl: string }): Email {
  const { leed, recipient } = input;
  return toEmail(newLeedContent(input), { to: recipient.email, kind: 'new-leed', key: `${leed.id}:${recipient.username}:new-leed` });
}

/**
 * The buyer's receipt; key `<leed id>:<buyer>:receipt`.
 *
 * @example
 * receiptEmail({ leed, buyer, seller, publicUrl }).to; // → buyer.email
 */
export function receiptEmail(input: { leed: Leed; buyer: Contact; seller: Contact; publicUrl: string }): Email {
  const { leed, buyer } = input;
  return toEmail(receiptContent(input), { to: buyer.email, kind: 'receipt', key: `${leed.id}:${buyer.username}:receipt` });
}

/**
 * The seller's "Leed Sold!"; key `<leed id>:<seller>:sold`.
 *
 * @example
 * soldEmail({ leed, seller, buyer, publicUrl }).to; // → seller.email
 */
export function soldEmail(input: { leed: Leed; seller: Contact; buyer: Contact; publicUrl: string }): Email {
  const { leed, seller } = input;
  return toEmail(soldContent(input), { to: seller.email, kind: 'sold', key: `${leed.id}:${seller.username}:sold` });
}

/**
 * The admin's copy of a report; key `<leed id>:<reporter>:report` (one email per leed and reporter).
 *
 * @example
 * reportEmail({ leed, adminEmail, reporter: { username: 'pat' }, reason, publicUrl }).to; // → adminEmail
 */
export function reportEmail(input: {
  leed: Leed;
  adminEmail: string;
  reporter: { username: string; email?: string };
  reason: string;
  publicUrl: string;
}): Email {
  const { leed, adminEmail, reporter } = input;
  return toEmail(reportContent(input), { to: adminEmail, kind: 'report', key: `${leed.id}:${reporter.username}:report` });
}

/**
 * A withdrawal notice for one recipient; key `<leed id>:<username>:withdrawn`.
 *
 * @example
 * leedWithdrawnEmail({ leed, recipient, by: 'creator', publicUrl }).key; // → 'l_1:pat:withdrawn'
 */
export function leedWithdrawnEmail(input: { leed: Leed; recipient: Contact; by: 'creator' | 'operator'; publicUrl: string }): Email {
  const { leed, recipient } = input;
  return toEmail(leedWithdrawnContent(input), { to: recipient.email, kind: 'withdrawn', key: `${leed.id}:${recipient.username}:withdrawn` });
}

/**
 * A change notice for one recipient; key `<leed id>:<username>:changed:<change>`: one per recipient and change.
 *
 * @example
 * leedChangedEmail({ leed, recipient, previous, change: 'a1b2', publicUrl }).key; // → 'l_1:pat:changed:a1b2'
 */
export function leedChangedEmail(input: { leed: Leed; recipient: Contact; previous: { start: string; end: string; zip: string }; change: string; publicUrl: string }): Email {
  const { leed, recipient, change } = input;
  return toEmail(leedChangedContent(input), { to: recipient.email, kind: 'changed', key: `${leed.id}:${recipient.username}:changed:${change}` });
}

/**
 * The poster's notice of a take-down; key `<leed id>:<creator>:taken-down`.
 *
 * @example
 * leedTakenDownEmail({ leed, poster, adminEmail, publicUrl }).to; // → poster.email
 */
export function leedTakenDownEmail(input: { leed: Leed; poster: Contact; adminEmail: string; publicUrl: string }): Email {
  const { leed, poster } = input;
  return toEmail(leedTakenDownContent(input), { to: poster.email, kind: 'taken-down', key: `${leed.id}:${poster.username}:taken-down` });
}

/**
 * The refund notice to the vendor who paid; key `<payment id>:refund` (one per payment, however often
 * the provider delivers it).
 *
 * @example
 * refundEmail({ leed, leedId: 'l_1', trade: 'dj', payer: { username: 'pat', email: 'pat@example.com' }, paymentId: 'pay_1', amount: 2500, reason: 'already-sold', publicUrl }).key; // → 'pay_1:refund'
 */
export function refundEmail(input: Parameters<typeof refundContent>[0] & { payer: Contact; paymentId: string }): Email {
  return toEmail(refundContent(input), { to: input.payer.email, kind: 'refund', key: `${input.paymentId}:refund` });
}

/**
 * The sign-in email, keyed by the caller (one per login request: the link's token is new on each try).
 *
 * @example
 * magicLinkEmail({ email: 'pat@example.com', link, key: 'magic-link:r-1' }).kind; // → 'magic-link'
 */
export function magicLinkEmail(input: { email: string; link: string; key: string }): Email {
  return toEmail(magicLinkContent(input), { to: input.email, kind: 'magic-link', key: input.key });
}

// ── formatting ───────────────────────────────────────────────────────────────────────────────────

const FIELD_LABELS: Readonly<Record<HideableField, string>> = {
  location: 'Location',
  clientEmail: 'Client email',
  clientPhone: 'Client phone',
  details: 'Details',
  requirements: 'Requirements',
};

/** Start and end as people read them where the gig happens (the same words as the API's `when`). */
function schedule(leed: Leed): EmailFact[] {
  return [{ label: 'When', value: formatGigTime(leed.start, leed.end, leed.timeZone) }];
}

/** Every hideable field, shown or not: for the buyer and the admin. */
function allHideableFields(leed: Leed): EmailFact[] {
  return HIDEABLE_FIELDS.map((field) => {
    const value = leed[field];
    if (value === null) return { label: FIELD_LABELS[field], value: '(none)' };
    // "(555) 123-4567": what people read, and what a phone's dialer still understands.
    return { label: FIELD_LABELS[field], value: field === 'clientPhone' ? formatPhone(value) : value };
  });
}

/** The price and the fee in it; a free leed has neither fee nor anything to receive. */
function priceAndFee(price: number): EmailFact[] {
  if (price === 0) return [{ label: 'Price', value: formatPrice(price) }];
  return [
    { label: 'Price', value: formatPrice(price) },
    // The fee is taken from the price the buyer pays (the seller receives the rest), not added to it.
    { label: `Platform fee (${PLATFORM_FEE_PERCENT}%)`, value: `${formatCents(platformFeeCents(price))} (included in the price)` },
  ];
}

function hiddenList(leed: Leed): string {
  const hidden = projectLeed(leed, null).hidden.map((field) => FIELD_LABELS[field].toLowerCase());
  return hidden.length === 0 ? '(nothing)' : listWords(hidden);
}

/**
 * The visible way out of bulk mail, beside the one-click header fields (which a mail app shows as its
 * own Unsubscribe button): the profile's subscriptions.
 */
const SUBSCRIPTIONS_FOOTER = "To stop these emails, use your mail app's Unsubscribe button, or manage your subscriptions, home zip and radius on your profile:";

/** Where a recipient changes what they are emailed about. */
function profileSubscriptionsUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/profile#subscriptions`;
}

function formatPrice(cents: number): string {
  return cents === 0 ? 'Free' : formatCents(cents);
}

/** `a`, `a and b`, `a, b and c`. */
function listWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}
