/**
 * What the `leedz` commands share: how a command is defined (its options typed from their own
 * declaration, so `values.limit` is `string | undefined` without a cast), how it reaches the running
 * server (signed with the runtime's credentials), and how it prints (tables, short ids, JSON).
 *
 * @example
 * const hello = command({ summary: 'say hello', usage: 'leedz hello [--name N]', options: { name: { type: 'string' } },
 *   async run({ values }) { console.log(`hello ${values.name ?? 'you'}`); return 0; } });
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestKey } from '../leedz/domain/validation.js';
import { CREDENTIALS_FILE, readRuntimeCredentials, type RuntimeCredentials } from '../runtime/credentials.js';
import { parseFunctionName } from '../runtime/function-name.js';
import type { FunctionView } from '../runtime/views.js';
import { ENV, resolveEndpoint } from './config.js';
import { goneServerUrl, runningServerUrl } from './server-address.js';
import { signRequest, withSignedQuery } from './signed-fetch.js';

/** A mistake in how the command was called: printed with the command's synopsis, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The server refused or could not be reached: printed as it is, exit code 1. */
export class ServerError extends Error {
  override name = 'ServerError';
}

export interface CliCommand {
  summary: string;
  usage: string;
  /** Parse `args` (`--help` included) and run; resolves with the exit code. */
  execute(args: string[]): Promise<number>;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** `parseArgs`'s options (the type @types/node does not export by name). */
type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** The values `parseArgs` gives for `options` (with `--help`), typed from the options themselves. */
export type OptionValues<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ options: O & typeof HELP; allowPositionals: true; strict: true }>>['values'];

/**
 * Define a command: its options as `parseArgs` takes them; `run` gets their values typed from them.
 * `--help` (and `-h`) prints `usage`.
 */
export function command<const O extends ParseArgsOptionsConfig>(spec: {
  summary: string;
  usage: string;
  /** Command lines a user would type, shown under the usage: every command has at least one. */
  examples: readonly [string, ...string[]];
  options: O;
  run(args: { values: OptionValues<O>; positionals: string[] }): Promise<number>;
  /** More help for the arguments given (`leedz invoke NAME --help` describes NAME): printed after the usage. */
  moreHelp?(args: { values: OptionValues<O>; positionals: string[] }): Promise<string | undefined>;
}): CliCommand {
  const usage = `${spec.usage}\n\nExamples:\n${spec.examples.map((line) => `  ${line}`).join('\n')}`;
  return {
    summary: spec.summary,
    usage,
    async execute(args) {
      let parsed: ReturnType<typeof parseArgs>;
      try {
        parsed = parseArgs({ args, options: { ...spec.options, ...HELP }, allowPositionals: true, strict: true });
      } catch (error) {
        throw parseArgsRefusal(error, args, Object.keys(spec.options));
      }
      // One cast: parseArgs types the spread of a generic options object only loosely.
      const values = parsed.values as OptionValues<O>;
      if ((values as { help?: boolean }).help === true) {
        console.log(usage);
        const more = await spec.moreHelp?.({ values, positionals: parsed.positionals });
        if (more !== undefined) console.log(`\n${more}`);
        return 0;
      }
      return spec.run({ values, positionals: parsed.positionals });
    },
  };
}

/** The options of every command that talks to the server. */
export const SERVER_OPTIONS = { endpoint: { type: 'string' }, data: { type: 'string' } } as const;

/** How a command finds the running server and signs its requests. */
export const SERVER_HELP = `
  --endpoint URL   the running server (default $${ENV.endpoint}, else the server running on the
                   data folder, else http://127.0.0.1:$${ENV.port} or 3000)
  --data DIR       the server's data folder, whose credentials sign the request
                   (default $${ENV.dataDir} or ./data; else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)`;

export interface ServerFlags {
  endpoint?: string | undefined;
  data?: string | undefined;
}

/** No positional arguments expected. */
export function noArguments(name: string, positionals: readonly string[]): void {
  if (positionals.length > 0) throw new UsageError(`${name}: unexpected argument "${positionals[0]}"`);
}

/** The data folder a command means: `--data`, $LEEDZ_DATA_DIR, or ./data. */
export function dataDirOf(flag: string | undefined): string {
  return resolve(flag ?? (process.env[ENV.dataDir] || 'data'));
}

