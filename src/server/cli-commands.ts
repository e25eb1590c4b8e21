/**
 * The `leedz` commands. `serve` runs the system (what `npm start` does; `cli-serve.ts`); `seed` writes
 * demo data to a data folder; the others talk to a running server over HTTP — the Lambda Invoke API
 * and the runtime's `/local` endpoints — signed with the runtime's credentials, so they work from any
 * terminal.
 *
 * @example
 * npm run leedz -- invoke placeOrder --payload '{"item":"pretzel","quantity":2}'
 * npm run leedz -- invocations --function orderController --outcome RetriesExhausted
 */
import { join } from 'node:path';
import { readRuntimeCredentials, RUNTIME_REGION } from '../runtime/credentials.js';
import {
  command,
  dataDirOf,
  getJson,
  messageOf,
  megabytes,
  ms,
  parseInstant,
  noArguments,
  oneOf,
  parseCount,
  parseLimit,
  prettyJson,
  printTable,
  progressBar,
  readPayload,
  request,
  SERVER_HELP,
  SERVER_OPTIONS,
  ServerError,
  shellQuote,
  shortIds,
  truncate,
  UsageError,
  type CliCommand,
  type ServerFlags,
} from './cli-support.js';
import { ENV, resolveEndpoint, resolveServerConfig } from './config.js';
import { describeFunction } from './cli-describe.js';
import { closestKey } from '../leedz/domain/validation.js';
import { EMAIL_KINDS, isEmailKind, listUnsubscribeUrl } from '../leedz/emails/kinds.js';
import { serve } from './cli-serve.js';
import { DEFAULT_RETENTION, describeRemoved, type CompactionReport } from '../runtime/local-runtime.js';
import { DEFAULT_EMAILS_KEPT } from './marketplace-housekeeping.js';
import type { DeadLetterView, FunctionDetail, FunctionMetrics, FunctionView, InvocationView, StorageView } from '../runtime/views.js';

