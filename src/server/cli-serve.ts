/**
 * `leedz serve`, what `npm start` runs: the configuration from the environment and the flags, the
 * server, the banner that says where everything is, and a clean stop — on Ctrl-C, SIGTERM or SIGHUP,
 * or when the process that started it goes away.
 *
 * @example
 * npm start -- --port 3001 --profile aws-local
 */
import { command, noArguments, oneOf } from './cli-support.js';
import { cliFlagsFor, ENV, resolveServerConfig, type ServerConfig } from './config.js';
import type { RunningServer } from './serve.js';

const PROFILES = ['local', 'aws-local'] as const;
/** The flags that set a variable of the configuration. */
const FLAG_VARIABLES = { port: ENV.port, host: ENV.host, data: ENV.dataDir, 'time-scale': ENV.timeScale } as const;

export const serve = command({
  summary: 'run the local system: runtime, Lambda Invoke API and HTTP app (what `npm start` runs)',
  usage: `leedz serve [--port N] [--host H] [--data DIR] [--time-scale X] [--example] [--profile local|aws-local]

  --port N         port to listen on (default $${ENV.port} or 3000; 0 picks a free one)
  --host H         address to bind (default $${ENV.host} or 127.0.0.1)
  --data DIR       data folder for the runtime database (default $${ENV.dataDir} or ./data); one server at a time: a second one on the same folder is refused
  --time-scale X   multiply AWS's async delays (retries 60 s/120 s, backoff, event age) by X,
                   0 < X ≤ 1 (default $${ENV.timeScale} or 1 = AWS's real timings)
  --example        serve the framework's small example instead of the marketplace
                   (placeOrder → orderController; $${ENV.app}=example does the same)
  --profile P      local (default): SQLite store, outbox mailer, local identity, in-process invocations;
                   aws-local: the AWS adapters against emulators the server starts (DynamoDB Local,
                   aws-ses-v2-local, cognito-local) and the Lambda transport ($${ENV.profile} does the same)

  Also read: $${ENV.publicUrl}, $${ENV.adminEmail}, $${ENV.smtpUrl} (send emails by SMTP too), $${ENV.mailFrom},
  $${ENV.seed}=false (no demo data on first run), $${ENV.durability}, $${ENV.poolSize}, $${ENV.stackName},
  $${ENV.duplicateDelivery}, $${ENV.retentionHours}, $${ENV.retentionInvocations},
  $${ENV.retentionEmails} (what the invocation log and the dev email outbox keep; \`leedz compact --help\`).

  Stops on Ctrl-C, SIGTERM or SIGHUP, finishing the invocations that run; started by npm, also when
  npm goes. In the background (nohup, setsid, a script that ends) it runs until told to stop.`,
  examples: [
    'leedz serve --port 3001 --data /tmp/leedz-demo',
    'leedz serve --profile aws-local',
    'leedz serve --example --time-scale 0.01',
  ],
  options: { port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, 'time-scale': { type: 'string' }, example: { type: 'boolean' }, profile: { type: 'string' } },
  async run({ values, positionals }) {
    noArguments('serve', positionals);
    // A flag's value stands in for its variable; a refusal names the flag that was typed.
    const fromFlags: Record<string, string> = {};
    const flagOf: Record<string, string> = {};
    for (const [flag, variable] of Object.entries(FLAG_VARIABLES)) {
      const value = values[flag as keyof typeof FLAG_VARIABLES];
      if (value === undefined) continue;
      fromFlags[variable] = value;
      flagOf[variable] = `--${flag}`;
    }
    const config = resolveServerConfig(
      {
        ...process.env,
        ...fromFlags,
        ...(values.example === true ? { [ENV.app]: 'example' } : {}),
        ...(values.profile === undefined ? {} : { [ENV.profile]: oneOf('--profile', values.profile, PROFILES)! }),
      },
      {},
      flagOf,
    );
    const { startServer } = await import('./serve.js');
    const server = await startServer(config, { log: (line) => console.log(`${new Date().toISOString()} ${line}`) });
    printBanner(server, config);
    return untilStopped(server);
  },
});

