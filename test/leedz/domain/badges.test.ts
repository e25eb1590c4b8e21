import { describe, expect, it } from 'vitest';
import { BADGE_NAMES, badgeIdSchema, badgesFor } from '../../../src/leedz/domain/badges.js';

const NEW_USER = { posted: 0, sold: 0, bought: 0 };

describe('badgesFor', () => {
  it('gives Account Secured and Founding Member at sign-up', () => {
    expect(badgesFor(NEW_USER, { paymentsConnected: false })).toEqual([0, 1]);
  });

  it('gives Top Poster at 10 posted leedz, not 9', () => {
    expect(badgesFor({ ...NEW_USER, posted: 9 }, { paymentsConnected: false })).toEqual([0, 1]);
    expect(badgesFor({ ...NEW_USER, posted: 10 }, { paymentsConnected: false })).toEqual([0, 1, 2]);
  });

  it('gives Top Seller at 10 sold leedz, not 9', () => {
    expect(badgesFor({ ...NEW_USER, sold: 9 }, { paymentsConnected: false })).toEqual([0, 1]);
    expect(badgesFor({ ...NEW_USER, sold: 10 }, { paymentsConnected: false })).toEqual([0, 1, 3]);
  });

  it('gives Top Buyer at 10 bought leedz, not 9', () => {
    expect(badgesFor({ ...NEW_USER, bought: 9 }, { paymentsConnected: false })).toEqual([0, 1]);
    expect(badgesFor({ ...NEW_USER, bought: 10 }, { paymentsConnected: false })).toEqual([0, 1, 4]);
  });

  it('gives Payments Connected once payments are connected', () => {
    expect(badgesFor(NEW_USER, { paymentsConnected: true })).toEqual([0, 1, 5]);
  });

  it('lists every earned badge once, in id order', () => {
    expect(badgesFor({ posted: 50, sold: 12, bought: 10 }, { paymentsConnected: true })).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('badge ids', () => {
  it('are 0 to 5 with the names docs/marketplace.md gives them', () => {
    expect(BADGE_NAMES).toEqual({
      0: 'Account Secured',
      1: 'Founding Member',
      2: 'Top Poster',
      3: 'Top Seller',
      4: 'Top Buyer',
      5: 'Payments Connected',
    });
    expect(badgeIdSchema.safeParse(5).success).toBe(true);
    expect(badgeIdSchema.safeParse(6).success).toBe(false);
  });
});
