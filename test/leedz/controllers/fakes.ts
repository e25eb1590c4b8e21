/**
 * Small in-memory fakes and builders for the controller tests: a store that holds leedz, users and
 * subscribers and records bookkeeping; a mailer that records what it sends; a transport that records
 * the Event invocations it is given; and deps with the real idempotency helper over in-memory SQLite.
 * Only the methods the controllers call are implemented; any other call fails the test loudly.
 */
import Database from 'better-sqlite3';
import { createInvocationContext, type InvocationContext } from '../../../src/framework/context.js';
import { createIdempotency } from '../../../src/framework/idempotency.js';
import type { InvocationType, Transport } from '../../../src/framework/transport.js';
import { DEFAULT_VISIBILITY, type Leed } from '../../../src/leedz/domain/leed.js';
import type { User } from '../../../src/leedz/domain/user.js';
import type { MarketplaceDeps, MarketplaceSettings } from '../../../src/leedz/deps.js';
import { NonRetriableError, RetryAfterError } from '../../../src/framework/errors.js';
import { RECIPIENT_REFUSED, type Bookkeeping, type Email, type Mailer, type Recipient, type Store, type Subscriber, type Suppression } from '../../../src/leedz/ports.js';
import { createSqliteIdempotencyStore } from '../../../src/adapters/idempotency/sqlite-idempotency-store.js';
import { createLocalIdentity } from '../../../src/adapters/identity/local/local-identity.js';
import { tempDir } from '../../helpers/temp-dir.js';

/** Springfield, IL: where the test leed happens. */
export const SPRINGFIELD = { lat: 39.7817, lon: -89.6501 };
/** Chatham, IL: about 7 miles south of Springfield. */
export const CHATHAM = { lat: 39.6761, lon: -89.7046 };
/** Chicago: about 180 miles from Springfield. */
export const CHICAGO = { lat: 41.8781, lon: -87.6298 };

/** A stored, active leed with every field filled, and overrides. */
export function buildLeed(overrides: Partial<Leed> = {}): Leed {
  return {
    id: 'l_1',
    trade: 'dj',
    title: 'Wedding reception',
    creator: 'sam',
    location: '123 Main St, Springfield, IL 62701',
    zip: '62701',
    point: SPRINGFIELD,
    placeKey: '123 main st springfield il 62701',
    start: '2026-12-25T00:00:00.000Z',
    end: '2026-12-25T04:00:00.000Z',
    timeZone: 'America/Chicago',
    clientEmail: 'bride@example.com',
    clientPhone: '5551234567',
    details: 'Two sets, first dance at 7',
    requirements: 'Own speakers and lights',
    price: 2500,
    visibility: { ...DEFAULT_VISIBILITY },
    postedAt: '2026-12-01T12:00:00.000Z',
    status: 'active',
    buyer: null,
    soldAt: null,
    ...overrides,
  };
}

/** A stored user with no activity yet, and overrides. */
export function buildUser(username: string, overrides: Partial<User> = {}): User {
  return {
    username,
    email: `${username}@example.com`,
    website: null,
    about: null,
    zip: null,
    radius: 20,
    subscriptions: [],
    posted: 0,
    bought: 0,
    sold: 0,
    badges: [0, 1],
    paymentsConnected: false,
    ...overrides,
  };
}

/** A subscriber at `point` (or with no home when null) with a radius in miles. */
export function buildSubscriber(username: string, point: Subscriber['point'], radius = 20): Subscriber {
  return { username, email: `${username}@example.com`, zip: point === null ? null : '62701', point, radius };
}

/**
 * A store holding leedz, users and subscribers, with the store's bookkeeping contract: each key
 * applies once (user counters change), later calls with the same key return false.
 */
export class FakeStore {
  readonly leedz = new Map<string, Leed>();
  readonly users = new Map<string, User>();
  readonly subscribers = new Map<string, Subscriber[]>();
  readonly bookkeeping: { key: string; changes: Bookkeeping; applied: boolean }[] = [];
  readonly badges: { username: string; badges: number[] }[] = [];
  readonly subscriberPages: { trade: string; cursor: string | null; limit: number }[] = [];
  /** Who was emailed about each leed, by username (the store keeps each once). */
  readonly recipients = new Map<string, Map<string, Recipient>>();

