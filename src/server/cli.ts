/**
 * `leedz`: the command line of the local system. `serve` runs it (what `npm start` does); the other
 * commands talk to a running server over HTTP (src/server/cli-commands.ts). Every command has `--help`.
 *
 * @example
 * npm run leedz -- invoke placeOrder --payload '{"item":"pretzel","quantity":2}'
 * npm run leedz -- invocations --function orderController --outcome RetriesExhausted
 */
import { COMMANDS } from './cli-commands.js';
import { ServerError, UsageError } from './cli-support.js';
import { ConfigError, ENV } from './config.js';
import { CredentialsFileError } from '../runtime/credentials.js';
import { DataFolderError } from './data-dir.js';

function mainUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return `leedz — the Leedz on one machine

Usage: leedz <command> [options]      (from the project: npm run leedz -- <command>)

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`)
  .join('\n')}

Run \`leedz <command> --help\` for a command's options.`;
}

/** Run the `leedz` command line; resolves with the exit code (2: a usage mistake, 1: a failure). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || (name === 'help' && rest[0] === undefined)) {
    console.log(mainUsage());
    return 0;
  }
  // `leedz help <command>` is `leedz <command> --help` without the server's part.
  const topic = name === 'help' ? rest[0]! : name;
  const command = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
  if (command === undefined) {
    console.error(`leedz: unknown command "${topic}"\n\n${mainUsage()}`);
    return 2;
  }
  if (name === 'help') {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.execute(rest);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      // The mistake, then the command's synopsis: the whole help (options, examples) would push the
      // message off the screen, and is one `--help` away.
      const synopsis = command.usage.split('\n\n', 1)[0]!;
      console.error(`${prefixed(name, (error as Error).message)}\n\n${synopsis}\nRun \`leedz ${name} --help\` for its options and examples.`);
      return 2;
    }
    // The server said no, or could not be reached, or could not start (a port in use): a message, not a stack.
    if (error instanceof ServerError || (error as { code?: string }).code === 'EADDRINUSE') {
      console.error(prefixed(name, (error as Error).message));
      return 1;
    }
    const failure = hostFailure(error) ?? dataFolderFailure(error);
    if (failure !== undefined) {
      console.error(prefixed(name, failure));
      return 1;
    }
    throw error;
  }
}

/** Why the server could not listen on the host it was given (`--host`, HOST), or undefined for any other error. */
function hostFailure(error: unknown): string | undefined {
  const { code, address, hostname } = error as NodeJS.ErrnoException & { address?: string; hostname?: string };
  const choose = 'choose another with --host or HOST (default 127.0.0.1; 0.0.0.0 for every interface)';
  if (code === 'EADDRNOTAVAIL') return `cannot listen on host ${address ?? ''}: no network interface of this machine has that address (EADDRNOTAVAIL); ${choose}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot listen on host "${hostname ?? ''}": it is not an IP address or a name this machine resolves (${code}); ${choose}`;
  return undefined;
}

/** Errors of the file system that a data folder given by mistake causes (`--data /etc/passwd`). */
const FOLDER_ERRORS: ReadonlyMap<string, string> = new Map([
  ['ENOTDIR', 'a part of the path is a file, not a folder'],
  ['EEXIST', 'a file is there, where a folder should be'],
  ['EISDIR', 'a folder is there, where a file should be'],
  ['EACCES', 'permission denied'],
  ['EPERM', 'not permitted'],
  ['EROFS', 'the file system is read-only'],
  ['ENOSPC', 'no space left on the device'],
]);

/**
 * Why the data folder (`--data`, LEEDZ_DATA_DIR) could not be used: its credentials file holds none,
 * or the file system refused a path in it. Undefined for any other error.
 */
function dataFolderFailure(error: unknown): string | undefined {
  if (error instanceof CredentialsFileError || error instanceof DataFolderError) return error.message;
  const { code, path } = error as NodeJS.ErrnoException;
  const reason = code === undefined ? undefined : FOLDER_ERRORS.get(code);
  if (reason === undefined || path === undefined) return undefined;
  return `cannot use ${path}: ${reason} (${code}); check --data or $${ENV.dataDir}`;
}

/** `leedz <command>: message`, once: a message that already begins with the command (`dlq replay: …`) is not prefixed twice. */
function prefixed(name: string, message: string): string {
  return message.startsWith(`${name}:`) || message.startsWith(`${name} `) ? `leedz ${message}` : `leedz ${name}: ${message}`;
}
