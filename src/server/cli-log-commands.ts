/**
 * The `leedz` commands that read the runtime's log and keep it in bounds: `invocations` (the
 * invocation log, searched), `dlq` (dead letters, listed and replayed), `metrics` (Lambda's metrics
 * per function, and the databases' sizes) and `compact` (retention now). Like the others in
 * `cli-commands.ts`, they talk to a running server over HTTP, signed with the runtime's credentials.
 *
 * @example
 * npm run leedz -- invocations --function emailHelper --outcome RetriesExhausted
 * npm run leedz -- dlq replay --all
 */
import {
  command,
  counted,
  getJson,
  MAX_LIMIT,
  megabytes,
  ms,
  noArguments,
  noSuchFunctionHint,
  oneOf,
  parseInstant,
  parseLimit,
  printTable,
  SERVER_HELP,
  SERVER_OPTIONS,
  ServerError,
  postJson,
  truncate,
  UsageError,
  type ServerFlags,
} from './cli-support.js';
import { DEFAULT_RETENTION, describeRemoved, type CompactionReport } from '../runtime/local-runtime.js';
import { MAX_TEXT_FILTER } from '../runtime/invocation-log.js';
import { MAX_WINDOW_SECONDS } from '../runtime/log-metrics.js';
import { DEFAULT_EMAILS_KEPT } from './marketplace-housekeeping.js';
import { OUTCOMES, type DeadLetterView, type FunctionDetail, type FunctionMetrics, type InvocationDetail, type InvocationView, type StorageView } from '../runtime/views.js';

const STATES = ['queued', 'running', 'succeeded', 'failed'] as const;