/**
 * The server the CLI talks to: `--endpoint`, else $LEEDZ_ENDPOINT, else the server running on the
 * data folder (its `server.json`: any port it chose), else this machine's $PORT or 3000.
 */
export function cliEndpoint(flags: ServerFlags): string {
  const running = endpointGiven(flags) ? undefined : runningServerUrl(dataDirOf(flags.data));
  return resolveEndpoint(process.env, flags.endpoint ?? running);
}

/** Whether the server is named (`--endpoint`, $LEEDZ_ENDPOINT) rather than found through the data folder. */
function endpointGiven(flags: ServerFlags): boolean {
  return flags.endpoint !== undefined || Boolean(process.env[ENV.endpoint]);
}

/**
 * The credentials the CLI signs with: the runtime's own, from the data folder, or else the
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of the environment (what `eval "$(leedz credentials)"` exported).
 */
export function cliCredentials(dataFlag: string | undefined): RuntimeCredentials {
  const dataDir = dataDirOf(dataFlag);
  const stored = readRuntimeCredentials(join(dataDir, 'keys'));
  if (stored !== undefined) return stored;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = process.env;
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey };
  // Most often the server has not run yet with this folder: a failure to explain, not a usage mistake.
  // Or ./data was meant from another folder: the project's, above this one (run from docs/, say).
  const above = dataFlag === undefined && !process.env[ENV.dataDir] ? dataDirAbove(process.cwd()) : undefined;
  const elsewhere = above === undefined ? '' : `. ./data is this folder's: the server started in ${dirname(above)} keeps its data in ${above} (run from there, or pass --data ${above})`;
  throw new ServerError(`${noCredentialsIn(dataDir)}, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from \`leedz credentials\`${elsewhere}`);
}

/** The nearest data folder with runtime credentials above `from` (not `from` itself), or undefined. */
export function dataDirAbove(from: string): string | undefined {
  for (let dir = dirname(resolve(from)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'data', 'keys', CREDENTIALS_FILE))) return join(dir, 'data');
    if (dirname(dir) === dir) return undefined;
  }
}

/** Why a data folder has no credentials, and what to do: the words of every command that needs them. */
export function noCredentialsIn(dataDir: string): string {
  return `no runtime credentials in ${join(dataDir, 'keys')}: the server creates them there on its first start. Start it (\`npm start\`), or pass the data folder of the server you started with --data (or $${ENV.dataDir})`;
}

/** How long a command waits for the server's whole answer, unless it says otherwise (a synchronous invoke waits as long as a function may run). */
export const ANSWER_TIMEOUT_MS = 60_000;

/** The server's answer: its status, headers and URL (`response`), and its body, read whole. */
export interface Answer {
  response: Response;
  text: string;
}

/**
 * A signed request to the running server. A redirect is answered, not followed: the CLI reads JSON,
 * and its signed headers are for this server only. Its answer, body included, must come within
 * `timeoutMs` (default {@link ANSWER_TIMEOUT_MS}): a listener that takes the connection and never
 * answers is not waited on for ever.
 */
export async function request(flags: ServerFlags, path: string, init: { method: string; headers?: Record<string, string>; body?: string; timeoutMs?: number }): Promise<Answer> {
  const endpoint = cliEndpoint(flags);
  const credentials = cliCredentials(flags.data);
  const url = withSignedQuery(`${endpoint}${path}`);
  const timeoutMs = init.timeoutMs ?? ANSWER_TIMEOUT_MS;
  try {
    // fetch sets Host itself, to the same value.
    const { host: _host, ...headers } = await signRequest(url, init, credentials);
    const response = await fetch(url, { method: init.method, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), ...(init.body === undefined ? {} : { body: init.body }) });
    return { response, text: await response.text() };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') throw noAnswer(endpoint, path, timeoutMs);
    const cause = (error as Error & { cause?: Error & { code?: string } }).cause;
    // OpenSSL's message is a line of its internals ("…:ssl3_get_record:wrong version number:…"), ended by a newline.
    const reason = cause?.code?.startsWith('ERR_SSL')
      ? `${cause.code}: no TLS there; is it an http:// server?`
      : (cause?.message ?? (error as Error).message).replace(/\s+/g, ' ').trim();
    // A server killed on this folder left its address: say that it is gone, rather than only the default port tried instead.
    const dataDir = dataDirOf(flags.data);
    const gone = endpointGiven(flags) ? undefined : goneServerUrl(dataDir);
    const last = gone === undefined || gone === endpoint ? '' : `; the last server on ${dataDir} ran at ${gone} and is not running now`;
    throw new ServerError(`cannot reach the Leedz server at ${endpoint} (${reason})${last}; start it with \`npm start\` or pass --endpoint`);
  }
}

