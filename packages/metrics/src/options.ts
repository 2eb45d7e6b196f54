import { z } from 'zod';
import { formatIssues, MetricsOptionsError } from './errors.js';

/**
 * Options of {@link initMetrics}. Each is read in one order: the explicit option, then its
 * `IMMO_METRICS_*` environment variable, then the default. The whole set is validated at once.
 */
export interface MetricsOptions {
  /**
   * The `service` label on every series.
   * Env: `IMMO_METRICS_SERVICE`, then `OTEL_SERVICE_NAME`, then `npm_package_name`.
   * @default 'unknown_service'
   * @example 'billing-api'
   */
  service?: string;
  /**
   * The `version` label on every series.
   * Env: `IMMO_METRICS_VERSION`, then `npm_package_version`.
   * @default '0.0.0'
   */
  version?: string;
  /**
   * More labels on every series (their names may not be used by any metric).
   * @example { region: 'eu-central-1' }
   */
  defaultLabels?: Record<string, string>;
  /**
   * The most label sets one metric holds; later new label sets go to one `_OVERFLOW` series.
   * A metric can set its own `maxSeries`. Env: `IMMO_METRICS_MAX_SERIES`.
   * @default 2000
   */
  maxSeriesPerMetric?: number;
  /**
   * Runtime metrics (CPU, memory, heap, event loop, GC, handles). Env: `IMMO_METRICS_RUNTIME`.
   * @default true
   */
  runtimeMetrics?: boolean;
  /**
   * Attach the active trace id to histogram observations, shown when the scraper asks for
   * OpenMetrics. Needs `@opentelemetry/api` (an optional peer). Env: `IMMO_METRICS_EXEMPLARS`.
   * @default true
   */
  exemplars?: boolean;
  /**
   * `false` makes every metric a no-op and `render()` return an empty exposition.
   * Env: `IMMO_METRICS_ENABLED`.
   * @default true
   */
  enabled?: boolean;
}

export interface ResolvedMetricsOptions {
  service: string;
  version: string;
  defaultLabels: Record<string, string>;
  maxSeriesPerMetric: number;
  runtimeMetrics: boolean;
  exemplars: boolean;
  enabled: boolean;
}

export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const schema = z
  .object({
    service: z.string().trim().min(1, 'a non-empty service name'),
    version: z.string().trim().min(1, 'a non-empty version'),
    defaultLabels: z.record(
      z
        .string()
        .regex(LABEL_NAME, 'a label name matching [a-zA-Z_][a-zA-Z0-9_]*')
        .refine((k) => !k.startsWith('__'), 'a label name not starting with __ (reserved)')
        .refine((k) => k !== 'service' && k !== 'version', 'not service/version (use those options)'),
      z.string(),
    ),
    maxSeriesPerMetric: z.number().int().min(1).max(1_000_000),
    runtimeMetrics: z.boolean(),
    exemplars: z.boolean(),
    enabled: z.boolean(),
  })
  .strict();

const ENV: Record<string, string> = {
  service: 'IMMO_METRICS_SERVICE',
  version: 'IMMO_METRICS_VERSION',
  maxSeriesPerMetric: 'IMMO_METRICS_MAX_SERIES',
  runtimeMetrics: 'IMMO_METRICS_RUNTIME',
  exemplars: 'IMMO_METRICS_EXEMPLARS',
  enabled: 'IMMO_METRICS_ENABLED',
};
const BOOLEAN_KEYS = new Set(['runtimeMetrics', 'exemplars', 'enabled']);

function fromEnv(key: string, raw: string): unknown {
  if (BOOLEAN_KEYS.has(key)) {
    const v = raw.trim().toLowerCase();
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    return raw; // left as a string so validation reports it with its source
  }
  if (key === 'maxSeriesPerMetric') {
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
  }
  return raw;
}

/**
 * Merges explicit options, `IMMO_METRICS_*` variables and defaults, then validates the result
 * whole. Throws {@link MetricsOptionsError} listing every problem.
 */
export function resolveMetricsOptions(
  options: MetricsOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedMetricsOptions {
  if (options === null || typeof options !== 'object') {
    throw new MetricsOptionsError('IMMO_METRICS_INVALID_OPTIONS', 'Invalid @immo/metrics options', [
      `(options): expected object, received ${options === null ? 'null' : typeof options}`,
    ]);
  }
  const sources: Record<string, string> = {};
  const merged: Record<string, unknown> = {
    service: env.OTEL_SERVICE_NAME || env.npm_package_name || 'unknown_service',
    version: env.npm_package_version || '0.0.0',
    defaultLabels: {},
    maxSeriesPerMetric: 2000,
    runtimeMetrics: true,
    exemplars: true,
    enabled: true,
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
    throw new MetricsOptionsError(
      'IMMO_METRICS_INVALID_OPTIONS',
      'Invalid @immo/metrics options',
      formatIssues(result.error, merged, sources),
    );
  }
  return { ...result.data, defaultLabels: { ...result.data.defaultLabels } };
}
