/** Entry point of the `leedz` command (`npm start` runs `leedz serve`). */
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`leedz: unexpected error: ${(error as Error).stack ?? String(error)}`);
    process.exitCode = 1;
  },
);