function noAnswer(endpoint: string, path: string, timeoutMs: number): ServerError {
  return new ServerError(`the server at ${endpoint} took the request for ${path.split('?')[0]} but did not answer within ${timeoutMs / 1000} s: is --endpoint a Leedz server, and is it stuck?`);
}

/**
 * A signed request to the server's JSON endpoints; a refusal is a {@link ServerError} with the
 * server's message, and so is a redirect (`elsewhere` says what is served elsewhere) or an answer
 * that is not JSON.
 */
export async function getJson<T>(flags: ServerFlags, path: string, method = 'GET', elsewhere = `${path.split('?')[0]} is not served here`, timeoutMs?: number): Promise<T> {
  return readJson<T>(flags, await request(flags, path, { method, ...(timeoutMs === undefined ? {} : { timeoutMs }) }), elsewhere);
}

/** {@link getJson} for a POST with a JSON body. */
export async function postJson<T>(flags: ServerFlags, path: string, body: unknown): Promise<T> {
  return readJson<T>(flags, await request(flags, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }), `${path} is not served here`);
}

function readJson<T>(flags: ServerFlags, { response, text }: Answer, elsewhere: string): T {
  const location = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && location !== null) throw new ServerError(`${elsewhere}: open ${new URL(location, response.url).href}`);
  // The server answers JSON, refusals included: a page of text or HTML is another server's, or a
  // route this app does not have (hono's plain 404).
  const notLeedz = () => `${response.url} answered ${response.status} with ${response.headers.get('content-type') ?? 'no content type'} rather than JSON: is --endpoint a Leedz server?`;
  if (!response.ok) {
    const message = jsonMessage(text);
    if (message === undefined) throw new ServerError(response.status === 404 ? `${elsewhere}; ${response.url} answered 404 (is --endpoint a Leedz server?)` : notLeedz());
    const hint = wrongCredentialsHint(flags, response);
    // With the hint, Lambda's first sentence is enough: the canonical request it goes on with (for
    // whoever wrote the signer) would bury what to do.
    const said = hint === undefined ? message : message.split('\n')[0]!;
    throw new ServerError(`${response.status}: ${said}${hint === undefined ? '' : `\n${hint}`}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ServerError(notLeedz());
  }
}

/** Lambda's refusals of a signature made with keys the server does not know, or with another secret. */
const WRONG_CREDENTIALS = new Set(['UnrecognizedClientException', 'InvalidSignatureException']);

/**
 * What to tell someone whose signature the server refused: the keys are most often those of another
 * data folder (a second server, or ./data from another directory). Undefined for any other answer.
 */
export function wrongCredentialsHint(flags: ServerFlags, response: Response): string | undefined {
  if (response.status !== 403 || !WRONG_CREDENTIALS.has(response.headers.get('x-amzn-errortype') ?? '')) return undefined;
  const keys = join(dataDirOf(flags.data), 'keys');
  const from = readRuntimeCredentials(keys) === undefined ? 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' : keys;
  return `the credentials in ${from} are not this server's (${cliEndpoint(flags)}): pass the data folder of the server you started (--data or $${ENV.dataDir})`;
}

/** A JSON payload from `--payload`: inline, or `@path` to read a file. */
export function readPayload(raw: string | undefined): string {
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

/** The most rows the server's listings give at once (`/local/invocations`, `/api/dev/outbox`). */
export const MAX_LIMIT = 10_000;

/** A whole number from 1 to `max`, or a usage error naming the flag and the range. */
export function parseLimit(raw: string | undefined, fallback: number, flag = '--limit', max = MAX_LIMIT): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`${flag} must be a positive whole number up to ${max.toLocaleString('en-US')} (got "${raw}")`);
  }
  return Number(raw);
}

export function parseCount(raw: string | undefined, fallback: number, flag: string): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 10_000_000) throw new UsageError(`${flag} must be a whole number from 0 to 10,000,000 (got "${raw}")`);
  return Number(raw);
}

/** One of `allowed`, or a usage error naming the flag and the choices. */
export function oneOf<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) throw new UsageError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  return raw as T;
}

