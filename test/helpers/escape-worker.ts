/**
 * A child process for the escaped-error test (test/runtime/process-guard.test.ts): a runtime whose
 * `escaper` function leaves its handler the ways Lambda's Node.js runtime reports as function errors
 * — an exception thrown from a timer, a rejection nothing handles, `process.exit` — behind the Invoke
 * API. In its own process because a test runner listens for such errors too, and would report them.
 * Prints `{"url": …}` once it listens; SIGUSR2 throws an error outside every invocation.
 *
 * Usage: node --import tsx test/helpers/escape-worker.ts <dir>
 */
import { join } from 'node:path';
import { z } from 'zod';
import { defineFunction } from '../../src/framework/define.js';
import { createLocalRuntime } from '../../src/runtime/local-runtime.js';
import { startInvokeApi } from './invoke-api-server.js';

const dir = process.argv[2];
if (dir === undefined) {
  console.error('usage: escape-worker.ts <dir>');
  process.exit(2);
}

/** What the handler's code did after the point where it escaped (it must not run on). */
const ranOn: string[] = [];

const escaper = defineFunction('escaper', {
  input: z.object({ mode: z.enum(['timer', 'rejection', 'exit', 'exit0', 'late', 'slow', 'ran-on']), tag: z.string().default('') }),
  timeoutSeconds: 2,
  handler: async ({ mode, tag }) => {
    switch (mode) {
      case 'timer':
        setTimeout(() => {
          throw new TypeError(`thrown from a timer ${tag}`);
        }, 5);
        return new Promise(() => {});
      case 'rejection':
        void Promise.reject(new Error(`nobody handles this ${tag}`));
        return new Promise(() => {});
      case 'exit':
        process.exit(3);
        ranOn.push(tag);
        return 'went on after exit';
      case 'exit0':
        setTimeout(() => {
          process.exit(0);
          ranOn.push(tag);
        }, 5);
        return new Promise(() => {});
      case 'late':
        // Answers at once, and throws once its invocation has ended.
        setTimeout(() => {
          throw new Error(`after the answer ${tag}`);
        }, 50);
        return 'answered';
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, 300));
        return `slow ${tag} done`;
      case 'ran-on':
        return ranOn;
    }
  },
});

const runtime = createLocalRuntime({ dbPath: join(dir, 'runtime.db'), pollIntervalMs: 20, timeScale: 0.001 });
runtime.register(escaper, { maximumRetryAttempts: 1 });
runtime.start();
const api = await startInvokeApi(runtime);

process.on('SIGUSR2', () => {
  throw new Error('the server itself failed');
});
console.log(JSON.stringify({ url: api.url }));
