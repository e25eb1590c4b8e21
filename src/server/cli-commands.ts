/**
 * The `leedz` commands. `serve` runs the system (what `npm start` does; `cli-serve.ts`); `seed` writes
 * demo data to a data folder; the others talk to a running server over HTTP — the Lambda Invoke API
 * and the runtime's `/local` endpoints — signed with the runtime's credentials, so they work from any
 * terminal. Those that read the runtime's log (`invocations`, `dlq`, `metrics`, `compact`) are in
 * `cli-log-commands.ts`; {@link COMMANDS} names them all.
 *
 * @example
 * npm run leedz -- invoke placeOrder --payload '{"item":"pretzel","quantity":2}'
 * npm run leedz -- outbox --to uma@example.com --kind magic-link
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readRuntimeCredentials, RUNTIME_REGION } from '../runtime/credentials.js';
import {
  cliEndpoint,
  command,
  counted,
  dataDirOf,
  getJson,
  messageOf,
  noCredentialsIn,
  noSuchFunctionHint,
  noArguments,
  oneOf,
  parseCount,
  parseLimit,
  prettyJson,
  progressBar,
  readPayload,
  request,
  SERVER_HELP,
  SERVER_OPTIONS,
  ServerError,
  shellQuote,
  truncate,
  UsageError,
  wrongCredentialsHint,
  type CliCommand,
  type ServerFlags,
} from './cli-support.js';
import { ENV, resolveServerConfig } from './config.js';
import { describeFunction } from './cli-describe.js';
import { closestKey } from '../leedz/domain/validation.js';
import { EMAIL_KINDS, isEmailKind, listUnsubscribeUrl } from '../leedz/emails/kinds.js';
import { serve } from './cli-serve.js';
import type { FunctionDetail, FunctionView } from '../runtime/views.js';
import type { OutboxEmail, SmtpOutcome } from '../adapters/mailer/outbox/outbox-email.js';
import { MAX_TIMEOUT_SECONDS } from '../framework/define.js';

const INVOCATION_TYPES = ['Event', 'RequestResponse', 'DryRun'] as const;

const invoke = command({
  summary: 'invoke a function through the Lambda Invoke API (`invoke NAME --help` shows what NAME takes)',
  usage: `leedz invoke <function> [--payload JSON|@file] [--type Event|RequestResponse|DryRun] [--tail] [--endpoint URL] [--data DIR]

  <function>       name, deployed name (Leedz-<name>), name:$LATEST or ARN
  --payload        the event as JSON, or @path to read it from a file (default {})
  --type           invocation type (default RequestResponse)
  --tail           print the last 4 KB of the invocation's log (RequestResponse)${SERVER_HELP}`,
  examples: [
    'leedz invoke getTrades --type DryRun',
    'leedz invoke emailHelper --type Event --payload @event.json',
    'leedz invoke emailHelper --help          # what each of its routes takes',
  ],
  options: { payload: { type: 'string' }, type: { type: 'string' }, tail: { type: 'boolean' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    const [name, ...extra] = positionals;
    if (name === undefined || name === '') throw new UsageError('invoke: missing <function> (for example: leedz invoke getTrades; `leedz invoke getTrades --help` shows its input, `leedz metrics` lists the functions)');
    noArguments('invoke', extra);
    const type = oneOf('--type', values.type, INVOCATION_TYPES) ?? 'RequestResponse';
    const body = readPayload(values.payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-invocation-type': type };
    if (values.tail === true) {
      // Lambda answers an Event or a DryRun at once, with no log to tail.
      if (type !== 'RequestResponse') throw new UsageError(`invoke: --tail shows a RequestResponse invocation's log; ${type === 'Event' ? 'an' : 'a'} ${type} invocation has none in its answer (see it with \`leedz invocations --id <requestId>\`)`);
      headers['x-amz-log-type'] = 'Tail';
    }
    // A synchronous call is answered when the function ends: it may run for Lambda's longest timeout.
    const timeoutMs = type === 'RequestResponse' ? (MAX_TIMEOUT_SECONDS + 30) * 1000 : undefined;
    const { response, text } = await request(values, `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, { method: 'POST', headers, body, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    const errorType = response.headers.get('x-amzn-errortype');
    if (errorType !== null) {
      console.error(`leedz invoke: ${response.status} ${errorType}: ${messageOf(text)}`);
      if (errorType === 'ResourceNotFoundException') {
        const hint = await noSuchFunctionHint(values, name);
        if (hint !== undefined) console.error(hint);
      } else if (errorType === 'InvalidRequestContentException') console.error(`(leedz invoke ${name} --help shows what it takes)`);
      else {
        const hint = wrongCredentialsHint(values, response);
        if (hint !== undefined) console.error(hint);
      }
      return 1;
    }
    // Lambda's every answer, refusals included, carries its request id: without one, or with a status
    // Invoke never answers with success, something else answered (a web server, a proxy's error page).
    if (response.headers.get('x-amzn-requestid') === null || ![200, 202, 204].includes(response.status)) {
      throw new ServerError(`${response.url} answered ${response.status} with ${response.headers.get('content-type') ?? 'no content type'}, not as Lambda's Invoke API answers: is --endpoint a Leedz server?`);
    }
    const functionError = response.headers.get('x-amz-function-error');
    console.error(`${response.status} ${type}${functionError ? ` (function error: ${functionError})` : ''} requestId ${response.headers.get('x-amzn-requestid') ?? '-'}`);
    if (text.length > 0) console.log(prettyJson(text));
    const logResult = response.headers.get('x-amz-log-result');
    if (logResult !== null) console.error(Buffer.from(logResult, 'base64').toString('utf8'));
    return functionError ? 1 : 0;
  },
  async moreHelp({ values, positionals }) {
    const name = positionals[0];
    if (name === undefined) return undefined;
    try {
      return describeFunction(await getJson<FunctionDetail>(values, `/local/functions/${encodeURIComponent(name)}`));
    } catch (error) {
      return `(${name}: ${(error as Error).message})`;
    }
  },
});

const seed = command({
  summary: 'add demo data (trades, vendors, leedz) to the data folder, with a progress bar',
  usage: `leedz seed [--users N] [--leedz M] [--data DIR] [--seed S]

  --users N   demo vendors to add (default 40)
  --leedz M   demo leedz to add over the next two months (default 150)
  --data DIR  data folder (default $${ENV.dataDir} or ./data); a running server may share it
  --seed S    random seed, so the same options give the same data (default 42)`,
  examples: [
    'leedz seed --users 1000 --leedz 20000',
    'leedz seed --data /tmp/leedz-demo --seed 7',
  ],
  options: { users: { type: 'string' }, leedz: { type: 'string' }, data: { type: 'string' }, seed: { type: 'string' } },
  async run({ values, positionals }) {
    noArguments('seed', positionals);
    const users = parseCount(values.users, 40, '--users');
    const leedz = parseCount(values.leedz, 150, '--leedz');
    const seedValue = parseCount(values.seed, 42, '--seed');
    const config = resolveServerConfig({ ...process.env, ...(values.data === undefined ? {} : { [ENV.dataDir]: values.data }) });
    const { seedDataFolder } = await import('./seed-command.js');
    // A folder seeded before any server used it is fine (a demo to start on), but a mistyped --data is
    // one too: say that it is new.
    const fresh = !existsSync(config.dataDir);
    const started = Date.now();
    const result = await seedDataFolder(config, { users, leedz, seed: seedValue, onProgress: progressBar('seeding') });
    process.stderr.write('\n');
    const added = `${counted(result.users, 'user', 'users')} and ${counted(result.leedz, 'leed', 'leedz')} (${result.skippedConflicts} skipped as double ${result.skippedConflicts === 1 ? 'booking' : 'bookings'})`;
    console.log(`added ${added} to ${config.dataDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (fresh) console.log(`${config.dataDir} is a new data folder, made now: no server has used it yet (start one on it with \`npm start -- --data ${config.dataDir}\`)`);
    return 0;
  },
});

interface OutboxListing {
  emails: Pick<OutboxEmail, 'id' | 'createdAt' | 'to' | 'kind' | 'subject' | 'text' | 'headers' | 'smtp'>[];
  total: number;
}

const outbox = command({
  summary: 'list the emails the marketplace wrote (the local outbox), with their links',
  usage: `leedz outbox [--to EMAIL] [--kind KIND] [--limit N] [--json] [--endpoint URL] [--data DIR]

  --to EMAIL   only emails to this address (the whole of it, in any case)
  --kind KIND  one of ${EMAIL_KINDS.join(', ')}
  --limit N    at most N (default 20; 10,000 at most)

  Each email is followed by the links it holds (a sign-in email's link first: open it to sign in).
  An email is listed once the marketplace has written it. With SMTP_URL set, it is also handed to
  that server, and each email says what the server made of it at its latest try: accepted, refused
  for good, or not sent (tried again; what is never sent ends in \`leedz dlq list\`).${SERVER_HELP}`,
  examples: [
    'leedz outbox --to pat@example.com --kind magic-link --limit 1',
    'leedz outbox --json',
  ],
  options: { to: { type: 'string' }, kind: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    noArguments('outbox', positionals);
    const query = new URLSearchParams({ limit: String(parseLimit(values.limit, 20)) });
    if (values.to !== undefined) {
      // The outbox matches the whole address (any case): a name alone would list nothing, and say only that.
      if (!/^[^@\s]+@[^@\s]+$/.test(values.to)) throw new UsageError(`--to takes a whole email address, e.g. pat@example.com (got "${values.to}")`);
      query.set('to', values.to);
    }
    if (values.kind !== undefined) {
      if (!isEmailKind(values.kind)) {
        const near = closestKey(values.kind, EMAIL_KINDS);
        throw new UsageError(`--kind must be one of ${EMAIL_KINDS.join(', ')} (got "${values.kind}")${near === undefined ? '' : `; did you mean ${near}?`}`);
      }
      query.set('kind', values.kind);
    }
    // The aws-local profile's outbox is the SES emulator's web page, which the server redirects to.
    const result = await getJson<OutboxListing>(
      values,
      `/api/dev/outbox?${query}`,
      'GET',
      "this server keeps no outbox of its own (the example app sends no email; the aws-local profile's go to its SES emulator)",
    );
    if (values.json === true) {
      console.log(JSON.stringify(result, null, 2));
      return 0;
    }
    if (result.emails.length === 0) {
      console.log(`no emails${values.to === undefined ? '' : ` to ${values.to}`}${values.kind === undefined ? '' : ` of kind ${values.kind}`}`);
      return 0;
    }
    for (const email of result.emails) {
      console.log(`#${email.id}  ${email.createdAt.slice(0, 19)}  ${email.kind}  to ${email.to}`);
      console.log(`    ${truncate(email.subject, 90)}`);
      for (const link of linksOf(email.text)) console.log(`    → ${link}`);
      // Bulk mail's one-click unsubscribe is in a header field, not the body (RFC 8058).
      const unsubscribe = listUnsubscribeUrl(email.headers);
      if (unsubscribe !== undefined) console.log(`    → ${unsubscribe}  (List-Unsubscribe: one click)`);
      if (email.smtp !== undefined) console.log(`    SMTP: ${SMTP_OUTCOME_WORDS[email.smtp.outcome]}${email.smtp.detail === undefined ? '' : `: ${email.smtp.detail}`}`);
    }
    console.log(`${result.emails.length} of ${result.total} emails`);
    return 0;
  },
});

/** What `outbox` says of an email's latest try by SMTP. */
const SMTP_OUTCOME_WORDS: Record<SmtpOutcome['outcome'], string> = {
  accepted: 'accepted',
  refused: 'refused for good, not tried again',
  failed: 'not sent yet, tried again',
};