  addLeed(leed: Leed): this {
    this.leedz.set(`${leed.trade}/${leed.id}`, leed);
    return this;
  }

  addUser(user: User): this {
    this.users.set(user.username, user);
    return this;
  }

  subscribe(trade: string, subscribers: Subscriber[]): this {
    this.subscribers.set(trade, [...(this.subscribers.get(trade) ?? []), ...subscribers]);
    return this;
  }

  async getLeed(trade: string, id: string): Promise<Leed | undefined> {
    return this.leedz.get(`${trade}/${id}`);
  }

  async getUser(username: string): Promise<User | undefined> {
    return this.users.get(username);
  }

  async listSubscribers(trade: string, cursor: string | null, limit: number): Promise<Subscriber[]> {
    this.subscriberPages.push({ trade, cursor, limit });
    const sorted = [...(this.subscribers.get(trade) ?? [])].sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
    return sorted.filter((s) => cursor === null || s.username > cursor).slice(0, limit);
  }

  async addLeedRecipients(leedId: string, recipients: readonly Recipient[]): Promise<void> {
    const known = this.recipients.get(leedId) ?? new Map<string, Recipient>();
    for (const recipient of recipients) known.set(recipient.username, recipient);
    this.recipients.set(leedId, known);
  }

  async listLeedRecipients(leedId: string, cursor: string | null, limit: number): Promise<Recipient[]> {
    const sorted = [...(this.recipients.get(leedId)?.values() ?? [])].sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
    return sorted.filter((r) => cursor === null || r.username > cursor).slice(0, limit);
  }

  async applyBookkeeping(key: string, changes: Bookkeeping): Promise<boolean> {
    const applied = !this.bookkeeping.some((call) => call.key === key && call.applied);
    this.bookkeeping.push({ key, changes, applied });
    if (applied) {
      for (const [username, delta] of Object.entries(changes.users ?? {})) {
        const user = this.users.get(username);
        if (user === undefined) continue;
        this.users.set(username, {
          ...user,
          posted: user.posted + (delta.posted ?? 0),
          bought: user.bought + (delta.bought ?? 0),
          sold: user.sold + (delta.sold ?? 0),
        });
      }
    }
    return applied;
  }

  async setBadges(username: string, badges: number[]): Promise<void> {
    this.badges.push({ username, badges });
  }

  /** The suppression list, by address in lower case (the first entry stands, as the store's contract says). */
  readonly suppressed = new Map<string, Suppression>();

  async suppressEmails(entries: readonly Suppression[]): Promise<void> {
    for (const entry of entries) if (!this.suppressed.has(entry.email.toLowerCase())) this.suppressed.set(entry.email.toLowerCase(), { ...entry, email: entry.email.toLowerCase() });
  }

  async suppressedAmong(emails: readonly string[]): Promise<Set<string>> {
    return new Set(emails.filter((email) => this.suppressed.has(email.toLowerCase())));
  }

  async subscribedAmong(trade: string, usernames: readonly string[]): Promise<Set<string>> {
    const subscribed = new Set((this.subscribers.get(trade) ?? []).map((s) => s.username));
    return new Set(usernames.filter((username) => subscribed.has(username)));
  }

  /** Stop `username`'s subscription to `trade` (what a one-click unsubscribe does to the store). */
  unsubscribe(trade: string, username: string): this {
    this.subscribers.set(trade, (this.subscribers.get(trade) ?? []).filter((s) => s.username !== username));
    return this;
  }

  readonly secret = 'test-unsubscribe-secret';

  async unsubscribeSecret(): Promise<string> {
    return this.secret;
  }

  /** This fake as the port: any method it does not implement throws, naming itself. */
  asStore(): Store {
    return new Proxy(this, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (value !== undefined || typeof property !== 'string') return typeof value === 'function' ? value.bind(target) : value;
        return () => {
          throw new Error(`FakeStore.${property} is not implemented: the test did not expect it to be called`);
        };
      },
    }) as unknown as Store;
  }
}

