/**
 * The composition root of `npm start`: the local runtime with the marketplace's functions (or the
 * framework's small example), one HTTP server for the API, the Lambda Invoke API and the runtime's
 * JSON endpoints, demo data on first run, and a clean shutdown.
 *
 * @example
 * const server = await startServer(resolveServerConfig(process.env));
 * await server.close();
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { exampleFunctions } from '../example/example-functions.js';
import { loadOrCreateRuntimeCredentials, type RuntimeCredentials } from '../runtime/credentials.js';
import { createInvokeApi } from '../runtime/invoke-api.js';
import { createInvokeListener, type InvokeListener } from '../runtime/invoke-listener.js';
import { createLocalRuntime, type LocalRuntime } from '../runtime/local-runtime.js';
import { createOperatorSessions, OPERATOR_COOKIE, OPERATOR_SESSION_TTL_MS } from '../runtime/operator-sessions.js';
import { fromOwnPage, type GuardRefusal } from '../runtime/access.js';
import { readAtMost } from '../runtime/read-body.js';
import { mountApiFallback, respond } from '../edge/api-app.js';
import { styledPageHeaders } from '../edge/content-security-policy.js';
import { escapeHtml } from '../leedz/emails/layout.js';
import { problem } from '../leedz/functions/http.js';
import { isPayloadTooLarge, type Transport } from '../framework/transport.js';
import type { StorageView } from '../runtime/views.js';
import { createLambdaTransport } from '../transports/lambda-transport.js';
import { wireAwsLocalMarketplace, type AwsLocalWiring } from './aws-local-wiring.js';
import { guardBrowserRequests, hostAllowed } from './browser-guards.js';
import { cliFlagsFor, type ServerConfig } from './config.js';
import { DataFolderError, prepareDataDir } from './data-dir.js';
import { DEFAULT_EMAILS_KEPT } from './marketplace-housekeeping.js';
import { wireMarketplace, type MarketplaceWiring } from './marketplace-wiring.js';
import { MARKETPLACE_SCHEDULES, startSchedules } from './schedules.js';
import { claimDataFolder, removeServerAddress, writeServerAddress } from './server-address.js';
import { seedIfEmpty } from './seed.js';
import { buildWebAssets, mountWebApp } from './web-assets.js';

export interface RunningServer {
  url: string;
  runtime: LocalRuntime;
  /** The credentials that the Invoke API, the management API and `/local` check (`leedz credentials`). */
  credentials: RuntimeCredentials;
  /** A fresh one-time sign-in link to the operations console. */
  consoleUrl(): string;
  /** Present when serving the marketplace. */
  marketplace?: MarketplaceWiring;
  /** Present with the `aws-local` profile (the marketplace on the AWS adapters and emulators). */
  awsLocal?: AwsLocalWiring;
  /** Why the data folder is no longer the one the server opened (removed, replaced, taken), or undefined while it is. */
  folderLost(): string | undefined;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: (line: string) => void;
  /** The clock of the marketplace (tests). */
  now?: () => Date;
  /** Demo data for the first run (default: 40 users, 150 leedz). */
  seed?: { users: number; leedz: number };
  /** Run the stack's schedules (src/server/schedules.ts; default true; tests that count invocations turn them off). */
  schedules?: boolean;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const awsProfile = config.profile === 'aws-local' && config.app === 'marketplace';
  const databases = ['runtime.db', ...(config.app === 'example' ? [] : awsProfile ? ['payments.db'] : ['leedz.db'])];
  prepareDataDir(config.dataDir, databases);
  // One server per folder (src/server/server-address.ts), given back when it stops or fails to start.
  const claim = claimDataFolder(config.dataDir, databases);
  try {
    const running = await startOnFolder(config, options, awsProfile);
    return { ...running, folderLost: claim.lost, close: () => running.close().finally(claim.release) };
  } catch (error) {
    claim.release();
    throw databaseFailure(error, config.dataDir) ?? error;
  }
}

