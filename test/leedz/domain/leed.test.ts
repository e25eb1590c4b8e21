import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BOOKING_HORIZON_DAYS, DEFAULT_VISIBILITY, instantSchema, newLeedInputSchema, type Leed, validateLeedPatch, validateNewLeed } from '../../../src/leedz/domain/leed.js';
import type { ValidationResult } from '../../../src/leedz/domain/validation.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const START = '2026-12-24T18:00:00Z';
const HOUR = 60 * 60 * 1000;

function at(ms: number): string {
  return new Date(ms).toISOString();
}

/** A valid body for `POST /api/leedz`, with overrides. */
function newLeedBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    trade: 'dj',
    title: 'Wedding reception',
    location: '123 Main Street, Springfield, IL 62701',
    start: START,
    end: '2026-12-24T22:00:00Z',
    price: 2500,
    ...overrides,
  };
}

/** A stored leed's editable state, with overrides. */
function currentLeed(overrides: Partial<Leed> = {}): Pick<Leed, 'start' | 'end' | 'location' | 'clientEmail' | 'clientPhone' | 'details' | 'requirements' | 'visibility'> {
  return {
    start: '2026-12-24T18:00:00.000Z',
    end: '2026-12-24T22:00:00.000Z',
    location: '123 Main Street, Springfield, IL 62701',
    clientEmail: 'client@example.com',
    clientPhone: null,
    details: 'Two sets, dinner and dancing',
    requirements: null,
    visibility: { ...DEFAULT_VISIBILITY, clientPhone: 'shown', requirements: 'shown' },
    ...overrides,
  };
}

/** The refusal's messages by path (and fails the test if the result was accepted). */
function refusedFields<T>(result: ValidationResult<T>): Record<string, string> {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  return Object.fromEntries(result.fields.map((field) => [field.path, field.message]));
}

function accepted<T>(result: ValidationResult<T>): T {
  if (!result.ok) throw new Error(`expected acceptance, got ${JSON.stringify(result.fields)}`);
  return result.value;
}

