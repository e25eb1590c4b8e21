/**
 * `cognito-local` (an offline Cognito user pool emulator) in a child process on 127.0.0.1, a free
 * port and a temporary data folder, for the Cognito identity's tests.
 *
 * Its specifics, which the tests depend on:
 * - It keeps its data in `.cognito/` under its working directory, so each instance gets a fresh one.
 * - The port comes from `PORT` and the host from `HOST`, read when it starts, and the token issuer is
 *   `http://<HOST>:<PORT>/<pool id>` (the `TokenConfig.IssuerDomain` default), so the port must be
 *   chosen before it starts: port 0 would put ":0" in every issuer.
 * - Pool ids look like `local_AbCd1234`; real ones start with their region (`us-east-1_…`), so the
 *   issuer cannot be derived from the pool id: pass {@link CognitoLocal.issuer}.
 * - The JWKS is served at `/<pool id>/.well-known/jwks.json` but is one RS256 key (kid
 *   "CognitoLocal") for every pool, and its private half ships in the npm package: a token of
 *   another pool differs only by its issuer, and anyone can mint cognito-local tokens. Only tests
 *   may trust it.
 *
 * @example
 * const cognito = await startCognitoLocal();
 * const client = new CognitoIdentityProviderClient(cognito.clientConfig);
 * const { UserPool } = await client.send(new CreateUserPoolCommand({ PoolName: 'leedz' }));
 * cognito.issuer(UserPool!.Id!); // → 'http://127.0.0.1:41234/local_AbCd1234'
 * await cognito.stop();
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { spawnTied, stopProcess } from './ses-local.js';
import { tempDir } from './temp-dir.js';

export interface CognitoLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** What a client needs to reach it (it checks no signature; the credentials are dummies). */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** The `iss` of the pool's tokens. */
  issuer(userPoolId: string): string;
  /** The pool's JWKS URL. */
  jwksUrl(userPoolId: string): string;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 30_000;

export async function startCognitoLocal(): Promise<CognitoLocal> {
  const dir = tempDir('leedz-cognito-');
  mkdirSync(join(dir.path, '.cognito'), { recursive: true });
  const start = createRequire(import.meta.url).resolve('cognito-local/lib/bin/start.js');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawnTied([process.execPath, start], { cwd: dir.path, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DEBUG: '' } });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  try {
    await waitUntilHealthy(endpoint, () => child.exitCode !== null || child.signalCode !== null, () => output);
  } catch (error) {
    await stopProcess(child);
    dir.cleanup();
    throw error;
  }

  return {
    endpoint,
    clientConfig: { endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
    issuer: (userPoolId) => `${endpoint}/${userPoolId}`,
    jwksUrl: (userPoolId) => `${endpoint}/${userPoolId}/.well-known/jwks.json`,
    async stop() {
      await stopProcess(child);
      dir.cleanup();
    },
  };
}

async function waitUntilHealthy(endpoint: string, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`cognito-local exited before it started:\n${output()}`);
    try {
      if ((await fetch(`${endpoint}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`cognito-local did not answer on ${endpoint}/health within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`);
}

/** A port that was free a moment ago (cognito-local needs the number before it starts). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