/** What SQLite says of a database file it cannot use, by its code (https://www.sqlite.org/rescode.html). */
const DATABASE_FAILURES: ReadonlyMap<string, string> = new Map([
  ['SQLITE_CORRUPT', 'is damaged'],
  ['SQLITE_NOTADB', 'is not a database'],
  ['SQLITE_FULL', 'cannot grow: the disk is full'],
  ['SQLITE_CANTOPEN', 'cannot be opened'],
  ['SQLITE_READONLY', 'cannot be written'],
]);

/** A database of the folder that SQLite cannot use at start, as a message that says what to do; undefined for any other error. */
function databaseFailure(error: unknown, dataDir: string): DataFolderError | undefined {
  const { name, code, message } = error as { name?: string; code?: string; message?: string };
  const what = name === 'SqliteError' && code !== undefined ? DATABASE_FAILURES.get(code.replace(/^(SQLITE_[A-Z]+).*$/, '$1')) : undefined;
  if (what === undefined) return undefined;
  const remedy =
    code === 'SQLITE_FULL'
      ? 'free some space, then start it again'
      : `restore the folder's databases from a backup, or move the folder aside (or give another --data) to start afresh`;
  return new DataFolderError(`a database in the data folder ${dataDir} ${what} (${code}: ${message}); ${remedy}`);
}

