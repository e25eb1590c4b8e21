import { describe, expect, it } from 'vitest';
import type { Leed } from '../../../src/leedz/domain/leed.js';
import { escapeHtml, renderEmail } from '../../../src/leedz/emails/layout.js';
import {
  leedUrl,
  magicLinkEmail,
  newLeedEmail,
  receiptEmail,
  refundEmail,
  reportEmail,
  soldEmail,
} from '../../../src/leedz/emails/templates.js';
import type { Email } from '../../../src/leedz/ports.js';
import { buildLeed } from '../controllers/fakes.js';

const publicUrl = 'https://leedz.test';
const sam = { username: 'sam', email: 'sam@example.com' };
const pat = { username: 'pat', email: 'pat@example.com' };

/** One of each email the marketplace sends, about `leed`. */
function everyEmail(leed: Leed, reason = 'Looks fake'): Email[] {
  return [
    newLeedEmail({ leed, recipient: pat, publicUrl }),
    receiptEmail({ leed, buyer: pat, seller: sam, publicUrl }),
    soldEmail({ leed, seller: sam, buyer: pat, publicUrl }),
    reportEmail({ leed, adminEmail: 'admin@leedz.test', reporter: pat, reason, publicUrl }),
    magicLinkEmail({ email: 'pat@example.com', link: 'https://leedz.test/api/auth/callback?token=abc', key: 'magic-link:r-1' }),
    refundEmail({ leed, leedId: leed.id, trade: leed.trade, payer: pat, paymentId: 'pay_1', amount: leed.price, reason: 'already-sold', publicUrl }),
  ];
}

