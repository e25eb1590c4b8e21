/**
 * What escapes a handler other than by its promise — an exception thrown from a timer, a rejection
 * nothing handles, `process.exit` — is that one invocation's function error, as Lambda's Node.js
 * runtime reports it, and the server goes on serving (src/runtime/process-guard.ts). Driven from
 * outside, with the AWS SDK, against a runtime in a child process (test/helpers/escape-worker.ts).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalRuntime } from '../../src/runtime/local-runtime.js';
import type { DeadLetterView } from '../../src/runtime/views.js';
import { signRequest } from '../../src/server/signed-fetch.js';
import { TEST_CREDENTIALS, lambdaClient } from '../helpers/signed.js';
import { tempDir } from '../helpers/temp-dir.js';

const worker = join(import.meta.dirname, '../helpers/escape-worker.ts');

interface Child {
  process: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startWorker(dir: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let line = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      line += chunk;
      const match = /\{"url":"([^"]+)"\}/.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`the worker exited (${code}) before listening: ${output}`)));
  });
  return { process: child, url, output: () => output, exited };
}

async function invoke(client: LambdaClient, payload: object, type: 'RequestResponse' | 'Event' = 'RequestResponse') {
  const answer = await client.send(new InvokeCommand({ FunctionName: 'escaper', InvocationType: type, Payload: JSON.stringify(payload) }));
  const text = answer.Payload == null ? '' : Buffer.from(answer.Payload).toString('utf8');
  return { status: answer.StatusCode, functionError: answer.FunctionError, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

async function deadLetters(url: string): Promise<DeadLetterView[]> {
  const target = `${url}/local/dead-letters`;
  const response = await fetch(target, { headers: await signRequest(target, { method: 'GET' }, TEST_CREDENTIALS) });
  return (await response.json()) as DeadLetterView[];
}

describe('an error that escapes a handler', () => {
  let dir: ReturnType<typeof tempDir>;
  let child: Child;
  let client: LambdaClient;

  beforeAll(async () => {
    dir = tempDir('leedz-escape-');
    child = await startWorker(dir.path);
    client = lambdaClient(child.url);
  }, 60_000);

  afterAll(() => {
    client?.destroy();
    if (child !== undefined && child.process.exitCode === null) child.process.kill('SIGKILL');
    dir?.cleanup();
  });

  it('thrown from a timer: the invocation fails with that error; an invocation running beside it is not touched', async () => {
    const beside = invoke(client, { mode: 'slow', tag: 'beside' });
    const failed = await invoke(client, { mode: 'timer', tag: 't1' });
    expect(failed.status).toBe(200);
    expect(failed.functionError).toBe('Unhandled');
    expect(failed.body).toMatchObject({ errorType: 'TypeError', errorMessage: 'thrown from a timer t1' });
    expect(await beside).toEqual({ status: 200, functionError: undefined, body: 'slow beside done' });
  });

  it('a rejection nothing handles is Runtime.UnhandledPromiseRejection, the reason as its message', async () => {
    const failed = await invoke(client, { mode: 'rejection', tag: 'r1' });
    expect(failed.functionError).toBe('Unhandled');
    expect(failed.body).toMatchObject({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: 'Error: nobody handles this r1' });
  });

  it('process.exit is Runtime.ExitError with the exit status, and the code after it does not run', async () => {
    const failed = await invoke(client, { mode: 'exit', tag: 'e1' });
    expect(failed.functionError).toBe('Unhandled');
    const body = failed.body as { errorType: string; errorMessage: string };
    expect(body.errorType).toBe('Runtime.ExitError');
    expect(body.errorMessage).toMatch(/^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 3$/);

    const quiet = await invoke(client, { mode: 'exit0', tag: 'e0' });
    expect(quiet.body).toMatchObject({ errorType: 'Runtime.ExitError', errorMessage: expect.stringMatching(/Error: Runtime exited without providing a reason$/) as unknown });
    expect((await invoke(client, { mode: 'ran-on' })).body).toEqual([]);
  });

  it('after its invocation has answered: the answer stands, and the server goes on', async () => {
    expect(await invoke(client, { mode: 'late', tag: 'l1' })).toEqual({ status: 200, functionError: undefined, body: 'answered' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await invoke(client, { mode: 'slow', tag: 'after' })).body).toBe('slow after done');
  });

  it('an Event that escapes is retried and kept as a dead letter with its error, and the server never stops', async () => {
    expect((await invoke(client, { mode: 'timer', tag: 'event' }, 'Event')).status).toBe(202);
    let letter: DeadLetterView | undefined;
    for (let i = 0; i < 200 && letter === undefined; i += 1) {
      letter = (await deadLetters(child.url)).find((l) => JSON.stringify(l.record.requestPayload).includes('"event"'));
      if (letter === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(letter).toMatchObject({ condition: 'RetriesExhausted', attempts: 2 });
    expect(letter!.record.responsePayload).toMatchObject({ errorType: 'TypeError', errorMessage: 'thrown from a timer event' });
    expect(child.process.exitCode).toBeNull();
  });

  it("an error outside every invocation is the server's own: the process ends as Node.js ends it", async () => {
    child.process.kill('SIGUSR2');
    expect(await child.exited).toBe(1);
    expect(child.output()).toContain('the server itself failed');
  });
});

describe('the guard is there while a runtime is open', () => {
  it('listens for escapes from the first runtime until the last one closes, and gives process.exit back', async () => {
    const dir = tempDir('leedz-escape-guard-');
    const before = { exception: process.listenerCount('uncaughtException'), rejection: process.listenerCount('unhandledRejection'), exit: process.exit };
    try {
      const first = createLocalRuntime({ dbPath: join(dir.path, 'a.db') });
      const second = createLocalRuntime({ dbPath: join(dir.path, 'b.db') });
      expect(process.listenerCount('uncaughtException')).toBe(before.exception + 1);
      expect(process.listenerCount('unhandledRejection')).toBe(before.rejection + 1);
      expect(process.exit).not.toBe(before.exit);
      await first.close();
      expect(process.listenerCount('uncaughtException')).toBe(before.exception + 1);
      await second.close();
      expect(process.listenerCount('uncaughtException')).toBe(before.exception);
      expect(process.listenerCount('unhandledRejection')).toBe(before.rejection);
      expect(process.exit).toBe(before.exit);
    } finally {
      dir.cleanup();
    }
  });
});
