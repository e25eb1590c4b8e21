/**
 * The `leedz` command line, run in-process (`main(argv)`) against a real server: every command, its
 * `--help`, and what a mistake gets (a message naming the flag and exit code 2; a failure exit 1).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/server/cli.js';
import { COMMANDS } from '../../src/server/cli-commands.js';
import { parseInstant, request } from '../../src/server/cli-support.js';
import { openRuntimeDb } from '../../src/runtime/runtime-db.js';
import { createInvocationLog, invocationRow } from '../../src/runtime/invocation-log.js';
import { loadOrCreateRuntimeCredentials } from '../../src/runtime/credentials.js';
import { resolveServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { claimDataFolder } from '../../src/server/server-address.js';
import { REPO_ROOT } from '../helpers/leedz-cli.js';
import { openConsoleLink } from '../helpers/console-link.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Run `leedz …` in this process; what it printed, and its exit code. */
async function leedz(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void out.push(parts.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    err.push(String(chunk));
    return true;
  });
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('help', () => {
  it.each(Object.keys(COMMANDS))('`leedz %s --help` prints the command’s usage and exits 0', async (name) => {
    const result = await leedz(name, '--help');
    expect(result.code).toBe(0);
    expect(result.out).toContain(`leedz ${name}`);
    expect((await leedz('help', name)).out).toBe(result.out.split('\n\n(')[0]);
    // Ends with command lines to copy: each one this command, as a user types it.
    const examples = result.out.split('\nExamples:\n')[1]?.split('\n\n')[0]?.split('\n').map((line) => line.trim()) ?? [];
    expect(examples.length, result.out).toBeGreaterThan(0);
    for (const line of examples) expect(line).toMatch(name === 'credentials' ? /^(leedz credentials|eval "\$\(npm run -s leedz -- credentials\)")/ : new RegExp(`^leedz ${name}( |$)`));
  });

  it('`leedz` alone lists every command with its summary; an unknown command exits 2 with that list', async () => {
    const overview = await leedz();
    expect(overview.code).toBe(0);
    for (const command of Object.values(COMMANDS)) expect(overview.out).toContain(command.summary);
    const unknown = await leedz('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command "frobnicate"/);
    const unknownTopic = await leedz('help', 'nope');
    expect(unknownTopic.code).toBe(2);
    expect(unknownTopic.err).toMatch(/unknown command "nope"/);
    expect((await leedz('help')).out).toBe(overview.out);
  });
});

describe('mistakes', () => {
  it.each([
    [['invoke'], /missing <function> \(for example: leedz invoke getTrades; `leedz invoke getTrades --help` shows its input/],
    [['invoke', 'placeOrder', '--type', 'Async'], /--type must be one of Event, RequestResponse, DryRun \(got "Async"\)/],
    [['invoke', 'placeOrder', '--payload', '{not json'], /--payload: not valid JSON/],
    [['invoke', 'placeOrder', '--payload', '@/no/such/file.json'], /--payload: cannot read \/no\/such\/file\.json: ENOENT/],
    [['invocations', '--outcome', 'Maybe'], /--outcome must be one of Success, RetriesExhausted/],
    [['invocations', '--state', 'sleeping'], /--state must be one of queued, running, succeeded, failed/],
    [['invocations', '--limit', '0'], /--limit must be a positive whole number up to 10,000 \(got "0"\)/],
    [['invocations', '--limit', '999999999999'], /--limit must be a positive whole number up to 10,000 \(got "999999999999"\)/],
    [['outbox', '--limit', '10001'], /--limit must be a positive whole number up to 10,000/],
    [['metrics', '--window', '999999999999'], /--window must be a positive whole number up to 315,360,000 \(got "999999999999"\)/],
    [['invocations', '--before', '019a6f1e-8c2b'], /--before takes a full invocation id \(36 characters; got "019a6f1e-8c2b"\)/],
    [['invocations', 'extra'], /unexpected argument "extra"/],
    [['dlq'], /expected "list" or "replay" \(got nothing\)/],
    [['dlq', 'replay', 'abc'], /give a dead-letter id/],
    [['dlq', 'replay', '3', '--all'], /either <id> or --all, not both/],
    [['seed', '--users', '-4'], /--users/],
    [['seed', '--leedz', 'lots'], /--leedz must be a whole number from 0 to 10,000,000 \(got "lots"\)/],
    [['credentials', '--format', 'xml'], /--format must be one of env, env-no-export, json/],
    [['metrics', '--window', 'soon'], /--window must be a positive whole number/],
    [['invocations', '--http', '418'], /--http must be one of 2xx, 3xx, 4xx, 5xx, error/],
    [['invocations', '--since', 'yesterday'], /--since "yesterday": expected an ISO 8601 time/],
    [['invocations', '--since', '2026-12-06T10:00', '--until', '2026-12-06T09:00'], /--since 2026-12-06T10:00 is after --until 2026-12-06T09:00: no invocation can be in between/],
    [['pause'], /pause: which function\?/],
    [['resume', 'a', 'b'], /resume: one function at a time/],
    [['compact', 'now'], /unexpected argument "now"/],
    [['console-url', 'now'], /unexpected argument "now"/],
    [['console-url', '--endpoint', 'localhost:3000'], /--endpoint: "localhost:3000" must be an http\(s\) URL/],
    [['outbox', '--bogus'], /^leedz outbox: unknown option --bogus\n/],
    [['invoke', 'placeOrder', '-x'], /^leedz invoke: unknown option -x\n/],
    [['invocations', '--limit', '-3'], /^leedz invocations: --limit needs a value, and "-3" begins with "-" so it reads as an option \(write --limit=-3 to give it as the value\)\n/],
    [['invocations', '--limit=-3'], /--limit must be a positive whole number up to 10,000 \(got "-3"\)/],
    [['invocations', '--function'], /^leedz invocations: --function needs a value\n/],
    [['invoke', 'placeOrder', '--tail=yes'], /^leedz invoke: --tail takes no value\n/],
    // Mistakes the CLI can see are its own to name, not the server's 400 or 404 to report as a failure.
    [['invoke', ''], /^leedz invoke: missing <function>/],
    [['pause', ''], /^leedz pause: which function\?/],
    [['invocations', '--function', ''], /^leedz invocations: --function needs a value \(got ""\)/],
    [['invocations', '--id', ''], /^leedz invocations: --id needs a value \(got ""\)/],
    [['invocations', '--text', 'x'.repeat(201)], /^leedz invocations: --text must be at most 200 characters \(got 201\)/],
    [['dlq', 'replay', '0'], /^leedz dlq replay: give a dead-letter id/],
    [['dlq', 'replay', '1', '--json'], /^leedz dlq replay: --json is an option of dlq list/],
    [['dlq', 'list', '--all'], /^leedz dlq list: --all is an option of dlq replay/],
    [['outbox', '--to', 'pat'], /^leedz outbox: --to takes a whole email address, e\.g\. pat@example\.com \(got "pat"\)/],
    [['outbox', '--kind', 'magic_link'], /--kind must be one of new-leed, changed, withdrawn, receipt, sold, refund, report, taken-down, magic-link \(got "magic_link"\); did you mean magic-link\?/],
    [['invoke', 'placeOrder', '--paylod', '{}'], /^leedz invoke: unknown option --paylod; did you mean --payload\?/],
    [['dlq', 'replay', 'abc'], /^leedz dlq replay: give a dead-letter id/],
    [['serve', '--profile', 'cloud'], /--profile must be one of local, aws-local/],
    [['serve', '--time-scale', '3'], /--time-scale \(LEEDZ_TIME_SCALE\): must be at most 1$/m],
    [['serve', '--time-scale', 'abc'], /--time-scale \(LEEDZ_TIME_SCALE\): must be a number$/m],
    [['serve', '--port', '99999'], /--port \(PORT\): must be a whole number from 0 to 65,535$/m],
    [['serve', '--port', '3.5'], /--port \(PORT\): must be a whole number$/m],
  ])('leedz %j exits 2 naming what is wrong, with the synopsis', async (argv, message) => {
    const result = await leedz(...argv);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    // Node's own wording of parseArgs' rules stays out of it.
    expect(result.err).not.toMatch(/Unknown option '|argument is ambiguous|-XYZ|<value>/);
    // Under the message, how the command is called and where the rest of its help is; not all of it.
    expect(result.err).toContain(`\n\nleedz ${argv[0]}`);
    expect(result.err).toMatch(new RegExp(`\\nRun \`leedz ${argv[0]} --help\` for its options and examples\\.\\n?$`));
    expect(result.err).not.toContain('Examples:');
  });

  it('without the server’s credentials, a command says where it looked and how to give them', async () => {
    const empty = tempDir('leedz-cli-');
    try {
      const result = await leedz('invocations', '--data', empty.path);
      expect(result.code).toBe(1);
      const missing = `no runtime credentials in ${join(empty.path, 'keys')}: the server creates them there on its first start. Start it (\`npm start\`)`;
      expect(result.err).toContain(missing);
      // A failure explained, not a mistyped command: no usage after it.
      expect(result.err).not.toContain('Examples:');
      // `credentials`, which prints them, says it in the same words.
      const printed = await leedz('credentials', '--data', empty.path);
      expect(printed.code).toBe(1);
      expect(printed.err).toContain(missing);
    } finally {
      empty.cleanup();
    }
  });

  it.each([
    ['10.9.9.9', /cannot listen on host 10\.9\.9\.9: no network interface of this machine has that address \(EADDRNOTAVAIL\); choose another with --host or HOST/],
    ['999.1.1.1', /cannot listen on host "999\.1\.1\.1": it is not an IP address or a name this machine resolves \((ENOTFOUND|EAI_AGAIN)\); choose another with --host or HOST/],
  ])('serve --host %s, where it cannot listen, is a one-line message naming --host and exit 1', async (host, message) => {
    const dir = tempDir('leedz-cli-');
    try {
      const result = await leedz('serve', '--host', host, '--port', '0', '--data', dir.path, '--example');
      expect(result.code).toBe(1);
      expect(result.err).toMatch(message);
      expect(result.err).not.toMatch(/\n\s+at /);
    } finally {
      dir.cleanup();
    }
  });

  it('seed --users 0 into a folder without demo vendors exits 2 naming --users, and writes nothing', async () => {
    const dir = tempDir('leedz-cli-');
    try {
      const data = join(dir.path, 'new');
      const result = await leedz('seed', '--users', '0', '--leedz', '10', '--data', data);
      expect(result.code).toBe(2);
      expect(result.err).toContain(`leedz seed: --users 0 posts the leedz as the demo vendors of an earlier seed, and ${data} has none: give --users 1 or more`);
      expect(existsSync(data)).toBe(false);
    } finally {
      dir.cleanup();
    }
  });

  it.skipIf(process.platform === 'win32')('seed makes a new data folder readable by its owner only, as the server does', async () => {
    const dir = tempDir('leedz-cli-');
    try {
      const data = join(dir.path, 'new');
      const seeded = await leedz('seed', '--users', '1', '--leedz', '1', '--data', data);
      expect(seeded.code).toBe(0);
      expect(seeded.out).toMatch(/^added 1 user and 1 leed \(0 skipped as double bookings\) to /);
      // A new folder is said to be one (a mistyped --data would be); seeding it again is not.
      expect(seeded.out).toContain(`\n${data} is a new data folder, made now: no server has used it yet (start one on it with \`npm start -- --data ${data}\`)`);
      expect((await leedz('seed', '--users', '1', '--leedz', '0', '--data', data)).out).not.toContain('new data folder');
      expect(statSync(data).mode & 0o777).toBe(0o700);
      for (const name of readdirSync(data)) expect(statSync(join(data, name)).mode & 0o777, name).toBe(0o600);
    } finally {
      dir.cleanup();
    }
  });

  it('a data folder that cannot be one, or whose credentials file holds none, is a one-line message and exit 1', async () => {
    const dir = tempDir('leedz-cli-');
    try {
      const file = join(dir.path, 'a-file');
      writeFileSync(file, 'not a folder');
      const broken = join(dir.path, 'broken');
      mkdirSync(join(broken, 'keys'), { recursive: true });
      writeFileSync(join(broken, 'keys', 'runtime-credentials.json'), 'garbage');
      for (const [argv, message] of [
        [['invocations', '--data', file], `leedz invocations: cannot use ${join(file, 'keys', 'runtime-credentials.json')}: a part of the path is a file, not a folder (ENOTDIR); check --data or $LEEDZ_DATA_DIR`],
        [['serve', '--port', '0', '--data', file, '--example'], `leedz serve: cannot use ${file}: a file is there, where a folder should be (EEXIST); check --data or $LEEDZ_DATA_DIR`],
        [['credentials', '--data', broken], `leedz credentials: ${join(broken, 'keys', 'runtime-credentials.json')}: not the runtime's credentials; delete it to generate new ones`],
        [['serve', '--port', '0', '--data', broken, '--example'], `leedz serve: ${join(broken, 'keys', 'runtime-credentials.json')}: not the runtime's credentials; delete it to generate new ones`],
        // A file system that takes no new folder: Node's recursive mkdir looped there for ever.
        ...(existsSync('/proc/self')
          ? ([[['seed', '--data', '/proc/leedz-data/deeper'], 'leedz seed: cannot make the folder /proc/leedz-data: /proc takes no new folder (ENOENT); check --data or $LEEDZ_DATA_DIR']] as const)
          : []),
      ] as const) {
        const result = await leedz(...argv);
        expect(result.code, argv.join(' ')).toBe(1);
        expect(result.err.trim()).toBe(message);
      }
      expect(readFileSync(file, 'utf8')).toBe('not a folder');
    } finally {
      dir.cleanup();
    }
  });

  it('without --endpoint or LEEDZ_ENDPOINT, a PORT that is no port is named as the mistake', async () => {
    const saved = process.env.PORT;
    const endpoint = process.env.LEEDZ_ENDPOINT;
    process.env.PORT = 'abc';
    delete process.env.LEEDZ_ENDPOINT;
    try {
      const result = await leedz('metrics');
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/^leedz metrics: PORT: "abc" is not a port number \(or give the server's URL with --endpoint\)/);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
      if (endpoint !== undefined) process.env.LEEDZ_ENDPOINT = endpoint;
    }
  });

  it('a port in use is a one-line message and exit 1, not a stack trace', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const port = (busy.address() as { port: number }).port;
    const dir = tempDir('leedz-cli-');
    try {
      const result = await leedz('serve', '--port', String(port), '--data', dir.path, '--example');
      expect(result.code).toBe(1);
      expect(result.err).toMatch(new RegExp(`port ${port} is in use`));
      expect(result.err).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
      dir.cleanup();
    }
  });
});

describe('against a running example server', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: RunningServer;
  let flags: string[];

  beforeAll(async () => {
    dir = tempDir('leedz-cli-');
    server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_APP: 'example', LEEDZ_TIME_SCALE: '0.001' }));
    flags = ['--endpoint', server.url, '--data', dir.path];
  }, 60_000);

  afterAll(async () => {
    await server.close();
    dir.cleanup();
  });

  it('invoke runs a function and prints its result; a function error exits 1', async () => {
    const ok = await leedz('invoke', 'placeOrder', '--payload', '{"item":"pretzel","quantity":2}', ...flags);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ item: 'pretzel', quantity: 2, orderId: expect.stringMatching(/^o_[0-9a-f-]{36}$/) });
    expect(ok.err).toMatch(/200 RequestResponse requestId/);
    const bad = await leedz('invoke', 'placeOrder', '--payload', '{"item":""}', ...flags);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('InvalidPayloadError');
    const missing = await leedz('invoke', 'noSuchFunction', ...flags);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^leedz invoke: 404 ResourceNotFoundException: /);
    expect(missing.err).toMatch(/\(no function is named noSuchFunction; the functions: .*placeOrder/);
    // A name one letter off is taken for what it most likely meant.
    const typo = await leedz('invoke', 'placeOrdr', ...flags);
    expect(typo.code).toBe(1);
    expect(typo.err).toContain('(no function is named placeOrdr; did you mean placeOrder?)');
    const arn = await leedz('invoke', 'arn:aws:lambda:local:000000000000:function:placeOrdr', ...flags);
    expect(arn.err).toContain('(no function is named placeOrdr; did you mean placeOrder?)');
    // placeOrder is there; its version 1 is not, as the runtime's own message says.
    const version = await leedz('invoke', 'placeOrder:1', ...flags);
    expect(version.code).toBe(1);
    expect(version.err).toContain('(the local runtime has only $LATEST)');
    expect(version.err).not.toContain('no function is named');
  });

  it('an endpoint that is not a Leedz server (a web server’s HTML, its 404) is a failure saying so, never a result', async () => {
    const other = createHttpServer((req, res) => {
      res.writeHead(req.method === 'POST' ? 501 : 404, { 'content-type': 'text/html' });
      res.end('<!DOCTYPE html><title>Error</title><p>Unsupported method</p>');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
    const elsewhere = ['--endpoint', `http://127.0.0.1:${(other.address() as { port: number }).port}`, '--data', dir.path];
    try {
      for (const type of ['RequestResponse', 'Event']) {
        const invoked = await leedz('invoke', 'placeOrder', '--type', type, ...elsewhere);
        expect(invoked.code, type).toBe(1);
        expect(invoked.out).toBe('');
        expect(invoked.err).toMatch(/^leedz invoke: http:\/\/127\.0\.0\.1:\d+\/2015-03-31\/functions\/placeOrder\/invocations answered 501 with text\/html, not as Lambda's Invoke API answers: is --endpoint a Leedz server\?$/);
      }
      const listed = await leedz('invocations', ...elsewhere);
      expect(listed.code).toBe(1);
      expect(listed.err).toMatch(/^leedz invocations: \/local\/invocations is not served here; \S+ answered 404 \(is --endpoint a Leedz server\?\)$/);
      expect(listed.err).not.toContain('DOCTYPE');
    } finally {
      other.close();
    }
    // https:// to a server that speaks http: one line that says so, not OpenSSL's internals.
    const tls = await leedz('metrics', '--endpoint', server.url.replace(/^http:/, 'https:'), '--data', dir.path);
    expect(tls.code).toBe(1);
    expect(tls.err).toMatch(/^leedz metrics: cannot reach the Leedz server at https:\/\/\S+ \(ERR_SSL_\w+: no TLS there; is it an http:\/\/ server\?\); start it with `npm start` or pass --endpoint$/);
    // The example app sends no email: its server has no outbox to list.
    const outbox = await leedz('outbox', ...flags);
    expect(outbox.code).toBe(1);
    expect(outbox.err).toContain('leedz outbox: this server keeps no outbox of its own (the example app sends no email;');
  });

  it('a listener that takes the request and never answers is given up on, saying so; --tail of an Event is a usage error', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const started = Date.now();
      const waited = request({ endpoint, data: dir.path }, '/local/invocations?limit=5', { method: 'GET', timeoutMs: 300 });
      await expect(waited).rejects.toThrow(`the server at ${endpoint} took the request for /local/invocations but did not answer within 0.3 s: is --endpoint a Leedz server, and is it stuck?`);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
    const tail = await leedz('invoke', 'orderController', '--type', 'Event', '--tail', ...flags);
    expect(tail.code).toBe(2);
    expect(tail.err).toContain("invoke: --tail shows a RequestResponse invocation's log; an Event invocation has none in its answer");
  });

  it('the example’s orders placed together have their own ids, so their retries and keys do not mix', async () => {
    const ids: string[] = [];
    for (const item of ['a', 'b', 'c']) ids.push(JSON.parse((await leedz('invoke', 'placeOrder', '--payload', JSON.stringify({ item, quantity: 1 }), ...flags)).out).orderId as string);
    expect(new Set(ids).size).toBe(3);
  });

  it('invoke NAME --help shows the function’s fields and an example payload that works, from its definition', async () => {
    const help = await leedz('invoke', 'placeOrder', '--help', ...flags);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/item\s+string, 1–100 characters \(required\)/);
    expect(help.out).toMatch(/confirmation\s+one of succeed, fail-twice, fail-always \(default succeed\)/);
    const example = /leedz invoke placeOrder --payload '(.+)'/.exec(help.out)![1]!;
    expect((await leedz('invoke', 'placeOrder', '--payload', example, ...flags)).code).toBe(0);
    const controller = await leedz('invoke', 'orderController', '--help', ...flags);
    expect(controller.out).toContain('Route "sendConfirmation"');
    expect(controller.out).toContain('--type Event');
  });

  it('invocations shows each id as a prefix that no other invocation shares, and --id and --parent take it back', async () => {
    await leedz('invoke', 'placeOrder', '--payload', '{"item":"parent","quantity":1}', ...flags);
    await server.runtime.drain();
    const table = await leedz('invocations', '--limit', '3', ...flags);
    expect(table.code).toBe(0);
    const rows = table.out.split('\n').slice(1, 4).map((line) => line.split(/\s{2,}/));
    const all = server.runtime.listInvocations({ limit: 10_000 });
    // A page of one row whose id begins like the next older one's (same minute): cut against its page
    // alone, 8 characters would name both.
    const common = (a: string, b: string) => [...a].findIndex((c, n) => c !== b[n]);
    const at = all.findIndex((row, n) => n > 0 && n + 1 < all.length && common(row.id, all[n + 1]!.id) >= 8);
    const page = await leedz('invocations', '--before', all[at - 1]!.id, '--limit', '1', ...flags);
    const shown = [...rows.map((cells) => cells[0]!), page.out.split('\n')[1]!.split(/\s{2,}/)[0]!];
    expect(shown.at(-1)!.length).toBeGreaterThan(common(all[at]!.id, all[at + 1]!.id));
    for (const id of shown) {
      expect(all.filter((i) => i.id.startsWith(id))).toHaveLength(1);
      expect(JSON.parse((await leedz('invocations', '--id', id, '--json', ...flags)).out)).toMatchObject([{ id: all.find((i) => i.id.startsWith(id))!.id }]);
    }
    const parent = rows.find((cells) => cells[1] === 'placeOrder')![0]!;
    const children = await leedz('invocations', '--parent', parent, '--json', ...flags);
    const parentId = all.find((i) => i.id.startsWith(parent))!.id;
    expect((JSON.parse(children.out) as { parentId: string }[]).map((c) => c.parentId)).toEqual([parentId, parentId]);
  });

  it('an id prefix that more than one invocation begins with is refused, naming the flag, rather than meaning them all', async () => {
    for (const item of ['p1', 'p2']) await leedz('invoke', 'placeOrder', '--payload', JSON.stringify({ item, quantity: 1 }), ...flags);
    await server.runtime.drain();
    const [newest, next] = server.runtime.listInvocations({ limit: 2 }).map((i) => i.id) as [string, string];
    let common = 0;
    while (newest[common] === next[common]) common++;
    const shared = newest.slice(0, Math.max(common, 1));
    const matches = server.runtime.listInvocations({ id: shared, limit: 10_000 }).length;
    for (const flag of ['--parent', '--id']) {
      const result = await leedz('invocations', flag, shared, ...flags);
      expect(result.code).toBe(2);
      expect(result.err).toContain(`${flag} ${shared} matches ${matches > 10 ? 'more than 10' : matches} invocations; give more of the id`);
    }
    // The prefix the table shows, one character longer than the shared part, names one.
    expect(JSON.parse((await leedz('invocations', '--id', newest.slice(0, common + 1), '--json', ...flags)).out)).toMatchObject([{ id: newest }]);
    // An id that no invocation has: a lookup that failed, exit 1, not an empty table.
    const none = await leedz('invocations', '--id', 'fffffffff', ...flags);
    expect(none).toMatchObject({ code: 1, out: '', err: 'leedz invocations: no invocation has an id beginning fffffffff' });
  });

  it('the table writes an invocation of another day with its date, one of today with its time alone (UTC)', async () => {
    await server.runtime.invoke('placeOrder', { item: 'dated', quantity: 1, confirmation: 'succeed' }, 'RequestResponse');
    const [newest] = server.runtime.listInvocations({ limit: 1 });
    const row = (out: string) => out.split('\n').find((line) => line.includes(newest!.enqueuedAt.slice(11, 23)));
    expect(row((await leedz('invocations', '--limit', '1', ...flags)).out)).not.toContain(newest!.enqueuedAt.slice(5, 10));
    // The next day, the same row carries its date: the log keeps a week.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(newest!.enqueuedAt) + 24 * 3_600_000 });
    try {
      expect(row((await leedz('invocations', '--limit', '1', ...flags)).out)).toContain(`${newest!.enqueuedAt.slice(5, 10)} ${newest!.enqueuedAt.slice(11, 23)}`);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a full page ends with the next page’s --before in full, which gives the rows right after it', async () => {
    const all = server.runtime.listInvocations({ limit: 4 });
    const page = await leedz('invocations', '--limit', '2', ...flags);
    expect(page.out.split('\n').at(-1)).toBe(`next page: --before ${all[1]!.id}`);
    const next = await leedz('invocations', '--limit', '2', '--before', all[1]!.id, '--json', ...flags);
    expect((JSON.parse(next.out) as { id: string }[]).map((r) => r.id)).toEqual([all[2]!.id, all[3]!.id]);
  });

  it('dlq lists a failed event and replays it; metrics counts it', async () => {
    await leedz('invoke', 'placeOrder', '--payload', '{"item":"doomed","quantity":1,"confirmation":"fail-always"}', ...flags);
    await server.runtime.drain();
    const list = await leedz('dlq', 'list', ...flags);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/orderController\s+RetriesExhausted\s+3/);
    const id = /^(\d+)\s+orderController/m.exec(list.out)![1]!;
    const replay = await leedz('dlq', 'replay', id, ...flags);
    expect(replay.out).toMatch(new RegExp(`dead letter ${id} replayed as invocation `));
    // The failed event asked for by its id: the error in full, each failed attempt, and its replay.
    const letter = server.runtime.getDeadLetter(Number(id))!;
    const failed = server.runtime.getInvocation(letter.invocationId)!;
    const shown = await leedz('invocations', '--id', letter.invocationId, ...flags);
    expect(shown.out).toContain(`\nid:       ${failed.id}\nerror:    ${failed.error!.errorType}: ${failed.error!.errorMessage}\n`);
    for (const attempt of failed.failedAttempts) expect(shown.out).toMatch(new RegExp(`^attempt ${attempt.attempt} failed at [\\d:. -]+: ${attempt.error.errorType}: `, 'm'));
    expect(failed.failedAttempts.length).toBe(3);
    expect(shown.out).toContain(`replayed as: ${replay.out.split(' ').at(-1)}`);
    expect((await leedz('dlq', 'replay', id, ...flags)).err).toMatch(/409: dead letter \d+: already replayed/);
    const metrics = await leedz('metrics', '--json', ...flags);
    expect((JSON.parse(metrics.out) as { function: string; AsyncEventsReceived: number }[]).find((m) => m.function === 'orderController')!.AsyncEventsReceived).toBeGreaterThan(0);
  });

  it('dlq list says when it shows only the newest of the open dead letters, how many there are, and --limit shows more', async () => {
    for (const n of [1, 2, 3]) await leedz('invoke', 'placeOrder', '--payload', `{"item":"doomed ${n}","quantity":1,"confirmation":"fail-always"}`, ...flags);
    await server.runtime.drain();
    const open = server.runtime.countOpenDeadLetters();
    expect(open).toBeGreaterThanOrEqual(3);
    const page = await leedz('dlq', 'list', '--limit', '2', ...flags);
    expect(page.code).toBe(0);
    expect(page.out.split('\n').filter((line) => /^\d+\s+orderController/.test(line))).toHaveLength(2);
    expect(page.out.split('\n').at(-1)).toBe(`the newest 2 of ${open} open dead letters: --limit N shows more (10,000 at most); dlq replay --all replays all ${open}`);
    const whole = await leedz('dlq', 'list', '--limit', String(open), ...flags);
    expect(whole.out).not.toContain('open dead letters:');
    expect((await leedz('dlq', 'list', '--limit', '0', ...flags)).err).toMatch(/--limit must be a positive whole number/);
    expect((await leedz('dlq', 'replay', '1', '--limit', '2', ...flags)).err).toMatch(/--limit is an option of dlq list/);
  });

  it('pause holds a function’s queue and resume releases it; an unknown function is a 404', async () => {
    const paused = await leedz('pause', 'Leedz-orderController', ...flags);
    expect(paused.code).toBe(0);
    expect(paused.out).toBe('orderController: paused — its events wait');
    await leedz('invoke', 'orderController', '--type', 'Event', '--payload', '{"function":"sendConfirmation","orderId":"o_held","item":"x","mode":"succeed"}', ...flags);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const held = () => leedz('invocations', '--function', 'orderController', '--text', 'o_held', '--json', ...flags).then((r) => JSON.parse(r.out) as { state: string }[]);
    try {
      expect((await held()).map((i) => i.state)).toEqual(['queued']);
    } finally {
      expect((await leedz('resume', 'orderController', ...flags)).out).toBe('orderController: running');
    }
    await server.runtime.drain();
    expect((await held()).map((i) => i.state)).toEqual(['succeeded']);
    const unknown = await leedz('pause', 'nope', ...flags);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/404: function nope: not found \(no function is named nope; the functions: /);
    expect((await leedz('pause', 'orderControler', ...flags)).err).toContain('did you mean orderController?');
  });

  it('invocations --function takes a function’s deployed name and ARN, as invoke and pause do', async () => {
    await leedz('invoke', 'placeOrder', '--payload', '{"item":"named","quantity":1}', ...flags);
    await server.runtime.drain();
    const ids = async (name: string) => (JSON.parse((await leedz('invocations', '--function', name, '--json', ...flags)).out) as { id: string }[]).map((r) => r.id);
    const byName = await ids('orderController');
    expect(byName.length).toBeGreaterThan(0);
    expect(await ids('Leedz-orderController')).toEqual(byName);
    expect(await ids('arn:aws:lambda:local:000000000000:function:Leedz-orderController')).toEqual(byName);
  });

  it('invocations of a function that does not exist says so, rather than showing an empty log', async () => {
    const typo = await leedz('invocations', '--function', 'placeOrdr', ...flags);
    expect(typo.code).toBe(0);
    expect(typo.err).toContain('(no function is named placeOrdr; did you mean placeOrder?)');
    // A function that exists but has not run yet is just an empty log.
    expect((await leedz('invocations', '--function', 'placeOrder', '--text', 'no payload has this', ...flags)).err).toBe('');
  });

  it('invocations finds by payload text, id prefix and time, and pages with --before', async () => {
    await leedz('invoke', 'placeOrder', '--payload', '{"item":"findme-widget","quantity":1}', ...flags);
    await server.runtime.drain();
    const found = JSON.parse((await leedz('invocations', '--text', 'findme-widget', '--type', 'RequestResponse', '--json', ...flags)).out) as { id: string; function: string }[];
    expect(found.map((f) => f.function)).toEqual(['placeOrder']);
    // The order's confirmation carries the item too.
    expect(JSON.parse((await leedz('invocations', '--text', 'findme-widget', '--json', ...flags)).out)).toHaveLength(2);
    const byId = JSON.parse((await leedz('invocations', '--id', found[0]!.id.slice(0, 18), '--json', ...flags)).out) as { id: string }[];
    expect(byId.map((r) => r.id)).toEqual([found[0]!.id]);
    expect(JSON.parse((await leedz('invocations', '--until', '1d', '--json', ...flags)).out)).toEqual([]);
    const recent = JSON.parse((await leedz('invocations', '--since', '10m', '--limit', '3', '--json', ...flags)).out) as { id: string }[];
    expect(recent).toHaveLength(3);
    const next = JSON.parse((await leedz('invocations', '--before', recent[2]!.id, '--limit', '3', '--json', ...flags)).out) as { id: string }[];
    expect(next[0]!.id < recent[2]!.id).toBe(true);
  });

  it('compact applies retention now and shows the databases’ sizes', async () => {
    const result = await leedz('compact', '--vacuum', ...flags);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^removed \d+ ended invocations and \d+ replayed dead letters$/m);
    expect(result.out).toMatch(/^runtime\s+\d+(\.\d)? (KB|MB)\s+invocation log and queue$/m);
    const json = JSON.parse((await leedz('compact', '--json', ...flags)).out) as { storage: { name: string; bytes: number }[] };
    expect(json.storage[0]).toMatchObject({ name: 'runtime', bytes: expect.any(Number) });
  });

  it('compact says that retention variables given to it change nothing: the server reads them when it starts', async () => {
    expect((await leedz('compact', ...flags)).err).toBe('');
    vi.stubEnv('LEEDZ_RETENTION_INVOCATIONS', '10');
    vi.stubEnv('LEEDZ_RETENTION_HOURS', '0');
    try {
      const result = await leedz('compact', ...flags);
      expect(result.code).toBe(0);
      expect(result.err).toBe(
        'note: LEEDZ_RETENTION_INVOCATIONS, LEEDZ_RETENTION_HOURS are read by the server when it starts, not by compact: it applies the settings the server runs with (restart it with them to change them)',
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('credentials prints export lines for eval, KEY=value lines, or JSON, with the endpoint', async () => {
    const env = await leedz('credentials', ...flags);
    expect(env.out).toMatch(/^export AWS_ACCESS_KEY_ID=AKIA[A-Z2-7]{16}$/m);
    expect(env.out).toContain(`export AWS_ENDPOINT_URL_LAMBDA=${server.url}`);
    const plain = await leedz('credentials', '--format', 'env-no-export', ...flags);
    expect(plain.out).toContain(`AWS_SECRET_ACCESS_KEY=${server.credentials.secretAccessKey}`);
    expect(JSON.parse((await leedz('credentials', '--format', 'json', ...flags)).out)).toMatchObject({ AWS_REGION: 'local', AWS_DEFAULT_REGION: 'local' });
  });

  it('console-url prints a working one-time sign-in link', async () => {
    const result = await leedz('console-url', ...flags);
    const url = result.out.trim();
    expect(url).toMatch(new RegExp(`^${server.url}/console\\?token=[A-Za-z0-9_-]{43}$`));
    const opened = await openConsoleLink(url);
    expect(opened.response.status).toBe(303);
    expect(opened.setCookie).toMatch(/^leedz_operator=/);
  });

  it('credentials of another data folder are refused with a hint to pass this server’s folder', async () => {
    const other = tempDir('leedz-cli-');
    try {
      loadOrCreateRuntimeCredentials(join(other.path, 'keys'));
      const hint = `the credentials in ${join(other.path, 'keys')} are not this server's (${server.url}): pass the data folder of the server you started (--data or $LEEDZ_DATA_DIR)`;
      for (const argv of [['invocations'], ['invoke', 'placeOrder']]) {
        const result = await leedz(...argv, '--endpoint', server.url, '--data', other.path);
        expect(result.code).toBe(1);
        expect(result.err).toMatch(/403.*The security token included in the request is invalid/);
        expect(result.err).toContain(hint);
      }
    } finally {
      other.cleanup();
    }
  });

  it('the right key with a wrong secret is two lines: Lambda’s refusal without its canonical request, and the hint', async () => {
    const other = tempDir('leedz-cli-');
    try {
      const mine = JSON.parse(readFileSync(join(dir.path, 'keys', 'runtime-credentials.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
      mkdirSync(join(other.path, 'keys'), { recursive: true });
      writeFileSync(join(other.path, 'keys', 'runtime-credentials.json'), JSON.stringify({ ...mine, secretAccessKey: `${mine.secretAccessKey.slice(1)}x` }), { mode: 0o600 });
      const result = await leedz('invocations', '--endpoint', server.url, '--data', other.path);
      expect(result.code).toBe(1);
      const lines = result.err.trim().split('\n');
      expect(lines[0]).toMatch(/^leedz invocations: 403: The request signature we calculated does not match the signature you provided\./);
      expect(lines.at(-1)).toContain(`the credentials in ${join(other.path, 'keys')} are not this server's`);
      expect(lines).toHaveLength(2);
      expect(result.err).not.toContain('Canonical String');
    } finally {
      other.cleanup();
    }
  });

  it('a server that is not there is a one-line message and exit 1', async () => {
    const result = await leedz('invocations', '--endpoint', 'http://127.0.0.1:1', '--data', dir.path);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/cannot reach the Leedz server at http:\/\/127\.0\.0\.1:1/);
  });
});

describe('against a running marketplace server', () => {
  it('given only the data folder, reaches the server running on it on whatever port it chose; once it stops, not any more', async () => {
    const dir = tempDir('leedz-cli-');
    let url = '';
    try {
      const server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.001' }), { schedules: false });
      url = server.url;
      try {
        const listed = await leedz('invocations', '--data', dir.path);
        expect(listed.code, listed.err).toBe(0);
        const exported = await leedz('credentials', '--format', 'json', '--data', dir.path);
        expect(JSON.parse(exported.out).AWS_ENDPOINT_URL_LAMBDA).toBe(server.url);
        // An endpoint given still wins.
        expect(JSON.parse((await leedz('credentials', '--format', 'json', '--data', dir.path, '--endpoint', 'http://127.0.0.1:1')).out).AWS_ENDPOINT_URL_LAMBDA).toBe('http://127.0.0.1:1');
      } finally {
        await server.close();
      }
      expect(existsSync(join(dir.path, 'server.json'))).toBe(false);
      const after = await leedz('invocations', '--data', dir.path);
      expect(after.code).toBe(1);
      expect(after.err).toMatch(/cannot reach the Leedz server at /);
      expect(after.err).not.toContain(url);
      // Killed, it could not remove its address: the message says where it was, and that it is gone.
      const gone = spawn(process.execPath, ['-e', '']);
      await new Promise((resolve) => gone.on('close', resolve));
      writeFileSync(join(dir.path, 'server.json'), JSON.stringify({ url, pid: gone.pid }));
      const killed = await leedz('invocations', '--data', dir.path);
      expect(killed.code).toBe(1);
      expect(killed.err).toContain(`the last server on ${dir.path} ran at ${url} and is not running now; start it with \`npm start\``);
    } finally {
      dir.cleanup();
    }
  });

  it('outbox lists each email with its links, the sign-in link first; seed adds demo data with a progress line', async () => {
    const dir = tempDir('leedz-cli-');
    const server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.001' }));
    try {
      await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ann@example.com' }) });
      await server.marketplace!.relay.relayOnce();
      await server.runtime.drain();
      const outbox = await leedz('outbox', '--to', 'ann@example.com', '--endpoint', server.url, '--data', dir.path);
      expect(outbox.code).toBe(0);
      expect(outbox.out).toMatch(/magic-link\s+to ann@example\.com/);
      expect(outbox.out).toMatch(new RegExp(`^    → ${server.url.replace(/[.]/g, '\\.')}/\\S*token=\\S+$`, 'm'));
      expect((await leedz('outbox', '--to', 'nobody@example.com', '--endpoint', server.url, '--data', dir.path)).out).toBe('no emails to nobody@example.com');
      expect((await leedz('outbox', '--kind', 'refund', '--endpoint', server.url, '--data', dir.path)).out).toBe('no emails of kind refund');
      // Bulk mail's one-click unsubscribe is a header field: shown after the body's links.
      await server.marketplace!.outbox.send({
        to: 'ann@example.com', kind: 'new-leed', key: 'l_1:ann:new-leed', subject: 'New Leed: Gala', html: '<p>Gala</p>', text: `Gala\n\nView the leed: ${server.url}/leedz/dj/l_1`,
        headers: { 'List-Unsubscribe': `<${server.url}/api/unsubscribe?token=abc.def.ghi>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      });
      const bulk = await leedz('outbox', '--kind', 'new-leed', '--endpoint', server.url, '--data', dir.path);
      expect(bulk.out).toContain(`    → ${server.url}/leedz/dj/l_1\n    → ${server.url}/api/unsubscribe?token=abc.def.ghi  (List-Unsubscribe: one click)`);
    } finally {
      await server.close();
    }
    const seeded = await leedz('seed', '--users', '5', '--leedz', '10', '--data', dir.path);
    expect(seeded.code).toBe(0);
    expect(seeded.out).toMatch(/added 5 users and \d+ leedz/);
    expect(seeded.err).toMatch(/seeding: 15\/15 \(100%\)|seeding.*100%/);
    dir.cleanup();
  }, 60_000);
});

describe('run from a folder below the server’s', () => {
  it('says where the data folder is when ./data here has no credentials but one above has (run from docs/, say)', async () => {
    const root = tempDir('leedz-cli-');
    const cwd = process.cwd();
    try {
      loadOrCreateRuntimeCredentials(join(root.path, 'data', 'keys'));
      mkdirSync(join(root.path, 'docs'));
      process.chdir(join(root.path, 'docs'));
      vi.stubEnv('LEEDZ_DATA_DIR', '');
      vi.stubEnv('AWS_ACCESS_KEY_ID', '');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
      const result = await leedz('invocations', '--endpoint', 'http://127.0.0.1:1');
      expect(result.code).toBe(1);
      expect(result.err).toContain(`./data is this folder's: the server started in ${root.path} keeps its data in ${join(root.path, 'data')} (run from there, or pass --data ${join(root.path, 'data')})`);
      // Given a folder by name, the CLI means that one: no guess.
      expect((await leedz('invocations', '--endpoint', 'http://127.0.0.1:1', '--data', 'elsewhere')).err).not.toContain('is this folder');
    } finally {
      vi.unstubAllEnvs();
      process.chdir(cwd);
      root.cleanup();
    }
  });
});

describe('as a process', () => {
  it('serve on a folder whose database is not one says which folder, what SQLite found and what to do, with no stack trace', async () => {
    const dir = tempDir('leedz-cli-');
    try {
      writeFileSync(join(dir.path, 'leedz.db'), 'these bytes are not a database, though the name says so\n'.repeat(100));
      const result = await new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/leedz.ts', 'serve', '--port', '0', '--data', dir.path], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('close', (code) => resolve({ code, err }));
      });
      expect(result.code).toBe(1);
      expect(result.err).toContain(`leedz serve: a database in the data folder ${dir.path} is not a database (SQLITE_NOTADB: file is not a database); restore the folder's databases from a backup`);
      expect(result.err).not.toMatch(/\n\s+at /);
      // And the folder is not left claimed.
      expect(existsSync(join(dir.path, 'server.lock'))).toBe(false);
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  it('serve refuses a data folder another live server uses, naming it; the folder is free again once that server stops, and a lock left by a dead one is taken over', async () => {
    const dir = tempDir('leedz-cli-');
    const serve = () =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/leedz.ts', 'serve', '--example', '--port', '0', '--data', dir.path], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        // Started after all (a failure of this test): stopped at once.
        child.stdout.on('data', (chunk: Buffer) => /Invoke API:/.test(chunk.toString()) && child.kill('SIGINT'));
        child.on('close', (code) => resolve({ code, err }));
      });
    try {
      const first = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_APP: 'example' }), { schedules: false });
      try {
        const second = await serve();
        expect(second.code).toBe(1);
        expect(second.err).toContain(`the data folder ${dir.path} is in use by another Leedz server (process ${process.pid}, at ${first.url}): stop it, or start this one with another --data`);
        expect(second.err).not.toMatch(/\n\s+at /);
      } finally {
        await first.close();
      }
      expect(existsSync(join(dir.path, 'server.lock'))).toBe(false);
      // A lock whose process is gone (a server killed with -9) does not keep the folder.
      const gone = spawn(process.execPath, ['-e', '']);
      await new Promise((resolve) => gone.on('close', resolve));
      writeFileSync(join(dir.path, 'server.lock'), `${gone.pid}\n`);
      const again = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_APP: 'example' }), { schedules: false });
      expect(readFileSync(join(dir.path, 'server.lock'), 'utf8').trim()).toBe(String(process.pid));
      await again.close();
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  it('serve stops with status 1, saying why, when its data folder is removed under it: what it wrote since is not kept', async () => {
    const dir = tempDir('leedz-cli-');
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/leedz.ts', 'serve', '--example', '--port', '0', '--data', dir.path], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no banner in: ${stdout}${stderr}`)), 30_000);
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
            if (/Invoke API:/.test(stdout)) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        rmSync(dir.path, { recursive: true, force: true });
        const code = await Promise.race([closed, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
        expect(code, stdout + stderr).toBe(1);
      } finally {
        child.kill('SIGKILL');
      }
      expect(stderr).toContain(`leedz serve: the data folder ${dir.path} was removed while the server ran; what it wrote since then is not kept. Stopping:`);
      expect(stdout).toContain('the data folder is gone: finishing running invocations…');
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  it('a claimed data folder is lost when one of its databases is removed or replaced, or another server takes its lock; a lock only deleted is taken again', () => {
    const dir = tempDir('leedz-cli-');
    try {
      const db = join(dir.path, 'runtime.db');
      writeFileSync(db, '');
      // Held open, as the server's SQLite holds it: a new file cannot take its inode.
      const open = openSync(db, 'r');
      const claim = claimDataFolder(dir.path, ['runtime.db']);
      expect(claim.lost()).toBeUndefined();
      rmSync(join(dir.path, 'server.lock'));
      expect(claim.lost()).toBeUndefined();
      expect(readFileSync(join(dir.path, 'server.lock'), 'utf8').trim()).toBe(String(process.pid));
      // Another live process holds the lock now (this test's parent stands in for a second server).
      writeFileSync(join(dir.path, 'server.lock'), `${process.ppid}\n`);
      expect(claim.lost()).toBe(`another Leedz server (process ${process.ppid}) took the data folder ${dir.path}`);
      writeFileSync(join(dir.path, 'server.lock'), `${process.pid}\n`);
      rmSync(db);
      expect(claim.lost()).toBe(`runtime.db in the data folder ${dir.path} was removed`);
      writeFileSync(db, '');
      expect(claim.lost()).toBe(`runtime.db in the data folder ${dir.path} was replaced by another file`);
      claim.release();
      closeSync(open);
      expect(existsSync(join(dir.path, 'server.lock'))).toBe(false);
    } finally {
      dir.cleanup();
    }
  });

  it('serve names in its banner the functions whose queues are held, as the hold survives the restart', async () => {
    const dir = tempDir('leedz-cli-');
    try {
      const first = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_APP: 'example' }));
      first.runtime.pause('orderController');
      await first.close();
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/leedz.ts', 'serve', '--example', '--port', '0', '--data', dir.path], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no banner in: ${stdout}`)), 30_000);
          child.stdout.on('data', (chunk: Buffer) => {
            stdout += chunk.toString();
            if (/Invoke API:/.test(stdout)) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
      } finally {
        child.kill('SIGINT');
        await new Promise((resolve) => child.on('close', resolve));
      }
      // The example has no marketplace: no web app is offered.
      expect(stdout).not.toContain('web app:');
      expect(stdout).toMatch(/\n {2}paused: {6}orderController — their events wait \(`npm run leedz -- resume <function> --endpoint http:\/\/\S+ --data \S+` releases one\)\n/);
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  it('whose output is piped into a reader that closes early (`| head -1`) stops quietly, with status 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server/leedz.ts', '--help'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader is gone before the first line is written: every write meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  }, 30_000);
});

describe('times given to --since and --until', () => {
  it('are UTC without an offset, as the table shows times, whatever the machine’s zone', () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/Chicago';
    try {
      expect(parseInstant('--since', '2026-12-06T10:00')).toBe(String(Date.UTC(2026, 11, 6, 10, 0)));
      expect(parseInstant('--since', '2026-12-06T10:00:30.5')).toBe(String(Date.UTC(2026, 11, 6, 10, 0, 30, 500)));
      expect(parseInstant('--since', '2026-12-06T10:00-06:00')).toBe(String(Date.UTC(2026, 11, 6, 16, 0)));
      expect(parseInstant('--since', '2026-12-06')).toBe(String(Date.UTC(2026, 11, 6)));
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describe('short ids', () => {
  it('are the shortest prefixes, at least 8 characters, that no other id of the whole log shares', () => {
    const log = createInvocationLog(openRuntimeDb(':memory:'));
    const ids = ['019a6f1e-8c2b-7d4e-9a1b-aaaa', '019a6f1e-8c2b-7d4e-9a1b-aabb', '019a6f1e-9000-7000-8000-0000', '01ffffff-0000-7000-8000-0000'];
    log.insertMany(ids.map((id) => invocationRow({ id, function: 'sink', type: 'Event', payload: '{}', enqueued_at: 0 })));
    // Asked for two of them, each is cut against all four, not only against the other one asked.
    expect(log.shortIds([ids[0]!, ids[2]!])).toEqual({ [ids[0]!]: '019a6f1e-8c2b-7d4e-9a1b-aaa', [ids[2]!]: '019a6f1e-9' });
    expect(log.shortIds([ids[3]!, 'not-in-the-log'])).toEqual({ [ids[3]!]: '01ffffff', 'not-in-the-log': 'not-in-t' });
  });
});
