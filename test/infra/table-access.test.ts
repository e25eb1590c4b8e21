/**
 * Least privilege, checked against what the code does: every Lambda of the stack runs through one
 * marketplace scenario (sign-in, profile, post, search, edit, report, buy, delete, the outbox relay
 * and sweep, every controller route) on DynamoDB Local, with a client that records each command it
 * sends — as the IAM action DynamoDB authorises it as, on which table — and ports that record which
 * AWS service each Lambda reaches. The synthesised template grants each Lambda exactly the table
 * actions it declares (`table`): a function whose code sends more than its declaration (`table`,
 * `invokes`, `SERVICE_USERS`) fails here. A declaration may go beyond what the scenario sends only by
 * the paths {@link BEYOND_THE_SCENARIO} names, so that an action nobody needs does not stay granted.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import Database from 'better-sqlite3';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTBOX_RELAY, OUTBOX_SWEEP_NAME } from '../../infra/deployables.js';
import { LEEDZ_ENDED_SCHEDULE } from '../../src/leedz/controllers/bookkeeping.js';
import { lambdaSpecs, SECRET_READERS, TABLE_ACTIONS, tableActions } from '../../infra/lambda-specs.js';
import { SECRET_KEY_PREFIX } from '../../src/adapters/store/dynamodb/dynamodb-items.js';
import { LeedzStack } from '../../infra/leedz-stack.js';
import { createZipGeocoder } from '../../src/adapters/geocoder/zip/zip-geocoder.js';
import { createDynamoDbIdempotencyStore } from '../../src/adapters/idempotency/dynamodb-idempotency-store.js';
import { createDynamoDbLoginTokens } from '../../src/adapters/identity/cognito/dynamodb-login-tokens.js';
import { createLocalPayments } from '../../src/adapters/payments/local/local-payments.js';
import { createDynamoDbStore } from '../../src/adapters/store/dynamodb/dynamodb-store.js';
import { createInvocationContext } from '../../src/framework/context.js';
import type { Deployable, TableAccess, TableAction } from '../../src/framework/define.js';
import { metaOf } from '../../src/framework/envelope.js';
import { createIdempotency } from '../../src/framework/idempotency.js';
import type { Transport } from '../../src/framework/transport.js';
import { DEFAULT_SETTINGS, type MarketplaceDeps } from '../../src/leedz/deps.js';
import type { HttpRequest, HttpResult } from '../../src/leedz/functions/http.js';
import { laneOf } from '../../src/leedz/controllers/mail-lanes.js';
import { createMarketplace, type Marketplace } from '../../src/leedz/marketplace.js';
import type { Email, Store } from '../../src/leedz/ports.js';
import { dynamoDbOutboxMessage } from '../../src/lambda/dynamodb-outbox.js';
import { createOutboxStreamHandler } from '../../src/lambda/outbox-stream-handler.js';
import { sweepOutbox } from '../../src/lambda/outbox-sweep.js';
import { type DynamoDbLocal, requireJava, startDynamoDbLocal } from '../helpers/dynamodb-local.js';
import { testApp } from '../helpers/cdk-app.js';

const hasJava = requireJava();

/** AWS services reached through a port (beyond the tables), named as in SERVICE_USERS. */
type Service = 'mailer' | 'geocoder' | 'payments' | 'identity';

interface Usage {
  /** IAM actions sent to the marketplace's table (`dynamodb:GetItem`, …). */
  table: Set<string>;
  /** …and to the idempotency table. */
  idempotency: Set<string>;
  services: Set<Service>;
  /** Whether it reached one of the table's secret items (`SECRET#…`); in a grant: whether they are denied to it. */
  secrets: boolean;
}

/**
 * The table actions a Lambda declares that the scenario does not send, and the path of its code that
 * does (read in the code: the store methods it calls and the commands each sends).
 */
