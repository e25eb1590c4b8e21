/**
 * The composition root of `npm start`: the local runtime with its functions, the HTTP app on one
 * port (Lambda Invoke API, the runtime's JSON endpoints, `/healthz`), and a clean shutdown.
 *
 * @example
 * const server = await startServer(resolveServerConfig(process.env));
 * await server.close();
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Deployable } from '../framework/define.js';
import { exampleFunctions } from '../example/example-functions.js';
import { createInvokeApi } from '../runtime/invoke-api.js';
import { createLocalRuntime, type LocalRuntime } from '../runtime/local-runtime.js';
import type { ServerConfig } from './config.js';

export interface RunningServer {
  url: string;
  runtime: LocalRuntime;
  close(): Promise<void>;
}

export interface StartOptions {
  functions?: readonly Deployable[];
  log?: (line: string) => void;
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const log = options.log ?? (() => {});
  const runtime = createLocalRuntime({
    dbPath: join(config.dataDir, 'runtime.db'),
    durability: config.durability,
    timeScale: config.timeScale,
    poolSize: config.poolSize,
    onLog: log,
  });
  runtime.registerAll(options.functions ?? exampleFunctions);

  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true, functions: runtime.functionNames() }));
  app.route('/', createInvokeApi(runtime));

  runtime.start();
  const server = await listen(app, config);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `http://${config.host}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    runtime,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await runtime.close();
      })()),
  };
}

function listen(app: Hono, config: ServerConfig): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(server));
    server.once('error', reject);
  });
}
