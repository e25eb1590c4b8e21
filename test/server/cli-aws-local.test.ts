/**
 * The `leedz` command line against the `aws-local` profile, whose dev outbox is the SES emulator's
 * web page: the CLI says where to look, rather than read the page as JSON.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/server/cli.js';
import { resolveServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { requireJava } from '../helpers/dynamodb-local.js';
import { tempDir } from '../helpers/temp-dir.js';

const hasJava = requireJava();
const dir = tempDir('leedz-cli-aws-local-');
let server: RunningServer | undefined;

beforeAll(async () => {
  if (!hasJava) return;
  server = await startServer(resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: '0.001', LEEDZ_PROFILE: 'aws-local' }));
}, 180_000);

afterAll(async () => {
  await server?.close();
  dir.cleanup();
}, 60_000);

describe.skipIf(!hasJava)('leedz against the aws-local profile', () => {
  it('outbox names the SES emulator’s page to open, with no stack trace and exit 1', async () => {
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void err.push(parts.join(' ')));
    const code = await main(['outbox', '--endpoint', server!.url, '--data', dir.path]).finally(() => vi.restoreAllMocks());
    expect(code).toBe(1);
    expect(err.join('\n')).toBe(`leedz outbox: this server keeps no outbox of its own (the example app sends no email; the aws-local profile's go to its SES emulator): open ${server!.awsLocal!.emulators.ses.endpoint}/`);
  });
});