const BEYOND_THE_SCENARIO: Record<string, Partial<Record<TableAction, string>>> = {
  buyLeed: {
    delete: "recordSale deletes the hold; a hold goes again when the payment provider cannot start the checkout (releaseCheckout)",
  },
  unsubscribe: {
    put: "unsubscribeSecret makes the links' secret when none exists yet; updateUser puts the subscriptions that remain",
    'condition-check': 'updateUser checks that a trade exists when a racing profile change dropped it from the subscriptions read',
  },
};

/** Each Lambda of the stack: the deployables, the lanes (their controller's), the relay and the sweep. */
function specOf(name: string) {
  const { functions, controllers, lanes, relay, sweep } = lambdaSpecs();
  return [...functions, ...controllers, ...lanes, relay, sweep].find((spec) => spec.name === name);
}

/** What a Lambda of the stack declares (`table`). */
function declaredTable(name: string): TableAccess | undefined {
  return specOf(name)?.config.table;
}

/** `dynamodb:PutItem` → `put`: the name a declaration lists an IAM action by. */
const actionNamed = (iamAction: string) => (Object.entries(TABLE_ACTIONS) as [TableAction, string][]).find(([, iam]) => iam === iamAction)?.[0] ?? iamAction;

const PUBLIC_URL = 'https://leedz.test';
const who = new AsyncLocalStorage<string>();
const usage = new Map<string, Usage>();
const usageOf = (name: string): Usage => {
  let found = usage.get(name);
  if (found === undefined) usage.set(name, (found = { table: new Set(), idempotency: new Set(), services: new Set(), secrets: false }));
  return found;
};
/** Who is running: a Lambda's name, or the scenario itself (setting up, reading the outbox). */
const current = () => who.getStore() ?? '(scenario)';

/**
 * The IAM actions DynamoDB authorises a command as, per table: an operation on one table is its own
 * action (`GetItem` → `dynamodb:GetItem`); a transaction is authorised item by item
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 */
function iamActions(commandName: string, input: Record<string, any>): { table: string; action: string }[] {
  const operation = commandName.replace(/Command$/, '');
  const itemAction: Record<string, string> = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' };
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    return (input.TransactItems as Record<string, { TableName: string }>[]).flatMap((item) =>
      Object.entries(item).map(([kind, body]) => ({ table: body.TableName, action: `dynamodb:${itemAction[kind] ?? kind}` })),
    );
  }
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    return Object.keys(input.RequestItems as object).map((table) => ({ table, action: `dynamodb:${operation}` }));
  }
  return [{ table: input.TableName as string, action: `dynamodb:${operation}` }];
}

