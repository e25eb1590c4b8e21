/**
 * An in-process marketplace server on a free port with its own data folder, and the small client
 * helpers the end-to-end tests share: sign in through the magic link read from the outbox, call the
 * API, and wait until every asynchronous consequence has happened.
 */
import { resolveServerConfig } from '../../src/server/config.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import type { Leed } from '../../src/leedz/domain/leed.js';
import { tempDir } from './temp-dir.js';

export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  /** Call the API; JSON in and out. */
  api(method: string, path: string, options?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  /** Sign in by magic link (read from the outbox); returns the session token and username. */
  signIn(email: string): Promise<{ token: string; username: string }>;
  /** Wait until the outbox relay and the runtime's queue are both empty. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(
  options: { timeScale?: number; env?: Record<string, string>; now?: () => Date; schedules?: boolean; /** A data folder the caller owns (kept at close). */ dataDir?: string } = {},
): Promise<TestServer> {
  const dir = options.dataDir === undefined ? tempDir('leedz-e2e-') : { path: options.dataDir, cleanup: () => {} };
  const config = resolveServerConfig({ PORT: '0', LEEDZ_DATA_DIR: dir.path, LEEDZ_SEED: 'false', LEEDZ_TIME_SCALE: String(options.timeScale ?? 0.001), ...options.env });
  // Off unless asked: a scheduled invocation would join the invocations a test counts.
  const server = await startServer(config, { schedules: options.schedules ?? false, ...(options.now === undefined ? {} : { now: options.now }) });
  const url = server.url;

  const api: TestServer['api'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if ((method === 'POST' || method === 'PATCH') && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }), redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      // not JSON (an HTML page): keep the text
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };

  const settle = async () => {
    const marketplace = server.marketplace!;
    for (let round = 0; round < 100; round++) {
      await marketplace.relay.relayOnce();
      await server.runtime.drain({ timeoutMs: 120_000 });
      if ((await marketplace.store.pendingOutbox(1)).length === 0) {
        await server.runtime.drain({ timeoutMs: 120_000 });
        return;
      }
    }
    throw new Error('settle: the outbox never emptied');
  };

  const signIn = async (email: string) => {
    const login = await api('POST', '/api/auth/login', { body: { email } });
    if (login.status !== 202) throw new Error(`login ${email}: ${login.status} ${JSON.stringify(login.body)}`);
    await settle();
    const emails = server.marketplace!.outbox.listEmails({ to: email, kind: 'magic-link', limit: 1 });
    const token = signInTokenOf(emails[0]?.text ?? '');
    if (token === undefined) throw new Error(`no magic link for ${email} in the outbox`);
    const callback = await api('POST', '/api/auth/callback', { body: { token } });
    if (callback.status !== 200) throw new Error(`callback ${email}: ${callback.status} ${JSON.stringify(callback.body)}`);
    await settle();
    return { token: callback.body.token as string, username: callback.body.user.username as string };
  };

  return {
    server,
    url,
    dataDir: dir.path,
    api,
    signIn,
    settle,
    close: async () => {
      await server.close();
      dir.cleanup();
    },
  };
}

/**
 * The token of the sign-in link in an email's text (`…/signin/confirm#token=…`), which the confirm
 * page sends with `POST /api/auth/callback {token}`.
 */
export function signInTokenOf(text: string): string | undefined {
  const encoded = /https?:\/\/[^\s"<]+\/signin\/confirm#token=([A-Za-z0-9_%.~-]+)/.exec(text)?.[1];
  return encoded === undefined ? undefined : decodeURIComponent(encoded);
}

/** A valid new-leed body, a week from now, in Springfield IL; override what a test is about. */
export function newLeedBody(overrides: Partial<Record<keyof Leed, unknown>> & Record<string, unknown> = {}): Record<string, unknown> {
  const start = new Date(Date.now() + 7 * 86_400_000);
  start.setUTCHours(18, 0, 0, 0);
  return {
    trade: 'caricatures',
    title: 'Birthday party needs a caricature artist',
    location: '123 Main Street, Springfield, IL 62701',
    start: start.toISOString(),
    end: new Date(start.getTime() + 3 * 3_600_000).toISOString(),
    price: 2500,
    clientEmail: 'client@example.com',
    clientPhone: '(555) 123-4567',
    details: 'Two hours, about forty guests.',
    requirements: 'Bring your own easel.',
    ...overrides,
  };
}
