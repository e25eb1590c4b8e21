/** Entry point of the `leedz` command (`npm start` runs `leedz serve`). */
import { main } from './cli.js';

// `leedz invocations | head -1` (or `2>&1 | head -1`): the reader has what it wanted and closed the
// pipe. Stop quietly, as git does, rather than die of the unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`leedz: unexpected error: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
