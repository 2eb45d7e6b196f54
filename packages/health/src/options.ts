import { z } from 'zod';
import type { HealthCheck } from './checks.js';
import { formatIssues, HealthOptionsError } from './errors.js';
import type { HealthMetricsRegistry } from './metrics.js';

/**
 * Any pino-compatible logger (pino, Fastify's `app.log`, `@immo/logger`): `(object, message)`
 * calls at `info`, `warn` and `error`; `fatal` is used when present.
 */
export interface HealthLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  fatal?(obj: object, msg?: string): void;
}

/** Load-shedding limits. A limit of `0` turns that kind of pressure off. */
export interface PressureOptions {
  /**
   * Highest event-loop delay (the largest in each sample window) before requests are shed.
   * Env: `IMMO_HEALTH_MAX_EVENT_LOOP_DELAY_MS`.
   * @default 1000
   */
  maxEventLoopDelayMs?: number;
  /**
   * Highest V8 heap use (`heapUsed`) before requests are shed; `0` = off.
   * Env: `IMMO_HEALTH_MAX_HEAP_USED_BYTES`.
   * @default 0
   */
  maxHeapUsedBytes?: number;
  /**
   * Highest resident set size before requests are shed; `0` = off. Set it below the container's
   * memory limit. Env: `IMMO_HEALTH_MAX_RSS_BYTES`.
   * @default 0
   */
  maxRssBytes?: number;
  /**
   * How often the event-loop delay, heap and RSS are sampled. Requests only read the last verdict.
   * Env: `IMMO_HEALTH_SAMPLE_INTERVAL_MS`.
   * @default 1000
   */
  sampleIntervalMs?: number;
  /**
   * The `Retry-After` header (seconds) on shed requests. Env: `IMMO_HEALTH_RETRY_AFTER_SECONDS`.
   * @default 10
   */
  retryAfterSeconds?: number;
  /**
   * `true`: pressure makes readiness `fail` (503) instead of `warn` (200). Off by default: when
   * every replica is overloaded, failing readiness everywhere turns overload into an outage.
   * @default false
   */
  failReadiness?: boolean;
}

/**
 * Options of {@link createHealth}. Each is read in one order: the explicit option, then its
 * `IMMO_HEALTH_*` environment variable, then the default. The whole set is validated at once.
 */
export interface HealthOptions {
  /**
   * `serviceId` in responses. Env: `IMMO_HEALTH_SERVICE`, then `OTEL_SERVICE_NAME`.
   * @example 'billing-api'
   */
  service?: string;
  /**
   * `version` in responses. Env: `IMMO_HEALTH_VERSION`, then `npm_package_version`.
   * @example '1.4.2'
   */
  version?: string;
  /** `description` in responses. */
  description?: string;
  /** Readiness checks; more can be added with `health.addCheck()`. */
  checks?: readonly HealthCheck[];
  /**
   * How often each check runs in the background (a check can override it).
   * Env: `IMMO_HEALTH_CHECK_INTERVAL_MS`.
   * @default 5000
   */
  checkIntervalMs?: number;
  /**
   * How long a check may take before it is reported failed (a check can override it).
   * Env: `IMMO_HEALTH_CHECK_TIMEOUT_MS`.
   * @default 2000
   */
  checkTimeoutMs?: number;
  /**
   * After a shutdown signal: how long the app keeps serving while readiness already fails, so that
   * Kubernetes removes the pod from its endpoints first. Match the readiness `periodSeconds`; `0`
   * when a `preStop` sleep does this. Env: `IMMO_HEALTH_PROPAGATION_DELAY_MS`.
   * @default 5000
   */
  propagationDelayMs?: number;
  /**
   * Hard deadline from the signal to the exit: whatever still runs then, the process exits with
   * code 1. Keep it below `terminationGracePeriodSeconds`. Env: `IMMO_HEALTH_SHUTDOWN_DEADLINE_MS`.
   * @default 25000
   */
  shutdownDeadlineMs?: number;
  /**
   * Longest wait for the servers to close and drain in-flight requests.
   * Env: `IMMO_HEALTH_CLOSE_TIMEOUT_MS`.
   * @default 10000
   */
  closeTimeoutMs?: number;
  /**
   * Default timeout of each shutdown hook. Env: `IMMO_HEALTH_HOOK_TIMEOUT_MS`.
   * @default 5000
   */
  hookTimeoutMs?: number;
  /**
   * Load-shedding limits, or `false` for no pressure sampling at all.
   * Env: `IMMO_HEALTH_PRESSURE=false` turns it off.
   * @default { maxEventLoopDelayMs: 1000 }
   */
  pressure?: false | PressureOptions;
  /**
   * Handle `SIGTERM`/`SIGINT` with the shutdown sequence once `start()` ran.
   * Env: `IMMO_HEALTH_HANDLE_SIGNALS`.
   * @default true
   */
  handleSignals?: boolean;
  /**
   * Log uncaught exceptions and unhandled rejections and shut down the same way, exit code 1.
   * @default true
   */
  handleUncaught?: boolean;
  /** Ends the process; replace it in tests. @default process.exit */
  exit?: (code: number) => void;
  /** Where state changes and shutdown steps are logged. @default Fastify's logger with the plugin, else JSON lines on stderr */
  logger?: HealthLogger;
  /** An `@immo/metrics` instance, or `false` for none. @default getMetrics() */
  metrics?: false | HealthMetricsRegistry;
}

