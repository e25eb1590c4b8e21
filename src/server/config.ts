/**
 * Configuration of the local server, resolved once at the edge: every environment variable the
 * project reads is named here, validated, and turned into a {@link ServerConfig}.
 *
 * @example
 * const config = resolveServerConfig(process.env); // throws ConfigError naming the variable and the rule
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { describeIssue } from '../leedz/domain/validation.js';
import { DEFAULT_RETENTION } from '../runtime/local-runtime.js';
import { DEFAULT_EMAILS_KEPT } from './marketplace-housekeeping.js';

export const ENV = {
  port: 'PORT',
  host: 'HOST',
  dataDir: 'LEEDZ_DATA_DIR',
  timeScale: 'LEEDZ_TIME_SCALE',
  durability: 'LEEDZ_DURABILITY',
  poolSize: 'LEEDZ_POOL_SIZE',
  endpoint: 'LEEDZ_ENDPOINT',
  publicUrl: 'PUBLIC_URL',
  adminEmail: 'ADMIN_EMAIL',
  smtpUrl: 'SMTP_URL',
  mailFrom: 'MAIL_FROM',
  seed: 'LEEDZ_SEED',
  app: 'LEEDZ_APP',
  profile: 'LEEDZ_PROFILE',
  stackName: 'LEEDZ_STACK_NAME',
  duplicateDelivery: 'LEEDZ_DUPLICATE_DELIVERY',
  retentionHours: 'LEEDZ_RETENTION_HOURS',
  retentionInvocations: 'LEEDZ_RETENTION_INVOCATIONS',
  retentionEmails: 'LEEDZ_RETENTION_EMAILS',
} as const;

export interface ServerConfig {
  port: number;
  host: string;
  dataDir: string;
  timeScale: number;
  durability: 'process-crash' | 'power-loss';
  poolSize: number;
  /** What `serve` runs: the marketplace (default) or the framework's small example. */
  app: 'marketplace' | 'example';
  /**
   * Which adapters the marketplace uses: `local` (SQLite, outbox, local identity; in-process
   * invocations) or `aws-local` (the AWS adapters against local emulators the server starts, and
   * the Lambda transport over this server's Invoke API).
   */
  profile: 'local' | 'aws-local';
  /** Base URL for links in emails and the checkout's return; defaults to the server's own URL. */
  publicUrl?: string;
  adminEmail: string;
  /** When set, emails are also sent by SMTP (they are always kept in the outbox). */
  smtpUrl?: string;
  mailFrom: string;
  /** Seed demo data on first run (an empty store). */
  seed: boolean;
  /** The CDK stack's name: functions answer to `<stackName>-<name>` too, as deployed. */
  stackName: string;
  /** Fraction (0–1) of events delivered twice, and out of order (at-least-once, made visible). */
  duplicateDelivery: number;
  /**
   * How much history the invocation log keeps (src/runtime/local-runtime.ts, `RetentionOptions`); the
   * dev email outbox keeps the same age, and at most `maxEmails` (src/server/marketplace-housekeeping.ts).
   */
  retention: { maxAgeHours: number; maxInvocations: number; maxEmails?: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const schema = z.object({
  [ENV.port]: z.coerce.number().int().min(0).max(65_535).default(3000),
  [ENV.host]: z.string().min(1).default('127.0.0.1'),
  [ENV.dataDir]: z.string().min(1).default('data'),
  [ENV.timeScale]: z.coerce.number().positive().max(1).default(1),
  [ENV.durability]: z.enum(['process-crash', 'power-loss']).default('process-crash'),
  // Event invocations at once. The server's HTTP requests share its one event loop with them: 16
  // batches of a fan-out already keep a core busy, and more only make each turn of the loop longer, which a
  // request waits through (bench/post-latency: post p50 under a 10,000-subscriber fan-out, 0.84–1.35× of
  // idle at 16, up to 1.6× at 64, with the same emails/s).
  [ENV.poolSize]: z.coerce.number().int().min(1).max(4096).default(16),
  [ENV.app]: z.enum(['marketplace', 'example']).default('marketplace'),
  [ENV.profile]: z.enum(['local', 'aws-local']).default('local'),
  [ENV.publicUrl]: z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, '')).optional(),
  [ENV.adminEmail]: z.email().default('admin@leedz.local'),
  [ENV.smtpUrl]: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  [ENV.mailFrom]: z.string().min(3).default('The Leedz <no-reply@leedz.local>'),
  [ENV.seed]: z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1').default(true),
  [ENV.stackName]: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,30}$/, 'must be a CloudFormation stack name (letters, digits, "-")').default('Leedz'),
  [ENV.duplicateDelivery]: z.coerce.number().min(0).max(1).default(0),
  // A week, and 100,000 invocations (about 50 MB): what a developer looks back over.
  [ENV.retentionHours]: z.coerce.number().positive().max(87_600).default(DEFAULT_RETENTION.maxAgeHours),
  [ENV.retentionInvocations]: z.coerce.number().int().min(1_000).max(100_000_000).default(DEFAULT_RETENTION.maxInvocations),
  [ENV.retentionEmails]: z.coerce.number().int().min(100).max(100_000_000).default(DEFAULT_EMAILS_KEPT),
});

