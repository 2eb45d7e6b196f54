import { z } from 'zod';
import { FlagsError, formatIssues } from './errors.js';
import type { FlagsMetricsRegistry } from './telemetry.js';

/**
 * Any pino-compatible logger (pino, Fastify's `app.log`, `@immo/logger`): `(object, message)`
 * calls at `info`, `warn` and `error`.
 */
export interface FlagsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Options of {@link createFlags}. Each is read in one order: the explicit option, then its
 * `IMMO_FLAGS_*` environment variable, then the default. The whole set is validated at once.
 */
export interface FlagsOptions {
  /**
   * The flag file (YAML or JSON), e.g. a mounted ConfigMap. Watched: a change is in force within a
   * second, without a restart. `false` for none. Env: `IMMO_FLAGS_FILE`.
   * @default no file
   * @example '/etc/flags/flags.yaml'
   */
  file?: string | false;
  /**
   * How often the file's identity (inode, size, mtime) is checked, besides `fs.watch` on its
   * folder; a missed watch event is caught within this interval. Env: `IMMO_FLAGS_POLL_INTERVAL_MS`.
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * The deployment environment that `environments` rules match when the evaluation context has
   * none. Env: `IMMO_FLAGS_ENVIRONMENT`.
   * @example 'production'
   */
  environment?: string;
  /**
   * Every flag answers its declared default (reason `STATIC`); no file is read, environment
   * overrides and admin flips are ignored. The no-op switch. Env: `IMMO_FLAGS_DISABLED=1`.
   * @default false
   */
  disabled?: boolean;
  /** Add `feature_flag.evaluation` events to the active span (needs `@opentelemetry/api`). @default true */
  tracing?: boolean;
  /** An `@immo/metrics` instance, or `false` for none. @default getMetrics() */
  metrics?: false | FlagsMetricsRegistry;
  /** Where configuration changes and problems are logged. @default JSON lines on stderr */
  logger?: FlagsLogger;
  /** The environment variables read (options and `IMMO_FLAGS_<KEY>` overrides). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock for staleness checks; replace it in tests. @default () => new Date() */
  now?: () => Date;
}

export interface ResolvedFlagsOptions {
  file: string | false;
  pollIntervalMs: number;
  environment: string | undefined;
  disabled: boolean;
  tracing: boolean;
  metrics: false | FlagsMetricsRegistry | undefined;
  logger: FlagsLogger;
  env: Readonly<Record<string, string | undefined>>;
  now: () => Date;
}

const ENV: Record<string, string> = {
  file: 'IMMO_FLAGS_FILE',
  pollIntervalMs: 'IMMO_FLAGS_POLL_INTERVAL_MS',
  environment: 'IMMO_FLAGS_ENVIRONMENT',
  disabled: 'IMMO_FLAGS_DISABLED',
};

/** Every environment variable the options read (documented in the README). */
export const ENV_VARIABLES: readonly string[] = Object.values(ENV);

const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';
const hasMethods = (v: unknown, names: readonly string[]) =>
  typeof v === 'object' &&
  v !== null &&
  names.every((k) => typeof (v as Record<string, unknown>)[k] === 'function');

const schema = z
  .object({
    file: z.union([z.literal(false), z.string().min(1, 'a file path')]),
    pollIntervalMs: z.number().int().min(50).max(60_000),
    environment: z.string().min(1).max(64).optional(),
    disabled: z.boolean(),
    tracing: z.boolean(),
    metrics: z
      .union([
        z.literal(false),
        z.custom<FlagsMetricsRegistry>(
          (v) => hasMethods(v, ['counter', 'gauge']),
          'an @immo/metrics instance (getMetrics())',
        ),
      ])
      .optional(),
    logger: z.custom<FlagsLogger>(
      (v) => hasMethods(v, ['info', 'warn', 'error']),
      'a logger with info, warn and error',
    ),
    env: z.custom<Record<string, string | undefined>>(
      (v) => typeof v === 'object' && v !== null,
      'an object',
    ),
    now: z.custom<() => Date>(isFunction, 'function'),
  })
  .strict();

function writeLine(level: string, obj: object, msg?: string): void {
  const fields: Record<string, unknown> = { level, time: new Date().toISOString(), name: '@immo/flags' };
  for (const [k, v] of Object.entries(obj)) {
    fields[k] = v instanceof Error ? { type: v.name, message: v.message } : v;
  }
  if (msg !== undefined) fields.msg = msg;
  process.stderr.write(`${JSON.stringify(fields)}\n`);
}

/** Without a logger, configuration changes and problems still reach the pod's log. */
export const fallbackLogger: FlagsLogger = {
  info: (obj, msg) => writeLine('info', obj, msg),
  warn: (obj, msg) => writeLine('warn', obj, msg),
  error: (obj, msg) => writeLine('error', obj, msg),
};

function parseEnv(key: string, raw: string): unknown {
  const v = raw.trim();
  if (key === 'pollIntervalMs') return /^\d+$/.test(v) ? Number(v) : raw;
  if (key === 'disabled') {
    const l = v.toLowerCase();
    if (l === 'true' || l === '1') return true;
    if (l === 'false' || l === '0') return false;
    return raw; // reported by validation with its source
  }
  return v;
}

/**
 * Merges explicit options, `IMMO_FLAGS_*` variables and defaults, then validates the result whole.
 * Throws {@link FlagsError} (`IMMO_FLAGS_INVALID_OPTIONS`) listing every problem.
 */
export function resolveFlagsOptions(options: FlagsOptions = {}): ResolvedFlagsOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new FlagsError('IMMO_FLAGS_INVALID_OPTIONS', 'Invalid @immo/flags options', [
      `(options): expected object, received ${options === null ? 'null' : typeof options}`,
    ]);
  }
  const env = options.env ?? process.env;
  const sources: Record<string, string> = {};
  const merged: Record<string, unknown> = {
    file: false,
    pollIntervalMs: 1000,
    environment: undefined,
    disabled: false,
    tracing: true,
    metrics: undefined,
    logger: fallbackLogger,
    env,
    now: () => new Date(),
  };
  if (typeof env === 'object' && env !== null) {
    for (const [key, variable] of Object.entries(ENV)) {
      const raw = env[variable];
      if (raw !== undefined && raw !== '') {
        merged[key] = parseEnv(key, raw);
        sources[key] = variable;
      }
    }
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    merged[key] = value;
    delete sources[key];
  }
  const r = schema.safeParse(merged);
  if (!r.success) {
    throw new FlagsError(
      'IMMO_FLAGS_INVALID_OPTIONS',
      'Invalid @immo/flags options',
      formatIssues(r.error, merged, sources),
    );
  }
  return r.data as ResolvedFlagsOptions;
}
