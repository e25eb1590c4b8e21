/**
 * DynamoDB Local — AWS's own emulator, the jar shipped inside the npm package
 * `amplify-dynamodb-simulator` — on a free port, for the DynamoDB store's tests and the store bench.
 * One process per test file (it takes a few seconds to start); one table per test (random name).
 *
 * Needs Java (Debian: `apt-get install openjdk-17-jre-headless`). Without it, {@link requireJava}
 * throws a message that says so, unless `LEEDZ_SKIP_JAVA=1`, when it returns false and the caller
 * skips its suite.
 *
 * The JVM runs under a tiny `sh` guard that kills it when our end of its stdin closes, so it dies with
 * the test process however that ends (even SIGKILL), and never outlives a run.
 *
 * @example
 * const local = await startDynamoDbLocal();
 * const tableName = await local.createTable();
 * const store = createDynamoDbStore({ client: local.client(), tableName });
 * …
 * await local.stop();
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { LEEDZ_TABLE, leedzTableInput } from '../../src/adapters/store/dynamodb/table-definition.js';

/** The Debian package that provides `java`. */
export const JAVA_APT_PACKAGE = 'openjdk-17-jre-headless';

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A new client for this emulator (its own connection pool: several of them race like several Lambdas). */
  client(): DynamoDBClient;
  /** Create a table from `LEEDZ_TABLE` with TTL on, under a fresh random name; resolves with the name. */
  createTable(): Promise<string>;
  deleteTable(tableName: string): Promise<void>;
  /** Stop the emulator and wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * Whether Java is there to run DynamoDB Local. Missing: throws a message naming the apt package,
 * or returns false when `LEEDZ_SKIP_JAVA=1` (the suite is then skipped).
 *
 * @example
 * const hasJava = requireJava();
 * describe.skipIf(!hasJava)('DynamoDB store', () => { … });
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
  const packageJson = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  const dir = join(dirname(packageJson), 'emulator');
  if (!existsSync(join(dir, 'DynamoDBLocal.jar'))) {
    throw new Error(`DynamoDBLocal.jar is not in ${dir}: reinstall the devDependency amplify-dynamodb-simulator (npm ci)`);
  }
  return dir;
}

/** How long the JVM may take to answer its first request (two busy cores can make it slow). */
const START_TIMEOUT_MS = 60_000;

/** Start DynamoDB Local in memory on a free loopback port and wait until it answers. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  requireJava();
  const dir = dynamoDbLocalDir();
  // A port found free can be taken before the JVM binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawnGuarded(dir, port);
    try {
      await waitUntilAnswering(child, port);
      return handle(child, port);
    } catch (error) {
      await stopProcess(child);
      if (attempt >= 3) throw error;
    }
  }
}

function spawnGuarded(dir: string, port: number): ChildProcess & { output: string[] } {
  const java = [
    'java',
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-inMemory',
    // No calls home: the tests run without network.
    '-disableTelemetry',
    '-port',
    String(port),
  ];
  // The guard: start the JVM in the background, wait for stdin to close (our stop, or our death: the
  // kernel closes the pipe however we end), then stop the JVM — SIGKILL if SIGTERM is not enough.
  const script = '"$@" <&- & pid=$!; cat >/dev/null; kill $pid 2>/dev/null; (sleep 5; kill -9 $pid) >/dev/null 2>&1 & w=$!; wait $pid; kill $w 2>/dev/null';
  const child = spawn('sh', ['-c', script, 'dynamodb-local', ...java], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
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

async function waitUntilAnswering(child: ChildProcess & { output: string[] }, port: number): Promise<void> {
  const client = clientFor(port, { maxAttempts: 1 });
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`DynamoDB Local exited before answering (port ${port}):\n${child.output.join('')}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer on port ${port} within ${START_TIMEOUT_MS / 1000} s:\n${child.output.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    client.destroy();
  }
}

function handle(child: ChildProcess, port: number): DynamoDbLocal {
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = clientFor(port);
  return {
    endpoint,
    client: () => clientFor(port),
    async createTable() {
      const tableName = `leedz-${randomUUID()}`;
      await admin.send(new CreateTableCommand(leedzTableInput(tableName)));
      // DynamoDB Local creates tables ACTIVE at once; on AWS, TTL must wait for ACTIVE.
      await admin.send(
        new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: LEEDZ_TABLE.timeToLiveAttribute, Enabled: true } }),
      );
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
function clientFor(port: number, options: { maxAttempts?: number } = {}): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    ...options,
  });
}

/** Close the guard's stdin (it kills the JVM and waits for it), then wait for the guard to exit. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