/** `port`, with every call counted as a use of `service` by whoever is running. */
function recorded<T extends object>(service: Service, port: T): T {
  return new Proxy(port, {
    get(target, key) {
      const value = Reflect.get(target, key) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        usageOf(current()).services.add(service);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

let local: DynamoDbLocal;
let client: DynamoDBClient;
let tableName: string;
let idempotencyTableName: string;
let template: Template;

describe.skipIf(!hasJava)('each Lambda uses the table and the services exactly as it declares', () => {
  beforeAll(async () => {
    const app = testApp();
    template = Template.fromStack(new LeedzStack(app, 'Leedz', { mailFrom: 'no-reply@leedz.test', adminEmail: 'admin@leedz.test', lambdaConcurrency: 1000 }));
    local = await startDynamoDbLocal();
    tableName = await local.createTable();
    idempotencyTableName = await local.createIdempotencyTable();
    client = local.client();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        // A key, a key condition's value or an item: marshalled or not, its text holds `"SECRET#`.
        if (JSON.stringify(args.input).includes(`"${SECRET_KEY_PREFIX}`)) usageOf(current()).secrets = true;
        for (const { table, action } of iamActions(context.commandName as string, args.input as Record<string, any>)) {
          const used = usageOf(current());
          if (table === tableName) used.table.add(action);
          else if (table === idempotencyTableName) used.idempotency.add(action);
          else throw new Error(`${action} on an unknown table ${table}`);
        }
        return next(args);
      },
      { step: 'initialize', name: 'recordIamActions' },
    );
    await runScenario();
  }, 180_000);

  afterAll(async () => {
    client?.destroy();
    await local?.stop();
  });

  const lambdas = () => Object.entries(template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

  /** What the template grants the Lambda deployed as `Leedz-<name>`: table actions per table, and services. */
  function granted(name: string): Usage {
    const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
    const [, fn] = lambdas().find(([, r]) => r.Properties.FunctionName === `Leedz-${name}`)!;
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const [tableId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::DynamoDB::GlobalTable' && r.Properties.KeySchema[0].AttributeName === 'PK')!;
    const [idempotencyId] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::DynamoDB::GlobalTable' && r.Properties.KeySchema[0].AttributeName === 'id')!;
    const result: Usage = { table: new Set(), idempotency: new Set(), services: new Set(), secrets: false };
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && (r.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
      .flatMap((r) => r.Properties.PolicyDocument.Statement as { Effect: 'Allow' | 'Deny'; Action: string | string[]; Resource: unknown; Condition?: unknown }[]);
    const deniedSecrets = new Set<string>();
    for (const statement of statements) {
      const actions = [statement.Action].flat();
      const on = JSON.stringify(statement.Resource);
      if (statement.Effect === 'Deny') {
        // The secrets' denial: every action the Lambda is granted on the table, on items whose partition key is a secret's.
        const secretsOnly = JSON.stringify(statement.Condition) === JSON.stringify({ 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': [`${SECRET_KEY_PREFIX}*`] } });
        if (secretsOnly && on.includes(`"${tableId}"`)) for (const action of actions) deniedSecrets.add(action);
        continue;
      }
      // The stream's own actions belong to the relay's event source mapping, not to its code.
      if (on.includes('StreamArn')) continue;
      for (const action of actions) {
        if (action.startsWith('dynamodb:') && on.includes(`"${tableId}"`)) result.table.add(action);
        if (action.startsWith('dynamodb:') && on.includes(`"${idempotencyId}"`)) result.idempotency.add(action);
        if (action.startsWith('ses:')) result.services.add('mailer');
        if (action.startsWith('geo:')) result.services.add('geocoder');
        if (action.startsWith('secretsmanager:')) result.services.add('payments');
        if (action.startsWith('cognito-idp:')) result.services.add('identity');
      }
    }
    result.secrets = result.table.size > 0 && [...result.table].every((action) => deniedSecrets.has(action));
    return result;
  }

  const names = () => lambdas().map(([, r]) => (r.Properties.FunctionName as string).replace(/^Leedz-/, ''));

  it('the scenario ran every Lambda of the stack', () => {
    expect([...usage.keys()].filter((name) => name !== '(scenario)').sort()).toEqual(names().sort());
  });

  it('no Lambda’s code sends a DynamoDB action its policy does not grant', () => {
    const missing = names().flatMap((name) => {
      const need = usageOf(name);
      const grant = granted(name);
      return [
        ...[...need.table].filter((a) => !grant.table.has(a)).map((a) => `${name} sends ${a} to the table: add '${actionNamed(a)}' to its table declaration`),
        ...[...need.idempotency].filter((a) => !grant.idempotency.has(a)).map((a) => `${name} sends ${a} to the idempotency table: add it to SERVICE_USERS.idempotency`),
      ];
    });
    expect(missing).toEqual([]);
  });

  it('each Lambda’s code sends only table actions it declares, and its policy grants exactly those', () => {
    const mismatches = names().flatMap((name) => {
      const declared = declaredTable(name) ?? [];
      const undeclared = [...usageOf(name).table].filter((a) => !declared.includes(actionNamed(a) as TableAction));
      const policy = [...granted(name).table].sort();
      return [
        ...undeclared.map((a) => `${name} sends ${a} but declares table: [${declared.join(', ')}]`),
        ...(policy.join() === tableActions(declared).sort().join() ? [] : [`${name}: declares [${declared.join(', ')}], granted [${policy.join(', ')}]`]),
      ];
    });
    expect(mismatches).toEqual([]);
  });

  it('no Lambda declares more than the scenario sends, but for the paths the scenario does not run (BEYOND_THE_SCENARIO)', () => {
    const beyond = Object.fromEntries(
      names()
        .map((name) => [name, (declaredTable(name) ?? []).filter((action) => !usageOf(name).table.has(TABLE_ACTIONS[action]))] as const)
        .filter(([, actions]) => actions.length > 0),
    );
    expect(beyond).toEqual(Object.fromEntries(Object.entries(BEYOND_THE_SCENARIO).map(([name, paths]) => [name, Object.keys(paths)])));
    expect(names().filter((name) => granted(name).idempotency.size > 0 && usageOf(name).idempotency.size === 0)).toEqual([]);
  });

  it('each Lambda reaches exactly the services it is granted (SES, Location, Secrets Manager, Cognito’s admin API)', () => {
    const mismatches = names().flatMap((name) => {
      const need = [...usageOf(name).services].sort();
      const grant = [...granted(name).services].sort();
      return need.join() === grant.join() ? [] : [`${name}: uses [${need.join(', ')}], granted [${grant.join(', ')}]`];
    });
    expect(mismatches).toEqual([]);
  });

  it('only the Lambdas that run SECRET_READERS’ code reach the table’s secret items; every other Lambda with the table is denied them by key', () => {
    // A lane runs its controller's code.
    const codeOf = (name: string) => {
      const spec = specOf(name);
      return spec !== undefined && 'runs' in spec && typeof spec.runs === 'string' ? spec.runs : name;
    };
    const reaching = names().filter((name) => usageOf(name).secrets);
    // The scenario reaches them through each reader (the unsubscribe link's key: its alerts, its one-click POST)…
    expect([...new Set(reaching.map(codeOf))].sort()).toEqual([...SECRET_READERS].sort());
    // …and the policies agree: each other Lambda with a table grant is denied every action on them.
    const mismatches = names().flatMap((name) => {
      const grant = granted(name);
      const denied = grant.table.size > 0 && !SECRET_READERS.includes(codeOf(name));
      return grant.secrets === denied ? [] : [`${name}: ${denied ? 'not denied' : 'denied'} the table's secret items`];
    });
    expect(mismatches).toEqual([]);
    expect(names().filter((name) => granted(name).secrets).length).toBeGreaterThan(10);
  });

  it('read-only functions get no write action', () => {
    const reads = new Set([TABLE_ACTIONS.get, TABLE_ACTIONS.query]);
    const readOnly = names().filter((name) => usageOf(name).table.size > 0 && [...usageOf(name).table].every((a) => reads.has(a)));
    for (const name of readOnly) expect([...granted(name).table].filter((a) => !reads.has(a)), name).toEqual([]);
    // The scenario reaches both kinds (a sanity check that it exercises the reads it should).
    expect(readOnly).toEqual(expect.arrayContaining(['getTrades', 'searchLeedz', 'getLeed', 'getMe', 'myLeedz', 'calendarFeed']));
  });
});

// ── the scenario ──────────────────────────────────────────────────────────────────────────────────

async function runScenario(): Promise<void> {
  const sent: Email[] = [];
  const store: Store = createDynamoDbStore({ client, tableName });
  const payments = createLocalPayments({ db: new Database(':memory:'), baseUrl: PUBLIC_URL, webhookSecret: 'test-secret' });
  const loginTokens = createDynamoDbLoginTokens({ client, tableName });
  const deps: MarketplaceDeps = {
    store,
    mailer: recorded('mailer', { send: async (email: Email) => (sent.push(email), { messageId: `m-${sent.length}` }) }),
    geocoder: recorded('geocoder', createZipGeocoder()),
    identity: {
      // The magic link's tokens are items of the table (the DynamoDB commands are recorded as such);
      // the session is Cognito's admin API.
      issueLoginToken: (email) => loginTokens.issueLoginToken(email),
      redeemLoginToken: (token) => loginTokens.redeemLoginToken(token),
      ...recorded('identity', { issueSession: async (caller: { username?: string }) => `session-of-${caller.username}` }),
      verifySession: async () => undefined,
    },
    payments: recorded('payments', payments),
    idempotency: createIdempotency({ store: createDynamoDbIdempotencyStore({ client, tableName: idempotencyTableName }), scope: 'leedz' }),
    now: () => new Date(),
    settings: { ...DEFAULT_SETTINGS, publicUrl: PUBLIC_URL, adminEmail: 'admin@leedz.test' },
  };
  const marketplace: Marketplace = createMarketplace(deps);
  const queue: { target: string; payload: unknown }[] = [];
  const transport: Transport = {
    async invoke(target, payload) {
      queue.push({ target, payload });
      return { statusCode: 202, requestId: `r-${queue.length}` };
    },
  };
  const ctxFor = (deployable: Deployable, payload: unknown) =>
    createInvocationContext({ functionName: deployable.name, timeoutMs: 60_000, meta: metaOf(payload), transport, allowedTargets: new Set(deployable.invokes) });
  const run = <T>(name: string, work: () => Promise<T>) => who.run(name, () => (usageOf(name), work()));

  async function call(name: string, request: Partial<HttpRequest>): Promise<HttpResult & { body: any }> {
    const fn = marketplace.functions.find((f) => f.name === name)!;
    const full = { params: {}, query: {}, headers: {}, ...request };
    const result = (await run(name, () => fn.handle(full, ctxFor(fn, full)))) as HttpResult & { body: any };
    if (result.status >= 400) throw new Error(`${name} answered ${result.status}: ${JSON.stringify(result.body)}`);
    return result;
  }

  /** Relay what the outbox holds (the stream relay), and run every queued controller invocation. */
  async function drain(): Promise<void> {
    const relay = createOutboxStreamHandler({ store, transport, readMessage: dynamoDbOutboxMessage, log: () => {} });
    for (;;) {
      const pending = await store.pendingOutbox(100);
      if (pending.length > 0) {
        const Records = pending.map((m, i) => ({
          eventName: 'INSERT' as const,
          dynamodb: { SequenceNumber: String(i), NewImage: marshall({ PK: `OUTBOX#${m.id}`, SK: 'OUTBOX', id: m.id, target: m.target, payload: JSON.stringify(m.payload), createdAt: m.createdAt }) as never },
        }));
        await run(OUTBOX_RELAY, () => relay({ Records }));
      }
      if (queue.length === 0) return;
      for (const { target, payload } of queue.splice(0)) {
        const controller = marketplace.controllers[target as keyof Marketplace['controllers']];
        // On AWS the transport sends a bulk route to the Lambda of its lane (emailHelperBulk).
        await run(laneOf(target, (payload as { function?: unknown }).function), () => controller.dispatch(payload, ctxFor(controller, payload)));
      }
    }
  }

  async function signIn(email: string): Promise<{ email: string; username: string }> {
    await call('login', { body: { email }, sourceIp: '203.0.113.7' });
    await drain();
    const link = sent.filter((e) => e.to === email).at(-1)!.text;
    const token = /token=([A-Za-z0-9_-]+)/.exec(link)![1];
    const { body } = await call('authCallback', { body: { token } });
    await drain();
    return { email, username: body.user.username };
  }

  await run('(scenario)', () => store.addTrades([{ name: 'dj' }]));
  const pat = await signIn('pat@leedz.test');
  const sam = await signIn('sam@leedz.test');
  await call('updateMe', { caller: sam, body: { subscriptions: ['dj'], zip: '62701' } });
  // A subscription taken and dropped again: updateUser deletes it.
  await call('updateMe', { caller: pat, body: { subscriptions: ['dj'] } });
  await call('updateMe', { caller: pat, body: { subscriptions: [] } });
  await call('getMe', { caller: sam });
  await call('getSession', { caller: sam });
  await call('getUser', { params: { username: pat.username } });
  await call('getTrades', {});
  await call('getStats', {});

  const day = 24 * 3600_000;
  const post = (title: string, offsetDays: number) =>
    call('addLeed', {
      caller: pat,
      body: {
        trade: 'dj',
        title,
        location: '123 Main Street, Springfield, IL 62701',
        start: new Date(Date.now() + offsetDays * day).toISOString(),
        end: new Date(Date.now() + offsetDays * day + 3 * 3600_000).toISOString(),
        price: 2500,
      },
    });
  const { body: leed } = await post('Wedding needs a DJ', 30);
  await drain();
  const params = { trade: 'dj', id: leed.id as string };
  const near = { trades: 'dj', from: new Date().toISOString(), to: new Date(Date.now() + 60 * day).toISOString(), zip: '62701', radius: '50' };
  await call('searchLeedz', { query: near });
  // A signed-in vendor's search near a zip adds their own leedz, read item by item.
  await call('searchLeedz', { caller: pat, query: near });
  // `limit`: without it, the DynamoDB store queries every month up to END_OF_TIME when few leedz match.
  await call('upcomingLeedz', { params: { trade: 'dj' }, query: { limit: '1' } });
  await call('getLeed', { caller: sam, params });
  await call('editLeed', { caller: pat, params, body: { title: 'Wedding reception needs a DJ', location: '200 Main Street, Springfield, IL 62701' } });
  // A new time at a place that has bookings: the conflict check queries them.
  const later = Date.now() + 30 * day + 3600_000;
  await call('editLeed', { caller: pat, params, body: { start: new Date(later).toISOString(), end: new Date(later + 3 * 3600_000).toISOString() } });
  // A new price: written on the condition that no buyer's checkout hold lasts.
  await call('editLeed', { caller: pat, params, body: { price: 3000 } });
  await call('reportLeed', { caller: sam, params, body: { reason: 'Looks like a duplicate' } });
  await drain();
  await call('buyLeed', { caller: sam, params });
  await call('cancelCheckout', { caller: sam, params });
  const { body: checkout } = await call('buyLeed', { caller: sam, params });
  const webhook = payments.completeCheckout((checkout.checkoutUrl as string).split('/').at(-1)!);
  await call('paymentWebhook', { headers: webhook.headers, rawBody: webhook.body, url: `${PUBLIC_URL}/api/payments/webhook` });
  await drain();

  await call('myLeedz', { caller: pat });
  await call('getCalendarFeed', { caller: sam });
  await call('newCalendarFeed', { caller: sam });
  // A new link replaces the first: its token's marker is deleted.
  const { body: feed } = await call('newCalendarFeed', { caller: sam });
  await call('calendarFeed', { params: { file: (feed.url as string).split('/').at(-1)! }, url: feed.url });
  await call('revokeCalendarFeed', { caller: sam });

  const { body: second } = await post('Birthday party needs a DJ', 40);
  await drain();
  await call('deleteLeed', { caller: pat, params: { trade: 'dj', id: second.id } });
  await drain();
  await call('logout', {});

  // One-click unsubscribe from an alert (its List-Unsubscribe link), and SES's report of a bounce.
  const alert = sent.filter((e) => e.to === sam.email && e.kind === 'new-leed').at(-1)!;
  const token = new URL(/^<(.+)>$/.exec(alert.headers!['List-Unsubscribe']!)![1]!).searchParams.get('token')!;
  await call('openUnsubscribeLink', { query: { token } });
  await call('unsubscribe', { query: { token }, rawBody: 'List-Unsubscribe=One-Click' });
  queue.push({ target: 'emailHelper', payload: { function: 'mailFeedback', event: { eventType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: sam.email }] } } } });
  await drain();

  // A message the relay never delivered: the sweep finds it in the table.
  await post('Anniversary needs a DJ', 50);
  const swept = await run(OUTBOX_SWEEP_NAME, () => sweepOutbox({ store, transport, olderThanMs: 0, log: () => {} }));
  expect(swept.delivered).toBeGreaterThan(0);
  await drain();

  // The schedule's ask (an EventBridge rule): the ended leedz off their trades' counts.
  queue.push({ target: 'bookkeeping', payload: { ...LEEDZ_ENDED_SCHEDULE.payload } });
  await drain();
}
