/**
 * What the Lambda parity suite (`test/parity/`) shares: a runtime in its own temporary folder, a
 * destination function that keeps the records it receives, a seeded random source, and the external
 * AWS clients (the AWS CLI, boto3) with an environment that holds only the runtime's credentials.
 */
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defineFunction, type Deployable } from '../../src/framework/define.js';
import { destinationRecordSchema, type DestinationRecord } from '../../src/framework/destination-record.js';
import type { RuntimeCredentials } from '../../src/runtime/credentials.js';
import { createLocalRuntime, type LocalRuntime, type RuntimeOptions } from '../../src/runtime/local-runtime.js';
import { tempDir } from './temp-dir.js';

/** AWS's delays (60 s and 120 s before retries, 1 s throttle backoff…) scaled by 1/1000. */
export const PARITY_TIME_SCALE = 0.001;

export interface TempRuntime {
  runtime: LocalRuntime;
  /** The runtime database, to open a second runtime on (a restart). */
  dbPath: string;
  /** Close the runtime (if still open) and remove the folder. */
  cleanup(): Promise<void>;
}

/** A runtime on a fresh database in a temporary folder, with AWS's delays scaled by {@link PARITY_TIME_SCALE}. */
export function tempRuntime(options: Partial<RuntimeOptions> = {}): TempRuntime {
  const dir = tempDir('leedz-parity-');
  const dbPath = join(dir.path, 'runtime.db');
  const runtime = createLocalRuntime({ dbPath, timeScale: PARITY_TIME_SCALE, pollIntervalMs: 20, ...options });
  return {
    runtime,
    dbPath,
    async cleanup() {
      // A test that restarts the runtime has closed this one already; closing twice is harmless.
      await runtime.close();
      dir.cleanup();
    },
  };
}

/** A function that receives destination records (as an on-failure or on-success destination) and keeps them. */
export function recordSink(name = 'recordSink'): { sink: Deployable; records: DestinationRecord[] } {
  const records: DestinationRecord[] = [];
  const sink = defineFunction(name, {
    input: destinationRecordSchema,
    handler: (record) => {
      records.push(record as DestinationRecord);
    },
  });
  return { sink, records };
}

/** A seeded random source, so a "roughly half" is the same half on every run. */
export { seededRandom } from '../../src/server/seed.js';

/** Whether the AWS CLI (`aws`) is installed here. */
export const HAS_AWS_CLI = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;

/** Whether python3 with boto3 is installed here. */
export const HAS_BOTO3 = spawnSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0;

/**
 * The environment of an AWS client that talks to the runtime: the runtime's credentials, region
 * `local`, and none of the machine user's profiles, config files or instance metadata.
 */
export function awsClientEnv(credentials: RuntimeCredentials): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: 'local',
    AWS_PAGER: '',
  };
}

/** Run the AWS CLI against `endpoint`; resolves with its exit code, stdout and stderr (a failing command does not reject). */
export async function awsCli(endpoint: string, credentials: RuntimeCredentials, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('aws', [...args, '--endpoint-url', endpoint, '--output', 'json'], { env: awsClientEnv(credentials) });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : 1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** Run a python3 script with the runtime's endpoint as `sys.argv[1]`; resolves with its stdout. */
export async function python(script: string, endpoint: string, credentials: RuntimeCredentials): Promise<string> {
  const { stdout } = await promisify(execFile)('python3', ['-c', script, endpoint], { env: awsClientEnv(credentials) });
  return stdout;
}
