/**
 * Issue 8, item 9: the Invoke API, the management API and `/local/*` are closed to anyone without the
 * runtime's credentials, as Lambda is closed to anyone without IAM credentials. Real HTTP against a
 * real server; the refusals are AWS's (403, the exception's name in `x-amzn-ErrorType`, a JSON body),
 * so the SDKs raise typed exceptions.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { InvokeCommand, LambdaClient, LambdaServiceException, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RuntimeCredentials } from '../../src/runtime/credentials.js';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { uriEncode } from '../../src/runtime/sigv4.js';
import { signedFetch, signRequest } from '../../src/server/signed-fetch.js';
import { REPO_ROOT, runLeedz } from '../helpers/leedz-cli.js';
import { startTestServer, type TestServer } from '../helpers/marketplace-server.js';

let t: TestServer;
const clients: LambdaClient[] = [];

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await t?.close();
});

function client(credentials: RuntimeCredentials, endpoint = t.url, region = 'local'): LambdaClient {
  // A copy: the SDK marks the object it is given (`$source`).
  const made = new LambdaClient({ endpoint, region, credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }, maxAttempts: 1 });
  clients.push(made);
  return made;
}

/** The environment without any AWS setting of the machine running the tests (a profile, a region, keys). */
function withoutAwsVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('AWS_')));
}

/** The three surfaces: Lambda's Invoke, Lambda's management API, the runtime's own JSON. */
const SURFACES = [
  { name: 'Invoke', method: 'POST', path: '/2015-03-31/functions/getTrades/invocations', body: '{}' },
  { name: 'ListFunctions', method: 'GET', path: '/2015-03-31/functions/' },
  { name: '/local/invocations', method: 'GET', path: '/local/invocations' },
] as const;

const LAMBDA_SURFACES = SURFACES.filter((surface) => surface.path.startsWith('/2015'));

/**
 * The status of a request written byte for byte (fetch cannot send one header as two lines, nor
 * declare a length it does not send): read from the first bytes of the answer.
 */
function rawStatus(requestLine: string, headerLines: string[], body: string, declaredLength = Buffer.byteLength(body)): Promise<number> {
  const { hostname, port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write([requestLine, ...headerLines, `content-length: ${declaredLength}`, 'connection: close', '', body].join('\r\n'));
    });
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (status === null) return;
      socket.destroy();
      resolve(Number(status[1]));
    });
    socket.on('close', () => reject(new Error(`connection closed with no status line: ${JSON.stringify(answer)}`)));
    socket.on('error', reject);
  });
}

/** A request as a stranger would send it: a plain fetch, no signature. */
function unsigned(surface: (typeof SURFACES)[number]): Promise<Response> {
  return fetch(`${t.url}${surface.path}`, { method: surface.method, ...('body' in surface ? { body: surface.body } : {}) });
}

function signedWith(surface: (typeof SURFACES)[number], credentials: RuntimeCredentials): Promise<Response> {
  return signedFetch(`${t.url}${surface.path}`, { method: surface.method, ...('body' in surface ? { body: surface.body } : {}) }, credentials);
}

async function expectAwsRefusal(response: Response, errorType: string): Promise<void> {
  expect(response.status).toBe(403);
  expect(response.headers.get('x-amzn-errortype')).toBe(errorType);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { message?: unknown };
  expect(body.message).toEqual(expect.any(String));
}

