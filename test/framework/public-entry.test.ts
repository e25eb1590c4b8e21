/**
 * The framework's public entry (src/framework/index.ts, issue 12 point 3): the README's example,
 * compiled as it is written, imports from it; an application author can subclass NonRetriableError
 * with a code of their own.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as framework from '../../src/framework/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The README's TypeScript example, compiled in place at the repository's root (in memory) with the project's options. */
function compileReadmeExample(): { source: string; errors: string[] } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Writing a function and a controller'));
  const source = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
  const file = join(ROOT, 'readme-example.ts');
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const host = ts.createCompilerHost(config.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => (resolve(name) === file ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => resolve(name) === file || fileExists(name);
  const program = ts.createProgram([file], { ...config.options, noUnusedLocals: false }, host);
  const errors = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || resolve(d.file.fileName) === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  return { source, errors };
}

describe('the framework’s public entry', () => {
  it('is what the README’s example imports, and the example compiles', () => {
    const { source, errors } = compileReadmeExample();
    expect(source).toContain("from './src/framework/index.js'");
    expect(source).not.toMatch(/src\/framework\/(?!index\.js)/);
    expect(errors).toEqual([]);
  }, 60_000);

  it('offers the pattern and nothing of the runtime', () => {
    for (const name of ['defineController', 'defineFunction', 'invoke', 'NonRetriableError', 'RetryAfterError', 'createIdempotency', 'errorDetails', 'InvokeError', 'RawJson']) {
      expect(framework).toHaveProperty(name);
    }
    expect(Object.keys(framework)).not.toContain('createInvocationContext');
  });

  it('lets an application subclass NonRetriableError with its own code and cause', () => {
    class OutOfStock extends framework.NonRetriableError {
      constructor(item: string, cause?: unknown) {
        super(`${item} is out of stock`, { code: 'OUT_OF_STOCK', cause });
      }
    }
    const error = new OutOfStock('pretzel', new Error('warehouse said 0'));
    expect(error).toMatchObject({ code: 'OUT_OF_STOCK', message: 'pretzel is out of stock' });
    expect((error.cause as Error).message).toBe('warehouse said 0');
    expect(framework.isRetriable(error)).toBe(false);
  });
});