describe('escapeHtml', () => {
  it('escapes the five characters that matter in HTML text and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('email templates', () => {
  it('escape a <script> in a title in the HTML part of every email, and keep it readable in the text part', () => {
    const leed = buildLeed({ title: '<script>alert("x")</script> Party' });

    for (const email of everyEmail(leed).slice(0, 4)) {
      expect(email.html).not.toContain('<script');
      expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Party');
      expect(email.text).toContain('<script>alert("x")</script> Party');
    }
    expect(newLeedEmail({ leed, recipient: pat, publicUrl }).subject).toBe('New Leed: <script>alert("x")</script> Party');
  });

  it('escape every interpolated value: no markup typed by a user reaches the HTML', () => {
    const markup = '<img src=x onerror=alert(1)>';
    const leed = buildLeed({
      title: markup,
      creator: markup,
      location: `1 ${markup} St, Springfield, IL 62701`,
      clientEmail: markup,
      clientPhone: markup,
      details: markup,
      requirements: markup,
      visibility: { location: 'shown', clientEmail: 'shown', clientPhone: 'shown', details: 'shown', requirements: 'shown' },
    });
    const people = { username: markup, email: markup };

    const emails = [
      ...everyEmail(leed, markup),
      receiptEmail({ leed, buyer: people, seller: people, publicUrl }),
      soldEmail({ leed, seller: people, buyer: people, publicUrl }),
      reportEmail({ leed, adminEmail: 'admin@leedz.test', reporter: people, reason: markup, publicUrl }),
      magicLinkEmail({ email: markup, link: 'https://leedz.test/?a="><img src=x>', key: 'magic-link:r-2' }),
    ];
    for (const email of emails) expect(email.html).not.toMatch(/<img/i);
  });

  it('fold line breaks out of the subject, so a title cannot add a mail header', () => {
    const email = newLeedEmail({ leed: buildLeed({ title: 'Gig\r\nBcc: everyone@example.com' }), recipient: pat, publicUrl });

    expect(email.subject).toBe('New Leed: Gig Bcc: everyone@example.com');
  });

  it('keep the line breaks of details in both parts', () => {
    const email = receiptEmail({ leed: buildLeed({ details: 'First set at 7\nSecond set at 9' }), buyer: pat, seller: sam, publicUrl });

    expect(email.html).toContain('First set at 7<br>Second set at 9');
    expect(email.text).toMatch(/First set at 7\n\s+Second set at 9/);
  });

  it('say "claimed" of a free leed, with no fee and nothing to receive', () => {
    const leed = buildLeed({ price: 0, status: 'sold', buyer: 'pat', soldAt: '2026-12-02T15:30:00.000Z' });
    const sold = soldEmail({ leed, seller: sam, buyer: pat, publicUrl });
    const receipt = receiptEmail({ leed, buyer: pat, seller: sam, publicUrl });

    expect(sold.subject).toBe('Leed Claimed! Wedding reception');
    expect(sold.text).toContain('pat claimed your free dj leed "Wedding reception". You can reach them at pat@example.com.');
    expect(receipt.text).toContain('Thank you for claiming this free dj leed.');
    expect(receipt.text).toMatch(/Claimed:\s+Wed, Dec 2, 2026/);
    for (const email of [sold, receipt]) {
      expect(email.text).not.toMatch(/bought|Platform fee|You receive|Purchased/);
      expect(email.text).toMatch(/Price:\s+Free/);
    }
  });

  it('say "Free" for a free leed', () => {
    const email = newLeedEmail({ leed: buildLeed({ price: 0 }), recipient: pat, publicUrl });

    expect(email.text).toMatch(/Price:\s+Free/);
    expect(email.html).toContain('Free');
  });

  it('address each email to its recipient with its kind and idempotency key', () => {
    const [newLeed, receipt, sold, report, magic, refund] = everyEmail(buildLeed());

    expect(newLeed).toMatchObject({ to: 'pat@example.com', kind: 'new-leed', key: 'l_1:pat:new-leed' });
    expect(receipt).toMatchObject({ to: 'pat@example.com', kind: 'receipt', key: 'l_1:pat:receipt' });
    expect(sold).toMatchObject({ to: 'sam@example.com', kind: 'sold', key: 'l_1:sam:sold' });
    expect(report).toMatchObject({ to: 'admin@leedz.test', kind: 'report', key: 'l_1:pat:report' });
    expect(magic).toMatchObject({
      to: 'pat@example.com',
      kind: 'magic-link',
      key: 'magic-link:r-1',
    });
    expect(refund).toMatchObject({ to: 'pat@example.com', kind: 'refund', key: 'pay_1:refund' });
  });

  it('tell the payer of a refund how much came back and why, and nothing the poster hides from strangers', () => {
    const leed = buildLeed({ price: 2500 });
    const refund = (reason: 'already-sold' | 'held-by-another' | 'wrong-amount') =>
      refundEmail({ leed, leedId: leed.id, trade: leed.trade, payer: pat, paymentId: 'pay_1', amount: 2500, reason, publicUrl });

    const sold = refund('already-sold');
    expect(sold.subject).toBe('Payment refunded: Wedding reception');
    expect(sold.text).toContain('Your payment of $25.00 for the dj leed "Wedding reception" was refunded in full: another vendor bought this leed before your payment arrived.');
    expect(sold.text).toContain('https://leedz.test/trades/dj');
    for (const hidden of ['123 Main St', 'bride@example.com', '555']) {
      expect(sold.text).not.toContain(hidden);
      expect(sold.html).not.toContain(hidden);
    }
    expect(refund('held-by-another').text).toContain('your checkout had been cancelled or had run out');
    expect(refund('wrong-amount').text).toContain("changed the price after your checkout began");
  });

  it('tell a payer who already bought the leed (paid twice) that the second payment is refunded, not that another vendor bought it', () => {
    const leed = buildLeed({ price: 2500, status: 'sold', buyer: 'pat' });

    const twice = refundEmail({ leed, leedId: leed.id, trade: leed.trade, payer: pat, paymentId: 'pay_2', amount: 2500, reason: 'already-sold', publicUrl });

    expect(twice.text).toContain('Your payment of $25.00 for the dj leed "Wedding reception" was refunded in full: you had already bought this leed, so this second payment for it is refunded.');
    expect(twice.text).not.toContain('another vendor');
    expect(twice.text).toContain(`https://leedz.test/leedz/dj/${leed.id}`);
    // Sold to someone else, the reason stays what it was.
    const other = refundEmail({ leed, leedId: leed.id, trade: leed.trade, payer: { username: 'lee', email: 'lee@example.com' }, paymentId: 'pay_3', amount: 2500, reason: 'already-sold', publicUrl });
    expect(other.text).toContain('another vendor bought this leed before your payment arrived');
  });

  it('name a leed that is gone by its id in a refund notice', () => {
    const refund = refundEmail({ leed: undefined, leedId: 'l_gone', trade: 'dj', payer: pat, paymentId: 'pay_2', amount: 900, reason: 'not-found', publicUrl });

    expect(refund.subject).toBe('Payment refunded: l_gone');
    expect(refund.text).toContain('Your payment of $9.00 for the dj leed "l_gone" was refunded in full: the leed is no longer on the Leedz.');
  });

  it('are self-contained HTML: no scripts, no external images, fonts or style sheets', () => {
    for (const email of everyEmail(buildLeed())) {
      expect(email.html).toMatch(/^<!DOCTYPE html>/);
      expect(email.html).not.toMatch(/<(script|link|img|style)\b/i);
      expect(email.html).not.toMatch(/url\(/i);
    }
  });

  it('say the same in the text part as in the HTML part', () => {
    const leed = buildLeed();
    const receipt = receiptEmail({ leed, buyer: pat, seller: sam, publicUrl });

    for (const value of ['Wedding reception', '123 Main St, Springfield, IL 62701', 'bride@example.com', '(555) 123-4567', '$25.00', '$2.25', 'sam@example.com', 'https://leedz.test/leedz/dj/l_1']) {
      expect(receipt.text).toContain(value);
      expect(receipt.html).toContain(escapeHtml(value));
    }
  });

  it('link to the leed with its trade encoded', () => {
    expect(leedUrl('https://leedz.test/', { trade: 'face painting', id: 'l_1' })).toBe('https://leedz.test/leedz/face%20painting/l_1');
  });

  it('refuse an action link that is not http(s)', () => {
    expect(() =>
      renderEmail({ subject: 's', heading: 'h', intro: [], facts: [], action: { label: 'Go', url: 'javascript:alert(1)' }, footer: 'f' }),
    ).toThrow(TypeError);
  });
});