describe('validateNewLeed', () => {
  it('accepts a complete leed and normalises it', () => {
    const value = accepted(
      validateNewLeed(
        newLeedBody({
          title: '  Wedding reception ',
          start: '2026-12-24T10:00:00-08:00',
          end: '2026-12-24T14:00:00-08:00',
          clientEmail: 'client@example.com',
          clientPhone: '(555) 123-4567',
          details: 'Two sets',
        }),
        NOW,
      ),
    );
    expect(value).toEqual({
      trade: 'dj',
      title: 'Wedding reception',
      location: '123 Main Street, Springfield, IL 62701',
      zip: '62701',
      start: '2026-12-24T18:00:00.000Z',
      end: '2026-12-24T22:00:00.000Z',
      price: 2500,
      clientEmail: 'client@example.com',
      clientPhone: '5551234567',
      details: 'Two sets',
      requirements: null,
      visibility: { location: 'hidden', clientEmail: 'hidden', clientPhone: 'hidden', details: 'shown', requirements: 'shown' },
    });
  });

  it('names each missing required field once', () => {
    expect(refusedFields(validateNewLeed({}, NOW))).toEqual({
      trade: 'is required',
      title: 'is required',
      location: 'is required',
      start: 'is required',
      end: 'is required',
    });
  });

  it('refuses a body that is not an object by naming the required fields', () => {
    for (const body of [null, 42, 'leed', [newLeedBody()]]) {
      expect(Object.keys(refusedFields(validateNewLeed(body, NOW)))).toEqual(['trade', 'title', 'location', 'start', 'end']);
    }
  });

  it('treats a blank string as a missing field', () => {
    expect(refusedFields(validateNewLeed(newLeedBody({ title: '   ' }), NOW))).toEqual({ title: 'is required' });
    const value = accepted(validateNewLeed(newLeedBody({ clientEmail: '', details: ' ' }), NOW));
    expect(value.clientEmail).toBeNull();
    expect(value.details).toBeNull();
  });

  it('reports independent problems together, one message per field', () => {
    const fields = refusedFields(validateNewLeed(newLeedBody({ title: 'x'.repeat(121), end: START, price: -5 }), NOW));
    expect(fields).toEqual({
      title: 'must be at most 120 characters',
      end: 'must be 1 to 12 hours after start',
      price: 'must be 0 (free) or 100 to 10,000 cents ($1 to $100)',
    });
  });

  it('refuses fields a client may not set, and fields that do not exist', () => {
    expect(refusedFields(validateNewLeed(newLeedBody({ status: 'sold', creator: 'mallory', titel: 'x' }), NOW))).toEqual({
      status: 'cannot be set',
      creator: 'cannot be set',
      titel: 'is not a field of a leed; did you mean "title"?',
    });
  });

  describe('title, details and requirements', () => {
    it('accepts a title of exactly 120 characters and refuses 121', () => {
      expect(validateNewLeed(newLeedBody({ title: 't'.repeat(120) }), NOW).ok).toBe(true);
      expect(refusedFields(validateNewLeed(newLeedBody({ title: 't'.repeat(121) }), NOW))).toEqual({
        title: 'must be at most 120 characters',
      });
    });

    it('accepts details and requirements of exactly 1,000 characters and refuses 1,001', () => {
      expect(validateNewLeed(newLeedBody({ details: 'd'.repeat(1000), requirements: 'r'.repeat(1000) }), NOW).ok).toBe(true);
      expect(refusedFields(validateNewLeed(newLeedBody({ details: 'd'.repeat(1001), requirements: 'r'.repeat(1001) }), NOW))).toEqual({
        details: 'must be at most 1,000 characters',
        requirements: 'must be at most 1,000 characters',
      });
    });
  });

  describe('trade', () => {
    it('accepts a lowercase name, spaces included', () => {
      expect(accepted(validateNewLeed(newLeedBody({ trade: 'face painting' }), NOW)).trade).toBe('face painting');
    });

    it('refuses a name with uppercase letters', () => {
      expect(refusedFields(validateNewLeed(newLeedBody({ trade: 'DJ' }), NOW))).toEqual({ trade: 'must be lowercase, like "face painting"' });
    });
  });

  describe('start and end', () => {
    const start = Date.parse(START);

    it('accepts exactly 1 hour and exactly 12 hours', () => {
      expect(validateNewLeed(newLeedBody({ end: at(start + HOUR) }), NOW).ok).toBe(true);
      expect(validateNewLeed(newLeedBody({ end: at(start + 12 * HOUR) }), NOW).ok).toBe(true);
    });

    it('refuses 59 minutes, 12 hours 1 minute, and an end before the start', () => {
      for (const end of [start + 59 * 60_000, start + 12 * HOUR + 60_000, start - HOUR, start]) {
        expect(refusedFields(validateNewLeed(newLeedBody({ end: at(end) }), NOW))).toEqual({ end: 'must be 1 to 12 hours after start' });
      }
    });

    it('an end that would fit on the next day (11 PM to 1 AM typed on one date) says the end is the next day’s', () => {
      for (const end of [start - 22 * HOUR, start - 12 * HOUR]) {
        expect(refusedFields(validateNewLeed(newLeedBody({ end: at(end) }), NOW))).toEqual({ end: 'must be 1 to 12 hours after start: an end past midnight is on the next day' });
      }
      expect(refusedFields(validateNewLeed(newLeedBody({ end: at(start - 23 * HOUR - 60_000) }), NOW))).toEqual({ end: 'must be 1 to 12 hours after start' });
    });

    it('requires the start to be after now', () => {
      const now = new Date(start);
      expect(refusedFields(validateNewLeed(newLeedBody(), now))).toEqual({ start: 'must be in the future' });
      expect(refusedFields(validateNewLeed(newLeedBody(), new Date(start + HOUR)))).toEqual({ start: 'must be in the future' });
      expect(validateNewLeed(newLeedBody(), new Date(start - 1)).ok).toBe(true);
    });

    it('requires the start to be within the two-year booking horizon', () => {
      const horizon = BOOKING_HORIZON_DAYS * 24 * HOUR;
      expect(validateNewLeed(newLeedBody(), new Date(start - horizon)).ok).toBe(true);
      expect(refusedFields(validateNewLeed(newLeedBody(), new Date(start - horizon - 1)))).toEqual({ start: 'must be within 2 years from now' });
    });

    it('accepts Z and offsets, and stores the instant in UTC', () => {
      const value = accepted(validateNewLeed(newLeedBody({ start: '2026-12-25T03:00:00+09:00', end: '2026-12-24T22:00:00.000Z' }), NOW));
      expect(value.start).toBe('2026-12-24T18:00:00.000Z');
      expect(value.end).toBe('2026-12-24T22:00:00.000Z');
    });

    it('refuses what is neither an instant with an offset nor a wall time', () => {
      for (const bad of ['2026-12-24', '2026-02-30T18:00:00Z', '2026-12-24 18:00:00Z', 'Dec 24 2026', 1798135200000]) {
        expect(refusedFields(validateNewLeed(newLeedBody({ start: bad }), NOW))).toEqual({
          start: 'must be a date and time, like "2026-12-24T18:00" (the time where the gig is) or "2026-12-24T18:00:00Z" (an instant)',
        });
      }
    });

    it('reads a wall time (no offset) in the zone of the place, whatever the zone of the server', () => {
      const value = accepted(validateNewLeed(newLeedBody({ start: '2026-12-24T18:00', end: '2026-12-24T23:00' }), NOW, 'America/Chicago'));
      expect(value.start).toBe('2026-12-25T00:00:00.000Z');
      expect(value.end).toBe('2026-12-25T05:00:00.000Z');
      // The same wall time in Los Angeles is two hours later.
      expect(accepted(validateNewLeed(newLeedBody({ start: '2026-12-24T18:00', end: '2026-12-24T23:00' }), NOW, 'America/Los_Angeles')).start).toBe('2026-12-25T02:00:00.000Z');
      // A wall time and an instant together.
      expect(accepted(validateNewLeed(newLeedBody({ start: '2026-12-24T12:00', end: '2026-12-24T22:00:00Z' }), NOW, 'America/Chicago')).start).toBe('2026-12-24T18:00:00.000Z');
    });

    it('refuses a wall time without a zone to read it in, and a wall date that does not exist', () => {
      expect(refusedFields(validateNewLeed(newLeedBody({ start: '2026-12-24T18:00' }), NOW))).toEqual({
        start: 'is a time without a zone: it is read where the gig is, so the location must be a street address that can be found',
      });
      expect(Object.keys(refusedFields(validateNewLeed(newLeedBody({ start: '2026-02-30T18:00' }), NOW, 'America/Chicago')))).toEqual(['start']);
    });

    it('a start the clocks skip (2:30 AM on the spring-forward night) reads an hour later, and a refusal it causes says so', () => {
      // 2:30-4:00 AM is typed as 1.5 hours; 2:30 never happens that night in Chicago, so it is 3:30 CDT: half an hour.
      expect(refusedFields(validateNewLeed(newLeedBody({ start: '2027-03-14T02:30', end: '2027-03-14T04:00' }), NOW, 'America/Chicago'))).toEqual({
        end: 'must be 1 to 12 hours after start; start 2:30 AM does not happen on Sun, Mar 14, 2027 where the gig is (the clocks jump an hour forward that night), so it reads as 3:30 AM CDT',
      });
      // Long enough even so: accepted, read as RFC 5545 reads it.
      expect(accepted(validateNewLeed(newLeedBody({ start: '2027-03-14T02:30', end: '2027-03-14T06:00' }), NOW, 'America/Chicago')).start).toBe('2027-03-14T08:30:00.000Z');
    });

    it('applies the rules between fields to wall times once read in the zone', () => {
      expect(refusedFields(validateNewLeed(newLeedBody({ start: '2026-12-24T18:00', end: '2026-12-24T18:30' }), NOW, 'America/Chicago'))).toEqual({
        end: 'must be 1 to 12 hours after start',
      });
      expect(refusedFields(validateNewLeed(newLeedBody({ start: '2026-11-30T17:00', end: '2026-11-30T20:00' }), NOW, 'America/Chicago'))).toEqual({
        start: 'must be in the future',
      });
    });
  });

  describe('price', () => {
    it('accepts 0 (free), 100 and 10,000 cents, and defaults to free', () => {
      for (const price of [0, 100, 10_000]) expect(accepted(validateNewLeed(newLeedBody({ price }), NOW)).price).toBe(price);
      const { price: _omitted, ...withoutPrice } = newLeedBody();
      expect(accepted(validateNewLeed(withoutPrice, NOW)).price).toBe(0);
    });

    it('refuses 1, 99, 10,001 and negative cents', () => {
      for (const price of [1, 99, 10_001, -1]) {
        expect(refusedFields(validateNewLeed(newLeedBody({ price }), NOW))).toEqual({
          price: 'must be 0 (free) or 100 to 10,000 cents ($1 to $100)',
        });
      }
    });

    it('refuses fractions of a cent and prices sent as text', () => {
      expect(refusedFields(validateNewLeed(newLeedBody({ price: 150.5 }), NOW))).toEqual({ price: 'must be a whole number of cents' });
      expect(refusedFields(validateNewLeed(newLeedBody({ price: '2500' }), NOW))).toEqual({ price: 'must be a whole number of cents' });
    });

    it('reads a price sent as null or a blank string as absent: free', () => {
      for (const price of [null, '', '  ']) expect(accepted(validateNewLeed(newLeedBody({ price }), NOW)).price).toBe(0);
    });
  });

  describe('control characters', () => {
    // What a terminal, an email client or a calendar would act on, or show as something else (RFC 5545 §3.3.11).
    const controls = ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009b', '\u202e', '\u2066', '\u2069'];

    it('refuses them in the title, the location, the details and the requirements, naming the field', () => {
      for (const control of controls) {
        const body = newLeedBody({
          title: `Wedding${control} reception`,
          location: `123 Main${control} Street, Springfield, IL 62701`,
          details: `Two sets${control}`,
          requirements: `Speakers${control}`,
        });
        expect(refusedFields(validateNewLeed(body, NOW))).toEqual({
          title: 'must not contain control characters',
          location: 'must not contain control characters',
          details: 'must not contain control characters',
          requirements: 'must not contain control characters',
        });
      }
    });

    it('refuses a tab or a line break in the one-line title, and keeps them in details and requirements', () => {
      expect(refusedFields(validateNewLeed(newLeedBody({ title: 'Wedding\treception' }), NOW))).toEqual({ title: 'must not contain control characters' });
      expect(refusedFields(validateNewLeed(newLeedBody({ title: 'Wedding\nreception' }), NOW))).toEqual({ title: 'must not contain control characters' });
      // Unicode's own line and paragraph separators break a line too.
      expect(refusedFields(validateNewLeed(newLeedBody({ title: 'Wedding\u2028reception' }), NOW))).toEqual({ title: 'must not contain control characters' });
      expect(refusedFields(validateNewLeed(newLeedBody({ title: 'Wedding\u2029reception' }), NOW))).toEqual({ title: 'must not contain control characters' });
      const value = accepted(validateNewLeed(newLeedBody({ details: 'First set:\r\n\tdinner\nSecond set: dancing', requirements: 'Speakers\nLights' }), NOW));
      expect(value.details).toBe('First set:\r\n\tdinner\nSecond set: dancing');
      expect(value.requirements).toBe('Speakers\nLights');
    });

    it('refuses them in an edit too', () => {
      expect(refusedFields(validateLeedPatch({ title: 'DJ\u0000', details: 'x\u202ey' }, currentLeed(), NOW))).toEqual({
        title: 'must not contain control characters',
        details: 'must not contain control characters',
      });
    });
  });

  describe('location', () => {
    it('takes the zip from the end of the address', () => {
      expect(accepted(validateNewLeed(newLeedBody({ location: '9 Elm St, Boston, MA 02134' }), NOW)).zip).toBe('02134');
    });

    it('puts a multi-line address on one line', () => {
      const value = accepted(validateNewLeed(newLeedBody({ location: '123 Main St\n  Springfield, IL 62701' }), NOW));
      expect(value.location).toBe('123 Main St Springfield, IL 62701');
    });

    it('takes an address ending with a ZIP+4, and its zip is the five digits', () => {
      const value = accepted(validateNewLeed(newLeedBody({ location: '123 Main St, Springfield, IL 62701-1234' }), NOW));
      expect(value.location).toBe('123 Main St, Springfield, IL 62701-1234');
    });

    it('refuses an address that does not end with a 5-digit zip', () => {
      for (const location of ['123 Main St, Springfield, IL', '123 Main St, Springfield, IL 62701-12', '123 Main St, Springfield, IL 6270']) {
        expect(refusedFields(validateNewLeed(newLeedBody({ location }), NOW))).toEqual({
          location: 'must end with the 5-digit zip, like "123 Main St, Springfield, IL 62701"',
        });
      }
    });

    it('refuses an address without a house number and street', () => {
      for (const location of ['Springfield, IL 62701', '123 62701', 'Main St, Springfield, IL 62701']) {
        expect(refusedFields(validateNewLeed(newLeedBody({ location }), NOW))).toEqual({
          location: 'must be a full street address starting with the house number, like "123 Main St, Springfield, IL 62701"',
        });
      }
    });
  });

  describe('client contact', () => {
    it('accepts common ways of writing a phone number and keeps the 10 digits', () => {
      for (const phone of ['(555) 123-4567', '555-123-4567', '555.123.4567', '555 123 4567', '5551234567', '+1 555 123 4567', '1-555-123-4567']) {
        expect(accepted(validateNewLeed(newLeedBody({ clientPhone: phone }), NOW)).clientPhone).toBe('5551234567');
      }
    });

    it('refuses a phone number that is not 10 digits', () => {
      for (const phone of ['555-1234', '(555) 123-45678', '2 555 123 4567', '555-CALL-NOW', '555-123-4567 x12', 5551234567]) {
        expect(Object.keys(refusedFields(validateNewLeed(newLeedBody({ clientPhone: phone }), NOW)))).toEqual(['clientPhone']);
      }
    });

    it('accepts a valid email and refuses others', () => {
      expect(accepted(validateNewLeed(newLeedBody({ clientEmail: ' pat@example.com ' }), NOW)).clientEmail).toBe('pat@example.com');
      for (const email of ['pat', 'pat@', 'pat@example', 'pat example@x.com']) {
        expect(refusedFields(validateNewLeed(newLeedBody({ clientEmail: email }), NOW))).toEqual({ clientEmail: 'must be a valid email address' });
      }
    });
  });

  describe('visibility', () => {
    const contact = { clientEmail: 'pat@example.com', clientPhone: '5551234567', details: 'd', requirements: 'r' };

    it('hides location, email and phone and shows details and requirements by default', () => {
      expect(accepted(validateNewLeed(newLeedBody(contact), NOW)).visibility).toEqual(DEFAULT_VISIBILITY);
    });

    it('reads visibility sent as null or a blank string as absent: the defaults', () => {
      for (const visibility of [null, '']) expect(accepted(validateNewLeed(newLeedBody({ ...contact, visibility }), NOW)).visibility).toEqual(DEFAULT_VISIBILITY);
    });

    it('applies what the creator chooses over the defaults', () => {
      const value = accepted(validateNewLeed(newLeedBody({ ...contact, visibility: { location: 'shown', details: 'hidden' } }), NOW));
      expect(value.visibility).toEqual({ location: 'shown', clientEmail: 'hidden', clientPhone: 'hidden', details: 'hidden', requirements: 'shown' });
    });

    it('shows an empty field instead of hiding it by default', () => {
      const value = accepted(validateNewLeed(newLeedBody(), NOW));
      expect(value.visibility).toEqual({ ...DEFAULT_VISIBILITY, clientEmail: 'shown', clientPhone: 'shown' });
    });

    it('refuses to hide an empty field', () => {
      expect(refusedFields(validateNewLeed(newLeedBody({ clientEmail: '', visibility: { clientEmail: 'hidden', details: 'hidden' } }), NOW))).toEqual({
        'visibility.clientEmail': 'cannot be hidden while it is empty: there would be nothing to buy',
        'visibility.details': 'cannot be hidden while it is empty: there would be nothing to buy',
      });
    });

    it('refuses unknown fields and values', () => {
      expect(refusedFields(validateNewLeed(newLeedBody({ visibility: { title: 'hidden', details: 'secret' } }), NOW))).toEqual({
        'visibility.title': 'is not a field that can be hidden',
        'visibility.details': 'must be "shown" or "hidden"',
      });
      expect(refusedFields(validateNewLeed(newLeedBody({ visibility: { clientemail: 'hidden' } }), NOW))).toEqual({
        'visibility.clientemail': 'is not a field that can be hidden; did you mean "clientEmail"?',
      });
    });
  });

  it('never throws on arbitrary JSON, and names at least one field, once each, when it refuses', () => {
    const nearlyValid = fc.record(
      {
        trade: fc.oneof(fc.constantFrom('dj', 'DJ', '', 'face painting'), fc.jsonValue()),
        title: fc.oneof(fc.string({ maxLength: 130 }), fc.jsonValue()),
        location: fc.oneof(fc.constantFrom('123 Main St, Springfield, IL 62701', 'nowhere'), fc.jsonValue()),
        start: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.jsonValue()),
        end: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.jsonValue()),
        price: fc.oneof(fc.integer({ min: -10, max: 20_000 }), fc.double(), fc.jsonValue()),
        clientPhone: fc.oneof(fc.string(), fc.jsonValue()),
        visibility: fc.oneof(fc.dictionary(fc.constantFrom('location', 'details', 'x', '__proto__'), fc.constantFrom('shown', 'hidden', 1)), fc.jsonValue()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), nearlyValid), fc.date({ noInvalidDate: true }), (input, now) => {
        const result = validateNewLeed(input, now);
        if (result.ok) return;
        expect(result.fields.length).toBeGreaterThan(0);
        const paths = result.fields.map((field) => field.path);
        expect(new Set(paths).size).toBe(paths.length);
        for (const field of result.fields) {
          expect(field.path).not.toBe('');
          expect(field.message).not.toBe('');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts only leedz that start after now and last 1 to 12 hours', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2 * HOUR, max: 2 * HOUR }), fc.integer({ min: 0, max: 14 * HOUR }), (startOffset, duration) => {
        const start = NOW.getTime() + startOffset;
        const result = validateNewLeed(newLeedBody({ start: at(start), end: at(start + duration) }), NOW);
        expect(result.ok).toBe(startOffset > 0 && duration >= HOUR && duration <= 12 * HOUR);
      }),
    );
  });
});

