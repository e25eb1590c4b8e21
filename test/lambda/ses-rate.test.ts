/**
 * SES's rate held across containers: the real `emailHelper`, run as the stack deploys it — its bulk
 * routes in a Lambda of their own (`emailHelperBulk`) — by several containers at once, each with the
 * SES mailer paced at its share (`infra/mail-rate.ts`), against a fake SES that refuses what goes
 * over the account's rate exactly as SES does (429 TooManyRequestsException, "Maximum sending rate
 * exceeded"). Each Lambda's concurrency is its reservation, and an event that fails is retried and
 * then given up to its failure queue, as Lambda's asynchronous invocation does.
 *
 * It shows that no send is lost to a throttle (nothing reaches a failure queue, every email arrives
 * once) and that a sign-in link asked for in the middle of a fan-out arrives while most of the
 * fan-out is still to go: it waits in its own Lambda, not behind the batches.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planMailRate } from '../../infra/mail-rate.js';
import { createSqliteIdempotencyStore } from '../../src/adapters/idempotency/sqlite-idempotency-store.js';
import { createLocalIdentity } from '../../src/adapters/identity/local/local-identity.js';
import { createSesMailer } from '../../src/adapters/mailer/ses/ses-mailer.js';
import { createSqliteStore, type SqliteStore } from '../../src/adapters/store/sqlite/sqlite-store.js';
import { createInvocationContext } from '../../src/framework/context.js';
import { metaOf } from '../../src/framework/envelope.js';
import { createIdempotency } from '../../src/framework/idempotency.js';
import type { Transport } from '../../src/framework/transport.js';
import { createEmailHelper } from '../../src/leedz/controllers/email-helper.js';
import { laneOf } from '../../src/leedz/controllers/mail-lanes.js';
import { DEFAULT_SETTINGS, type MarketplaceDeps } from '../../src/leedz/deps.js';
import { aLeed } from '../helpers/builders.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The account's rate in this test (a production account's order; small enough to keep the test short). */
const ACCOUNT_RATE = 40;
const SUBSCRIBERS = 240;
/** Batches of 40 recipients: several batches, so several bulk containers send at once. */
const BATCH = 40;

interface Accepted {
  to: string;
  subject: string;
}

/** SES's SendEmail over HTTP, with the account's rate as a bucket of one second's sends. */
function fakeSes(rate: number): Promise<{ server: Server; endpoint: string; accepted: Accepted[]; throttled: () => number }> {
  const accepted: Accepted[] = [];
  let throttled = 0;
  let tokens = rate;
  let last = performance.now();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const now = performance.now();
      tokens = Math.min(rate, tokens + ((now - last) / 1000) * rate);
      last = now;
      if (tokens < 1) {
        throttled += 1;
        response.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
        response.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
        return;
      }
      tokens -= 1;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Destination: { ToAddresses: string[] }; Content: { Simple: { Subject: { Data: string } } } };
      accepted.push({ to: body.Destination.ToAddresses[0]!, subject: body.Content.Simple.Subject.Data });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ MessageId: `m-${accepted.length}` }));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, accepted, throttled: () => throttled })),
  );
}

/**
 * A Lambda as far as this test needs it: Events queue, at most `containers` run at once (its reserved
 * concurrency), each container keeps its own emailHelper (and so its own pacer) across invocations;
 * a failed event is retried twice, then given up to `failed` (its on-failure queue).
 */
function lambda(name: string, containers: number, timeoutMs: number, build: () => ReturnType<typeof createEmailHelper>, transport: () => Transport) {
  const queue: unknown[] = [];
  const idle = Array.from({ length: containers }, build);
  const failed: { payload: unknown; error: unknown }[] = [];
  let running = 0;
  let settled: () => void = () => {};
  const pump = () => {
    while (queue.length > 0 && idle.length > 0) {
      const container = idle.pop()!;
      const payload = queue.shift();
      running += 1;
      void (async () => {
        for (let attempt = 1; attempt <= 3; attempt++) {
          const ctx = createInvocationContext({ functionName: 'emailHelper', timeoutMs, meta: metaOf(payload), transport: transport(), requestId: `${name}-${Math.random()}` });
          try {
            await container.dispatch(payload, ctx);
            break;
          } catch (error) {
            if (attempt === 3) failed.push({ payload, error });
          }
        }
        running -= 1;
        idle.push(container);
        pump();
        if (queue.length === 0 && running === 0) settled();
      })();
    }
  };
  return {
    failed,
    event(payload: unknown) {
      queue.push(payload);
      pump();
    },
    idle: () => new Promise<void>((resolve) => (queue.length === 0 && running === 0 ? resolve() : (settled = resolve))),
  };
}