export const invocations = command({
  summary: 'list the invocation log (newest first)',
  usage: `leedz invocations [--id ID] [--function F] [--outcome O] [--state S] [--type T] [--http C] [--parent ID]
                  [--since T] [--until T] [--text S] [--before ID] [--limit N] [--json] [--endpoint URL] [--data DIR]

  --id ID        this invocation: its id, or a prefix no other id shares (as the table shows it);
                 below the table, its error in full and each failed attempt
  --function F   only this function (its name, deployed name Leedz-<name>, or ARN)
  --outcome O    ${OUTCOMES.join(' | ')}
  --state S      ${STATES.join(' | ')}
  --type T       Event | RequestResponse
  --http C       HTTP answers of this class: 2xx | 3xx | 4xx | 5xx | error (4xx and 5xx)
  --parent ID    only invocations made by this one (its id, or a prefix no other id shares)
  --since T      enqueued at or after T (ISO 8601, e.g. 2026-12-06T10:00, UTC unless it has an
                 offset such as -06:00, as the table's times are; or 15m, 2h, 1d ago)
  --until T      enqueued at or before T (same forms)
  --text S       whose payload contains S (at most ${MAX_TEXT_FILTER} characters)
  --before ID    older than this id, in full: the next page (a full page ends with the line to type)
  --limit N      at most N rows (default 50; 10,000 at most)
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
    for (const flag of ['id', 'function', 'parent', 'text', 'before'] as const) {
      if (values[flag] === '') throw new UsageError(`--${flag} needs a value (got "")`);
    }
    if (values.text !== undefined && values.text.length > MAX_TEXT_FILTER) {
      throw new UsageError(`--text must be at most ${MAX_TEXT_FILTER} characters (got ${values.text.length})`);
    }
    const limit = parseLimit(values.limit, 50);
    const query = new URLSearchParams({ limit: String(limit) });
    const filters = {
      function: values.function === undefined ? undefined : await functionNameOf(values, values.function),
      outcome: oneOf('--outcome', values.outcome, OUTCOMES),
      state: oneOf('--state', values.state, STATES),
      type: oneOf('--type', values.type, ['Event', 'RequestResponse'] as const),
      http: oneOf('--http', values.http, ['2xx', '3xx', '4xx', '5xx', 'error'] as const),
      parentId: values.parent === undefined ? undefined : await fullIdOf(values, '--parent', values.parent),
      id: values.id === undefined ? undefined : await fullIdOf(values, '--id', values.id),
      ...sinceUntil(values.since, values.until),
      text: values.text,
      before: fullIdOnly('--before', values.before),
    };
    for (const [param, value] of Object.entries(filters)) if (value !== undefined) query.set(param, value);
    const rows = await getJson<InvocationView[]>(values, `/local/invocations?${query}`);
    // No rows for a function that does not exist: say so, rather than let a typo read as "nothing happened".
    const unknown = rows.length === 0 && values.function !== undefined ? await noSuchFunctionHint(values, values.function) : undefined;
    if (unknown !== undefined) console.error(unknown);
    // One invocation asked for and none found: a lookup that failed, as grep's, not an empty listing.
    if (rows.length === 0 && values.id !== undefined && values.json !== true) {
      console.error(`leedz invocations: no invocation${Object.values(filters).filter((v) => v !== undefined).length > 1 ? ' matching these filters' : ''} has an id beginning ${values.id}`);
      return 1;
    }
    if (values.json === true) {
      console.log(JSON.stringify(rows, null, 2));
      return 0;
    }
    const short = await shortIdsOf(values, rows.flatMap((r) => [r.id, ...(r.parentId === null ? [] : [r.parentId])]));
    const today = new Date().toISOString().slice(0, 10);
    printTable(
      ['id', 'function', 'type', 'outcome', 'attempts', 'enqueued (UTC)', 'duration', 'parent', 'error'],
      rows.map((r) => [
        short[r.id],
        r.function,
        r.type,
        `${r.outcome ?? r.state}${r.httpStatus === null ? '' : ` ${r.httpStatus}`}`,
        r.attempts,
        logTime(r.enqueuedAt, today),
        ms(r.durationMs),
        r.parentId === null ? '' : short[r.parentId],
        r.error === null ? '' : truncate(`${r.error.errorType}: ${r.error.errorMessage}`, 60),
      ]),
    );
    // The cursor in full: a short id of this page may be shared by an older invocation.
    const last = rows.at(-1);
    if (last !== undefined && rows.length === limit) console.log(`next page: --before ${last.id}`);
    // One invocation asked for by its id: what the table cuts short, and each failed attempt.
    if (filters.id !== undefined && rows.length === 1) printDetail(await getJson<InvocationDetail>(values, `/local/invocations/${encodeURIComponent(rows[0]!.id)}`), today);
    return 0;
  },
});

/** Below the table of one invocation: its id in full, its error in full, each failed attempt, its replays. */
function printDetail(detail: InvocationDetail, today: string): void {
  const errorOf = (error: { errorType: string; errorMessage: string }) => `${error.errorType}: ${error.errorMessage}`;
  console.log(`\nid:       ${detail.id}`);
  if (detail.error !== null) console.log(`error:    ${errorOf(detail.error)}`);
  for (const attempt of detail.failedAttempts) console.log(`attempt ${attempt.attempt} failed at ${logTime(attempt.endedAt, today)}: ${errorOf(attempt.error)}`);
  if (detail.replayOf !== null) console.log(`replay of: ${detail.replayOf}`);
  if (detail.replayedAs.length > 0) console.log(`replayed as: ${detail.replayedAs.join(', ')}`);
}

/** `--since` and `--until` as instants; a window that ends before it starts is a mistake, not "(none)". */
function sinceUntil(since: string | undefined, until: string | undefined): { from: string | undefined; to: string | undefined } {
  const from = parseInstant('--since', since);
  const to = parseInstant('--until', until);
  if (from !== undefined && to !== undefined && Number(from) > Number(to)) {
    throw new UsageError(`--since ${since} is after --until ${until}: no invocation can be in between`);
  }
  return { from, to };
}

/**
 * Each id cut to the shortest beginning (at least 8 characters) that no other id of the whole log
 * shares, so that any id of a table can be pasted back (`--id`, `--parent`). Time-ordered ids share
 * their first characters with every invocation of the same minute, so the server, which has them
 * all, finds the length.
 */
function shortIdsOf(flags: ServerFlags, ids: readonly string[]): Promise<Record<string, string>> {
  return ids.length === 0 ? Promise.resolve({}) : postJson<Record<string, string>>(flags, '/local/short-ids', { ids: [...new Set(ids)] });
}

/**
 * The log's name of a function given in any form Lambda takes (`Leedz-emailHelper`, an ARN), as
 * `invoke` and `pause` take them; a name the server does not know is looked for as it is (a function
 * of an earlier run of the data folder).
 */
async function functionNameOf(flags: ServerFlags, name: string): Promise<string> {
  try {
    return (await getJson<FunctionDetail>(flags, `/local/functions/${encodeURIComponent(name)}`)).name;
  } catch (error) {
    if (error instanceof ServerError && error.message.startsWith('404')) return name;
    throw error;
  }
}

/** Ids are UUIDs; anything shorter is a prefix, as the tables show ids. */
const FULL_ID_LENGTH = 36;

/** How many invocations an ambiguous prefix's message counts before saying "more than". */
const AMBIGUITY_SHOWN = 10;

/** `--before`'s cursor: `id < before` on a prefix would skip the rows that begin with it. */
function fullIdOnly(flag: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length === FULL_ID_LENGTH) return raw;
  throw new UsageError(`${flag} takes a full invocation id (36 characters; got "${raw}"): a page of the table ends with the next page's --before`);
}

/**
 * The invocation a flag's id or prefix names, in full: a prefix that more than one invocation
 * begins with is refused, since it would silently mean them all. The server matches a prefix as a
 * range of ids, so one page of at most a few rows answers. For `--parent`, a parent gone from the log
 * (retention deletes the oldest first) is still found through its children.
 */
async function fullIdOf(flags: ServerFlags, flag: '--id' | '--parent', raw: string): Promise<string> {
  if (raw.length >= FULL_ID_LENGTH) return raw;
  const matching = async (param: 'id' | 'parentId', limit: number) => {
    const rows = await getJson<InvocationView[]>(flags, `/local/invocations?${new URLSearchParams({ [param]: raw, limit: String(limit) })}`);
    return [...new Set(rows.map((r) => (param === 'id' ? r.id : r.parentId!)))];
  };
  let ids = await matching('id', AMBIGUITY_SHOWN + 1);
  if (ids.length === 0 && flag === '--parent') ids = await matching('parentId', MAX_LIMIT);
  if (ids.length > 1) {
    const count = ids.length > AMBIGUITY_SHOWN ? `more than ${AMBIGUITY_SHOWN}` : String(ids.length);
    throw new UsageError(`${flag} ${raw} matches ${count} invocations; give more of the id`);
  }
  // None: the prefix as it is, so the listing says (none).
  return ids[0] ?? raw;
}

/** An ISO time as the tables show it, in UTC: the time alone today, with its date (12-06) another day. */
function logTime(iso: string, today: string): string {
  return iso.startsWith(today) ? iso.slice(11, 23) : `${iso.slice(5, 10)} ${iso.slice(11, 23)}`;
}

/** Dead letters `dlq list` shows unless told otherwise. */
const DLQ_LIST_LIMIT = 100;

export const dlq = command({
  summary: 'dead letters: `dlq list`, `dlq replay <id>`, `dlq replay --all`',
  usage: `leedz dlq list [--limit N] [--json] [--endpoint URL] [--data DIR]
leedz dlq replay <id> [--endpoint URL] [--data DIR]
leedz dlq replay --all [--endpoint URL] [--data DIR]

  A failed event with no onFailure destination is kept as a dead letter. \`dlq list\` shows the open
  ones (not replayed yet), newest first: ${DLQ_LIST_LIMIT} unless --limit says otherwise, and how many
  more there are. Replay re-enqueues one as a new invocation with the same payload (and idempotency key).

  --limit N      at most N rows (default ${DLQ_LIST_LIMIT}; 10,000 at most)
${SERVER_HELP}`,
  examples: [
    'leedz dlq list',
    'leedz dlq replay 12',
    'leedz dlq replay --all',
  ],
  options: { all: { type: 'boolean' }, json: { type: 'boolean' }, limit: { type: 'string' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    const [action, id, ...extra] = positionals;
    noArguments('dlq', extra);
    if (action === 'list') {
      if (id !== undefined) throw new UsageError(`dlq list: unexpected argument "${id}"`);
      if (values.all === true) throw new UsageError('dlq list: --all is an option of dlq replay (dlq list shows the open dead letters, newest first)');
      const limit = parseLimit(values.limit, DLQ_LIST_LIMIT);
      const letters = await getJson<DeadLetterView[]>(values, `/local/dead-letters?limit=${limit}`);
      if (values.json === true) {
        console.log(JSON.stringify(letters, null, 2));
        return 0;
      }
      if (letters.length === 0) {
        console.log('no dead letters');
        return 0;
      }
      const short = await shortIdsOf(values, letters.map((l) => l.invocationId));
      printTable(
        ['id', 'function', 'condition', 'attempts', 'failed at', 'invocation', 'error'],
        letters.map((l) => {
          const response = l.record.responsePayload as { errorType?: string; errorMessage?: string } | undefined;
          return [l.id, l.function, l.condition, l.attempts, l.failedAt, short[l.invocationId], truncate(response ? `${response.errorType}: ${response.errorMessage}` : l.attempts === 0 ? '(did not run)' : '', 60)];
        }),
      );
      // A full page may not be all of them: say how many there are, and how to see or replay the rest.
      if (letters.length === limit) {
        const { open } = await getJson<{ open: number }>(values, '/local/dead-letters/open');
        if (open > letters.length) {
          const count = (n: number) => n.toLocaleString('en-US');
          console.log(`the newest ${count(letters.length)} of ${count(open)} open dead letters: --limit N shows more (${count(MAX_LIMIT)} at most); dlq replay --all replays all ${count(open)}`);
        }
      }
      return 0;
    }
    if (action === 'replay') {
      if (values.json === true) throw new UsageError('dlq replay: --json is an option of dlq list');
      if (values.limit !== undefined) throw new UsageError('dlq replay: --limit is an option of dlq list');
      if (values.all === true) {
        if (id !== undefined) throw new UsageError('dlq replay: give either <id> or --all, not both');
        const result = await getJson<{ replayed: string[] }>(values, '/local/dead-letters/replay-all', 'POST');
        console.log(`replayed ${counted(result.replayed.length, 'dead letter', 'dead letters')}`);
        return 0;
      }
      // The ids are 1, 2, …: 0 names none, as an id with a sign or a point does not.
      if (id === undefined || !/^[1-9]\d*$/.test(id)) throw new UsageError('dlq replay: give a dead-letter id (a number from `leedz dlq list`) or --all');
      const result = await getJson<{ invocationId: string }>(values, `/local/dead-letters/${id}/replay`, 'POST');
      console.log(`dead letter ${id} replayed as invocation ${result.invocationId}`);
      return 0;
    }
    throw new UsageError(`dlq: expected "list" or "replay" (got ${action === undefined ? 'nothing' : `"${action}"`})`);
  },
});

export const metrics = command({
  summary: 'local equivalents of CloudWatch’s Lambda metrics, per function',
  usage: `leedz metrics [--window SECONDS] [--json] [--endpoint URL] [--data DIR]

  Counts are kept as running counters since the data folder's first invocation (they survive a
  restart and retention); percentiles are over each function's latest 1,000 invocations. They count
  invocations, not attempts: an event that failed three times is one Invocations and one Errors
  when it ends (CloudWatch counts each attempt); an event dropped before it ran (too old, say) is
  one Invocations, no Errors, one AsyncEventsDropped. \`leedz invocations --id <id>\` shows an
  invocation's attempts.

  --window SECONDS   only invocations enqueued in the last SECONDS (that the log still holds; ten
                     years, ${MAX_WINDOW_SECONDS.toLocaleString('en-US')} seconds, at most)${SERVER_HELP}`,
  examples: [
    'leedz metrics',
    'leedz metrics --window 300 --json',
  ],
  options: { window: { type: 'string' }, json: { type: 'boolean' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    noArguments('metrics', positionals);
    const window = values.window === undefined ? '' : `?windowSeconds=${parseLimit(values.window, 0, '--window', MAX_WINDOW_SECONDS)}`;
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

/** How long `compact` waits for the server's report. */
const COMPACT_TIMEOUT_MS = 15 * 60_000;

export const compact = command({
  summary: 'apply retention now (the invocation log, old emails, expired records) and show the databases’ sizes',
  usage: `leedz compact [--vacuum] [--json] [--endpoint URL] [--data DIR]

  Ended invocations older than LEEDZ_RETENTION_HOURS (default ${DEFAULT_RETENTION.maxAgeHours}) or beyond the newest
  LEEDZ_RETENTION_INVOCATIONS (default ${DEFAULT_RETENTION.maxInvocations.toLocaleString('en-US')}) are deleted, with their attempts and destination
  records; queued and running ones and those an open dead letter needs stay. The marketplace's
  leedz.db loses its expired idempotency records, outbox messages dispatched over a week ago, and
  emails of the dev outbox older than LEEDZ_RETENTION_HOURS or beyond the newest LEEDZ_RETENTION_EMAILS
  (default ${DEFAULT_EMAILS_KEPT.toLocaleString('en-US')}). The server does this by itself (the log every few seconds, leedz.db
  about once a minute); this runs it now, with the settings the server was started with: set the
  LEEDZ_RETENTION_* variables where \`npm start\` runs, not here.

  --vacuum   also give the freed space back to the file system (rewrites the files; takes a moment)
  --json     print JSON${SERVER_HELP}`,
  examples: [
    'leedz compact',
    'leedz compact --vacuum --json',
  ],
  options: { vacuum: { type: 'boolean' }, json: { type: 'boolean' }, ...SERVER_OPTIONS },
  async run({ values, positionals }) {
    noArguments('compact', positionals);
    // The server applies its own settings: the same variables given to this command would change nothing, silently.
    const ignored = Object.keys(process.env).filter((name) => name.startsWith('LEEDZ_RETENTION_') && process.env[name] !== '');
    if (ignored.length > 0) {
      console.error(`note: ${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} read by the server when it starts, not by compact: it applies the settings the server runs with (restart it with them to change them)`);
    }
    // Rewriting a large database (--vacuum) takes a while.
    const report = await getJson<CompactionReport>(values, `/local/compact${values.vacuum ? '?vacuum=true' : ''}`, 'POST', undefined, COMPACT_TIMEOUT_MS);
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