/**
 * A mailer that records every email it is asked to send. `failFor` makes sends to an address fail
 * (an ordinary, retriable error), `refuse` refuses an address for good (a `NonRetriableError` with
 * the port's `RECIPIENT_REFUSED`), `throttle` throttles sends to an address (a `RetryAfterError`).
 */
export class RecordingMailer implements Mailer {
  readonly sent: Email[] = [];
  readonly failFor = new Set<string>();
  readonly refuse = new Set<string>();
  readonly throttle = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;

  async send(email: Email): Promise<{ messageId: string }> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // A turn of the event loop, so concurrent sends overlap as they would with a real provider.
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (this.failFor.has(email.to)) throw new Error(`mail server refused ${email.to}`);
      if (this.refuse.has(email.to)) throw new NonRetriableError(`550 no such user: ${email.to}`, { code: RECIPIENT_REFUSED });
      const wait = this.throttle.get(email.to);
      if (wait !== undefined) throw new RetryAfterError(`throttled: ${email.to}`, wait);
      this.sent.push(email);
      return { messageId: `m-${this.sent.length}` };
    } finally {
      this.inFlight -= 1;
    }
  }

  to(address: string): Email[] {
    return this.sent.filter((email) => email.to === address);
  }
}

/** One invocation a transport was given. */
export interface RecordedInvocation {
  functionName: string;
  payload: Record<string, unknown>;
  type: InvocationType;
}

/** A transport that accepts every invocation (202) and records it. */
export function recordingTransport(): Transport & { invocations: RecordedInvocation[] } {
  const invocations: RecordedInvocation[] = [];
  return {
    invocations,
    async invoke(functionName, payload, type) {
      invocations.push({ functionName, payload: payload as Record<string, unknown>, type });
      return { statusCode: type === 'Event' ? 202 : type === 'DryRun' ? 204 : 200 };
    },
  };
}

/** A controller's context at `hop`, whose transport records what the handler invokes. */
export function controllerContext(functionName: string, options: { hop?: number; transport?: Transport; log?: (line: string) => void } = {}): InvocationContext {
  return createInvocationContext({
    functionName,
    timeoutMs: 60_000,
    meta: { hop: options.hop ?? 0, traceId: 'trace-1' },
    transport: options.transport ?? recordingTransport(),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}

export const SETTINGS: MarketplaceSettings = {
  publicUrl: 'https://leedz.test',
  adminEmail: 'admin@leedz.test',
  fanOutBatchSize: 200,
  checkoutMinutes: 15,
  loginRequestsPer15Minutes: 5,
  loginRequestsPerClientPer15Minutes: 30,
  placementsPerHour: 60,
};

/** A port no test here should touch. */
function unusedPort<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === 'then') return undefined;
      throw new Error(`${name}.${String(property)} was used, but the controllers under test do not need ${name}`);
    },
  });
}

/**
 * Deps for the controllers: the fakes, the real idempotency helper and the real local identity (it
 * makes sign-in tokens) over a fresh in-memory SQLite database (close it with `db.close()`), and a
 * fixed clock.
 */
export function buildDeps(
  store: FakeStore,
  mailer: Mailer,
  settings: Partial<MarketplaceSettings> = {},
): { deps: MarketplaceDeps; db: Database.Database } {
  const db = new Database(':memory:');
  const keys = tempDir('leedz-keys-');
  const close = db.close.bind(db);
  db.close = () => {
    keys.cleanup();
    return close();
  };
  const deps: MarketplaceDeps = {
    store: store.asStore(),
    mailer,
    geocoder: unusedPort('geocoder'),
    identity: createLocalIdentity({ db, keyDir: keys.path }),
    payments: unusedPort('payments'),
    idempotency: createIdempotency({ store: createSqliteIdempotencyStore(db) }),
    now: () => new Date('2026-12-02T00:00:00.000Z'),
    settings: { ...SETTINGS, ...settings },
  };
  return { deps, db };
}