export interface ResolvedPressureOptions {
  maxEventLoopDelayMs: number;
  maxHeapUsedBytes: number;
  maxRssBytes: number;
  sampleIntervalMs: number;
  retryAfterSeconds: number;
  failReadiness: boolean;
}

export interface ResolvedHealthOptions {
  service: string | undefined;
  version: string | undefined;
  description: string | undefined;
  checks: readonly HealthCheck[];
  checkIntervalMs: number;
  checkTimeoutMs: number;
  propagationDelayMs: number;
  shutdownDeadlineMs: number;
  closeTimeoutMs: number;
  hookTimeoutMs: number;
  pressure: false | ResolvedPressureOptions;
  handleSignals: boolean;
  handleUncaught: boolean;
  exit: (code: number) => void;
  logger: HealthLogger | undefined;
  metrics: false | HealthMetricsRegistry | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const isFunction = (v: unknown): v is (...args: never[]) => unknown => typeof v === 'function';
const ms = z.number().int().nonnegative().max(2_147_483_647);
const positiveMs = z.number().int().positive().max(2_147_483_647);

/** Schema of one check definition; shared by the options and `addCheck`. */
export const checkSchema = z
  .object({
    name: z.string().regex(NAME, 'a name of letters, digits, "_", "." or "-" (max 63)'),
    measurement: z.string().regex(NAME, 'a measurement of letters, digits, "_", "." or "-"').optional(),
    componentType: z.string().min(1).optional(),
    componentId: z.string().min(1).optional(),
    critical: z.boolean().optional(),
    timeoutMs: positiveMs.optional(),
    intervalMs: positiveMs.optional(),
    check: z.custom<HealthCheck['check']>(isFunction, 'function'),
  })
  .strict();

const pressureSchema = z
  .object({
    maxEventLoopDelayMs: ms,
    maxHeapUsedBytes: z.number().int().nonnegative(),
    maxRssBytes: z.number().int().nonnegative(),
    sampleIntervalMs: z.number().int().min(10).max(60_000),
    retryAfterSeconds: z.number().int().nonnegative().max(86_400),
    failReadiness: z.boolean(),
  })
  .strict();

const loggerLike = (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  ['info', 'warn', 'error'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function');
const metricsLike = (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  ['counter', 'gauge', 'histogram'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function');

const schema = z
  .object({
    service: z.string().min(1).optional(),
    version: z.string().min(1).optional(),
    description: z.string().optional(),
    checks: z.array(checkSchema),
    checkIntervalMs: positiveMs,
    checkTimeoutMs: positiveMs,
    propagationDelayMs: ms,
    shutdownDeadlineMs: positiveMs,
    closeTimeoutMs: positiveMs,
    hookTimeoutMs: positiveMs,
    pressure: z.union([z.literal(false), pressureSchema]),
    handleSignals: z.boolean(),
    handleUncaught: z.boolean(),
    exit: z.custom<(code: number) => void>(isFunction, 'function'),
    logger: z.custom<HealthLogger>(loggerLike, 'a logger with info, warn and error').optional(),
    metrics: z
      .union([
        z.literal(false),
        z.custom<HealthMetricsRegistry>(metricsLike, 'an @immo/metrics instance (getMetrics())'),
      ])
      .optional(),
  })
  .strict();

// Cross-field rules, checked on the raw merged values so they are reported together with the
// schema's issues (zod skips refinements of an object whose fields already failed).
function crossFieldIssues(o: Record<string, unknown>): string[] {
  const issues: string[] = [];
  const delay = o.propagationDelayMs;
  const deadline = o.shutdownDeadlineMs;
  if (typeof delay === 'number' && typeof deadline === 'number' && delay >= deadline) {
    issues.push(
      `propagationDelayMs: expected less than shutdownDeadlineMs (${deadline}), received number ${delay}`,
    );
  }
  if (Array.isArray(o.checks)) {
    const seen = new Set<string>();
    o.checks.forEach((c: unknown, i) => {
      const { name, measurement } = (c ?? {}) as { name?: unknown; measurement?: unknown };
      if (typeof name !== 'string') return;
      const key = `${name}:${typeof measurement === 'string' ? measurement : 'responseTime'}`;
      if (seen.has(key)) issues.push(`checks.${i}.name: expected a unique check name, received "${name}"`);
      seen.add(key);
    });
  }
  return issues;
}

const ENV: Record<string, string> = {
  service: 'IMMO_HEALTH_SERVICE',
  version: 'IMMO_HEALTH_VERSION',
  checkIntervalMs: 'IMMO_HEALTH_CHECK_INTERVAL_MS',
  checkTimeoutMs: 'IMMO_HEALTH_CHECK_TIMEOUT_MS',
  propagationDelayMs: 'IMMO_HEALTH_PROPAGATION_DELAY_MS',
  shutdownDeadlineMs: 'IMMO_HEALTH_SHUTDOWN_DEADLINE_MS',
  closeTimeoutMs: 'IMMO_HEALTH_CLOSE_TIMEOUT_MS',
  hookTimeoutMs: 'IMMO_HEALTH_HOOK_TIMEOUT_MS',
  handleSignals: 'IMMO_HEALTH_HANDLE_SIGNALS',
};
const PRESSURE_ENV: Record<string, string> = {
  maxEventLoopDelayMs: 'IMMO_HEALTH_MAX_EVENT_LOOP_DELAY_MS',
  maxHeapUsedBytes: 'IMMO_HEALTH_MAX_HEAP_USED_BYTES',
  maxRssBytes: 'IMMO_HEALTH_MAX_RSS_BYTES',
  sampleIntervalMs: 'IMMO_HEALTH_SAMPLE_INTERVAL_MS',
  retryAfterSeconds: 'IMMO_HEALTH_RETRY_AFTER_SECONDS',
};
const PRESSURE_VAR = 'IMMO_HEALTH_PRESSURE';

/** Every environment variable the options read (documented in the README). */
export const ENV_VARIABLES: readonly string[] = [
  ...Object.values(ENV),
  ...Object.values(PRESSURE_ENV),
  PRESSURE_VAR,
];

const PRESSURE_DEFAULTS: ResolvedPressureOptions = {
  maxEventLoopDelayMs: 1000,
  maxHeapUsedBytes: 0,
  maxRssBytes: 0,
  sampleIntervalMs: 1000,
  retryAfterSeconds: 10,
  failReadiness: false,
};

function parseEnv(raw: string, kind: 'number' | 'boolean' | 'string'): unknown {
  const v = raw.trim();
  if (kind === 'number') return /^\d+$/.test(v) ? Number(v) : raw;
  if (kind === 'boolean') {
    const l = v.toLowerCase();
    if (l === 'true' || l === '1') return true;
    if (l === 'false' || l === '0') return false;
  }
  // left as given so validation reports it with its source
  return raw;
}

function kindOf(key: string): 'number' | 'boolean' | 'string' {
  if (key === 'service' || key === 'version') return 'string';
  if (key === 'handleSignals') return 'boolean';
  return 'number';
}

const defaultExit = (code: number): void => {
  process.exit(code);
};

/**
 * Merges explicit options, `IMMO_HEALTH_*` variables and defaults, then validates the result
 * whole. Throws {@link HealthOptionsError} (`IMMO_HEALTH_INVALID_OPTIONS`) listing every problem.
 */
export function resolveHealthOptions(
  options: HealthOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedHealthOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new HealthOptionsError('IMMO_HEALTH_INVALID_OPTIONS', 'Invalid @immo/health options', [
      `(options): expected object, received ${options === null ? 'null' : typeof options}`,
    ]);
  }
  const sources: Record<string, string> = {};
  const merged: Record<string, unknown> = {
    service: env.OTEL_SERVICE_NAME || undefined,
    version: env.npm_package_version || undefined,
    description: undefined,
    checks: [],
    checkIntervalMs: 5000,
    checkTimeoutMs: 2000,
    propagationDelayMs: 5000,
    shutdownDeadlineMs: 25_000,
    closeTimeoutMs: 10_000,
    hookTimeoutMs: 5000,
    pressure: { ...PRESSURE_DEFAULTS },
    handleSignals: true,
    handleUncaught: true,
    exit: defaultExit,
    logger: undefined,
    metrics: undefined,
  };
  for (const [key, variable] of Object.entries(ENV)) {
    const raw = env[variable];
    if (raw !== undefined && raw !== '') {
      merged[key] = parseEnv(raw, kindOf(key));
      sources[key] = variable;
    }
  }
  const pressureEnv = env[PRESSURE_VAR];
  let pressureOff = false;
  if (pressureEnv !== undefined && pressureEnv !== '') {
    const v = parseEnv(pressureEnv, 'boolean');
    if (v === false) pressureOff = true;
    else if (v !== true) {
      merged.pressure = pressureEnv;
      sources.pressure = PRESSURE_VAR;
    }
  }
  if (typeof merged.pressure === 'object') {
    const p = merged.pressure as Record<string, unknown>;
    for (const [key, variable] of Object.entries(PRESSURE_ENV)) {
      const raw = env[variable];
      if (raw !== undefined && raw !== '') {
        p[key] = parseEnv(raw, 'number');
        sources[`pressure.${key}`] = variable;
      }
    }
    if (pressureOff) merged.pressure = false;
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key === 'pressure' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const base = typeof merged.pressure === 'object' ? merged.pressure : { ...PRESSURE_DEFAULTS };
      const p: Record<string, unknown> = { ...(base as object) };
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        p[k] = v;
        delete sources[`pressure.${k}`];
      }
      merged.pressure = p;
    } else {
      merged[key] = value;
    }
    delete sources[key];
  }
  const result = schema.safeParse(merged);
  const issues = result.success ? [] : formatIssues(result.error, merged, sources);
  issues.push(...crossFieldIssues(merged));
  if (!result.success || issues.length > 0) {
    throw new HealthOptionsError('IMMO_HEALTH_INVALID_OPTIONS', 'Invalid @immo/health options', issues);
  }
  const r = result.data;
  return {
    service: r.service,
    version: r.version,
    description: r.description,
    checks: r.checks as readonly HealthCheck[],
    checkIntervalMs: r.checkIntervalMs,
    checkTimeoutMs: r.checkTimeoutMs,
    propagationDelayMs: r.propagationDelayMs,
    shutdownDeadlineMs: r.shutdownDeadlineMs,
    closeTimeoutMs: r.closeTimeoutMs,
    hookTimeoutMs: r.hookTimeoutMs,
    pressure: r.pressure,
    handleSignals: r.handleSignals,
    handleUncaught: r.handleUncaught,
    exit: r.exit,
    logger: r.logger,
    metrics: r.metrics,
  };
}

/** Validates one check for `addCheck`; throws `IMMO_HEALTH_INVALID_CHECK` listing every problem. */
export function validateCheck(check: HealthCheck): HealthCheck {
  const result = checkSchema.safeParse(check);
  if (!result.success) {
    throw new HealthOptionsError(
      'IMMO_HEALTH_INVALID_CHECK',
      'Invalid @immo/health check',
      formatIssues(result.error, check),
    );
  }
  return check;
}