async function startOnFolder(config: ServerConfig, options: StartOptions, awsProfile: boolean): Promise<Omit<RunningServer, 'folderLost'>> {
  const log = options.log ?? (() => {});
  // The AWS SDK adds the trace header that tells the runtime who is calling (src/runtime/call-chain.ts)
  // only inside a Lambda function, which it recognises by this variable: every handler here runs as one.
  process.env.AWS_LAMBDA_FUNCTION_NAME ??= 'leedz-local-runtime';
  const credentials = loadOrCreateRuntimeCredentials(join(config.dataDir, 'keys'));
  // aws-local: handlers invoke other functions through the Lambda transport, over this server's own
  // Invoke API, whose URL is known once the server listens.
  let lambdaTransport: Transport | undefined;
  const viaInvokeApi: Transport = {
    invoke: (...args) => {
      if (lambdaTransport === undefined) return Promise.reject(new Error('the Lambda transport is ready once the server listens'));
      return lambdaTransport.invoke(...args);
    },
  };
  const runtime = createLocalRuntime({
    ...(awsProfile ? { transport: viaInvokeApi } : {}),
    dbPath: join(config.dataDir, 'runtime.db'),
    durability: config.durability,
    timeScale: config.timeScale,
    poolSize: config.poolSize,
    functionNamePrefixes: [`${config.stackName}-`],
    duplicateDelivery: config.duplicateDelivery,
    retention: { maxAgeHours: config.retention.maxAgeHours, maxInvocations: config.retention.maxInvocations },
    onLog: log,
  });
  const operators = createOperatorSessions(runtime.db);
  operators.revokeLinks();
  let ownUrl = '';
  const consoleUrl = () => `${ownUrl}/console?token=${operators.issueLink()}`;
  const app = new Hono();
  app.use('*', guardBrowserRequests(config.publicUrl === undefined ? {} : { publicUrl: config.publicUrl }));
  let ready = false;
  // 200 only once everything is mounted, seeded and started: what scripts and tests wait for. Open to
  // anyone, so it says whether the server is up and nothing more (the functions are ListFunctions').
  app.get('/healthz', (c) => c.json({ ok: ready }, ready ? 200 : 503));
  const runtimeApi = createInvokeApi(runtime, { credentials, operators, consoleLink: consoleUrl, storage: () => dataFolderStorage(config.dataDir) });
  // Invoke, the route that takes load, is served straight from node:http, with the same checks and handler.
  const invokeListener = createInvokeListener(runtime, runtimeApi.access, {
    hostAllowed: hostAllowed(config.publicUrl === undefined ? {} : { publicUrl: config.publicUrl }),
    headers: { 'x-content-type-options': 'nosniff' },
  });
  // The dev outbox and the moderation endpoints are the marketplace's API: its error shape, refusals included.
  const operatorOnly = runtimeApi.access.requireSignatureOrOperator(apiRefusal);
  app.route('/', runtimeApi);
  // The console's sign-in link opens a page whose button spends it (a POST from that page): a GET or
  // HEAD spends nothing, so a link preview, a mail or chat scanner or a prefetch that fetches the link
  // does not take the operator's session (as the marketplace's magic link, confirmed by a POST).
  app.get('/console', async (c, next) => {
    const token = c.req.query('token');
    if (token === undefined) return next();
    // A browser signed in already (the banner's link opened again) just goes on to the console.
    if (runtimeApi.access.isOperator(c)) return c.redirect('/console', 303);
    if (!operators.linkIsOpen(token)) return c.html(consoleSignInPage(config, ownUrl, LINK_SPENT), 401, SIGN_IN_HEADERS);
    return c.html(consoleConfirmPage(token), 200, CONFIRM_HEADERS);
  });
  // The button: spend the link, set the operator's cookie, show the console without the token in the address.
  app.post('/console', async (c) => {
    if (!fromOwnPage(c)) return c.html(consoleSignInPage(config, ownUrl, 'A console link signs in only from its own page on this server.'), 403, SIGN_IN_HEADERS);
    const bytes = await readAtMost(c.req.raw, 1024);
    const token = bytes === undefined ? undefined : new URLSearchParams(new TextDecoder().decode(bytes)).get('token');
    const session = token == null ? undefined : operators.redeemLink(token);
    if (session === undefined) return c.html(consoleSignInPage(config, ownUrl, LINK_SPENT), 401, SIGN_IN_HEADERS);
    setCookie(c, OPERATOR_COOKIE, session, {
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
      maxAge: OPERATOR_SESSION_TTL_MS / 1000,
      secure: config.publicUrl?.startsWith('https://') === true,
    });
    return c.redirect('/console', 303);
  });
  app.get('/console', async (c, next) => (runtimeApi.access.isOperator(c) ? next() : c.html(consoleSignInPage(config, ownUrl), 401, SIGN_IN_HEADERS)));
  // The web UI (marketplace at /, operations console at /console), bundled in memory by esbuild.
  mountWebApp(app, buildWebAssets(), log);

  let marketplace: MarketplaceWiring | undefined;
  let awsLocal: AwsLocalWiring | undefined;
  let server: Server | undefined;
  try {
    if (awsProfile) {
      server = await listen(app, invokeListener, config);
      ownUrl = `http://${config.host}:${portOf(server, config.port)}`;
      lambdaTransport = createLambdaTransport({ endpoint: ownUrl, credentials });
      log('aws-local: starting DynamoDB Local, aws-ses-v2-local and cognito-local…');
      awsLocal = await wireAwsLocalMarketplace({
        dataDir: config.dataDir,
        durability: config.durability,
        publicUrl: config.publicUrl ?? ownUrl,
        adminEmail: config.adminEmail,
        mailFrom: config.mailFrom,
        ...(options.now === undefined ? {} : { now: options.now }),
        log,
      });
      runtime.registerAll(awsLocal.marketplace.deployables);
      awsLocal.mount(app, runtime, operatorOnly);
      if (config.seed) {
        const seeded = await seedIfEmpty(
          { store: awsLocal.store, geocoder: awsLocal.deps.geocoder, now: awsLocal.deps.now() },
          options.seed ?? { users: 40, leedz: 150 },
        );
        if (seeded !== undefined) log(`seeded ${seeded.trades} trades, ${seeded.users} users, ${seeded.leedz} leedz`);
      }
    } else if (config.app === 'example') {
      runtime.registerAll(exampleFunctions);
      server = await listen(app, invokeListener, config);
      ownUrl = `http://${config.host}:${portOf(server, config.port)}`;
    } else {
      // The public URL is the server's own unless configured; with port 0 it is known only after listening.
      server = await listen(app, invokeListener, config);
      ownUrl = `http://${config.host}:${portOf(server, config.port)}`;
      const publicUrl = config.publicUrl ?? ownUrl;
      marketplace = wireMarketplace({
        dataDir: config.dataDir,
        durability: config.durability,
        publicUrl,
        adminEmail: config.adminEmail,
        ...(config.smtpUrl === undefined ? {} : { smtpUrl: config.smtpUrl }),
        mailFrom: config.mailFrom,
        ...(options.now === undefined ? {} : { now: options.now }),
        log,
        emailsKept: { maxAgeHours: config.retention.maxAgeHours, maxEmails: config.retention.maxEmails ?? DEFAULT_EMAILS_KEPT },
      });
      runtime.registerAll(marketplace.marketplace.deployables);
      runtime.addHousekeeping(marketplace.housekeeping);
      marketplace.mount(app, runtime, operatorOnly);
      if (config.seed) {
        const seeded = await seedIfEmpty(
          { store: marketplace.store, geocoder: marketplace.deps.geocoder, now: marketplace.deps.now() },
          options.seed ?? { users: 40, leedz: 150 },
        );
        if (seeded !== undefined) log(`seeded ${seeded.trades} trades, ${seeded.users} users, ${seeded.leedz} leedz`);
      }
    }
  } catch (error) {
    if (server !== undefined) {
      await stopListening(server);
    }
    await runtime.close();
    await awsLocal?.close();
    throw error;
  }
  // Last of all: a path under /api/ that none of the routes above serves gets the API's own 404 or 405.
  if (marketplace !== undefined || awsLocal !== undefined) mountApiFallback(app);
  runtime.start();
  marketplace?.start(runtime);
  if (awsLocal !== undefined && lambdaTransport !== undefined) awsLocal.start(lambdaTransport);
  const schedules = (marketplace !== undefined || awsLocal !== undefined) && options.schedules !== false ? startSchedules(runtime, MARKETPLACE_SCHEDULES, log) : undefined;
  const listening = server;
  ready = true;
  const url = `http://${config.host}:${portOf(listening, config.port)}`;
  // For the CLI given only the data folder: it finds this server on whatever port it chose.
  writeServerAddress(config.dataDir, url);

  let closing: Promise<void> | undefined;
  return {
    url,
    runtime,
    credentials,
    consoleUrl,
    ...(marketplace === undefined ? {} : { marketplace }),
    ...(awsLocal === undefined ? {} : { awsLocal }),
    close: () =>
      (closing ??= (async () => {
        schedules?.stop();
        removeServerAddress(config.dataDir);
        // Stop the relay first: its invocations go through this server's Invoke API.
        await awsLocal?.relay.stop();
        await stopListening(listening);
        await marketplace?.relay.stop();
        await runtime.close();
        await marketplace?.close();
        await awsLocal?.close();
      })()),
  };
}

