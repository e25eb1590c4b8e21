/**
 * `leedz`: the command line of the local system. `serve` runs it (what `npm start` does); the other
 * commands talk to a running server over HTTP (the Lambda Invoke API and the runtime's `/local`
 * endpoints), so they work from any terminal.
 *
 * @example
 * npm run leedz -- invoke placeOrder --payload '{"item":"pretzel","quantity":2}'
 * npm run leedz -- invocations --function orderController --outcome RetriesExhausted
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readRuntimeCredentials, RUNTIME_REGION, type RuntimeCredentials } from '../runtime/credentials.js';
import { ConfigError, ENV, resolveEndpoint, resolveServerConfig } from './config.js';
import { signedFetch } from './signed-fetch.js';

class UsageError extends Error {
  override name = 'UsageError';
}

interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(args: { values: Record<string, unknown>; positionals: string[] }): Promise<number>;
}

const endpointOption = { endpoint: { type: 'string' }, data: { type: 'string' } } as const;

/** How a command finds the running server and signs its requests (every command that talks to it). */
const SERVER_HELP = `
  --endpoint URL   the running server (default $${ENV.endpoint} or http://127.0.0.1:3000)
  --data DIR       the server's data folder, whose credentials sign the request
                   (default $${ENV.dataDir} or ./data; else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`;
const helpOption = { help: { type: 'boolean', short: 'h' } } as const;

const OUTCOMES = ['Success', 'RetriesExhausted', 'EventAgeExceeded', 'RecursiveInvocationException', 'FunctionError'];
const STATES = ['queued', 'running', 'succeeded', 'failed'];

