/**
 * `aws-ses-v2-local` (a local SES that speaks the v1 and v2 APIs) in a child process on 127.0.0.1
 * and a free port, for the SES mailer's tests. It keeps every email it accepts in memory; `emails`
 * reads them through its `GET /store` endpoint and `clear` empties it (`POST /clear-store`).
 *
 * A child process rather than the library in the test's own process: the server keeps its store in
 * module state and has no close of its own, and a process is what the SDK talks to on AWS too.
 *
 * @example
 * const ses = await startSesLocal();
 * const client = new SESv2Client(ses.clientConfig);
 * // … send …
 * const [email] = await ses.emails(); // { destination: { to: ['ada@example.com'] }, subject, body: { text, html } }
 * await ses.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

/** One email as `aws-ses-v2-local` stores it (the fields the tests read). */
export interface SesLocalEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  at: number;
}

export interface SesLocal {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** What a client needs to reach it: the endpoint, any region, and dummy credentials (it only checks one is sent). */
  clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  emails(): Promise<SesLocalEmail[]>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 20_000;

export async function startSesLocal(): Promise<SesLocal> {
  const cli = createRequire(import.meta.url).resolve('aws-ses-v2-local/dist/cli.js');
  // Port 0: the OS picks a free port, and the server prints the one it got.
  const child = spawnTied([process.execPath, cli, '--host', '127.0.0.1', '--port', '0']);
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`aws-ses-v2-local did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)), STARTUP_TIMEOUT_MS);
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
    clientConfig: { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
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

/**
 * Spawn a command that dies with this process, however it ends (even SIGKILL): a tiny `sh` guard
 * runs it in the background and stops it when our end of the guard's stdin closes, which the kernel
 * does when we exit. `stopProcess` closes that pipe. (The same guard as DynamoDB Local's helper.)
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