/**
 * Stop taking connections and wait for the open ones to end. `server.close()` closes the idle ones
 * once, at the call; a connection busy then stays open for as long as its client keeps using it, and
 * the console asks every two seconds on one kept-alive connection, so each is closed as soon as it
 * falls idle (a request in flight is answered first).
 */
async function stopListening(listening: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => listening.close(() => resolve()));
  const idle = setInterval(() => listening.closeIdleConnections(), 50);
  try {
    await closed;
  } finally {
    clearInterval(idle);
  }
}

const DATABASE_DESCRIPTIONS: Record<string, string> = {
  'leedz.db': 'the marketplace: users, leedz, the email outbox, idempotency records',
  'payments.db': 'the local payment provider',
};

/** The data folder's other databases and their sizes with their write-ahead logs, for the console. */
function dataFolderStorage(dataDir: string): StorageView[] {
  const size = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  return readdirSync(dataDir)
    .filter((name) => name.endsWith('.db') && name !== 'runtime.db')
    .map((name) => ({ name: name.slice(0, -3), description: DATABASE_DESCRIPTIONS[name] ?? 'a database of the server', bytes: size(join(dataDir, name)) + size(join(dataDir, `${name}-wal`)) }));
}

/** The sign-in page's look: readable on a phone, its command wrapped rather than wider than the screen. */
const SIGN_IN_STYLE = 'body{font-family:system-ui,sans-serif;line-height:1.5;margin:2rem auto;max-width:40rem;padding:0 1rem}pre{background:#f4f4f5;border-radius:6px;overflow-wrap:anywhere;padding:.75rem;white-space:pre-wrap}';
/** Its headers: the site's, its policy allowing that style. */
const SIGN_IN_HEADERS = styledPageHeaders(SIGN_IN_STYLE);
/**
 * The page that holds an unspent link: not kept by any cache, its address (the token) sent to no other
 * site. `same-origin`, not `no-referrer`: under that, a browser sends its button's POST with `Origin:
 * null`, which the button's check refuses.
 */