const commands: Record<string, Command> = {
  serve: {
    summary: 'run the local system: runtime, Lambda Invoke API and HTTP app (what `npm start` runs)',
    usage: `leedz serve [--port N] [--host H] [--data DIR] [--time-scale X] [--example] [--profile local|aws-local]

  --port N         port to listen on (default $${ENV.port} or 3000; 0 picks a free one)
  --host H         address to bind (default $${ENV.host} or 127.0.0.1)
  --data DIR       data folder for the runtime database (default $${ENV.dataDir} or ./data)
  --time-scale X   multiply AWS's async delays (retries 60 s/120 s, backoff, event age) by X,
                   0 < X ≤ 1 (default $${ENV.timeScale} or 1 = AWS's real timings)
  --example        serve the framework's small example instead of the marketplace
                   (placeOrder → orderController; $${ENV.app}=example does the same)
  --profile P      local (default): SQLite store, outbox mailer, local identity, in-process invocations;
                   aws-local: the AWS adapters against emulators the server starts (DynamoDB Local,
                   aws-ses-v2-local, cognito-local) and the Lambda transport ($${ENV.profile} does the same)

  Also read: $${ENV.publicUrl}, $${ENV.adminEmail}, $${ENV.smtpUrl} (send emails by SMTP too), $${ENV.mailFrom},
  $${ENV.seed}=false (no demo data on first run), $${ENV.durability}, $${ENV.poolSize}.`,
    options: { port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, 'time-scale': { type: 'string' }, example: { type: 'boolean' }, profile: { type: 'string' } },
    async run({ values }) {
      const overrides = resolveServerConfig({
        ...process.env,
        ...(values.port === undefined ? {} : { [ENV.port]: String(values.port) }),
        ...(values.host === undefined ? {} : { [ENV.host]: String(values.host) }),
        ...(values.data === undefined ? {} : { [ENV.dataDir]: String(values.data) }),
        ...(values['time-scale'] === undefined ? {} : { [ENV.timeScale]: String(values['time-scale']) }),
        ...(values.example === true ? { [ENV.app]: 'example' } : {}),
        ...(values.profile === undefined ? {} : { [ENV.profile]: String(values.profile) }),
      });
      const { startServer } = await import('./serve.js');
      const server = await startServer(overrides, { log: (line) => console.log(`${new Date().toISOString()} ${line}`) });
      console.log(`Leedz local runtime listening on ${server.url}`);
      console.log(`  web app:     ${server.url}/`);
      console.log(`  console:     ${server.consoleUrl()}`);
      console.log(`               (a one-time sign-in link for the operator; \`npm run leedz -- console-url\` prints a new one)`);
      console.log(`  credentials: eval "$(npm run -s leedz -- credentials)" for the AWS CLI and SDKs`);
      console.log(`  functions:   ${server.runtime.functionNames().join(', ')}`);
      console.log(`  Invoke API:  ${server.url}/2015-03-31/functions/<name>/invocations`);
      console.log(`  data:        ${overrides.dataDir}   time scale: ${overrides.timeScale}`);
      if (overrides.app === 'example') {
        console.log(`Try: npm run leedz -- invoke placeOrder --payload '{"item":"pretzel","quantity":2,"confirmation":"fail-twice"}'`);
      } else {
        const aws = server.awsLocal;
        if (aws === undefined) {
          console.log(`  API:         ${server.url}/api/trades   reference: ${server.url}/api/docs   emails: ${server.url}/api/dev/outbox`);
        } else {
          console.log(`  API:         ${server.url}/api/trades   reference: ${server.url}/api/docs`);
          console.log(`  profile:     aws-local (controller invocations through the Lambda transport → ${server.url})`);
          console.log(`  SES emails:  ${aws.sesUrl}   (web UI; JSON at ${aws.sesUrl}/store)`);
          console.log(`  DynamoDB:    ${aws.emulators.dynamoDb.endpoint}   tables ${aws.resources.tableName}, ${aws.resources.idempotencyTableName} (in memory)`);
          console.log(`  Cognito:     ${aws.emulators.cognito.endpoint}   pool ${aws.resources.userPoolId}, client ${aws.resources.userPoolClientId}`);
        }
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          console.log(`${signal}: finishing running invocations…`);
          server.close().then(resolve, (error: unknown) => {
            console.error(error);
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      return 0;
    },
  },

  invoke: {
    summary: 'invoke a function through the Lambda Invoke API',
    usage: `leedz invoke <function> [--payload JSON|@file] [--type Event|RequestResponse|DryRun] [--tail] [--endpoint URL] [--data DIR]

  <function>       name, name:$LATEST or ARN
  --payload        the event as JSON, or @path to read it from a file (default {})
  --type           invocation type (default RequestResponse)
  --tail           print the last 4 KB of the invocation's log (RequestResponse)${SERVER_HELP}`,
    options: { payload: { type: 'string' }, type: { type: 'string' }, tail: { type: 'boolean' }, ...endpointOption },
    async run({ values, positionals }) {
      const [name, ...extra] = positionals;
      if (name === undefined) throw new UsageError('invoke: missing <function> (for example: leedz invoke placeOrder)');
      if (extra.length > 0) throw new UsageError(`invoke: unexpected argument "${extra[0]}"`);
      const type = (values.type as string | undefined) ?? 'RequestResponse';
      if (!['Event', 'RequestResponse', 'DryRun'].includes(type)) {
        throw new UsageError(`invoke: --type must be Event, RequestResponse or DryRun (got "${type}")`);
      }
      const body = readPayload(values.payload as string | undefined);
      const endpoint = resolveEndpoint(process.env, values.endpoint as string | undefined);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-invocation-type': type };
      if (values.tail === true) headers['x-amz-log-type'] = 'Tail';
      const credentials = cliCredentials(values.data as string | undefined);
      const response = await request(endpoint, `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, { method: 'POST', headers, body }, credentials);
      const text = await response.text();
      const errorType = response.headers.get('x-amzn-errortype');
      if (errorType !== null) {
        console.error(`${response.status} ${errorType}: ${parseMessage(text)}`);
        return 1;
      }
      const functionError = response.headers.get('x-amz-function-error');
      console.error(`${response.status} ${type}${functionError ? ` (function error: ${functionError})` : ''} requestId ${response.headers.get('x-amzn-requestid') ?? '-'}`);
      if (text.length > 0) console.log(prettyJson(text));
      const logResult = response.headers.get('x-amz-log-result');
      if (logResult !== null) console.error(Buffer.from(logResult, 'base64').toString('utf8'));
      return functionError ? 1 : 0;
    },
  },

  invocations: {
    summary: 'list the invocation log (newest first)',
    usage: `leedz invocations [--function F] [--outcome O] [--state S] [--type T] [--parent ID] [--limit N] [--json] [--endpoint URL] [--data DIR]

  --function F   only this function
  --outcome O    ${OUTCOMES.join(' | ')}
  --state S      ${STATES.join(' | ')}
  --type T       Event | RequestResponse
  --parent ID    only invocations made by this one
  --limit N      at most N rows (default 50)
  --json         print JSON instead of a table${SERVER_HELP}`,
    options: {
      function: { type: 'string' },
      outcome: { type: 'string' },
      state: { type: 'string' },
      type: { type: 'string' },
      parent: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      ...endpointOption,
    },
    async run({ values, positionals }) {
      if (positionals.length > 0) throw new UsageError(`invocations: unexpected argument "${positionals[0]}"`);
      if (values.outcome !== undefined && !OUTCOMES.includes(values.outcome as string)) {
        throw new UsageError(`invocations: --outcome must be one of ${OUTCOMES.join(', ')} (got "${values.outcome}")`);
      }
      if (values.state !== undefined && !STATES.includes(values.state as string)) {
        throw new UsageError(`invocations: --state must be one of ${STATES.join(', ')} (got "${values.state}")`);
      }
      const limit = parseLimit(values.limit as string | undefined, 50);
      const query = new URLSearchParams({ limit: String(limit) });
      for (const [flag, param] of [['function', 'function'], ['outcome', 'outcome'], ['state', 'state'], ['type', 'type'], ['parent', 'parentId']] as const) {
        if (values[flag] !== undefined) query.set(param, String(values[flag]));
      }
      const rows = (await getJson(values, `/local/invocations?${query}`)) as Record<string, unknown>[];
      if (values.json === true) {
        console.log(JSON.stringify(rows, null, 2));
        return 0;
      }
      printTable(
        ['id', 'function', 'type', 'outcome', 'attempts', 'enqueued', 'duration', 'parent', 'error'],
        rows.map((r) => [
          short(r.id),
          r.function,
          r.type,
          r.outcome ?? r.state,
          r.attempts,
          String(r.enqueuedAt).slice(11, 23),
          r.durationMs === null ? '' : `${Math.round(Number(r.durationMs))} ms`,
          short(r.parentId),
          r.error === null ? '' : truncate(`${(r.error as { errorType: string }).errorType}: ${(r.error as { errorMessage: string }).errorMessage}`, 60),
        ]),
      );
      return 0;
    },
  },

  dlq: {
    summary: 'dead letters: `dlq list`, `dlq replay <id>`, `dlq replay --all`',
    usage: `leedz dlq list [--json] [--endpoint URL] [--data DIR]
leedz dlq replay <id> [--endpoint URL] [--data DIR]
leedz dlq replay --all [--endpoint URL] [--data DIR]

  A failed event with no onFailure destination is kept as a dead letter. Replay re-enqueues it as a
  new invocation with the same payload (and idempotency key).
${SERVER_HELP}`,
    options: { all: { type: 'boolean' }, json: { type: 'boolean' }, ...endpointOption },
    async run({ values, positionals }) {
      const [action, id, ...extra] = positionals;
      if (extra.length > 0) throw new UsageError(`dlq: unexpected argument "${extra[0]}"`);
      if (action === 'list') {
        const letters = (await getJson(values, '/local/dead-letters')) as Record<string, unknown>[];
        if (values.json === true) {
          console.log(JSON.stringify(letters, null, 2));
          return 0;
        }
        if (letters.length === 0) {
          console.log('no dead letters');
          return 0;
        }
        printTable(
          ['id', 'function', 'condition', 'attempts', 'failed at', 'invocation', 'error'],
          letters.map((l) => {
            const response = (l.record as { responsePayload?: { errorType?: string; errorMessage?: string } }).responsePayload;
            return [l.id, l.function, l.condition, l.attempts, l.failedAt, short(l.invocationId), truncate(response ? `${response.errorType}: ${response.errorMessage}` : '', 60)];
          }),
        );
        return 0;
      }
      if (action === 'replay') {
        if (values.all === true) {
          if (id !== undefined) throw new UsageError('dlq replay: give either <id> or --all, not both');
          const result = (await getJson(values, '/local/dead-letters/replay-all', 'POST')) as { replayed: string[] };
          console.log(`replayed ${result.replayed.length} dead letters`);
          return 0;
        }
        if (id === undefined || !/^\d+$/.test(id)) throw new UsageError('dlq replay: give a dead-letter id (a number from `leedz dlq list`) or --all');
        const result = (await getJson(values, `/local/dead-letters/${id}/replay`, 'POST')) as { invocationId: string };
        console.log(`dead letter ${id} replayed as invocation ${result.invocationId}`);
        return 0;
      }
      throw new UsageError(`dlq: expected "list" or "replay" (got ${action === undefined ? 'nothing' : `"${action}"`})`);
    },
  },

  seed: {
    summary: 'add demo data (trades, vendors, leedz) to the data folder, with a progress bar',
    usage: `leedz seed [--users N] [--leedz M] [--data DIR] [--seed S]

  --users N   demo vendors to add (default 40)
  --leedz M   demo leedz to add over the next two months (default 150)
  --data DIR  data folder (default $${ENV.dataDir} or ./data); a running server may share it
  --seed S    random seed, so the same options give the same data (default 42)`,
    options: { users: { type: 'string' }, leedz: { type: 'string' }, data: { type: 'string' }, seed: { type: 'string' } },
    async run({ values, positionals }) {
      if (positionals.length > 0) throw new UsageError(`seed: unexpected argument "${positionals[0]}"`);
      const users = parseCount(values.users as string | undefined, 40, '--users');
      const leedz = parseCount(values.leedz as string | undefined, 150, '--leedz');
      const seed = parseCount(values.seed as string | undefined, 42, '--seed');
      const config = resolveServerConfig({ ...process.env, ...(values.data === undefined ? {} : { [ENV.dataDir]: String(values.data) }) });
      const { seedDataFolder } = await import('./seed-command.js');
      const started = Date.now();
      const result = await seedDataFolder(config, { users, leedz, seed, onProgress: progressBar('seeding') });
      process.stderr.write('\n');
      console.log(`added ${result.users} users and ${result.leedz} leedz (${result.skippedConflicts} skipped as double bookings) to ${config.dataDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    },
  },

  outbox: {
    summary: 'list the emails the marketplace sent (the local outbox)',
    usage: `leedz outbox [--to EMAIL] [--kind KIND] [--limit N] [--json] [--endpoint URL] [--data DIR]

  --to EMAIL   only emails to this address
  --kind KIND  new-leed | receipt | sold | report | magic-link
  --limit N    at most N (default 20)${SERVER_HELP}`,
    options: { to: { type: 'string' }, kind: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, ...endpointOption },
    async run({ values, positionals }) {
      if (positionals.length > 0) throw new UsageError(`outbox: unexpected argument "${positionals[0]}"`);
      const query = new URLSearchParams({ limit: String(parseLimit(values.limit as string | undefined, 20)) });
      if (values.to !== undefined) query.set('to', String(values.to));
      if (values.kind !== undefined) query.set('kind', String(values.kind));
      const result = (await getJson(values, `/api/dev/outbox?${query}`)) as { emails: Record<string, unknown>[]; total: number };
      if (values.json === true) {
        console.log(JSON.stringify(result, null, 2));
        return 0;
      }
      printTable(
        ['id', 'sent', 'to', 'kind', 'subject'],
        result.emails.map((e) => [e.id, String(e.createdAt ?? '').slice(0, 19), e.to, e.kind, truncate(String(e.subject), 70)]),
      );
      console.log(`${result.emails.length} of ${result.total} emails`);
      return 0;
    },
  },

  credentials: {
    summary: 'print the runtime’s AWS credentials and endpoint, for the AWS CLI and SDKs',
    usage: `leedz credentials [--format env|env-no-export|json] [--data DIR] [--endpoint URL]

  The Invoke API, the management API and /local accept only requests signed (AWS Signature V4) with
  the credentials the server generated in its data folder on first start. Use them from a shell:

    eval "$(npm run -s leedz -- credentials)"
    aws lambda list-functions                                   # AWS CLI
    python3 -c 'import boto3; print(boto3.client("lambda").list_functions())'

  --format F      env (default): export lines for eval; env-no-export: KEY=value lines (a .env file);
                  json: one object
  --data DIR      the server's data folder (default $${ENV.dataDir} or ./data)
  --endpoint URL  the server, for AWS_ENDPOINT_URL_LAMBDA (default $${ENV.endpoint} or http://127.0.0.1:3000)`,
    options: { format: { type: 'string' }, ...endpointOption },
    async run({ values, positionals }) {
      if (positionals.length > 0) throw new UsageError(`credentials: unexpected argument "${positionals[0]}"`);
      const format = (values.format as string | undefined) ?? 'env';
      if (!['env', 'env-no-export', 'json'].includes(format)) throw new UsageError(`credentials: --format must be env, env-no-export or json (got "${format}")`);
      const dataDir = resolve((values.data as string | undefined) ?? (process.env[ENV.dataDir] || 'data'));
      const credentials = readRuntimeCredentials(join(dataDir, 'keys'));
      if (credentials === undefined) {
        throw new ServerError(`no credentials in ${join(dataDir, 'keys')} yet: start the server once (npm start), or pass its data folder with --data`);
      }
      const endpoint = resolveEndpoint(process.env, values.endpoint as string | undefined);
      const variables: Record<string, string> = {
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        // AWS_REGION for the JS SDK and the AWS CLI v2; AWS_DEFAULT_REGION for boto3 and the AWS CLI v1.
        AWS_REGION: RUNTIME_REGION,
        AWS_DEFAULT_REGION: RUNTIME_REGION,
        // Lambda's endpoint, for every SDK and CLI that reads service-specific endpoints.
        AWS_ENDPOINT_URL_LAMBDA: endpoint,
      };
      if (format === 'json') {
        console.log(JSON.stringify(variables, null, 2));
      } else {
        const prefix = format === 'env' ? 'export ' : '';
        for (const [name, value] of Object.entries(variables)) console.log(`${prefix}${name}=${format === 'env' ? shellQuote(value) : value}`);
      }
      return 0;
    },
  },

  'console-url': {
    summary: 'print a new one-time sign-in link to the operations console',
    usage: `leedz console-url [--data DIR] [--endpoint URL]

  The console shows the invocation log, dead letters and the email outbox (sign-in links included),
  so it needs the operator's session. Open the printed link in the browser: it signs that browser in
  for 7 days and is then spent.
${SERVER_HELP}`,
    options: { ...endpointOption },
    async run({ values, positionals }) {
      if (positionals.length > 0) throw new UsageError(`console-url: unexpected argument "${positionals[0]}"`);
      const result = (await getJson(values, '/local/console-link', 'POST')) as { url: string };
      console.log(result.url);
      return 0;
    },
  },

  metrics: {
    summary: 'local equivalents of CloudWatch’s Lambda metrics, per function',
    usage: `leedz metrics [--window SECONDS] [--json] [--endpoint URL] [--data DIR]

  --window SECONDS   only invocations enqueued in the last SECONDS (default: all)${SERVER_HELP}`,
    options: { window: { type: 'string' }, json: { type: 'boolean' }, ...endpointOption },
    async run({ values }) {
      const window = values.window === undefined ? '' : `?windowSeconds=${parseLimit(values.window as string, 0, '--window')}`;
      const rows = (await getJson(values, `/local/metrics${window}`)) as Record<string, unknown>[];
      if (values.json === true) {
        console.log(JSON.stringify(rows, null, 2));
        return 0;
      }
      printTable(
        ['function', 'received', 'age p50', 'age p99', 'dropped', 'invocations', 'errors', 'throttles', 'duration p99', 'queued', 'DLQ errors', 'dest. failures'],
        rows.map((m) => {
          const age = m.AsyncEventAge as { p50: number | null; p99: number | null };
          const duration = m.Duration as { p99: number | null };
          return [
            m.function,
            m.AsyncEventsReceived,
            ms(age.p50),
            ms(age.p99),
            m.AsyncEventsDropped,
            m.Invocations,
            m.Errors,
            m.Throttles,
            ms(duration.p99),
            m.queued,
            m.DeadLetterErrors,
            m.DestinationDeliveryFailures,
          ];
        }),
      );
      return 0;
    },
  },
};

function mainUsage(): string {
  const width = Math.max(...Object.keys(commands).map((k) => k.length));
  return `leedz — the Leedz on one machine

Usage: leedz <command> [options]      (from the project: npm run leedz -- <command>)

Commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
  .join('\n')}

Run \`leedz <command> --help\` for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    console.log(topic !== undefined && commands[topic] ? commands[topic].usage : mainUsage());
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    console.error(`leedz: unknown command "${name}"\n\n${mainUsage()}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: { ...command.options, ...helpOption }, allowPositionals: true, strict: true });
    if (values.help === true) {
      console.log(command.usage);
      return 0;
    }
    return await command.run({ values: values as Record<string, unknown>, positionals });
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`leedz ${name}: ${(error as Error).message}\n\n${command.usage}`);
      return 2;
    }
    if (error instanceof ServerError) {
      console.error(`leedz ${name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

class ServerError extends Error {
  override name = 'ServerError';
}

/**
 * The credentials the CLI signs with: the runtime's own, from the data folder (`--data`,
 * $LEEDZ_DATA_DIR or ./data), or else the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of the
 * environment (what `eval "$(leedz credentials)"` exported).
 */
function cliCredentials(dataFlag: string | undefined): RuntimeCredentials {
  const dataDir = resolve(dataFlag ?? (process.env[ENV.dataDir] || 'data'));
  const stored = readRuntimeCredentials(join(dataDir, 'keys'));
  if (stored !== undefined) return stored;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = process.env;
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey };
  throw new UsageError(
    `no runtime credentials in ${join(dataDir, 'keys')}: the server creates them there when it starts; pass its data folder with --data (or $${ENV.dataDir}), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from \`leedz credentials\``,
  );
}

async function request(endpoint: string, path: string, init: { method: string; headers?: Record<string, string>; body?: string }, credentials: RuntimeCredentials): Promise<Response> {
  try {
    return await signedFetch(`${endpoint}${path}`, init, credentials);
  } catch (error) {
    throw new ServerError(`cannot reach the Leedz server at ${endpoint} (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}); start it with \`npm start\` or pass --endpoint`);
  }
}

/** A signed request to the running server's JSON endpoints; the flags say where it is and where its data folder is. */
async function getJson(flags: { endpoint?: unknown; data?: unknown }, path: string, method = 'GET'): Promise<unknown> {
  const endpoint = resolveEndpoint(process.env, flags.endpoint as string | undefined);
  const response = await request(endpoint, path, { method }, cliCredentials(flags.data as string | undefined));
  const text = await response.text();
  if (!response.ok) throw new ServerError(`${response.status}: ${parseMessage(text)}`);
  return JSON.parse(text);
}

function readPayload(raw: string | undefined): string {
  if (raw === undefined) return '{}';
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = readFileSync(raw.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(`--payload: cannot read ${raw.slice(1)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--payload: not valid JSON (${(error as Error).message})`);
  }
  return text;
}

function parseLimit(raw: string | undefined, fallback: number, flag = '--limit'): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`${flag} must be a positive whole number (got "${raw}")`);
  return Number(raw);
}

