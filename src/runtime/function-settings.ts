/**
 * A function's settings as the runtime applies them: what the code declares (`defineController(…,
 * { maximumRetryAttempts, … })`, which is also what the CDK stack deploys), overridden by what the
 * management API changed (`PutFunctionEventInvokeConfig`, `PutFunctionConcurrency`, …), which is kept in
 * the runtime database and so survives a restart — as on AWS, where such a change lasts until the next
 * change.
 *
 * AWS's shapes and rules: https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html,
 * https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionEventInvokeConfig.html (Update merges,
 * Put replaces, and a setting left out of a Put goes back to AWS's default) and
 * https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html.
 *
 * @example
 * const settings = createFunctionSettings(db);
 * settings.putEventInvokeConfig('emailHelper', emailHelper.config, { maximumRetryAttempts: 0 });
 */
import type Database from 'better-sqlite3';
import type { FunctionConfig } from '../framework/define.js';
import type { FunctionSettingsView } from './views.js';

/** AWS's defaults for asynchronous invocation. */
export const DEFAULT_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;
export const DEFAULT_TIMEOUT_SECONDS = 3;

/** `FunctionEventInvokeConfig` as the Lambda API sends it (destinations as function names here; the API layer makes ARNs). */
export interface EventInvokeConfig {
  maximumRetryAttempts?: number;
  maximumEventAgeSeconds?: number;
  onSuccess?: string;
  onFailure?: string;
  /** The destinations' ARNs as the API was given them, which GetFunctionEventInvokeConfig returns (a declaration in code has none: the runtime's ARN of the name). */
  onSuccessArn?: string;
  onFailureArn?: string;
  /** Epoch ms of the last change (the code's declaration counts as the runtime's start). */
  lastModified: number;
}

/** What the runtime applies to a function's invocations: what `/local/functions` shows (src/runtime/views.ts). */
export type EffectiveConfig = FunctionSettingsView;

type StoredConfig = Omit<EventInvokeConfig, 'lastModified'> | { deleted: true };

interface SettingsRow {
  function: string;
  event_invoke_config: string | null;
  event_invoke_config_at: number | null;
  reserved_concurrency: number | null;
  reserved_set: number;
  paused: number;
}

export interface FunctionSettings {
  /** The settings in force for `name`, given what its code declares. */
  effective(name: string, declared: FunctionConfig): EffectiveConfig;
  /** The function's `FunctionEventInvokeConfig`, or undefined when it has none (AWS's 404). */
  eventInvokeConfig(name: string, declared: FunctionConfig): EventInvokeConfig | undefined;
  /** Replace the whole configuration (a field left out gets AWS's default); returns it as stored. */
  putEventInvokeConfig(name: string, declared: FunctionConfig, config: Omit<EventInvokeConfig, 'lastModified'>): EventInvokeConfig;
  deleteEventInvokeConfig(name: string): void;
  /** `undefined` removes the reservation (`DeleteFunctionConcurrency`). */
  setReservedConcurrency(name: string, value: number | undefined): void;
  /** Reserved concurrency per function that has one (code or API), for `GetAccountSettings`. */
  reservedConcurrency(name: string, declared: FunctionConfig): number | undefined;
  /** Hold (true) or release (false) the function's queue; kept across restarts. */
  setPaused(name: string, paused: boolean): void;
}

const ASYNC_KEYS = ['maximumRetryAttempts', 'maximumEventAgeSeconds', 'onSuccess', 'onFailure'] as const;
/** What Put stores: the settings and the destinations' ARNs as given. */
const STORED_KEYS = [...ASYNC_KEYS, 'onSuccessArn', 'onFailureArn'] as const;

