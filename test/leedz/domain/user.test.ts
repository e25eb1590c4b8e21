import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RADIUS_MILES,
  type User,
  publicProfile,
  usernameSchema,
  validateProfilePatch,
} from '../../../src/leedz/domain/user.js';
import type { ValidationResult } from '../../../src/leedz/domain/validation.js';

function user(overrides: Partial<User> = {}): User {
  return {
    username: 'pat',
    email: 'pat@example.com',
    website: 'https://pat.example.com',
    about: 'Caricatures at parties',
    zip: '02134',
    radius: 20,
    subscriptions: ['caricatures'],
    posted: 3,
    bought: 1,
    sold: 2,
    badges: [0, 1],
    paymentsConnected: true,
    ...overrides,
  };
}

function refusedFields<T>(result: ValidationResult<T>): Record<string, string> {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  return Object.fromEntries(result.fields.map((field) => [field.path, field.message]));
}

function accepted<T>(result: ValidationResult<T>): T {
  if (!result.ok) throw new Error(`expected acceptance, got ${JSON.stringify(result.fields)}`);
  return result.value;
}

const TRADES = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];

describe('validateProfilePatch', () => {
  it('accepts an empty edit as no change', () => {
    expect(accepted(validateProfilePatch({}))).toEqual({});
  });

  it('accepts each allowed radius and refuses any other', () => {
    for (const radius of RADIUS_MILES) expect(accepted(validateProfilePatch({ radius }))).toEqual({ radius });
    for (const radius of [0, 15, 101, '20', 20.5]) {
      expect(refusedFields(validateProfilePatch({ radius }))).toEqual({ radius: 'must be one of 5, 10, 20, 35, 50, 80, 100 (miles)' });
    }
  });

  it('accepts 6 subscriptions and refuses 7', () => {
    expect(accepted(validateProfilePatch({ subscriptions: TRADES.slice(0, 6) }))).toEqual({ subscriptions: TRADES.slice(0, 6) });
    expect(refusedFields(validateProfilePatch({ subscriptions: TRADES }))).toEqual({ subscriptions: 'must list at most 6 trades' });
  });

  it('drops repeated subscriptions before counting them', () => {
    expect(accepted(validateProfilePatch({ subscriptions: [...TRADES.slice(0, 6), 'a'] }))).toEqual({ subscriptions: TRADES.slice(0, 6) });
  });

  it('refuses a subscription that is not a lowercase trade name', () => {
    expect(refusedFields(validateProfilePatch({ subscriptions: ['dj', 'Magic'] }))).toEqual({
      'subscriptions.1': 'must be lowercase, like "face painting"',
    });
  });

  it('accepts an about of exactly 350 characters and refuses 351', () => {
    expect(accepted(validateProfilePatch({ about: 'a'.repeat(350) }))).toEqual({ about: 'a'.repeat(350) });
    expect(refusedFields(validateProfilePatch({ about: 'a'.repeat(351) }))).toEqual({ about: 'must be at most 350 characters' });
  });

  it('accepts a zip as a 5-digit string, keeping its leading zero', () => {
    expect(accepted(validateProfilePatch({ zip: '02134' }))).toEqual({ zip: '02134' });
  });

  it('refuses a zip with the wrong number of digits, and one sent as a number, saying why a string', () => {
    for (const zip of ['2134', '621011', '6270a', '62701-1234', 'abc']) {
      expect(refusedFields(validateProfilePatch({ zip }))).toEqual({ zip: 'must be 5 digits, like "02134"' });
    }
    for (const zip of [2134, 62701]) {
      expect(refusedFields(validateProfilePatch({ zip }))).toEqual({ zip: 'must be 5 digits in a string, like "02134" (as a number, a leading zero is lost)' });
    }
  });

  it('clears website, about and zip with null or a blank string', () => {
    expect(accepted(validateProfilePatch({ website: null, about: '  ', zip: '' }))).toEqual({ website: null, about: null, zip: null });
  });

  it('accepts an https website and refuses anything else', () => {
    expect(accepted(validateProfilePatch({ website: 'https://pat.example.com/gigs' }))).toEqual({ website: 'https://pat.example.com/gigs' });
    for (const website of ['pat.example.com', 'ftp://pat.example.com', 'javascript:alert(1)', 'http://pat.example.com', 'https:pat.example.com']) {
      expect(refusedFields(validateProfilePatch({ website }))).toEqual({ website: 'must be a web address starting with https://' });
    }
    expect(refusedFields(validateProfilePatch({ website: 'https://localhost' }))).toEqual({ website: 'must name the site by its domain, like https://example.com' });
  });

  it('refuses a website that hides its host behind a user name, or names an IP address, saying which', () => {
    for (const website of ['https://pat.example.com@evil.example/', 'https://user:pw@pat.example.com/', 'https://@pat.example.com/']) {
      expect(refusedFields(validateProfilePatch({ website }))).toEqual({ website: 'must not have a user name or password before the site (user@…)' });
    }
    for (const website of ['https://127.0.0.1/', 'https://[::1]/', 'https://0x7f.1/']) {
      expect(refusedFields(validateProfilePatch({ website }))).toEqual({ website: 'must name the site by its domain, not an IP address' });
    }
    expect(accepted(validateProfilePatch({ website: 'https://pat.example.com/contact@gigs' }))).toEqual({ website: 'https://pat.example.com/contact@gigs' });
  });

  it('refuses control characters and bidirectional overrides in about and website; about keeps its line breaks', () => {
    for (const control of ['\u0000', '\u001b', '\u007f', '\u202e', '\u2066']) {
      expect(refusedFields(validateProfilePatch({ about: `Caricatures${control} at parties` }))).toEqual({ about: 'must not contain control characters' });
      expect(refusedFields(validateProfilePatch({ website: `https://pat.example.com/${control}gallery` }))).toEqual({ website: 'must not contain control characters' });
    }
    expect(accepted(validateProfilePatch({ about: 'Caricatures at parties.\nWeddings too.' }))).toEqual({ about: 'Caricatures at parties.\nWeddings too.' });
  });

  it('says subscriptions must be a list when they are null or not a list, not that they are required', () => {
    for (const subscriptions of [null, 'dj', 5]) {
      expect(refusedFields(validateProfilePatch({ subscriptions }))).toEqual({ subscriptions: 'must be a list of trades, like ["dj"]' });
    }
  });

  it('refuses fields the user may not edit here, and fields that do not exist', () => {
    expect(refusedFields(validateProfilePatch({ email: 'x@example.com', badges: [0, 1, 2, 3, 4, 5], sold: 99, colour: 'red', raduis: 20 }))).toEqual({
      email: 'cannot be changed here',
      badges: 'cannot be changed here',
      sold: 'cannot be changed here',
      colour: 'is not a field of a profile',
      raduis: 'is not a field of a profile; did you mean "radius"?',
    });
  });

  it('names each bad field once', () => {
    expect(refusedFields(validateProfilePatch({ radius: 7, zip: 7, about: 7 }))).toEqual({
      radius: 'must be one of 5, 10, 20, 35, 50, 80, 100 (miles)',
      zip: 'must be 5 digits in a string, like "02134" (as a number, a leading zero is lost)',
      about: 'must be text',
    });
  });

  it('never throws on arbitrary JSON, and names at least one field when it refuses', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        const result = validateProfilePatch(input);
        if (!result.ok) expect(result.fields.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('usernameSchema', () => {
  it('accepts 3 to 30 characters of a-z, 0-9, _ and -', () => {
    for (const name of ['pat', 'a'.repeat(30), 'face_painter-7', '007']) expect(usernameSchema.safeParse(name).success, name).toBe(true);
  });

  it('refuses 2 or 31 characters, uppercase, spaces, dots and other letters', () => {
    for (const name of ['pa', 'a'.repeat(31), 'Pat', 'pat smith', 'pat.smith', 'josé', '']) {
      expect(usernameSchema.safeParse(name).success, name).toBe(false);
    }
  });
});

describe('publicProfile', () => {
  it('shows the handle, website, about, subscriptions, badges and counters', () => {
    expect(publicProfile(user())).toEqual({
      username: 'pat',
      website: 'https://pat.example.com',
      about: 'Caricatures at parties',
      subscriptions: ['caricatures'],
      badges: [0, 1],
      posted: 3,
      bought: 1,
      sold: 2,
    });
  });

  it('never shows the email, zip or payment status', () => {
    const profile = publicProfile(user());
    for (const field of ['email', 'zip', 'radius', 'paymentsConnected']) expect(profile).not.toHaveProperty(field);
  });
});