function parseCount(raw: string | undefined, fallback: number, flag: string): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 10_000_000) throw new UsageError(`${flag} must be a whole number from 0 to 10,000,000 (got "${raw}")`);
  return Number(raw);
}

/** A progress bar on stderr (a line per 10% when stderr is not a terminal). */
function progressBar(label: string): (done: number, total: number) => void {
  let lastDecile = -1;
  return (done, total) => {
    const fraction = total === 0 ? 1 : done / total;
    if (process.stderr.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} (${Math.round(fraction * 100)}%)`);
    } else if (Math.floor(fraction * 10) > lastDecile) {
      lastDecile = Math.floor(fraction * 10);
      process.stderr.write(`${label}: ${done}/${total} (${lastDecile * 10}%)\n`);
    }
  };
}

function parseMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; error?: { message?: string } | string };
    if (typeof body.message === 'string') return body.message;
    if (typeof body.error === 'string') return body.error;
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON: show it as it is
  }
  return text;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function short(id: unknown): string {
  return typeof id === 'string' ? id.slice(0, 8) : '';
}

/** A value safe in a POSIX shell's single quotes. */
function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function ms(value: number | null): string {
  return value === null ? '' : `${Math.round(value)} ms`;
}

function printTable(headers: string[], rows: unknown[][]): void {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(headers));
  for (const row of cells) console.log(line(row));
  if (rows.length === 0) console.log('(none)');
}
