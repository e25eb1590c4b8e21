/**
 * The `leedz` command run as a user runs it, in a child process (`npx tsx src/server/leedz.ts …`),
 * with the repository as its working directory.
 *
 * @example
 * const { code, stdout } = await runLeedz(['credentials', '--data', dataDir, '--endpoint', url]);
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root, where `npx tsx` and `src/server/leedz.ts` are found. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function runLeedz(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/server/leedz.ts', ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