export function createFunctionSettings(db: Database.Database, startedAt = Date.now()): FunctionSettings {
  const get = db.prepare<[string], SettingsRow>('SELECT * FROM function_settings WHERE function = ?');
  const putConfig = db.prepare(
    `INSERT INTO function_settings (function, event_invoke_config, event_invoke_config_at) VALUES (?, ?, ?)
     ON CONFLICT (function) DO UPDATE SET event_invoke_config = excluded.event_invoke_config, event_invoke_config_at = excluded.event_invoke_config_at`,
  );
  const putReserved = db.prepare(
    `INSERT INTO function_settings (function, reserved_concurrency, reserved_set) VALUES (?, ?, 1)
     ON CONFLICT (function) DO UPDATE SET reserved_concurrency = excluded.reserved_concurrency, reserved_set = 1`,
  );
  const putPaused = db.prepare(
    `INSERT INTO function_settings (function, paused) VALUES (?, ?) ON CONFLICT (function) DO UPDATE SET paused = excluded.paused`,
  );
  // Few functions, read on every claim of an event: kept in memory, written through.
  const cache = new Map<string, SettingsRow | undefined>();
  const row = (name: string) => {
    if (!cache.has(name)) cache.set(name, get.get(name));
    return cache.get(name);
  };

  function stored(name: string): StoredConfig | undefined {
    const json = row(name)?.event_invoke_config;
    return json === null || json === undefined ? undefined : (JSON.parse(json) as StoredConfig);
  }

  function eventInvokeConfig(name: string, declared: FunctionConfig): EventInvokeConfig | undefined {
    const override = stored(name);
    if (override !== undefined) {
      if ('deleted' in override) return undefined;
      return { ...override, lastModified: row(name)?.event_invoke_config_at ?? startedAt };
    }
    // The code's declaration is the configuration the stack deploys; a function that declares none has none.
    const fromCode: Omit<EventInvokeConfig, 'lastModified'> = {};
    for (const key of ASYNC_KEYS) if (declared[key] !== undefined) Object.assign(fromCode, { [key]: declared[key] });
    return Object.keys(fromCode).length === 0 ? undefined : { ...fromCode, lastModified: startedAt };
  }

  function reservedConcurrency(name: string, declared: FunctionConfig): number | undefined {
    const r = row(name);
    if (r !== undefined && r.reserved_set === 1) return r.reserved_concurrency ?? undefined;
    return declared.reservedConcurrency;
  }

  function write(name: string, config: StoredConfig): void {
    putConfig.run(name, JSON.stringify(config), Date.now());
    cache.delete(name);
  }

  return {
    effective(name, declared) {
      const asyncConfig = eventInvokeConfig(name, declared) ?? { lastModified: startedAt };
      const reserved = reservedConcurrency(name, declared);
      return {
        timeoutSeconds: declared.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
        maximumRetryAttempts: asyncConfig.maximumRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
        maximumEventAgeSeconds: asyncConfig.maximumEventAgeSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS,
        ...(reserved === undefined ? {} : { reservedConcurrency: reserved }),
        ...(asyncConfig.onSuccess === undefined ? {} : { onSuccess: asyncConfig.onSuccess }),
        ...(asyncConfig.onFailure === undefined ? {} : { onFailure: asyncConfig.onFailure }),
        ...(row(name)?.paused === 1 ? { paused: true as const } : {}),
      };
    },
    eventInvokeConfig,
    putEventInvokeConfig(name, declared, config) {
      const next: Omit<EventInvokeConfig, 'lastModified'> = {};
      for (const key of STORED_KEYS) if (config[key] !== undefined) Object.assign(next, { [key]: config[key] });
      write(name, next);
      return eventInvokeConfig(name, declared)!;
    },
    deleteEventInvokeConfig(name) {
      write(name, { deleted: true });
    },
    setReservedConcurrency(name, value) {
      putReserved.run(name, value ?? null);
      cache.delete(name);
    },
    reservedConcurrency,
    setPaused(name, paused) {
      putPaused.run(name, paused ? 1 : 0);
      cache.delete(name);
    },
  };
}