const CONFIRM_HEADERS = { ...SIGN_IN_HEADERS, 'cache-control': 'no-store', 'referrer-policy': 'same-origin' };
const LINK_SPENT = 'This console link was used already, has expired, or is from before the server restarted.';

/** What an unspent console link opens: one button, which spends it. */
function consoleConfirmPage(token: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Operations console · sign in</title><style>${SIGN_IN_STYLE}</style></head>
<body><main><h1>Operations console</h1>
<p>This link signs this browser in to the operations console of this server, once.</p>
<form method="post" action="/console"><input type="hidden" name="token" value="${escapeHtml(token)}"><button type="submit">Sign in to the console</button></form></main></body></html>`;
}

/**
 * What `/console` shows without an operator session: the command that makes a new link names this
 * server's address and data folder (unless they are the CLI's defaults).
 */
function consoleSignInPage(config: Pick<ServerConfig, 'dataDir'>, ownUrl: string, problem?: string): string {
  const command = `npm run leedz -- console-url${cliFlagsFor(ownUrl, config.dataDir)}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Operations console · sign in</title><style>${SIGN_IN_STYLE}</style></head>
<body><main><h1>Operations console</h1>${problem === undefined ? '' : `<p>${problem}</p>`}
<p>The console is for the operator of this server. Open the link that <code>npm start</code> printed, or ask for a new one in a terminal:</p>
<pre>${escapeHtml(command)}</pre></main></body></html>`;
}

/**
 * The operator guard's refusals on the marketplace's API, in its error shape (docs/marketplace.md,
 * Errors). A signature's refusal keeps AWS's name in `x-amzn-ErrorType`, and a header that is no
 * signature at all (a session's bearer token, say) is not quoted back, as Lambda's message would.
 */
function apiRefusal(_c: unknown, refusal: GuardRefusal): Response {
  if (!('signature' in refusal)) return respond(problem(refusal.status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', refusal.message));
  const { name, message } = refusal.signature;
  if (isPayloadTooLarge(name)) return respond(problem('PAYLOAD_TOO_LARGE', message));
  const said =
    name === 'IncompleteSignatureException'
      ? 'the Authorization header is no AWS Signature V4: sign the request with the runtime’s credentials (npm run leedz -- credentials), or sign in to the operations console'
      : message;
  return respond({ ...problem('FORBIDDEN', `${name}: ${said}`), headers: { 'x-amzn-ErrorType': name } });
}

function portOf(server: Server, fallback: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : fallback;
}

function listen(app: Hono, invoke: InvokeListener, config: ServerConfig): Promise<Server> {
  const hono = getRequestListener(app.fetch);
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => invoke(req, res) || void hono(req, res));
    server.listen(config.port, config.host, () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? Object.assign(new Error(`port ${config.port} is in use: stop the other server, or choose another port with --port or PORT`), { code: 'EADDRINUSE' }) : error);
    });
  });
}
