/**
 * Small builders for test data: a valid object with every field set, changed only where a test says
 * so, so that each test names just what it is about.
 *
 * @example
 * const leed = aLeed({ trade: 'dj', start: at('2030-06-01T18:00'), end: at('2030-06-01T20:00') });
 */
import { DEFAULT_VISIBILITY, type Leed } from '../../src/leedz/domain/leed.js';
import type { NewUser, OutboxMessage } from '../../src/leedz/ports.js';

let sequence = 0;

/** A number unique within this test process, for ids and names. */
function next(): number {
  sequence += 1;
  return sequence;
}

/**
 * A canonical UTC instant (`2030-06-01T18:00:00.000Z`) from a short local-looking spelling read as UTC.
 *
 * @example
 * at('2030-06-01T18:00'); // → '2030-06-01T18:00:00.000Z'
 */
export function at(utc: string): string {
  return new Date(`${utc.length === 16 ? `${utc}:00` : utc}Z`).toISOString();
}

/** An active leed by `pat`, a `dj` gig in Springfield from 18:00 to 20:00 UTC on 1 June 2030, every field set. */
export function aLeed(overrides: Partial<Leed> = {}): Leed {
  return {
    id: `l_test${next()}`,
    trade: 'dj',
    title: 'Wedding reception needs a DJ',
    creator: 'pat',
    location: '123 Main St, Springfield, IL 62701',
    zip: '62701',
    point: { lat: 39.7817, lon: -89.6501 },
    placeKey: '123 main st 62701',
    start: at('2030-06-01T18:00'),
    end: at('2030-06-01T20:00'),
    timeZone: 'America/Chicago',
    clientEmail: 'client@example.com',
    clientPhone: '5551234567',
    details: 'About 120 guests.',
    requirements: 'Bring your own speakers.',
    price: 2_500,
    visibility: { ...DEFAULT_VISIBILITY },
    postedAt: at('2030-05-01T12:00'),
    status: 'active',
    buyer: null,
    soldAt: null,
    ...overrides,
  };
}

/** A new user `vendor<n>` with a matching email. */
export function aUser(overrides: Partial<NewUser> = {}): NewUser {
  const n = next();
  const username = overrides.username ?? `vendor${n}`;
  return { username, email: `${username}@example.com`, createdAt: at('2030-01-01T00:00'), ...overrides };
}

/** An outbox message for the `bookkeeping` controller, with a unique id. */
export function anOutboxMessage(overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  const id = overrides.id ?? `message-${next()}`;
  return { id, target: 'bookkeeping', payload: { function: 'leedPosted', leedId: id, _meta: { idempotencyKey: id } }, ...overrides };
}