/**
 * Validate the environment (and command-line overrides, which win) into a ServerConfig. `flags`
 * names the command-line flag a variable's value came from, so that a refusal names what was typed.
 */
export function resolveServerConfig(env: Record<string, string | undefined>, overrides: Partial<ServerConfig> = {}, flags: Partial<Record<string, string>> = {}): ServerConfig {
  const present = Object.fromEntries(Object.values(ENV).flatMap((key) => (env[key] === undefined || env[key] === '' ? [] : [[key, env[key]]])));
  // In the words the API and the CLI use for a bad value ("must be a whole number from 0 to 65,535"), not zod's.
  const parsed = schema.safeParse(present, { error: describeIssue });
  if (!parsed.success) {
    const source = (key: string) => (flags[key] === undefined ? key : `${flags[key]} (${key})`);
    const problems = parsed.error.issues.map((issue) => `${source(issue.path.join('.'))}: ${issue.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const values = parsed.data;
  return {
    port: overrides.port ?? values[ENV.port],
    host: overrides.host ?? values[ENV.host],
    dataDir: resolve(overrides.dataDir ?? values[ENV.dataDir]),
    timeScale: overrides.timeScale ?? values[ENV.timeScale],
    durability: overrides.durability ?? values[ENV.durability],
    poolSize: overrides.poolSize ?? values[ENV.poolSize],
    app: overrides.app ?? values[ENV.app],
    profile: overrides.profile ?? values[ENV.profile],
    ...(values[ENV.publicUrl] === undefined ? {} : { publicUrl: values[ENV.publicUrl] }),
    adminEmail: values[ENV.adminEmail],
    ...(values[ENV.smtpUrl] === undefined ? {} : { smtpUrl: values[ENV.smtpUrl] }),
    mailFrom: values[ENV.mailFrom],
    seed: overrides.seed ?? values[ENV.seed],
    stackName: values[ENV.stackName],
    duplicateDelivery: overrides.duplicateDelivery ?? values[ENV.duplicateDelivery],
    retention: overrides.retention ?? {
      maxAgeHours: values[ENV.retentionHours],
      maxInvocations: values[ENV.retentionInvocations],
      maxEmails: values[ENV.retentionEmails],
    },
  };
}

/** Where CLI commands find the running server. */
export function resolveEndpoint(env: Record<string, string | undefined>, flag?: string): string {
  const endpoint = flag ?? env[ENV.endpoint];
  // Without an endpoint, the server of this machine's PORT: a PORT that is no port is PORT's mistake.
  const port = env[ENV.port] || '3000';
  if (endpoint === undefined && (!/^\d{1,5}$/.test(port) || Number(port) > 65_535)) throw new ConfigError(`${ENV.port}: "${port}" is not a port number (or give the server's URL with --endpoint)`);
  const raw = endpoint ?? `http://127.0.0.1:${port}`;
  const source = flag === undefined ? ENV.endpoint : '--endpoint';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${source}: "${raw}" is not a URL (expected e.g. http://127.0.0.1:3000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${source}: "${raw}" must be an http(s) URL`);
  }
  return url.origin;
}

/**
 * ` --endpoint URL --data DIR`, each unless it is the CLI's default (port 3000, ./data): the commands
 * are copied into other terminals, whose environment may not name this server's port or folder.
 */
export function cliFlagsFor(url: string, dataDir: string): string {
  const flags: string[] = [];
  if (resolveEndpoint({}).replace(/\/+$/, '') !== url.replace(/\/+$/, '')) flags.push('--endpoint', url);
  if (resolve('data') !== resolve(dataDir)) flags.push('--data', shellWord(dataDir));
  return flags.length === 0 ? '' : ` ${flags.join(' ')}`;
}

/** A word the shell reads back as it is. */
function shellWord(text: string): string {
  return /^[\w./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
