/**
 * Demo data: about 30 trades, vendors with subscriptions and home zips in a few cities, and leedz
 * over the next two months. Written through the Store port (no emails are sent for seeded leedz;
 * counters are applied as the bookkeeping controller would). Deterministic for a given seed.
 *
 * @example
 * await seedMarketplace({ store, geocoder, now: new Date() }, { users: 40, leedz: 120 });
 */
import { normalizePlaceKey } from '../leedz/domain/conflict.js';
import { DEFAULT_VISIBILITY, type Leed } from '../leedz/domain/leed.js';
import { newLeedId } from '../leedz/functions/add-leed.js';
import { ConflictError, type Geocoder, type Store } from '../leedz/ports.js';

export const TRADES: { name: string; color: string }[] = [
  ['caricatures', '#e4572e'], ['dj', '#29335c'], ['face painting', '#f3a712'], ['balloon art', '#a8c686'], ['magician', '#669bbc'],
  ['photo booth', '#8d6a9f'], ['photographer', '#2e86ab'], ['videographer', '#c73e1d'], ['live band', '#3b1f2b'], ['string quartet', '#6a994e'],
  ['bartender', '#bc4749'], ['catering', '#386641'], ['food truck', '#f77f00'], ['cake artist', '#d62828'], ['florist', '#588157'],
  ['henna', '#9c6644'], ['tarot reader', '#5f0f40'], ['clown', '#fb8b24'], ['juggler', '#0f4c5c'], ['stilt walker', '#9a031e'],
  ['bounce house', '#1b998b'], ['petting zoo', '#7f5539'], ['karaoke host', '#2d00f7'], ['emcee', '#6a00f4'], ['officiant', '#8900f2'],
  ['dance instructor', '#b100e8'], ['silhouette artist', '#264653'], ['glitter tattoo', '#e76f51'], ['puppeteer', '#2a9d8f'], ['yoga instructor', '#457b9d'],
].map(([name, color]) => ({ name: name!, color: color! }));

/** Cities the demo vendors live in, with real zips and streets that the ZIP geocoder knows. */
const CITIES = [
  { zips: ['90012', '90017', '90026', '90028', '90036'], streets: ['Main St', 'Spring St', 'Sunset Blvd', 'Hill St', 'Broadway'] },
  { zips: ['10001', '10011', '10016', '10019', '10023'], streets: ['Broadway', '5th Ave', 'Park Ave', 'W 23rd St', 'Lexington Ave'] },
  { zips: ['60601', '60605', '60607', '60614', '60622'], streets: ['State St', 'Michigan Ave', 'Clark St', 'Halsted St', 'Division St'] },
  { zips: ['78701', '78702', '78704', '78705', '78751'], streets: ['Congress Ave', 'Lamar Blvd', 'Guadalupe St', 'E 6th St', 'Red River St'] },
];

