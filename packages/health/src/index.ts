export type { CheckOutcome, CheckResult, CheckReturn, HealthCheck, HealthStatus } from './checks.js';
export {
  CheckTimeoutError,
  type HealthErrorCode,
  HealthOptionsError,
  type HealthOutputCode,
} from './errors.js';
export {
  type Closable,
  createHealth,
  HEALTH_CONTENT_TYPE,
  type Health,
  type HealthReport,
  type ProbeResponse,
  type ShutdownHookOptions,
  type ShutdownOptions,
  type ShutdownPhase,
  type ShutdownResult,
} from './health.js';
export type { HealthMetricsRegistry } from './metrics.js';
export type { HealthLogger, HealthOptions, PressureOptions } from './options.js';
export { type PgCheckOptions, pgCheck, type QueryablePool } from './pg.js';
export { MAX_OUTPUT_LENGTH, sanitizeOutput } from './sanitize.js';
