/**
 * What a local runtime is made with (`createLocalRuntime(options)`): its database, its timings, its
 * pool, and the Lambda behaviours it can make visible (duplicate delivery) or bound (retention).
 *
 * @example
 * const options: RuntimeOptions = { dbPath: 'data/runtime.db', timeScale: 0.001, poolSize: 16 };
 */
import type { Transport } from '../framework/transport.js';
import type { RetentionOptions } from './retention.js';
import type { Durability } from './runtime-db.js';

export interface RuntimeOptions {
  /** SQLite file of the queue and invocation log (`:memory:` for a throwaway runtime). */
  dbPath: string;
  /** `process-crash` (default): WAL + synchronous=NORMAL. `power-loss`: synchronous=FULL. */
  durability?: Durability;
  /** Multiplies AWS's delays (retries, throttle backoff, maximum event age); 1 = AWS's real timings. */
  timeScale?: number;
  /** Invocations the worker pool runs at once, over all functions (default 64). */
  poolSize?: number;
  /** How often the worker looks for due events when nothing woke it (default 250 ms). */
  pollIntervalMs?: number;
  /** Delays before the second and third attempts, in seconds before scaling (default AWS's 60 and 120). */
  retryDelaysSeconds?: readonly [number, number];
  region?: string;
  accountId?: string;
  /** The transport handlers use to invoke other functions (default: this runtime, in-process). */
  transport?: Transport;
  /** One line per ended invocation and per runtime event, for a console. */
  onLog?: (line: string) => void;
  /**
   * Prefixes of the names functions are deployed under (`['Leedz-']` for the stack `Leedz`), so a
   * caller written for AWS (`Leedz-emailHelper`, or its ARN in any region and account) reaches them.
   */
  functionNamePrefixes?: readonly string[];
  /**
   * At-least-once, made visible: this fraction (0–1) of accepted events is delivered twice, the copy
   * a moment later, and every event is delivered within a short random window rather than in order,
   * as Lambda may do (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html). Default 0.
   */
  duplicateDelivery?: number;
  /** The random source of duplicate delivery (tests). */
  random?: () => number;
  /** How much history the log keeps (src/runtime/retention.ts: a week, 100,000 invocations); `false` keeps everything. */
  retention?: RetentionOptions | false;
}