const OUTCOMES = ['Success', 'RetriesExhausted', 'EventAgeExceeded', 'RecursiveInvocationException', 'FunctionError'] as const;
const STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
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
    if (name === undefined) throw new UsageError('invoke: missing <function> (for example: leedz invoke placeOrder; `leedz invoke placeOrder --help` shows its input)');
    noArguments('invoke', extra);
    const type = oneOf('--type', values.type, INVOCATION_TYPES) ?? 'RequestResponse';
    const body = readPayload(values.payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-invocation-type': type };
    if (values.tail === true) headers['x-amz-log-type'] = 'Tail';
    const response = await request(values, `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, { method: 'POST', headers, body });
    const text = await response.text();
    const errorType = response.headers.get('x-amzn-errortype');
    if (errorType !== null) {
      console.error(`${response.status} ${errorType}: ${messageOf(text)}`);
      if (errorType === 'ResourceNotFoundException') {
        const hint = await noSuchFunctionHint(values, name);
        if (hint !== undefined) console.error(hint);
      } else if (errorType === 'InvalidRequestContentException') console.error(`(leedz invoke ${name} --help shows what it takes)`);
      return 1;
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

/**
 * What to tell someone who named a function that does not exist: the one they most likely meant,
 * or every name; undefined when `name` is a function after all.
 */
async function noSuchFunctionHint(values: ServerFlags, name: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await getJson<FunctionView[]>(values, '/local/functions')).map((fn) => fn.name);
  } catch {
    return '(`leedz metrics` lists the functions)';
  }
  if (names.includes(name)) return undefined;
  const meant = closestKey(name, names);
  return meant === undefined ? `(no function is named ${name}; the functions: ${names.join(', ')})` : `(no function is named ${name}; did you mean ${meant}?)`;
}

const invocations = command({
  summary: 'list the invocation log (newest first)',
  usage: `leedz invocations [--id ID] [--function F] [--outcome O] [--state S] [--type T] [--http C] [--parent ID]
                  [--since T] [--until T] [--text S] [--before ID] [--limit N] [--json] [--endpoint URL] [--data DIR]

  --id ID        this invocation, or those whose id begins with ID
  --function F   only this function
  --outcome O    ${OUTCOMES.join(' | ')}
  --state S      ${STATES.join(' | ')}
  --type T       Event | RequestResponse
  --http C       HTTP answers of this class: 2xx | 3xx | 4xx | 5xx | error (4xx and 5xx)
  --parent ID    only invocations made by this one (its id, or a unique prefix as the table shows it)
  --since T      enqueued at or after T (ISO 8601, e.g. 2026-12-06T10:00, or 15m, 2h, 1d ago)
  --until T      enqueued at or before T (same forms)
  --text S       whose payload contains S
  --before ID    older than this id: the next page (the last id of the page before, in full)
  --limit N      at most N rows (default 50)
  --json         print JSON instead of a table${SERVER_HELP}`,
  examples: [
    'leedz invocations --function emailHelper --outcome RetriesExhausted',
    'leedz invocations --since 15m --http error',
    'leedz invocations --text pat@example.com --json',
  ],
  options: {
    id: { type: 'string' },
    function: { type: 'string' },
    outcome: { type: 'string' },
    state: { type: 'string' },
    type: { type: 'string' },
    http: { type: 'string' },
    parent: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    text: { type: 'string' },
    before: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    ...SERVER_OPTIONS,
  },
  async run({ values, positionals }) {
    noArguments('invocations', positionals);
    const query = new URLSearchParams({ limit: String(parseLimit(values.limit, 50)) });
    const filters = {
      function: values.function,
      outcome: oneOf('--outcome', values.outcome, OUTCOMES),
      state: oneOf('--state', values.state, STATES),
      type: oneOf('--type', values.type, ['Event', 'RequestResponse'] as const),
      http: oneOf('--http', values.http, ['2xx', '3xx', '4xx', '5xx', 'error'] as const),
      parentId: values.parent,
      id: values.id,
      from: parseInstant('--since', values.since),
      to: parseInstant('--until', values.until),
      text: values.text,
      before: values.before,
    };
    for (const [param, value] of Object.entries(filters)) if (value !== undefined) query.set(param, value);
    const rows = await getJson<InvocationView[]>(values, `/local/invocations?${query}`);
    // No rows for a function that does not exist: say so, rather than let a typo read as "nothing happened".
    const unknown = rows.length === 0 && values.function !== undefined ? await noSuchFunctionHint(values, values.function) : undefined;
    if (unknown !== undefined) console.error(unknown);
    if (values.json === true) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    const short = shortIds(rows.flatMap((r) => [r.id, ...(r.parentId === null ? [] : [r.parentId])]));
    printTable(
      ['id', 'function', 'type', 'outcome', 'attempts', 'enqueued', 'duration', 'parent', 'error'],
      rows.map((r) => [
        short.get(r.id),
        r.function,
        r.type,
        `${r.outcome ?? r.state}${r.httpStatus === null ? '' : ` ${r.httpStatus}`}`,
        r.attempts,
        r.enqueuedAt.slice(11, 23),
        ms(r.durationMs),
        r.parentId === null ? '' : short.get(r.parentId),
        r.error === null ? '' : truncate(`${r.error.errorType}: ${r.error.errorMessage}`, 60),
      ]),
    );
    return 0;
  },
});

const dlq = command({
  summary: 'dead letters: `dlq list`, `dlq replay <id>`, `dlq replay --all`',
  usage: `leedz dlq list [--json] [--endpoint URL] [--data DIR]
leedz dlq replay <id> [--endpoint URL] [--data DIR]
leedz dlq replay --all [--endpoint URL] [--data DIR]

  A failed event with no onFailure destination is kept as a dead letter. Replay re-enqueues it as a
  new invocation with the same payload (and idempotency key).
${SERVER_HELP}`,
  examples: [
    'leedz dlq list',
    'leedz dlq replay 12',
    'leedz dlq replay --all',
  ],
  options: { all: { type: 'boolean' }, json: { type: 'boolean' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    const [action, id, ...extra] = positionals;
    noArguments('dlq', extra);
    if (action === 'list') {
      if (id !== undefined) throw new UsageError(`dlq list: unexpected argument "${id}"`);
      const letters = await getJson<DeadLetterView[]>(values, '/local/dead-letters');
      if (values.json === true) {
        console.log(JSON.stringify(letters, null, 2));
        return 0;
      }
      if (letters.length === 0) {
        console.log('no dead letters');
        return 0;
      }
      const short = shortIds(letters.map((l) => l.invocationId));
      printTable(
        ['id', 'function', 'condition', 'attempts', 'failed at', 'invocation', 'error'],
        letters.map((l) => {
          const response = l.record.responsePayload as { errorType?: string; errorMessage?: string } | undefined;
          return [l.id, l.function, l.condition, l.attempts, l.failedAt, short.get(l.invocationId), truncate(response ? `${response.errorType}: ${response.errorMessage}` : '', 60)];
        }),
      );
      return 0;
    }
    if (action === 'replay') {
      if (values.all === true) {
        if (id !== undefined) throw new UsageError('dlq replay: give either <id> or --all, not both');
        const result = await getJson<{ replayed: string[] }>(values, '/local/dead-letters/replay-all', 'POST');
        console.log(`replayed ${result.replayed.length} dead letters`);
        return 0;
      }
      if (id === undefined || !/^\d+$/.test(id)) throw new UsageError('dlq replay: give a dead-letter id (a number from `leedz dlq list`) or --all');
      const result = await getJson<{ invocationId: string }>(values, `/local/dead-letters/${id}/replay`, 'POST');
      console.log(`dead letter ${id} replayed as invocation ${result.invocationId}`);
      return 0;
    }
    throw new UsageError(`dlq: expected "list" or "replay" (got ${action === undefined ? 'nothing' : `"${action}"`})`);
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
    const started = Date.now();
    const result = await seedDataFolder(config, { users, leedz, seed: seedValue, onProgress: progressBar('seeding') });
    process.stderr.write('\n');
    console.log(`added ${result.users} users and ${result.leedz} leedz (${result.skippedConflicts} skipped as double bookings) to ${config.dataDir} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  },
});