describe('validateLeedPatch', () => {
  it('accepts an empty edit as no change', () => {
    expect(accepted(validateLeedPatch({}, currentLeed(), NOW))).toEqual({});
    expect(accepted(validateLeedPatch({ visibility: { location: 'hidden' } }, currentLeed(), NOW))).toEqual({});
  });

  it('returns the whole visibility when the edit changes it', () => {
    expect(accepted(validateLeedPatch({ visibility: { location: 'shown' } }, currentLeed(), NOW))).toEqual({
      visibility: { ...currentLeed().visibility, location: 'shown' },
    });
  });

  it('returns only the normalised changes', () => {
    expect(accepted(validateLeedPatch({ title: ' New title ', price: 0 }, currentLeed(), NOW))).toEqual({ title: 'New title', price: 0 });
  });

  it('applies the per-field rules of a new leed', () => {
    expect(refusedFields(validateLeedPatch({ title: 't'.repeat(121), price: 99, clientPhone: '123' }, currentLeed(), NOW))).toEqual({
      title: 'must be at most 120 characters',
      price: 'must be 0 (free) or 100 to 10,000 cents ($1 to $100)',
      clientPhone: 'must be a 10-digit phone number, like "(555) 123-4567"',
    });
  });

  it('reads a new wall-time end in the zone it is given (the leed\'s, or its new place\'s)', () => {
    // The current leed is 18:00–22:00 UTC, 12:00–16:00 in Chicago.
    expect(accepted(validateLeedPatch({ end: '2026-12-24T17:00' }, currentLeed(), NOW, 'America/Chicago'))).toEqual({ end: '2026-12-24T23:00:00.000Z' });
    expect(refusedFields(validateLeedPatch({ end: '2026-12-24T17:00' }, currentLeed(), NOW))).toEqual({
      end: 'is a time without a zone: it is read where the gig is, so the location must be a street address that can be found',
    });
  });

  it('checks a new end against the current start', () => {
    const start = Date.parse(currentLeed().start);
    expect(accepted(validateLeedPatch({ end: at(start + 12 * HOUR) }, currentLeed(), NOW))).toEqual({ end: at(start + 12 * HOUR) });
    expect(refusedFields(validateLeedPatch({ end: at(start + 12 * HOUR + 60_000) }, currentLeed(), NOW))).toEqual({
      end: 'must be 1 to 12 hours after start',
    });
  });

  it('checks a new start against the current end, and requires it in the future', () => {
    const end = Date.parse(currentLeed().end);
    expect(validateLeedPatch({ start: at(end - HOUR) }, currentLeed(), NOW).ok).toBe(true);
    expect(refusedFields(validateLeedPatch({ start: at(end - 59 * 60_000) }, currentLeed(), NOW))).toEqual({
      start: 'must be 1 to 12 hours before end',
    });
    expect(refusedFields(validateLeedPatch({ start: at(NOW.getTime() - HOUR), end: at(NOW.getTime() + HOUR) }, currentLeed(), NOW))).toEqual({
      start: 'must be in the future',
    });
  });

  it('does not re-check the schedule when the edit leaves start and end alone', () => {
    const started = currentLeed({ start: at(NOW.getTime() - HOUR), end: at(NOW.getTime() + HOUR) });
    expect(validateLeedPatch({ title: 'Still running' }, started, NOW).ok).toBe(true);
  });

  it('moves both ends together, and reports a bad duration on end', () => {
    const start = Date.parse(START) + 24 * HOUR;
    expect(accepted(validateLeedPatch({ start: at(start), end: at(start + 2 * HOUR) }, currentLeed(), NOW))).toEqual({
      start: at(start),
      end: at(start + 2 * HOUR),
    });
    expect(refusedFields(validateLeedPatch({ start: at(start), end: at(start + 13 * HOUR) }, currentLeed(), NOW))).toEqual({
      end: 'must be 1 to 12 hours after start',
    });
  });

  it('brings the new zip with a new location', () => {
    expect(accepted(validateLeedPatch({ location: '9 Elm St, Boston, MA 02134' }, currentLeed(), NOW))).toEqual({
      location: '9 Elm St, Boston, MA 02134',
      zip: '02134',
    });
  });

  it('refuses to change the trade or a field the server owns', () => {
    expect(refusedFields(validateLeedPatch({ trade: 'magic', status: 'sold', buyer: 'pat', colour: 'red' }, currentLeed(), NOW))).toEqual({
      trade: 'cannot be changed',
      status: 'cannot be changed',
      buyer: 'cannot be changed',
      colour: 'is not a field of a leed',
    });
  });

  it('refuses to clear a required field', () => {
    expect(refusedFields(validateLeedPatch({ title: null, location: '', start: null }, currentLeed(), NOW))).toEqual({
      title: 'is required',
      location: 'is required',
      start: 'is required',
    });
  });

  it('clears an optional field with null or a blank string, and shows it as empty', () => {
    const changes = accepted(validateLeedPatch({ clientEmail: null, details: '' }, currentLeed(), NOW));
    expect(changes).toEqual({
      clientEmail: null,
      details: null,
      visibility: { ...currentLeed().visibility, clientEmail: 'shown', details: 'shown' },
    });
  });

  it('reads a price cleared with null or a blank string as free, its value when absent', () => {
    expect(accepted(validateLeedPatch({ price: null }, currentLeed(), NOW))).toEqual({ price: 0 });
    expect(accepted(validateLeedPatch({ price: '' }, currentLeed(), NOW))).toEqual({ price: 0 });
  });

  it('reads visibility sent as null or a blank string as no change', () => {
    for (const visibility of [null, '']) expect(accepted(validateLeedPatch({ visibility }, currentLeed(), NOW))).toEqual({});
  });

  it('hides a field filled by the edit according to the defaults, unless the edit says otherwise', () => {
    expect(accepted(validateLeedPatch({ clientPhone: '555 123 4567' }, currentLeed(), NOW)).visibility?.clientPhone).toBe('hidden');
    const shown = accepted(validateLeedPatch({ clientPhone: '555 123 4567', visibility: { clientPhone: 'shown' } }, currentLeed(), NOW));
    expect(shown).toEqual({ clientPhone: '5551234567' }); // 'shown' already: no visibility change
  });

  it('keeps the current visibility of a field that stays filled', () => {
    const leed = currentLeed({ visibility: { ...DEFAULT_VISIBILITY, clientEmail: 'shown' } });
    expect(accepted(validateLeedPatch({ clientEmail: 'new@example.com' }, leed, NOW)).visibility?.clientEmail).toBe('shown');
  });

  it('refuses to hide a field that is empty, or that the same edit clears', () => {
    expect(refusedFields(validateLeedPatch({ visibility: { clientPhone: 'hidden' } }, currentLeed(), NOW))).toEqual({
      'visibility.clientPhone': 'cannot be hidden while it is empty: there would be nothing to buy',
    });
    expect(refusedFields(validateLeedPatch({ details: null, visibility: { details: 'hidden' } }, currentLeed(), NOW))).toEqual({
      'visibility.details': 'cannot be hidden while it is empty: there would be nothing to buy',
    });
  });

  it('never throws on arbitrary JSON, and names at least one field when it refuses', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (input) => {
        const result = validateLeedPatch(input, currentLeed(), NOW);
        if (!result.ok) expect(result.fields.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the exported schemas', () => {
  it('document the body of a new leed as JSON Schema', () => {
    const schema = z.toJSONSchema(newLeedInputSchema, { io: 'input' }) as { required?: string[] };
    expect(schema.required).toEqual(['trade', 'title', 'location', 'start', 'end']);
  });

  it('normalise instants to UTC', () => {
    expect(instantSchema.parse('2026-12-24T18:00:00-08:00')).toBe('2026-12-25T02:00:00.000Z');
  });
});
