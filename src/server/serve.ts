/**
 * The composition root of `npm start`: the local runtime with the marketplace's functions (or the
 * framework's small example), one HTTP server for the API, the Lambda Invoke API and the runtime's
 * JSON endpoints, demo data on first run, and a clean shutdown.
 *
 * @example
 * const server = await startServer(resolveServerConfig(process.env));
 * await server.close();
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { exampleFunctions } from '../example/example-functions.js';
import { createInvokeApi } from '../runtime/invoke-api.js';
import { createLocalRuntime, type LocalRuntime } from '../runtime/local-runtime.js';
import type { Transport } from '../framework/transport.js';
import { createLambdaTransport } from '../transports/lambda-transport.js';
import { wireAwsLocalMarketplace, type AwsLocalWiring } from './aws-local-wiring.js';
import type { ServerConfig } from './config.js';
import { wireMarketplace, type MarketplaceWiring } from './marketplace-wiring.js';
import { seedIfEmpty } from './seed.js';
import { buildWebAssets, mountWebApp } from './web-assets.js';

export interface RunningServer {
  url: string;
  runtime: LocalRuntime;
  /** Present when serving the marketplace. */
  marketplace?: MarketplaceWiring;
  /** Present with the `aws-local` profile (the marketplace on the AWS adapters and emulators). */
  awsLocal?: AwsLocalWiring;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: (line: string) => void;
  /** The clock of the marketplace (tests). */
  now?: () => Date;
  /** Demo data for the first run (default: 40 users, 150 leedz). */
  seed?: { users: number; leedz: number };
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const log = options.log ?? (() => {});
  const awsProfile = config.profile === 'aws-local' && config.app === 'marketplace';
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
    onLog: log,
  });
  const app = new Hono();
  let ready = false;
  // 200 only once everything is mounted, seeded and started: what scripts and tests wait for.
  app.get('/healthz', (c) => c.json({ ok: ready, app: config.app, functions: runtime.functionNames() }, ready ? 200 : 503));
  app.route('/', createInvokeApi(runtime));
  // The web UI (marketplace at /, operations console at /console), bundled in memory by esbuild.
  mountWebApp(app, buildWebAssets(), log);

  let marketplace: MarketplaceWiring | undefined;
  let awsLocal: AwsLocalWiring | undefined;
  let server: ServerType | undefined;
  try {
    if (awsProfile) {
      server = await listen(app, config);
      const ownUrl = `http://${config.host}:${portOf(server, config.port)}`;
      lambdaTransport = createLambdaTransport({ endpoint: ownUrl });
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
      awsLocal.mount(app, runtime);
      if (config.seed) {
        const seeded = await seedIfEmpty(
          { store: awsLocal.store, geocoder: awsLocal.deps.geocoder, now: awsLocal.deps.now() },
          options.seed ?? { users: 40, leedz: 150 },
        );
        if (seeded !== undefined) log(`seeded ${seeded.trades} trades, ${seeded.users} users, ${seeded.leedz} leedz`);
      }
    } else if (config.app === 'example') {
      runtime.registerAll(exampleFunctions);
      server = await listen(app, config);
    } else {
      // The public URL is the server's own unless configured; with port 0 it is known only after listening.
      server = await listen(app, config);
      const publicUrl = config.publicUrl ?? `http://${config.host}:${portOf(server, config.port)}`;
      marketplace = wireMarketplace({
        dataDir: config.dataDir,
        durability: config.durability,
        publicUrl,
        adminEmail: config.adminEmail,
        ...(config.smtpUrl === undefined ? {} : { smtpUrl: config.smtpUrl }),
        mailFrom: config.mailFrom,
        ...(options.now === undefined ? {} : { now: options.now }),
        log,
      });
      runtime.registerAll(marketplace.marketplace.deployables);
      marketplace.mount(app, runtime);
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
      const listening = server;
      await new Promise<void>((resolve) => listening.close(() => resolve()));
    }
    await runtime.close();
    await awsLocal?.close();
    throw error;
  }
  runtime.start();
  marketplace?.start(runtime);
  if (awsLocal !== undefined && lambdaTransport !== undefined) awsLocal.start(lambdaTransport);
  const listening = server;
  ready = true;
  const url = `http://${config.host}:${portOf(listening, config.port)}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    runtime,
    ...(marketplace === undefined ? {} : { marketplace }),
    ...(awsLocal === undefined ? {} : { awsLocal }),
    close: () =>
      (closing ??= (async () => {
        // Stop the relay first: its invocations go through this server's Invoke API.
        await awsLocal?.relay.stop();
        await new Promise<void>((resolve) => listening.close(() => resolve()));
        await marketplace?.relay.stop();
        await runtime.close();
        await marketplace?.close();
        await awsLocal?.close();
      })()),
  };
}

function portOf(server: ServerType, fallback: number): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : fallback;
}

function listen(app: Hono, config: ServerConfig): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(server));
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${config.port} is in use: stop the other server or set PORT`) : error);
    });
  });
}