export interface SeedOptions {
  users: number;
  leedz: number;
  /** PRNG seed, so the same options give the same data. */
  seed?: number;
  /** Called after each user and leed, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

export interface SeedDeps {
  store: Store;
  geocoder: Geocoder;
  now: Date;
}

export interface SeedResult {
  trades: number;
  users: number;
  leedz: number;
  skippedConflicts: number;
}

/** Seed the first time only: when the store has no trades yet. */
export async function seedIfEmpty(deps: SeedDeps, options: SeedOptions): Promise<SeedResult | undefined> {
  if ((await deps.store.listTrades()).length > 0) return undefined;
  return seedMarketplace(deps, options);
}

export async function seedMarketplace(deps: SeedDeps, options: SeedOptions): Promise<SeedResult> {
  const { store, geocoder, now } = deps;
  const random = seededRandom(options.seed ?? 42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const total = options.users + options.leedz;
  let done = 0;
  const tick = () => options.onProgress?.(++done, total);

  await store.addTrades(TRADES);
  const existing = new Set((await store.listTrades()).map((t) => t.name));
  const trades = TRADES.filter((t) => existing.has(t.name)).map((t) => t.name);

  const usernames: string[] = [];
  const offset = (await store.getStats()).users;
  for (let i = 0; i < options.users; i++) {
    const username = `vendor${offset + i + 1}`;
    const city = pick(CITIES);
    const zip = pick(city.zips);
    const subscriptions = [...new Set(Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(trades.slice(0, 10))))];
    try {
      await store.createUser({ username, email: `${username}@example.com`, createdAt: now.toISOString() }, []);
      await store.applyBookkeeping(`user:${username}`, { totals: { users: 1 } });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    await store.updateUser(username, { zip, point: (await geocoder.zipPoint(zip)) ?? null, radius: pick([20, 35, 50] as const), subscriptions });
    usernames.push(username);
    tick();
  }
  if (usernames.length === 0) usernames.push(...(await firstUsers(store)));

  let created = 0;
  let skippedConflicts = 0;
  const dayMs = 86_400_000;
  for (let i = 0; i < options.leedz; i++) {
    const city = pick(CITIES);
    const zip = pick(city.zips);
    const address = `${100 + Math.floor(random() * 9800)} ${pick(city.streets)}, ${zip}`;
    const place = await geocoder.geocode(address);
    const trade = pick(trades.slice(0, 12));
    const startDay = new Date(now.getTime() + (1 + Math.floor(random() * 60)) * dayMs);
    startDay.setUTCHours(15 + Math.floor(random() * 8), pick([0, 30]), 0, 0);
    const hours = 1 + Math.floor(random() * 5);
    const creator = pick(usernames);
    const price = pick([0, 500, 1000, 1500, 2500, 4000]);
    const leed: Leed = {
      id: newLeedId(),
      trade,
      title: `${pick(['Birthday party', 'Wedding reception', 'Corporate picnic', 'School fair', 'Bar mitzvah', 'Grand opening'])} needs ${trade}`,
      creator,
      location: address,
      zip,
      point: place?.point ?? { lat: 0, lon: 0 },
      placeKey: place?.placeKey ?? normalizePlaceKey(address),
      start: startDay.toISOString(),
      end: new Date(startDay.getTime() + hours * 3_600_000).toISOString(),
      timeZone: place?.timeZone ?? 'America/Chicago',
      clientEmail: `client${i + 1}@example.com`,
      clientPhone: `555${String(1_000_000 + Math.floor(random() * 8_999_999)).slice(0, 7)}`,
      details: `${hours === 1 ? 'One hour' : `${hours} hours`}, about ${10 + Math.floor(random() * 140)} guests.`,
      requirements: random() < 0.5 ? 'Bring your own table and lighting.' : null,
      price,
      visibility: { ...DEFAULT_VISIBILITY, ...(random() < 0.5 ? {} : { requirements: 'shown' as const }) },
      postedAt: now.toISOString(),
      status: 'active',
      buyer: null,
      soldAt: null,
    };
    try {
      await store.insertLeed(leed, []);
      await store.applyBookkeeping(`posted:${leed.id}`, {
        trades: { [trade]: 1 },
        users: { [creator]: { posted: 1 } },
        totals: { posted: 1 },
        lastPosted: { trade, price, zip, at: leed.postedAt },
      });
      created++;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      skippedConflicts++;
    }
    tick();
  }
  return { trades: trades.length, users: options.users, leedz: created, skippedConflicts };
}

async function firstUsers(store: Store): Promise<string[]> {
  const user = await store.getUser('vendor1');
  if (user === undefined) throw new Error('seed: --users 0 needs existing demo users (run a seed with users first)');
  return [user.username];
}

/**
 * A small seeded PRNG (mulberry32): the same seed, the same demo data (and the same "random" choices
 * in the tests and benchmarks that use it).
 *
 * @example
 * const random = seededRandom(42); random(); // the same number in [0, 1) on every run
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