describe('without the runtime’s credentials', () => {
  it.each(LAMBDA_SURFACES)('$name unsigned: 403 MissingAuthenticationTokenException with a JSON body, as Lambda answers', async (surface) => {
    await expectAwsRefusal(await unsigned(surface), 'MissingAuthenticationTokenException');
  });

  it('/local/invocations with no authentication at all: 401 JSON that says how to get in', async () => {
    const response = await unsigned(SURFACES[2]);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await response.json()) as { message: string }).message).toMatch(/console-url|credentials/);
  });

  it.each(SURFACES)('$name signed with the right key id and a wrong secret: 403 InvalidSignatureException', async (surface) => {
    const wrongSecret = { accessKeyId: t.server.credentials.accessKeyId, secretAccessKey: 'not-the-secret-not-the-secret-not-the-se' };
    await expectAwsRefusal(await signedWith(surface, wrongSecret), 'InvalidSignatureException');
  });

  it.each(SURFACES)('$name signed with a key the runtime never issued: 403 UnrecognizedClientException', async (surface) => {
    const stranger = { accessKeyId: 'AKIASTRANGERSTRANGER', secretAccessKey: t.server.credentials.secretAccessKey };
    await expectAwsRefusal(await signedWith(surface, stranger), 'UnrecognizedClientException');
  });

  it('a signed request sent with another body is refused (InvalidSignatureException): the signature covers the bytes', async () => {
    const url = `${t.url}/2015-03-31/functions/emailHelper/invocations`;
    const signed = JSON.stringify({ function: 'noSuchRoute' });
    const { host: _host, ...headers } = await signRequest(url, { method: 'POST', headers: { 'x-amz-invocation-type': 'Event' }, body: signed }, t.server.credentials);
    // The signed headers, x-amz-content-sha256 (the hash of the signed body) included, with a body of the attacker's choosing.
    const swapped = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ function: 'magicLink', email: 'victim@example.com', request: 'swapped-1' }) });
    await expectAwsRefusal(swapped, 'InvalidSignatureException');
    // The same headers with the body they were made for pass.
    expect((await fetch(url, { method: 'POST', headers, body: signed })).status).toBe(202);
    await t.settle();
  });

  it('a signature that declares UNSIGNED-PAYLOAD signs no body, so it opens nothing, whatever body comes with it (only S3 takes one)', async () => {
    const url = `${t.url}/2015-03-31/functions/emailHelper/invocations`;
    const { host: _host, ...headers } = await signRequest(url, { method: 'POST', headers: { 'x-amz-invocation-type': 'Event', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }, t.server.credentials);
    expect(headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    for (const body of [JSON.stringify({ function: 'magicLink', email: 'victim@example.com', request: 'unsigned-1' }), '{}']) {
      await expectAwsRefusal(await fetch(url, { method: 'POST', headers, body }), 'InvalidSignatureException');
    }
  });

  it('a session token the runtime never issued: UnrecognizedClientException, as AWS answers a made-up one', async () => {
    const { accessKeyId, secretAccessKey } = t.server.credentials;
    const withToken = new LambdaClient({ endpoint: t.url, region: 'local', credentials: { accessKeyId, secretAccessKey, sessionToken: 'FwoGZXIvYXdzEBYaDGV4YW1wbGV0b2tlbg==' }, maxAttempts: 1 });
    clients.push(withToken);
    const error = await withToken.send(new ListFunctionsCommand({})).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LambdaServiceException);
    expect(error).toMatchObject({ name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', $metadata: { httpStatusCode: 403 } });
  });

  it('/healthz tells anyone whether the server is up, and nothing about what it runs', async () => {
    const response = await fetch(`${t.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });

  it('the key id and a made-up signature with a body declared over 6 MB: 413, nothing behind the check runs (the body is not read, so nothing is checked)', async () => {
    const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
    const authorization = `AWS4-HMAC-SHA256 Credential=${t.server.credentials.accessKeyId}/${now.slice(0, 8)}/local/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
    const lines = [`host: ${new URL(t.url).host}`, `x-amz-date: ${now}`, `authorization: ${authorization}`, 'content-type: application/json'];
    const sevenMegabytes = 7 * 1024 * 1024;
    for (const requestLine of [
      'GET /local/functions HTTP/1.1',
      'POST /local/console-link HTTP/1.1',
      'POST /local/functions/emailHelper/pause HTTP/1.1',
      'GET /2015-03-31/functions/ HTTP/1.1',
      'POST /2015-03-31/functions/getTrades/invocations HTTP/1.1',
      'POST /api/ops/reports/1/resolve HTTP/1.1',
    ]) {
      expect([requestLine, await rawStatus(requestLine, lines, '{"action":"dismiss"}', sevenMegabytes)]).toEqual([requestLine, 413]);
    }
    const functions = (await (await signedFetch(`${t.url}/local/functions`, { method: 'GET' }, t.server.credentials)).json()) as { name: string; paused?: boolean }[];
    expect(functions.find((fn) => fn.name === 'emailHelper')?.paused).not.toBe(true);
  });

  it('the JS SDK with wrong credentials throws a typed LambdaServiceException named for the failure, HTTP 403', async () => {
    const wrongSecret = client({ accessKeyId: t.server.credentials.accessKeyId, secretAccessKey: 'wrong' });
    const stranger = client({ accessKeyId: 'AKIASTRANGERSTRANGER', secretAccessKey: 'wrong' });
    const cases = [
      { call: wrongSecret.send(new ListFunctionsCommand({})), name: 'InvalidSignatureException' },
      { call: wrongSecret.send(new InvokeCommand({ FunctionName: 'getTrades', Payload: Buffer.from('{}') })), name: 'InvalidSignatureException' },
      { call: stranger.send(new ListFunctionsCommand({})), name: 'UnrecognizedClientException' },
      { call: stranger.send(new InvokeCommand({ FunctionName: 'getTrades', Payload: Buffer.from('{}') })), name: 'UnrecognizedClientException' },
    ];
    for (const { call, name } of cases) {
      const error = await call.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(LambdaServiceException);
      expect((error as LambdaServiceException).name).toBe(name);
      expect((error as LambdaServiceException).$metadata.httpStatusCode).toBe(403);
    }
  });
});

describe('with the runtime’s credentials', () => {
  it('the JS SDK lists the functions and invokes one', async () => {
    const lambda = client(t.server.credentials);
    const listed = await lambda.send(new ListFunctionsCommand({}));
    expect(listed.Functions?.map((fn) => fn.FunctionName)).toEqual(expect.arrayContaining(['login', 'emailHelper', 'getTrades']));
    const invoked = await lambda.send(new InvokeCommand({ FunctionName: 'getTrades', Payload: Buffer.from(JSON.stringify({ params: {}, query: {}, headers: {} })) }));
    expect(invoked.StatusCode).toBe(200);
    expect(invoked.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(invoked.Payload!).toString('utf8'))).toMatchObject({ status: 200, body: { trades: expect.any(Array) } });
  });

  it('an Invoke whose signed header arrives as two lines verifies, as AWS joins the lines with "," before it checks', async () => {
    const path = '/2015-03-31/functions/getTrades/invocations';
    // Signed as the single value 'a,b', sent as the lines 'a' and 'b': the same canonical request.
    const signed = await signRequest(`${t.url}${path}`, { method: 'POST', headers: { 'x-amz-invocation-type': 'DryRun', 'x-leedz-note': 'a,b' }, body: '{}' }, t.server.credentials);
    expect(signed['authorization']).toContain('x-leedz-note');
    const lines = Object.entries(signed).flatMap(([name, value]) => (name === 'x-leedz-note' ? [`${name}: a`, `${name}: b`] : [`${name}: ${value}`]));
    expect(await rawStatus(`POST ${path} HTTP/1.1`, lines, '{}')).toBe(204);
    const tampered = lines.map((line) => line.replace(/^x-leedz-note: b$/, 'x-leedz-note: c'));
    expect(await rawStatus(`POST ${path} HTTP/1.1`, tampered, '{}')).toBe(403);
  });

  it('signed requests reach /local too', async () => {
    const response = await signedFetch(`${t.url}/local/invocations?limit=1`, { method: 'GET' }, t.server.credentials);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(expect.any(Array));
  });

  it('a presigned URL reaches /local with its own query parameters, the signature’s X-Amz-* set apart from them', async () => {
    const target = new URL(`${t.url}/local/invocations`);
    const signer = new SignatureV4({ service: 'lambda', region: 'local', credentials: t.server.credentials, sha256: Sha256 });
    const presigned = await signer.presign(
      { method: 'GET', protocol: 'http:', hostname: target.hostname, port: Number(target.port), path: target.pathname, query: { limit: '1', type: 'Event' }, headers: { host: target.host } },
      { expiresIn: 60 },
    );
    const query = Object.entries(presigned.query ?? {}).map(([name, value]) => `${uriEncode(name)}=${uriEncode(String(value))}`).join('&');
    expect(query).toContain('X-Amz-Signature=');
    const response = await fetch(`${target.href}?${query}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(expect.any(Array));
    // Its own parameters are still checked: a misspelt one is named.
    const misspelt = await signer.presign(
      { method: 'GET', protocol: 'http:', hostname: target.hostname, port: Number(target.port), path: target.pathname, query: { limt: '1' }, headers: { host: target.host } },
      { expiresIn: 60 },
    );
    const refused = await fetch(`${target.href}?${Object.entries(misspelt.query ?? {}).map(([name, value]) => `${uriEncode(name)}=${uriEncode(String(value))}`).join('&')}`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { message: string }).message).toBe('invalid query: limt: unknown query parameter');
  });
});

describe('`leedz credentials`', () => {
  const args = () => ['credentials', '--data', t.dataDir, '--endpoint', t.url];

  it('prints export lines that a POSIX shell evaluates into credentials the SDK works with (endpoint and region included)', async () => {
    const printed = await runLeedz(args());
    expect(printed.code, printed.stderr).toBe(0);
    const lines = printed.stdout.trim().split('\n');
    expect(lines.slice(0, -1).every((line) => line.startsWith('export '))).toBe(true);
    expect(lines.at(-1)).toBe('unset AWS_SESSION_TOKEN');
    // What `eval "$(npm run -s leedz -- credentials)"` does: the shell's own quoting rules decide.
    const evaluated = await new Promise<string>((resolve, reject) => {
      const script = 'eval "$1" && printf "%s\\n" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_REGION" "$AWS_ENDPOINT_URL_LAMBDA"';
      execFile('sh', ['-c', script, 'sh', printed.stdout], { cwd: REPO_ROOT }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    const [accessKeyId, secretAccessKey, region, endpoint] = evaluated.split('\n');
    expect(accessKeyId).toBe(t.server.credentials.accessKeyId);
    expect(secretAccessKey).toBe(t.server.credentials.secretAccessKey);
    expect(endpoint).toBe(t.url);
    const listed = await client({ accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! }, endpoint, region).send(new ListFunctionsCommand({}));
    expect(listed.Functions?.map((fn) => fn.FunctionName)).toContain('login');
  });

  it('after eval, an SDK configured by nothing but the environment reaches the runtime, even from a shell that held a real AWS session', async () => {
    const printed = await runLeedz(args());
    // A new process with an empty SDK configuration: endpoint, region and keys all come from the exports.
    const program = "import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda'; const out = await new LambdaClient({}).send(new ListFunctionsCommand({})); console.log(out.Functions.map((f) => f.FunctionName).join(','));";
    const names = await new Promise<string>((resolve, reject) => {
      execFile('sh', ['-c', 'eval "$1" && exec node --no-warnings --input-type=module -e "$2"', 'sh', printed.stdout, program], { cwd: REPO_ROOT, env: { ...withoutAwsVariables(process.env), AWS_SESSION_TOKEN: 'FwoGZXIvYXdzEBYaDGV4YW1wbGV0b2tlbg==' } }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim()),
      );
    });
    expect(names.split(',')).toEqual(expect.arrayContaining(['login', 'emailHelper']));
  });

  it('--format json and --format env-no-export print the same working values', async () => {
    const [json, plain] = await Promise.all([runLeedz([...args(), '--format', 'json']), runLeedz([...args(), '--format', 'env-no-export'])]);
    expect(json.code, json.stderr).toBe(0);
    expect(plain.code, plain.stderr).toBe(0);
    const fromJson = JSON.parse(json.stdout) as Record<string, string>;
    const fromLines = Object.fromEntries(
      plain.stdout
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(fromLines).toEqual(fromJson);
    expect(fromJson).toMatchObject({
      AWS_ACCESS_KEY_ID: t.server.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: t.server.credentials.secretAccessKey,
      AWS_REGION: expect.any(String),
      AWS_ENDPOINT_URL_LAMBDA: t.url,
    });
    const lambda = client({ accessKeyId: fromJson.AWS_ACCESS_KEY_ID!, secretAccessKey: fromJson.AWS_SECRET_ACCESS_KEY! }, fromJson.AWS_ENDPOINT_URL_LAMBDA, fromJson.AWS_REGION);
    expect((await lambda.send(new InvokeCommand({ FunctionName: 'emailHelper', InvocationType: 'DryRun' }))).StatusCode).toBe(204);
  });
});

describe('a page in the developer’s browser (another port of 127.0.0.1, no signature)', () => {
  const otherOrigin = () => `http://127.0.0.1:${Number(new URL(t.url).port) === 65_535 ? 65_534 : Number(new URL(t.url).port) + 1}`;
  const browserHeaders = () => ({ origin: otherOrigin(), 'content-type': 'text/plain;charset=UTF-8' });

  it('cannot invoke a controller, send a sign-in link through the Invoke API, or change function settings', async () => {
    const victim = 'victim@example.com';
    const attempts: { path: string; method: string; headers: Record<string, string>; body?: string }[] = [
      { path: '/2015-03-31/functions/emailHelper/invocations', method: 'POST', headers: { 'x-amz-invocation-type': 'Event' }, body: JSON.stringify({ function: 'magicLink', email: victim, request: 'forged-1' }) },
      { path: '/2015-03-31/functions/login/invocations', method: 'POST', headers: {}, body: JSON.stringify({ params: {}, query: {}, headers: {}, body: { email: victim } }) },
      { path: '/2017-10-31/functions/emailHelper/concurrency', method: 'PUT', headers: {}, body: JSON.stringify({ ReservedConcurrentExecutions: 0 }) },
      { path: '/2019-09-25/functions/emailHelper/event-invoke-config', method: 'DELETE', headers: {} },
    ];
    for (const attempt of attempts) {
      const response = await fetch(`${t.url}${attempt.path}`, { method: attempt.method, headers: { ...browserHeaders(), ...attempt.headers }, ...(attempt.body === undefined ? {} : { body: attempt.body }) });
      await expectAwsRefusal(response, 'MissingAuthenticationTokenException');
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
    }
    await t.settle();
    expect(t.server.marketplace!.outbox.countEmails({ to: victim })).toBe(0);
    expect(t.server.runtime.listInvocations({ function: 'login' })).toEqual([]);
    expect(t.server.runtime.listInvocations({ function: 'emailHelper' }).filter((invocation) => JSON.stringify(invocation).includes(victim))).toEqual([]);
  });

  it('cannot replay dead letters', async () => {
    // A dead letter to replay: an event for a route emailHelper does not have fails without retries.
    await client(t.server.credentials).send(new InvokeCommand({ FunctionName: 'emailHelper', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ function: 'noSuchRoute' })) }));
    await t.settle();
    const before = t.server.runtime.listDeadLetters();
    expect(before.length).toBeGreaterThan(0);

    const response = await fetch(`${t.url}/local/dead-letters/replay-all`, { method: 'POST', headers: browserHeaders(), body: '{}' });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    await t.settle();
    expect(t.server.runtime.listDeadLetters()).toEqual(before);
    expect(before.every((letter) => letter.replayedAs === null)).toBe(true);
  });
});

describe('the guards hold for every spelling of a guarded path', () => {
  beforeAll(async () => {
    // An email in the outbox that a leak would show.
    expect((await t.api('POST', '/api/auth/login', { body: { email: 'spelling@example.com' } })).status).toBe(202);
    await t.settle();
  });

  it.each([
    '/local/invocations/',
    '/local//invocations',
    '/local/%69nvocations',
    '/%6Cocal/invocations',
    '/x/../local/invocations',
    '/api/dev/outbox/',
    '/api/dev//outbox',
    '/api/%64ev/outbox',
    '/api/dev/outbox/1?format=html',
    '/2015-03-31/functions',
    '/2015-03-31//functions/',
    '/%32015-03-31/functions/',
    '/2016-08-19/account-settings/',
  ])('GET %s without credentials shows nothing (401, 403 or 404)', async (path) => {
    const response = await fetch(`${t.url}${path}`);
    expect([401, 403, 404]).toContain(response.status);
    const text = await response.text();
    expect(text).not.toContain('spelling@example.com');
    expect(text).not.toContain('"FunctionName"');
  });
});