describe("SES's rate across containers", () => {
  const dir = tempDir('leedz-ses-rate-');
  let ses: Awaited<ReturnType<typeof fakeSes>>;
  let store: SqliteStore;

  beforeAll(async () => {
    ses = await fakeSes(ACCOUNT_RATE);
    store = createSqliteStore({ path: `${dir.path}/leedz.db` });
    await store.addTrades([{ name: 'dj' }]);
    await store.createUser({ username: 'pat', email: 'pat@example.com', createdAt: new Date().toISOString() }, []);
    for (let i = 0; i < SUBSCRIBERS; i++) {
      const username = `sub${String(i).padStart(3, '0')}`;
      await store.createUser({ username, email: `${username}@example.com`, createdAt: new Date().toISOString() }, []);
      await store.updateUser(username, { subscriptions: ['dj'] });
    }
    const start = Date.now() + 7 * 86_400_000;
    await store.insertLeed(aLeed({ id: 'l_fan', creator: 'pat', start: new Date(start).toISOString(), end: new Date(start + 7_200_000).toISOString() }), []);
    await store.insertLeed(aLeed({ id: 'l_fan2', creator: 'pat', location: '200 Main St, Springfield, IL 62701', placeKey: '200 main st springfield il 62701', start: new Date(start).toISOString(), end: new Date(start + 7_200_000).toISOString() }), []);
  }, 60_000);

  afterAll(async () => {
    store?.close();
    await new Promise((resolve) => ses?.server.close(resolve));
    dir.cleanup();
  });

  /**
   * Post-fan-out of `leedId` through `route`'s Lambdas (each `[containers, pace]`), a sign-in link asked
   * for once 30 emails are out; resolves with what SES accepted of this run, in order, and the failures.
   */
  async function fanOut(leedId: string, lanes: { priority: [number, number]; bulk: [number, number] | 'same' }, bulkTimeoutMs: number) {
    const idempotency = createIdempotency({ store: createSqliteIdempotencyStore(store.db), scope: 'leedz' });
    const identity = createLocalIdentity({ db: store.db, keyDir: `${dir.path}/keys` });
    const container = (ratePerContainer: number) => () => {
      // A container's own SES client and pacer, as each Lambda container builds them (src/lambda/ports/ses.ts).
      const client = new SESv2Client({ endpoint: ses.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const deps = {
        store,
        mailer: createSesMailer({ client, from: 'The Leedz <no-reply@leedz.test>', maxSendRate: ratePerContainer }),
        identity,
        idempotency,
        now: () => new Date(),
        settings: { ...DEFAULT_SETTINGS, fanOutBatchSize: BATCH, publicUrl: 'https://leedz.test', adminEmail: 'admin@leedz.test' },
      } as unknown as MarketplaceDeps;
      return createEmailHelper(deps);
    };
    // The transport of every container: a route goes to the Lambda of its lane, as on AWS.
    const transport = (): Transport => ({
      async invoke(target, payload) {
        (laneOf(target, (payload as { function?: string }).function) === 'emailHelperBulk' ? bulk : priority).event(payload);
        return { statusCode: 202 };
      },
    });
    const priority = lambda('emailHelper', lanes.priority[0], 30_000, container(lanes.priority[1]), transport);
    const bulk = lanes.bulk === 'same' ? priority : lambda('emailHelperBulk', lanes.bulk[0], bulkTimeoutMs, container(lanes.bulk[1]), transport);
    const first = ses.accepted.length;
    const throttledBefore = ses.throttled();
    priority.event({ function: 'notifyUsers', leedId, trade: 'dj', _meta: { hop: 1 } });
    // Someone signs in once the fan-out is well under way.
    while (ses.accepted.length < first + 30) await new Promise((resolve) => setTimeout(resolve, 20));
    priority.event({ function: 'magicLink', email: `signing-in-${leedId}@example.com`, request: `login-${leedId}` });
    await priority.idle();
    await bulk.idle();
    const accepted = ses.accepted.slice(first);
    return { accepted, throttled: ses.throttled() - throttledBefore, failed: [...priority.failed, ...(bulk === priority ? [] : bulk.failed)], signIn: accepted.findIndex((e) => e.to === `signing-in-${leedId}@example.com`) };
  }

  it('no throttled send ends in a failure queue, every email arrives once, and a sign-in link asked for mid fan-out comes before most of it', async () => {
    const plan = planMailRate(ACCOUNT_RATE);
    // More than one container in each lane, or the test would show nothing about several of them.
    expect(plan.priority.containers).toBeGreaterThan(1);
    expect(plan.bulk.containers).toBeGreaterThan(1);

    const run = await fanOut('l_fan', { priority: [plan.priority.containers, plan.priority.ratePerContainer], bulk: [plan.bulk.containers, plan.bulk.ratePerContainer] }, plan.bulk.timeoutSeconds * 1000);

    expect(run.failed).toEqual([]);
    // The pace holds across containers: SES throttles (almost) nothing. A retried throttle would also
    // end well (RetryAfterError within the invocation), so the count is what shows the plan working;
    // without it, more than half of the sends are throttled (the next test).
    expect(run.throttled).toBeLessThanOrEqual(Math.floor(run.accepted.length / 50));
    const alerts = run.accepted.filter((e) => e.subject.startsWith('New Leed:'));
    expect(alerts).toHaveLength(SUBSCRIBERS);
    expect(new Set(alerts.map((e) => e.to)).size).toBe(SUBSCRIBERS);
    expect(run.signIn).toBeGreaterThanOrEqual(0);
    // Most of the fan-out was still to go when the sign-in link went out.
    expect(run.signIn).toBeLessThan(SUBSCRIBERS / 3);
    console.log(`SES rate, as planned: ${run.accepted.length} accepted, ${run.throttled} throttled (retried); the sign-in link ${run.signIn + 1}th of ${run.accepted.length}`);
  }, 120_000);

  it('without the plan — one Lambda for every route, each container at the whole account rate — SES throttles, and the sign-in link waits behind the batches', async () => {
    const plan = planMailRate(ACCOUNT_RATE);
    const containers = plan.priority.containers + plan.bulk.containers;

    const run = await fanOut('l_fan2', { priority: [containers, ACCOUNT_RATE], bulk: 'same' }, 30_000);

    expect(run.throttled).toBeGreaterThan(0);
    // Queued behind the batches that were waiting (three of them at least, 40 recipients each).
    expect(run.signIn).toBeGreaterThan(SUBSCRIBERS / 3);
    console.log(`SES rate, unplanned: ${run.throttled} throttled; the sign-in link ${run.signIn + 1}th of ${run.accepted.length}; failed events: ${run.failed.length}`);
  }, 120_000);
});