/** What `serve` prints once it listens: where everything is, and the operator's console link. */
function printBanner(server: RunningServer, config: ServerConfig): void {
  // The commands shown must reach this server: name its address and data folder when the CLI would not find them by itself.
  const flags = cliFlagsFor(server.url, config.dataDir);
  console.log(`Leedz local runtime listening on ${server.url}`);
  // The framework's example has no marketplace behind the web app.
  if (config.app !== 'example') console.log(`  web app:     ${server.url}/`);
  console.log(`  console:     ${server.consoleUrl()}`);
  console.log(`               (a one-time sign-in link for the operator; \`npm run leedz -- console-url${flags}\` prints a new one)`);
  console.log(`  credentials: eval "$(npm run -s leedz -- credentials${flags})" for the AWS CLI and SDKs`);
  console.log(`  functions:   ${server.runtime.functionNames().join(', ')}`);
  // A hold survives restarts: one forgotten would let a queue grow without a word.
  const paused = server.runtime.functionNames().filter((name) => server.runtime.describe(name)?.config.paused === true);
  if (paused.length > 0) {
    console.log(`  paused:      ${paused.join(', ')} — their events wait (\`npm run leedz -- resume <function>${flags}\` releases one)`);
  }
  console.log(`  Invoke API:  ${server.url}/2015-03-31/functions/<name>/invocations`);
  console.log(`  data:        ${config.dataDir}   time scale: ${config.timeScale}`);
  if (config.app === 'example') {
    console.log(`Try: npm run leedz -- invoke placeOrder${flags} --payload '{"item":"pretzel","quantity":2,"confirmation":"fail-twice"}'`);
    return;
  }
  const aws = server.awsLocal;
  if (aws === undefined) {
    console.log(`  API:         ${server.url}/api/trades   reference: ${server.url}/api/docs   emails: npm run leedz -- outbox${flags}`);
    return;
  }
  console.log(`  API:         ${server.url}/api/trades   reference: ${server.url}/api/docs`);
  console.log(`  profile:     aws-local (controller invocations through the Lambda transport → ${server.url})`);
  console.log(`  SES emails:  ${aws.sesUrl}   (web UI; JSON at ${aws.sesUrl}/store)`);
  console.log(`  DynamoDB:    ${aws.emulators.dynamoDb.endpoint}   tables ${aws.resources.tableName}, ${aws.resources.idempotencyTableName} (in memory)`);
  console.log(`  Cognito:     ${aws.emulators.cognito.endpoint}   pool ${aws.resources.userPoolId}, client ${aws.resources.userPoolClientId}`);
}

/**
 * Resolves once the server is stopped: by Ctrl-C (SIGINT), SIGTERM or SIGHUP, or, when npm started
 * it, when npm goes away (`npm start` killed by its process id does not always pass the signal on;
 * the server then finds itself adopted and stops too). Started otherwise (`nohup`, `setsid`, a
 * script that starts it in the background and ends), being adopted is what was asked for: it runs on.
 * It also stops, with status 1, when its data folder is removed or replaced under it: what it wrote
 * since went with the old folder, and answering on would promise what is not kept.
 */
function untilStopped(server: Pick<RunningServer, 'close' | 'folderLost'>): Promise<number> {
  return new Promise<number>((resolve) => {
    const parent = process.ppid;
    const startedByNpm = process.env.npm_lifecycle_event !== undefined;
    let stopping = false;
    // Waiting may take up to the longest timeout of what runs: say how to stop at once, and what that costs.
    const stop = (why: string, status = 0, atOnce = 'the events still running then run again at the next start') => {
      if (stopping) return;
      stopping = true;
      clearInterval(watch);
      console.log(`${why}: finishing running invocations… (Ctrl-C again stops at once: ${atOnce})`);
      server.close().then(
        () => resolve(status),
        (error: unknown) => {
          console.error(error);
          resolve(status);
        },
      );
    };
    const watch = setInterval(() => {
      if (startedByNpm && process.ppid !== parent) return stop('the process that started the server is gone');
      const lost = server.folderLost();
      if (lost === undefined) return;
      console.error(
        `leedz serve: ${lost} while the server ran; what it wrote since then is not kept. Stopping: start it again for a new folder, or put the old one back from a backup.`,
      );
      stop('the data folder is gone', 1, 'nothing more is lost by it');
    }, 1000);
    watch.unref();
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => stop(signal));
  });
}