interface OutboxListing {
  emails: { id: number; createdAt: string; to: string; kind: string; subject: string; text: string; headers?: Record<string, string> }[];
  total: number;
}

const outbox = command({
  summary: 'list the emails the marketplace sent (the local outbox), with their links',
  usage: `leedz outbox [--to EMAIL] [--kind KIND] [--limit N] [--json] [--endpoint URL] [--data DIR]

  --to EMAIL   only emails to this address
  --kind KIND  one of ${EMAIL_KINDS.join(', ')}
  --limit N    at most N (default 20)

  Each email is followed by the links it holds (a sign-in email's link first: open it to sign in).${SERVER_HELP}`,
  examples: [
    'leedz outbox --to pat@example.com --kind magic-link --limit 1',
    'leedz outbox --json',
  ],
  options: { to: { type: 'string' }, kind: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    noArguments('outbox', positionals);
    const query = new URLSearchParams({ limit: String(parseLimit(values.limit, 20)) });
    if (values.to !== undefined) query.set('to', values.to);
    if (values.kind !== undefined) {
      if (!isEmailKind(values.kind)) {
        const near = closestKey(values.kind, EMAIL_KINDS);
        throw new UsageError(`--kind must be one of ${EMAIL_KINDS.join(', ')} (got "${values.kind}")${near === undefined ? '' : `; did you mean ${near}?`}`);
      }
      query.set('kind', values.kind);
    }
    const result = await getJson<OutboxListing>(values, `/api/dev/outbox?${query}`);
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
    }
    console.log(`${result.emails.length} of ${result.total} emails`);
    return 0;
  },
});

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
    aws lambda list-functions                                   # AWS CLI v2 (v1: add --endpoint-url "$AWS_ENDPOINT_URL_LAMBDA")
    python3 -c 'import boto3; print(boto3.client("lambda").list_functions())'

  --format F      env (default): export lines for eval; env-no-export: KEY=value lines (a .env file);
                  json: one object
  --data DIR      the server's data folder (default $${ENV.dataDir} or ./data)
  --endpoint URL  the server, for AWS_ENDPOINT_URL_LAMBDA (default $${ENV.endpoint} or http://127.0.0.1:3000)`,
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
    if (stored === undefined) throw new ServerError(`no credentials in ${join(dataDir, 'keys')} yet: start the server once (npm start), or pass its data folder with --data`);
    const variables: Record<string, string> = {
      AWS_ACCESS_KEY_ID: stored.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stored.secretAccessKey,
      // AWS_REGION for the JS SDK and the AWS CLI v2; AWS_DEFAULT_REGION for boto3 and the AWS CLI v1.
      AWS_REGION: RUNTIME_REGION,
      AWS_DEFAULT_REGION: RUNTIME_REGION,
      // Lambda's endpoint, for every SDK and CLI that reads service-specific endpoints.
      AWS_ENDPOINT_URL_LAMBDA: resolveEndpoint(process.env, values.endpoint),
    };
    if (format === 'json') {
      console.log(JSON.stringify(variables, null, 2));
      return 0;
    }
    for (const [name, value] of Object.entries(variables)) console.log(format === 'env' ? `export ${name}=${shellQuote(value)}` : `${name}=${value}`);
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

const metrics = command({
  summary: 'local equivalents of CloudWatch’s Lambda metrics, per function',
  usage: `leedz metrics [--window SECONDS] [--json] [--endpoint URL] [--data DIR]

  Counts are kept as running counters since the data folder's first invocation (they survive a
  restart and retention); percentiles are over each function's latest 1,000 invocations.

  --window SECONDS   only invocations enqueued in the last SECONDS (that the log still holds)${SERVER_HELP}`,
  examples: [
    'leedz metrics',
    'leedz metrics --window 300 --json',
  ],
  options: { window: { type: 'string' }, json: { type: 'boolean' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    noArguments('metrics', positionals);
    const window = values.window === undefined ? '' : `?windowSeconds=${parseLimit(values.window, 0, '--window')}`;
    const rows = await getJson<FunctionMetrics[]>(values, `/local/metrics${window}`);
    if (values.json === true) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    printTable(
      ['function', 'received', 'age p50', 'age p99', 'dropped', 'invocations', 'errors', 'HTTP 4xx', 'HTTP 5xx', 'throttles', 'duration p99', 'queued', 'DLQ errors', 'dest. failures'],
      rows.map((m) => [
        m.function,
        m.AsyncEventsReceived,
        ms(m.AsyncEventAge.p50),
        ms(m.AsyncEventAge.p99),
        m.AsyncEventsDropped,
        m.Invocations,
        m.Errors,
        m.Http4xx,
        m.Http5xx,
        m.Throttles,
        ms(m.Duration.p99),
        m.queued,
        m.DeadLetterErrors,
        m.DestinationDeliveryFailures,
      ]),
    );
    if (rows[0] !== undefined) console.log(`counts since ${rows[0].countsSince}`);
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
  ones finish, synchronous calls still run, and the hold survives a restart. A held event keeps
  ageing: one older than the function's maximum event age when resumed is dropped, as AWS drops a
  throttled one. On AWS the nearest thing is reserved concurrency 0
  (aws lambda put-function-concurrency --reserved-concurrent-executions 0).`
      : 'The events that waited run, oldest first, sharing the pool fairly with the other functions.'
  }
${SERVER_HELP}`,
    examples: [
      `leedz ${action} emailHelper`,
    ],
    options: { ...SERVER_OPTIONS },
    async run({ values, positionals }) {
      const [name, ...extra] = positionals;
      if (name === undefined) throw new UsageError(`${action}: which function? (leedz ${action} <function>)`);
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

const compact = command({
  summary: 'apply retention now (the invocation log, old emails, expired records) and show the databases’ sizes',
  usage: `leedz compact [--vacuum] [--json] [--endpoint URL] [--data DIR]

  Ended invocations older than LEEDZ_RETENTION_HOURS (default ${DEFAULT_RETENTION.maxAgeHours}) or beyond the newest
  LEEDZ_RETENTION_INVOCATIONS (default ${DEFAULT_RETENTION.maxInvocations.toLocaleString('en-US')}) are deleted, with their attempts and destination
  records; queued and running ones and those an open dead letter needs stay. The marketplace's
  leedz.db loses its expired idempotency records, outbox messages dispatched over a week ago, and
  emails of the dev outbox older than LEEDZ_RETENTION_HOURS or beyond the newest LEEDZ_RETENTION_EMAILS
  (default ${DEFAULT_EMAILS_KEPT.toLocaleString('en-US')}). The server does this by itself (the log every few seconds, leedz.db
  about once a minute); this runs it now.

  --vacuum   also give the freed space back to the file system (rewrites the files; takes a moment)
  --json     print JSON${SERVER_HELP}`,
  examples: [
    'leedz compact',
    'leedz compact --vacuum --json',
  ],
  options: { vacuum: { type: 'boolean' }, json: { type: 'boolean' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    noArguments('compact', positionals);
    const report = await getJson<CompactionReport>(values, `/local/compact${values.vacuum ? '?vacuum=true' : ''}`, 'POST');
    const storage = await getJson<StorageView[]>(values, '/local/storage');
    if (values.json === true) {
      console.log(JSON.stringify({ ...report, storage }, null, 2));
      return 0;
    }
    console.log(`removed ${report.invocations} ended invocations and ${report.deadLetters} replayed dead letters`);
    for (const [name, removed] of Object.entries(report.housekeeping)) console.log(`${name}: removed ${describeRemoved(removed)}`);
    printTable(['database', 'size', 'holds'], storage.map((db) => [db.name, megabytes(db.bytes), db.description]));
    return 0;
  },
});

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
