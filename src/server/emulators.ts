/**
 * The local AWS emulators, each in a child process on 127.0.0.1 and a free port: DynamoDB Local
 * (AWS's own jar, shipped in the npm package `amplify-dynamodb-simulator`; needs Java),
 * `aws-ses-v2-local` (SES v1/v2 APIs, with a store and web UI) and `cognito-local` (a user pool
 * emulator). The `aws-local` profile of `leedz serve` starts them, and so do the tests (the helpers
 * in `test/helpers/` re-export these).
 *
 * Every process runs under a tiny `sh` guard that kills it when our end of its stdin closes, so it
 * dies with this process however that ends (even SIGKILL), and never outlives a run. None of them
 * checks credentials; none answers a web page of another site: the Node ones through
 * `src/server/emulator-guard.ts`, and DynamoDB Local's answer to a CORS preflight allows no origin, so
 * a page cannot send it a DynamoDB call (its `X-Amz-Target` header needs a preflight);
 * `test/security/emulators.test.ts` holds both in Chromium.
 *
 * @example
 * const dynamo = await startDynamoDbLocal();
 * const tableName = await dynamo.createTable();
 * await dynamo.stop();
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { LEEDZ_TABLE, leedzTableInput } from '../adapters/store/dynamodb/table-definition.js';

/** The Debian package that provides `java`. */
export const JAVA_APT_PACKAGE = 'openjdk-17-jre-headless';

/** Dummy credentials: the emulators check that some are sent, never what they are. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * `node --import` of this file puts the browser guard (src/server/emulator-guard.ts) in front of
 * every HTTP server of a Node emulator: no page of another site reaches it.
 */
const GUARD_PRELOAD = fileURLToPath(new URL('../../bin/emulator-guard.js', import.meta.url));

/** Resolve a file of an emulator's npm package, or fail naming the package to install. */
function resolvePackageFile(packageName: string, file: string): string {
  try {
    return createRequire(import.meta.url).resolve(`${packageName}/${file}`);
  } catch {
    throw new Error(`the emulator package \`${packageName}\` is not installed: run \`npm ci\` (it is a devDependency) or \`npm install --save-dev ${packageName}\``);
  }
}

/**
 * Spawn a command that dies with this process, however it ends (even SIGKILL): a tiny `sh` guard
 * runs it in the background and stops it when our end of the guard's stdin closes, which the kernel
 * does when we exit. `stopProcess` closes that pipe.
 */
export function spawnTied(command: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const script = '"$@" <&- & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; (sleep 5; kill -9 $pid) >/dev/null 2>&1 & w=$!; wait $pid; kill $w 2>/dev/null';
  return spawn('sh', ['-c', script, 'tied', ...command], { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Stop a {@link spawnTied} process (close its stdin; SIGKILL the guard if it lingers); resolves once it is gone. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}

/** A port that was free a moment ago (some emulators need the number before they start). */
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

// ---------------------------------------------------------------------------------------------
// DynamoDB Local

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A new client for this emulator (its own connection pool: several of them race like several Lambdas). */
  client(): DynamoDBClient;
  /** Create a table from `LEEDZ_TABLE` with TTL on, under a fresh random name (or `tableName`); resolves with the name. */
  createTable(tableName?: string): Promise<string>;
  /** Create a table in Powertools' idempotency layout (partition key `id`, TTL on `expiration`). */
  createIdempotencyTable(tableName?: string): Promise<string>;
  deleteTable(tableName: string): Promise<void>;
  /** Stop the emulator and wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * Whether Java is there to run DynamoDB Local. Missing: throws a message naming the apt package,
 * or returns false when `LEEDZ_SKIP_JAVA=1` (the caller then skips).
 */
export function requireJava(): boolean {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error === undefined && probe.status === 0) return true;
  if (process.env.LEEDZ_SKIP_JAVA === '1') return false;
  throw new Error(
    `DynamoDB Local needs Java, and \`java\` was not found on PATH. Install it with \`apt-get install -y ${JAVA_APT_PACKAGE}\`, ` +
      'or set LEEDZ_SKIP_JAVA=1 to skip the DynamoDB tests.',
  );
}

/** The folder that holds `DynamoDBLocal.jar` and its `DynamoDBLocal_lib`, inside the npm package. */
export function dynamoDbLocalDir(): string {
  const dir = join(dirname(resolvePackageFile('amplify-dynamodb-simulator', 'package.json')), 'emulator');
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDBLocal.jar is not in ${dir}: reinstall the devDependency amplify-dynamodb-simulator (npm ci)`);
  }
  return dir;
}

/** How long the JVM may take to answer its first request (two busy cores can make it slow). */
const DYNAMODB_START_TIMEOUT_MS = 60_000;

/** Start DynamoDB Local in memory on a free loopback port and wait until it answers. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  if (!requireJava()) throw new Error(`DynamoDB Local needs Java (\`apt-get install -y ${JAVA_APT_PACKAGE}\`)`);
  const dir = dynamoDbLocalDir();
  // A port found free can be taken before the JVM binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawnDynamoDb(dir, port);
    try {
      await waitUntilDynamoDbAnswers(child, port);
      return dynamoDbHandle(child, port);
    } catch (error) {
      await stopProcess(child);
      if (attempt >= 3) throw error;
    }
  }
}

