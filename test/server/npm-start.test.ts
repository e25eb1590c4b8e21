/**
 * `npm start` as a user runs it, in a child process: its banner's console link signs the operator in
 * once, its CLI hint reaches this server, and the server it starts stops when npm is killed by its
 * process id; a server started in the background without npm runs on after its shell has ended. npm does not pass SIGTERM on to the server, and a wrapper
 * process between them (tsx's CLI) would keep the server's parent alive: the server is one process,
 * which sees its parent go and stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, runLeedz } from '../helpers/leedz-cli.js';
import { openConsoleLink } from '../helpers/console-link.js';
import { tempDir } from '../helpers/temp-dir.js';

let npm: ChildProcess | undefined;
let dir: ReturnType<typeof tempDir> | undefined;

afterEach(() => {
  // Whatever is left of the group (npm, its shell, the server) goes.
  if (npm?.pid !== undefined) {
    try {
      process.kill(-npm.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  dir?.cleanup();
});

/** Resolves with the output so far once `pattern` appears in it. */
function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

describe('a server started in the background', () => {
  it('runs on after the shell that started it has ended (nohup, setsid, a script), until it is told to stop', async () => {
    dir = tempDir('leedz-background-');
    // Not through npm: the variables npm sets (this suite runs under `npm test`) are left out.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
    const log = `${dir.path}/server.log`;
    // The shell stays until the server listens (the server knows its parent by then), then ends.
    npm = spawn('sh', ['-c', `node bin/leedz.js serve --port 0 --data ${dir.path}/data > ${log} 2>&1 & echo $!; until grep -q 'listening on' ${log}; do sleep 0.2; done`], {
      cwd: REPO_ROOT,
      env: { ...env, LEEDZ_SEED: 'false' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = Number((await waitForOutput(npm, /^\d+\n/, 10_000)).trim());
    await new Promise((resolve) => npm!.once('exit', resolve));
    let url: string | undefined;
    for (let i = 0; i < 300 && url === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      url = /listening on (http:\/\/\S+)/.exec(readFileSync(log, 'utf8'))?.[1];
    }
    expect(url).toBeDefined();
    try {
      // The watch for a gone parent looks every second: a few of them pass.
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      expect(await answers(url!)).toBe(true);
      expect(readFileSync(log, 'utf8')).not.toContain('the process that started the server is gone');
    } finally {
      process.kill(pid, 'SIGTERM');
    }
    let up = true;
    for (let i = 0; i < 50 && up; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      up = await answers(url!);
    }
    expect(up).toBe(false);
  }, 90_000);
});

describe('npm start', () => {
  it('stops the server when npm is killed by its process id', async () => {
    dir = tempDir('leedz-npm-start-');
    npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = await waitForOutput(npm, /listening on (http:\/\/\S+)[\s\S]*credentials:.*\n/, 60_000);
    const url = /listening on (http:\/\/\S+)/.exec(started)![1]!;
    expect(await answers(url)).toBe(true);

    // The banner's commands reach this server as printed, from any terminal: they name its port (PORT=0
    // chose one the CLI cannot guess) and its data folder, neither being the CLI's default.
    const hint = /`npm run leedz -- console-url([^`]*)`/.exec(started)?.[1] ?? '';
    expect(hint).toBe(` --endpoint ${url} --data ${dir.path}`);
    const link = await runLeedz(['console-url', ...hint.trim().split(' ')], { PORT: '', LEEDZ_DATA_DIR: '' });
    expect(link.stdout).toMatch(new RegExp(`^${url}/console\\?token=`));

    // The banner's own console link signs the operator in, once: the console's JSON answers with its cookie.
    const printed = new RegExp(`console:\\s+(${url}/console\\?token=\\S+)`).exec(started)?.[1];
    expect(printed).toBeDefined();
    const opened = await openConsoleLink(printed!);
    expect(opened.response.status).toBe(303);
    const cookie = opened.cookie;
    expect(cookie).toBeDefined();
    const functions = await fetch(`${url}/local/functions`, { headers: { cookie: cookie! } });
    expect(functions.status).toBe(200);
    expect(((await functions.json()) as { name: string }[]).map((f) => f.name)).toContain('emailHelper');
    expect((await openConsoleLink(printed!)).response.status).toBe(401);

    // It says how to stop at once, should the running invocations take their time.
    const stopped = waitForOutput(npm, /the process that started the server is gone: finishing running invocations… \(Ctrl-C again stops at once: /, 15_000);
    process.kill(npm.pid!, 'SIGTERM');
    await stopped;
    let up = true;
    for (let i = 0; i < 50 && up; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      up = await answers(url);
    }
    expect(up).toBe(false);
  }, 90_000);
});