/** A progress bar on stderr (a line per 10% when stderr is not a terminal). */
export function progressBar(label: string): (done: number, total: number) => void {
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

/** `1 dead letter`, `2 dead letters`: a count and its noun, in the number it takes. */
export function counted(count: number, one: string, many: string): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

/** The message of a JSON error body (`{message}` or `{error: {message}}`), or the text as it is. */
export function messageOf(text: string): string {
  return jsonMessage(text) ?? text;
}

/** The message of a JSON refusal (Lambda's `message`, the API's `error`), or undefined when `text` is not one. */
function jsonMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { message?: string; error?: { message?: string } | string };
    if (typeof body.message === 'string') return body.message;
    if (typeof body.error === 'string') return body.error;
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON
  }
  return undefined;
}

export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/**
 * A time given to a flag: ISO 8601 (`2026-12-06T10:00`), epoch milliseconds, or an age (`15m`, `2h`,
 * `1d` ago). A time without an offset is UTC, as the tables show times, not the machine's zone
 * (`Date.parse` would read it as local time, though a date alone as UTC).
 */
export function parseInstant(flag: string, raw: string | undefined, now = Date.now()): string | undefined {
  if (raw === undefined) return undefined;
  const age = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(raw);
  if (age !== null) return String(Math.round(now - Number(age[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd']));
  const withoutOffset = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?$/.test(raw);
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(withoutOffset ? `${raw}Z` : raw);
  if (Number.isNaN(ms)) throw new UsageError(`${flag} "${raw}": expected an ISO 8601 time (2026-12-06T10:00), epoch milliseconds, or an age such as 15m, 2h or 1d`);
  return String(ms);
}

/** Bytes as people read a file's size. */
export function megabytes(bytes: number): string {
  return bytes < 1_048_576 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1_048_576).toFixed(1)} MB`;
}

export function ms(value: number | null): string {
  return value === null ? '' : `${Math.round(value)} ms`;
}

/** A value safe in a POSIX shell's single quotes. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

export function printTable(headers: string[], rows: unknown[][]): void {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(headers));
  for (const row of cells) console.log(line(row));
  if (rows.length === 0) console.log('(none)');
}

/**
 * parseArgs' refusals said as the commands' own usage errors are: the option, then the rule (its
 * messages explain parseArgs' syntax, `-- "--x"` and `--x=-XYZ`, and stack three lines for a
 * negative number). An unknown option comes with the option most likely meant when one is close.
 */
function parseArgsRefusal(error: unknown, args: readonly string[], known: readonly string[]): unknown {
  const { code, message } = error as { code?: string; message: string };
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /^Unknown option '([^']+)'/.exec(message)?.[1] ?? '';
    const meant = option.startsWith('--') ? closestKey(option.slice(2), known) : undefined;
    return new UsageError(`unknown option ${option}${meant === undefined ? '' : `; did you mean --${meant}?`}`);
  }
  // "Option '--limit' argument is ambiguous…", "Option '-h, --help <value>' argument missing", "Option '--tail' does not take an argument".
  const option = code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? /^Option '(?:-\w, )?(-{1,2}[^'\s]+)/.exec(message)?.[1] : undefined;
  if (option === undefined) return error;
  if (message.includes('does not take an argument')) return new UsageError(`${option} takes no value`);
  const next = args[args.indexOf(option) + 1];
  if (message.includes('ambiguous') && next !== undefined) {
    return new UsageError(`${option} needs a value, and "${next}" begins with "-" so it reads as an option (write ${option}=${next} to give it as the value)`);
  }
  return new UsageError(`${option} needs a value`);
}

/**
 * What to tell someone who named a function that does not exist: the one they most likely meant,
 * or every name; undefined when `name` is a function after all.
 */
export async function noSuchFunctionHint(values: ServerFlags, name: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = (await getJson<FunctionView[]>(values, '/local/functions')).map((fn) => fn.name);
  } catch {
    return '(`leedz metrics` lists the functions)';
  }
  // The function an ARN or a qualified name names: `placeOrder:1` names placeOrder, whose version 1
  // the runtime's own message says is not there (it has only $LATEST).
  const named = parseFunctionName(name)?.name ?? name;
  if (names.includes(named)) return undefined;
  const meant = closestKey(named, names);
  return meant === undefined ? `(no function is named ${named}; the functions: ${names.join(', ')})` : `(no function is named ${named}; did you mean ${meant}?)`;
}