function spawnDynamoDb(dir: string, port: number): ChildProcess & { output: string[] } {
  const java = [
    'java',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-inMemory',
    // No calls home: it runs without network.
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  const child = spawnTied(java, { cwd: dir });
  const output: string[] = [];
  // Keep the last lines for an error message, and keep the pipes drained.
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return Object.assign(child, { output });
}

async function waitUntilDynamoDbAnswers(child: ChildProcess & { output: string[] }, port: number): Promise<void> {
  const client = dynamoDbClientFor(port, { maxAttempts: 1 });
  const deadline = Date.now() + DYNAMODB_START_TIMEOUT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited before answering (port ${port}):\n${child.output.join('')}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on port ${port} within ${DYNAMODB_START_TIMEOUT_MS / 1000} s:\n${child.output.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    client.destroy();
  }
}

function dynamoDbHandle(child: ChildProcess, port: number): DynamoDbLocal {
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = dynamoDbClientFor(port);
  return {
    endpoint,
    client: () => dynamoDbClientFor(port),
    async createTable(tableName = `leedz-${randomUUID()}`) {
      await admin.send(new CreateTableCommand(leedzTableInput(tableName)));
      // DynamoDB Local creates tables ACTIVE at once; on AWS, TTL must wait for ACTIVE.
      await admin.send(
        new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: LEEDZ_TABLE.timeToLiveAttribute, Enabled: true } }),
      );
      return tableName;
    },
    async createIdempotencyTable(tableName = `leedz-idempotency-${randomUUID()}`) {
      await admin.send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      await admin.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true } }));
      return tableName;
    },
    async deleteTable(tableName) {
      await admin.send(new DeleteTableCommand({ TableName: tableName }));
    },
    async stop() {
      admin.destroy();
      await stopProcess(child);
    },
  };
}

/**
 * A client for DynamoDB Local. It wants credentials and a region but checks neither; they name the
 * database (without `-sharedDb`, each access key and region has its own), so every client here uses
 * the same ones.
 */
function dynamoDbClientFor(port: number, options: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, ...options });
}

// ---------------------------------------------------------------------------------------------
// aws-ses-v2-local

/** One email as `aws-ses-v2-local` stores it (the fields read here). */
export interface SesLocalEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  at: number;
}

export interface SesLocal {
  /** `http://127.0.0.1:<port>`; its web UI (the emails it received) is at this URL too. */
  endpoint: string;
  /** What a client needs to reach it: the endpoint, any region, and dummy credentials (it only checks one is sent). */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  emails(): Promise<SesLocalEmail[]>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

const SES_START_TIMEOUT_MS = 20_000;

/**
 * Start `aws-ses-v2-local` in a child process (its store is module state with no close of its own,
 * and a process is what the SDK talks to on AWS too). `emails` reads `GET /store`; `clear` posts
 * `/clear-store`.
 */
export async function startSesLocal(): Promise<SesLocal> {
  const cli = resolvePackageFile('aws-ses-v2-local', 'dist/cli.js');
  // Port 0: the OS picks a free port, and the server prints the one it got.
  const child = spawnTied([process.execPath, '--import', GUARD_PRELOAD, cli, '--host', '127.0.0.1', '--port', '0']);
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`aws-ses-v2-local did not start within ${SES_START_TIMEOUT_MS} ms:\n${output}`)), SES_START_TIMEOUT_MS);
    function fail(error: Error) {
      clearTimeout(timer);
      void stopProcess(child);
      reject(error);
    }
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /server running at https?:\/\/[^:\s]+:(\d+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`aws-ses-v2-local exited with code ${code} before it started:\n${output}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;

  return {
    endpoint,
    clientConfig: { endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS },
    async emails() {
      const response = await fetch(`${endpoint}/store`);
      if (!response.ok) throw new Error(`aws-ses-v2-local GET /store: ${response.status}`);
      return ((await response.json()) as { emails: SesLocalEmail[] }).emails;
    },
    async clear() {
      const response = await fetch(`${endpoint}/clear-store`, { method: 'POST' });
      if (!response.ok) throw new Error(`aws-ses-v2-local POST /clear-store: ${response.status}`);
    },
    stop: () => stopProcess(child),
  };
}

// ---------------------------------------------------------------------------------------------
// cognito-local

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

const COGNITO_START_TIMEOUT_MS = 30_000;

/**
 * Start `cognito-local` with a fresh temporary data folder (it keeps its data in `.cognito/` under
 * its working directory). The port is chosen before it starts: the token issuer is
 * `http://<HOST>:<PORT>/<pool id>`, so port 0 would put ":0" in every issuer. Its signing key ships
 * in the npm package: only local development and tests may trust its tokens.
 */
export async function startCognitoLocal(): Promise<CognitoLocal> {
  const start = resolvePackageFile('cognito-local', 'lib/bin/start.js');
  const dir = mkdtempSync(join(tmpdir(), 'leedz-cognito-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, '.cognito'), { recursive: true });
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawnTied([process.execPath, '--import', GUARD_PRELOAD, start], { cwd: dir, env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DEBUG: '' } });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  try {
    await waitUntilHealthy(endpoint, () => child.exitCode !== null || child.signalCode !== null, () => output);
  } catch (error) {
    await stopProcess(child);
    cleanup();
    throw error;
  }

  return {
    endpoint,
    clientConfig: { endpoint, region: 'local', credentials: LOCAL_CREDENTIALS },
    issuer: (userPoolId) => `${endpoint}/${userPoolId}`,
    jwksUrl: (userPoolId) => `${endpoint}/${userPoolId}/.well-known/jwks.json`,
    async stop() {
      await stopProcess(child);
      cleanup();
    },
  };
}

async function waitUntilHealthy(endpoint: string, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + COGNITO_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited()) throw new Error(`cognito-local exited before it started:\n${output()}`);
    try {
      if ((await fetch(`${endpoint}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`cognito-local did not answer on ${endpoint}/health within ${COGNITO_START_TIMEOUT_MS} ms:\n${output()}`);
}
