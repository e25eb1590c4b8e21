/**
 * The README's "On AWS" steps, run as written by bash with `npm`, `npx` and `aws` standing in: every
 * `cdk` command they run (synth, bootstrap, deploy) synthesises the app first, so each must be given
 * the settings synth requires (`infra/settings.ts`), and synth must come before anything that needs
 * credentials. `npx cdk bootstrap` once ran with no settings, and stopped at the app's message.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readStackSettings } from '../../infra/settings.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dir = tempDir('leedz-readme-');
afterAll(() => dir.cleanup());

/** The first `sh` block under the README's "## On AWS". */
function awsSteps(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## On AWS\n'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md: no ```sh block under "## On AWS"');
  return block;
}

/** The account's Lambda concurrency, as the stand-in `aws` answers it: no number the README writes itself. */
const ACCOUNT_CONCURRENCY = '640';

/** Each command the block runs, as its words. */
function run(block: string): string[][] {
  const log = join(dir.path, 'commands');
  const stubs = [
    'record() { printf "%s\\037" "$@" >> "$LOG"; printf "\\n" >> "$LOG"; }',
    'npm() { record npm "$@"; }',
    'npx() { record npx "$@"; }',
    `aws() { record aws "$@"; echo ${ACCOUNT_CONCURRENCY}; }`,
  ].join('\n');
  // No startup files: this machine's bashrc (Debian's bash reads it even for -c when it guesses ssh) is not the README's.
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', `set -eu\n${stubs}\n${block}`], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, LOG: log },
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\x1f').slice(0, -1));
}

/** The cdk command a logged command runs (`npm run synth --` is package.json's `cdk synth …`), or undefined. */
function cdkCommand(words: string[]): { command: string; args: string[] } | undefined {
  const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  if (words[0] === 'npx' && words[1] === 'cdk') return { command: words[2]!, args: words.slice(3) };
  if (words[0] === 'npm' && words[1] === 'run') {
    const script = scripts[words[2]!]?.split(' ') ?? [];
    if (script[0] !== 'cdk') return undefined;
    return { command: script[1]!, args: words.slice(words[3] === '--' ? 4 : 3) };
  }
  return undefined;
}

/** `-c key=value` pairs, as the CDK CLI hands them to the app. */
function contextOf(args: string[]): Record<string, string> {
  const context: Record<string, string> = {};
  args.forEach((arg, index) => {
    if (arg !== '-c' && arg !== '--context') return;
    const [key, ...value] = args[index + 1]!.split('=');
    context[key!] = value.join('=');
  });
  return context;
}

describe('the README’s On AWS steps', () => {
  const commands = run(awsSteps());
  const cdk = commands.map((words, index) => ({ index, ...cdkCommand(words) })).filter((c): c is { index: number; command: string; args: string[] } => c.command !== undefined);

  it('synthesise, bootstrap and deploy, in that order', () => {
    expect(cdk.map((c) => c.command)).toEqual(['synth', 'bootstrap', 'deploy']);
  });

  it('give every cdk command the settings synth requires: each synthesises the app, bootstrap too', () => {
    for (const { command, args } of cdk) {
      const context = contextOf(args);
      expect(() => readStackSettings((key) => context[key]), `cdk ${command} ${args.join(' ')}`).not.toThrow();
    }
  });

  it('synthesise before anything needs credentials, and bootstrap and deploy with the account’s concurrency', () => {
    const firstAws = commands.findIndex((words) => words[0] === 'aws');
    expect(firstAws).toBeGreaterThan(cdk.find((c) => c.command === 'synth')!.index);
    expect(commands[firstAws]).toEqual(['aws', 'lambda', 'get-account-settings', '--query', 'AccountLimit.ConcurrentExecutions', '--output', 'text']);
    for (const { command, args } of cdk.filter((c) => c.command !== 'synth')) expect(contextOf(args).lambdaConcurrency, command).toBe(ACCOUNT_CONCURRENCY);
  });
});
