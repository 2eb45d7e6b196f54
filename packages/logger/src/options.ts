import type { RedactOptions } from '@immo/redact';
import type { DestinationStream } from 'pino';
import { z } from 'zod';
import { formatIssues, LoggerOptionsError } from './errors.js';
import { LEVELS, type Level } from './levels.js';

/**
 * Options of {@link createLogger}. Each is read in one order: the explicit option, then its
 * `IMMO_LOGGER_*` environment variable, then the default. The whole set is validated at once.
 */
export interface LoggerOptions {
  /**
   * The service name, on every line as `service`.
   * Env: `IMMO_LOGGER_SERVICE`, then `OTEL_SERVICE_NAME`. Required.
   * @example 'billing-api'
   */
  service?: string;
  /**
   * The service version, on every line as `version`.
   * Env: `IMMO_LOGGER_VERSION`, then `npm_package_version`.
   * @default '0.0.0'
   */
  version?: string;
  /**
   * The deployment environment, on every line as `env`.
   * Env: `IMMO_LOGGER_ENV`, then `NODE_ENV`.
   * @default 'development'
   */
  env?: string;
  /**
   * The minimum level written. Can be changed at runtime with {@link setLevel}.
   * Env: `IMMO_LOGGER_LEVEL`.
   * @default 'info'
   */
  level?: Level;
  /**
   * `false` turns the logger into a no-op (nothing is serialised or written).
   * Env: `IMMO_LOGGER_ENABLED`.
   * @default true
   */
  enabled?: boolean;
  /**
   * PII redaction through `@immo/redact`: `true` for the default policy, an options object to
   * change it, `false` to turn it off (not recommended outside benchmarks).
   * Env: `IMMO_LOGGER_REDACT` (`true`/`false`).
   * @default true
   */
  redact?: boolean | RedactOptions;
  /**
   * Where lines go: a pino destination stream, any object with `write(line)`, a file path, or
   * `1`/`2` for stdout/stderr. Env: `IMMO_LOGGER_DESTINATION` (a path, `stdout` or `stderr`).
   * @default stdout, asynchronous (flushed on exit and on crash)
   */
  destination?: DestinationStream | string | 1 | 2;
  /**
   * With a path or fd destination: write synchronously. Asynchronous writing is several times
   * cheaper per line; lines are still flushed on exit, on an uncaught exception and by `flush()`.
   * Env: `IMMO_LOGGER_SYNC`.
   * @default false
   */
  sync?: boolean;
  /**
   * Extra fields bound to every line (redacted like everything else).
   * @example { region: 'eu-central-1' }
   */
  base?: Record<string, unknown>;
  /**
   * pino serializers by key. A serializer that throws yields `"[Unserializable: <reason>]"`
   * instead of throwing into the caller.
   */
  serializers?: Record<string, (value: unknown) => unknown>;
  /**
   * Add `trace_id`, `span_id` and `trace_flags` from the active OpenTelemetry span.
   * Env: `IMMO_LOGGER_TRACE`.
   * @default true
   */
  traceCorrelation?: boolean;
  /**
   * Flush on process exit and log uncaught exceptions as `fatal` before the process dies.
   * @default true
   */
  flushOnExit?: boolean;
}

export interface ResolvedLoggerOptions {
  service: string;
  version: string;
  env: string;
  level: Level;
  enabled: boolean;
  redact: false | RedactOptions;
  destination: DestinationStream | string | 1 | 2;
  sync: boolean;
  base: Record<string, unknown>;
  serializers: Record<string, (value: unknown) => unknown>;
  traceCorrelation: boolean;
  flushOnExit: boolean;
}

const isStream = (v: unknown): v is DestinationStream =>
  typeof v === 'object' && v !== null && typeof (v as { write?: unknown }).write === 'function';

const schema = z
  .object({
    service: z.string().trim().min(1, 'a non-empty service name'),
    version: z.string().min(1),
    env: z.string().min(1),
    level: z.enum(LEVELS),
    enabled: z.boolean(),
    redact: z.union([z.boolean(), z.record(z.string(), z.unknown())]),
    destination: z.union([
      z.literal(1),
      z.literal(2),
      z.string().min(1),
      z.custom<DestinationStream>(isStream, 'a stream with write(line)'),
    ]),
    sync: z.boolean(),
    base: z.record(z.string(), z.unknown()),
    serializers: z.record(
      z.string(),
      z.custom<(v: unknown) => unknown>((v) => typeof v === 'function', 'function'),
    ),
    traceCorrelation: z.boolean(),
    flushOnExit: z.boolean(),
  })
  .strict();

const ENV: Record<string, string> = {
  service: 'IMMO_LOGGER_SERVICE',
  version: 'IMMO_LOGGER_VERSION',
  env: 'IMMO_LOGGER_ENV',
  level: 'IMMO_LOGGER_LEVEL',
  enabled: 'IMMO_LOGGER_ENABLED',
  redact: 'IMMO_LOGGER_REDACT',
  destination: 'IMMO_LOGGER_DESTINATION',
  sync: 'IMMO_LOGGER_SYNC',
  traceCorrelation: 'IMMO_LOGGER_TRACE',
};
const BOOLEAN_KEYS = new Set(['enabled', 'redact', 'sync', 'traceCorrelation']);

function fromEnv(key: string, raw: string): unknown {
  if (BOOLEAN_KEYS.has(key)) {
    const v = raw.trim().toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    return raw; // left as a string so validation reports it with its source
  }
  if (key === 'destination') {
    if (raw === 'stdout') return 1;
    if (raw === 'stderr') return 2;
  }
  return raw;
}

/**
 * Merges explicit options, `IMMO_LOGGER_*` variables and defaults, then validates the result
 * whole. Throws {@link LoggerOptionsError} listing every problem.
 */
export function resolveLoggerOptions(
  options: LoggerOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedLoggerOptions {
  if (options === null || typeof options !== 'object') {
    throw new LoggerOptionsError('IMMO_LOGGER_INVALID_OPTIONS', 'Invalid @immo/logger options', [
      `(options): expected object, received ${options === null ? 'null' : typeof options}`,
    ]);
  }
  const sources: Record<string, string> = {};
  const merged: Record<string, unknown> = {
    service: env.OTEL_SERVICE_NAME,
    version: env.npm_package_version ?? '0.0.0',
    env: env.NODE_ENV ?? 'development',
    level: 'info',
    enabled: true,
    redact: true,
    destination: 1,
    sync: false,
    base: {},
    serializers: {},
    traceCorrelation: true,
    flushOnExit: true,
  };
  for (const [key, variable] of Object.entries(ENV)) {
    const raw = env[variable];
    if (raw !== undefined && raw !== '') {
      merged[key] = fromEnv(key, raw);
      sources[key] = variable;
    }
  }
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) {
      merged[key] = value;
      delete sources[key];
    }
  }
  const result = schema.safeParse(merged);
  if (!result.success) {
    const issues = formatIssues(result.error, merged, sources);
    if (merged.service === undefined) {
      const i = issues.findIndex((line) => line.startsWith('service:'));
      if (i >= 0) issues[i] = `${issues[i]} — pass { service } or set IMMO_LOGGER_SERVICE`;
    }
    throw new LoggerOptionsError('IMMO_LOGGER_INVALID_OPTIONS', 'Invalid @immo/logger options', issues);
  }
  const r = result.data;
  return {
    ...r,
    redact: r.redact === true ? {} : r.redact === false ? false : (r.redact as RedactOptions),
  };
}