/** The links of an email's text, sign-in links first, each once. */
function linksOf(text: string): string[] {
  const links = [...new Set(text.match(/https?:\/\/[^\s<>"')\]]+/g) ?? [])];
  const signIn = (link: string) => /\/signin|\/auth\/callback/.test(link);
  return [...links.filter(signIn), ...links.filter((link) => !signIn(link))];
}

const credentials = command({
  summary: 'print the runtime’s AWS credentials and endpoint, for the AWS CLI and SDKs',
  usage: `leedz credentials [--format env|env-no-export|json] [--data DIR] [--endpoint URL]

  The Invoke API, the management API and /local accept only requests signed (AWS Signature V4) with
  the credentials the server generated in its data folder on first start. Use them from a shell:

    eval "$(npm run -s leedz -- credentials)"
    aws lambda list-functions                                   # AWS CLI v1.29 or v2.13 on (older: --endpoint-url "$AWS_ENDPOINT_URL_LAMBDA")
    python3 -c 'import boto3; print(boto3.client("lambda").list_functions())'

  --format F      env (default): export lines for eval, and an unset of AWS_SESSION_TOKEN (the runtime
                  issues none, and refuses a request carrying one, as AWS refuses a token it did not
                  issue); env-no-export: KEY=value lines (a .env file); json: one object
  --data DIR      the server's data folder (default $${ENV.dataDir} or ./data)
  --endpoint URL  the server, for AWS_ENDPOINT_URL_LAMBDA (default $${ENV.endpoint}, else the server
                  running on the data folder, else http://127.0.0.1:$${ENV.port} or 3000)`,
  examples: [
    'eval "$(npm run -s leedz -- credentials)"',
    'leedz credentials --format json',
  ],
  options: { format: { type: 'string' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    noArguments('credentials', positionals);
    const format = oneOf('--format', values.format, ['env', 'env-no-export', 'json'] as const) ?? 'env';
    const dataDir = dataDirOf(values.data);
    const stored = readRuntimeCredentials(join(dataDir, 'keys'));
    if (stored === undefined) throw new ServerError(noCredentialsIn(dataDir));
    const variables: Record<string, string> = {
      AWS_ACCESS_KEY_ID: stored.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stored.secretAccessKey,
      // AWS_REGION for the JS SDK and the AWS CLI v2; AWS_DEFAULT_REGION for boto3 and the AWS CLI v1.
      AWS_REGION: RUNTIME_REGION,
      AWS_DEFAULT_REGION: RUNTIME_REGION,
      // Lambda's endpoint, for every SDK and CLI that reads service-specific endpoints.
      AWS_ENDPOINT_URL_LAMBDA: cliEndpoint(values),
    };
    if (format === 'json') {
      console.log(JSON.stringify(variables, null, 2));
      return 0;
    }
    for (const [name, value] of Object.entries(variables)) console.log(format === 'env' ? `export ${name}=${shellQuote(value)}` : `${name}=${value}`);
    // A token left from a real AWS session would ride along with these keys and be refused.
    if (format === 'env') console.log('unset AWS_SESSION_TOKEN');
    return 0;
  },
});

const consoleUrl = command({
  summary: 'print a new one-time sign-in link to the operations console',
  usage: `leedz console-url [--data DIR] [--endpoint URL]

  The console shows the invocation log, dead letters and the email outbox (sign-in links included),
  so it needs the operator's session. Open the printed link in the browser: it signs that browser in
  for 7 days and is then spent.
${SERVER_HELP}`,
  examples: [
    'leedz console-url',
    'leedz console-url --endpoint http://127.0.0.1:3001 --data /tmp/leedz-demo',
  ],
  options: { ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    noArguments('console-url', positionals);
    console.log((await getJson<{ url: string }>(values, '/local/console-link', 'POST')).url);
    return 0;
  },
});

/** `pause` and `resume`: hold or release a function's queue. */
function queueCommand(action: 'pause' | 'resume') {
  return command({
    summary: action === 'pause' ? 'hold a function’s queue: its events are accepted and wait' : 'release a held queue: its waiting events run',
    usage: `leedz ${action} <function> [--endpoint URL] [--data DIR]

  ${
    action === 'pause'
      ? `Events for the function are still accepted (202) and kept; they wait until \`leedz resume\`. Running
  ones finish, synchronous calls still run, and the hold survives a restart (the banner of
  \`npm start\` names what is paused). Every route of the function waits: pausing emailHelper
  holds sign-in links too. A held event keeps ageing: one older than the function's maximum event
  age when resumed is dropped, as AWS drops a throttled one. AWS has no such hold: reserved
  concurrency 0 there (and here) does not keep events but sends each new one to the failure
  destination without running it.`
      : 'The events that waited run, oldest first, sharing the pool fairly with the other functions.'
  }
${SERVER_HELP}`,
    examples: [
      `leedz ${action} emailHelper`,
    ],
    options: { ...SERVER_OPTIONS },
    async run({ values, positionals }) {
      const [name, ...extra] = positionals;
      if (name === undefined || name === '') throw new UsageError(`${action}: which function? (leedz ${action} <function>)`);
      if (extra.length > 0) throw new UsageError(`${action}: one function at a time (got ${positionals.join(', ')})`);
      let fn: FunctionView;
      try {
        fn = await getJson<FunctionView>(values, `/local/functions/${encodeURIComponent(name)}/${action}`, 'POST');
      } catch (error) {
        // Any of Lambda's forms of a name is taken (Leedz-name, an ARN): only a name that is none of them gets a hint.
        if (!(error instanceof ServerError && error.message.startsWith('404'))) throw error;
        const hint = await noSuchFunctionHint(values, name);
        throw hint === undefined ? error : new ServerError(`${error.message} ${hint}`);
      }
      console.log(`${fn.name}: ${fn.config.paused ? 'paused — its events wait' : 'running'}`);
      return 0;
    },
  });
}

import { compact, dlq, invocations, metrics } from './cli-log-commands.js';

export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  serve,
  invoke,
  invocations,
  dlq,
  seed,
  outbox,
  credentials,
  'console-url': consoleUrl,
  metrics,
  pause: queueCommand('pause'),
  resume: queueCommand('resume'),
  compact,
};

export type { ServerFlags };
